"""The Reflex app: the pages of ``pages/registry.py``, the theme, the plain HTTP routes
(/auth, the usage API, /health, /ready, /metrics) mounted beside it, the HTTP metrics
middleware, and the embedded job scheduler (a lifespan task; off with CONSOLE_SCHEDULER=off).

The only module under console/ that imports reflex or pages.
"""

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import reflex as rx
from starlette.applications import Starlette

from console import jobs
from console.web.auth_routes import build_auth_app
from console.web.ops import HttpMetrics, ops_routes
from console.web.usage_api import usage_routes
from pages.components.layout import shell
from pages.errors import not_found
from pages.registry import PAGES, PUBLIC_PAGES, PageSpec
from pages.session import SessionState

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _api() -> Starlette:
    """The Starlette app Reflex mounts itself under: /auth/*, POST /api/usage/events and the
    operator routes."""
    api = build_auth_app()
    api.router.routes[:0] = [*ops_routes(), *usage_routes()]
    return api


@contextlib.asynccontextmanager
async def _job_scheduler() -> AsyncIterator[None]:
    """Run the job tick in this process for the app's lifetime (unless CONSOLE_SCHEDULER=off)."""
    scheduler = jobs.start_embedded()
    try:
        yield
    finally:
        await asyncio.to_thread(jobs.stop_embedded, scheduler)


def _resolve(ref: str) -> Any:
    """``"pages.catalog.views:catalog_view"`` -> the object it names."""
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _page(spec: PageSpec) -> Callable[[], rx.Component]:
    view = _resolve(spec.view)

    def render() -> rx.Component:
        return shell(spec.label, view())

    render.__name__ = f"{view.__name__}_page"
    return render


app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=[_api(), HttpMetrics],
)
app.register_lifespan_task(_job_scheduler)

for spec in PAGES:
    loaders = [SessionState.guard_page]
    if spec.state:
        loaders.append(_resolve(spec.state).load)
    app.add_page(_page(spec), route=spec.route, title=spec.label, on_load=loaders)
for public in PUBLIC_PAGES:
    app.add_page(_resolve(public.view), route=public.route, title=public.title,
                 on_load=_resolve(public.state).load if public.state else None)
app.add_page(not_found, route="404", title="Not found")
