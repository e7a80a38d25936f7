"""HTTP usage ingestion: ``POST /api/usage/events`` with a bearer API token.

Authentication: set ``CONSOLE_USAGE_API_TOKEN`` to a long random secret and send it as
``Authorization: Bearer <token>``. The token is compared in constant time; when the variable is
unset or empty the endpoint answers 503 (ingestion over HTTP is off).

Body: a JSON list of events, or ``{"events": [...]}``; each event is an object with
``customer_code``, ``event_type``, ``quantity`` (decimal text or number, up to 6 decimals),
``timestamp`` (ISO-8601 with offset), ``idempotency_key`` and optional ``properties``. At most
:data:`MAX_EVENTS` events per request.

Answers (JSON, see :meth:`console.billing.usecases.usage.ImportReport.as_json`):

* 200: accepted (``inserted`` and ``duplicates`` counted; re-sending a batch is safe);
* 422: rejected: nothing was written; ``errors`` lists ``{"line": n, "reason": ...}`` where
  ``line`` is the event's 1-based position in the list;
* 400 (body is not JSON / not a list), 401 (missing or wrong token), 413 (too many events),
  503 (token not configured).

Mount with ``usage_routes()`` (or the ready app ``build_usage_app()``).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from decimal import Decimal

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from console.billing import ingest_batch
from console.kernel.actor import Actor

log = logging.getLogger(__name__)

TOKEN_ENV = "CONSOLE_USAGE_API_TOKEN"  # noqa: S105 - the variable's name, not a secret
MAX_EVENTS = 10_000
PATH = "/api/usage/events"


def _authorized(request: Request) -> bool | None:
    """True/False for a good/bad token; None when no token is configured."""
    expected = os.environ.get(TOKEN_ENV, "").strip()
    if not expected:
        return None
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        given = ""
    return hmac.compare_digest(given.strip().encode(), expected.encode())


async def ingest_events(request: Request) -> JSONResponse:
    """POST /api/usage/events: validate a batch and store it (all or nothing)."""
    ok = _authorized(request)
    if ok is None:
        return JSONResponse({"error": f"usage API disabled: {TOKEN_ENV} is not set"},
                            status_code=503)
    if not ok:
        return JSONResponse({"error": "missing or invalid bearer token"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        body = json.loads(await request.body(), parse_float=Decimal)
    except ValueError:
        return JSONResponse({"error": "body is not valid JSON"}, status_code=400)
    events = body.get("events") if isinstance(body, dict) else body
    if not isinstance(events, list):
        return JSONResponse({"error": "send a JSON list of events (or {\"events\": [...]})"},
                            status_code=400)
    if len(events) > MAX_EVENTS:
        return JSONResponse({"error": f"at most {MAX_EVENTS} events per request"},
                            status_code=413)
    report = await run_in_threadpool(ingest_batch, None, events,
                                     actor=Actor.system("api:usage"), source="api")
    log.info("usage API import %s: %s", report.import_id, report.status)
    return JSONResponse(report.as_json(), status_code=200 if report.accepted else 422)


def usage_routes() -> list[Route]:
    """The routes to mount next to the app."""
    return [Route(PATH, ingest_events, methods=["POST"])]


def build_usage_app() -> Starlette:
    """A Starlette app holding only the usage endpoint."""
    return Starlette(routes=usage_routes())
