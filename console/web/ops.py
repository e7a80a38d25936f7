"""Endpoints for operators: ``GET /health``, ``GET /ready``, ``GET /metrics``; and the ASGI
middleware that counts HTTP requests by route and status.

* ``/health``: liveness. 200 ``{"status": "ok"}`` while the process answers; no database.
* ``/ready``: 200 when the database answers and its Alembic revision is the code's head; else
  503 with a plain reason (unreachable, or behind: run ``python -m console migrate``).
* ``/metrics``: Prometheus text format (:mod:`console.kernel.metrics`). With
  ``CONSOLE_METRICS_TOKEN`` set, only ``Authorization: Bearer <token>`` is answered (401
  otherwise); without it only loopback clients are answered (403 otherwise). Behind a reverse
  proxy on the same host every client looks like loopback: set the token there.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.kernel.metrics import HTTP_REQUESTS, HTTP_SECONDS, exposition
from console.kernel.settings import settings
from models.db import get_engine

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 5.0
#: Route patterns counted by name; every other path is counted as ``other`` (pages, assets).
ROUTES = ("/health", "/ready", "/metrics", "/api/usage/events", "/auth/complete",
          "/auth/logout", "/auth/oidc/login", "/auth/oidc/callback", "/ping", "/_event",
          "/_upload", "/_health")


async def health(_request: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


@cache
def head_revision() -> str:
    """The newest migration this code ships (read once from ``migrations/``)."""
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return str(ScriptDirectory.from_config(cfg).get_current_head())


def readiness() -> tuple[bool, str]:
    """``(ready, reason)``: the database answers and is migrated to the code's head."""
    head = head_revision()
    try:
        with get_engine().connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        return False, f"the database does not answer: {reason}"
    if current != head:
        return False, (f"the database schema is at revision {current or 'none'}, the code "
                       f"needs {head}: run `python -m console migrate`")
    return True, f"database at revision {head}"


async def ready(_request: Request) -> JSONResponse:
    """Readiness: 200 when the database answers at the head revision, else 503."""
    try:
        ok, reason = await asyncio.wait_for(run_in_threadpool(readiness),
                                            READY_TIMEOUT_SECONDS)
    except TimeoutError:
        ok, reason = False, f"the database did not answer within {READY_TIMEOUT_SECONDS:g} s"
    return JSONResponse({"status": "ready" if ok else "not ready", "reason": reason},
                        status_code=200 if ok else 503)


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def metrics(request: Request) -> Response:
    """Prometheus scrape: bearer token when configured, else loopback clients only."""
    token = settings().metrics_token
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                  token.encode()):
            return JSONResponse({"error": "missing or invalid bearer token"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
    elif not _loopback(request):
        return JSONResponse({"error": "metrics are answered to loopback clients only; set "
                                      "CONSOLE_METRICS_TOKEN to scrape from elsewhere"},
                            status_code=403)
    body, content_type = await run_in_threadpool(exposition)
    return Response(body, media_type=content_type)


def ops_routes() -> list[Route]:
    """The three operator routes, to mount first in the API app."""
    return [Route("/health", health, methods=["GET"]), Route("/ready", ready, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"])]


def route_label(path: str) -> str:
    """The bounded ``route`` label of a request path."""
    for route in ROUTES:
        if path == route or path.startswith(route + "/"):
            return route
    return "other"


class HttpMetrics:
    """ASGI middleware: counts each HTTP request by route, method and status, and times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = route_label(scope.get("path", ""))
            method = scope.get("method", "GET")
            if method not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
                method = "other"
            HTTP_REQUESTS.labels(route=route, method=method, status=str(status[0])).inc()
            HTTP_SECONDS.labels(route=route).observe(time.perf_counter() - started)
