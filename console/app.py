"""The Reflex app: the pages of ``pages/registry.py``, the theme, and the plain HTTP routes
(/auth, the usage API) mounted beside it.

The only module under console/ that imports reflex or pages.
"""

import importlib
import logging
from collections.abc import Callable
from typing import Any

import reflex as rx
from starlette.applications import Starlette

from console.web.auth_routes import build_auth_app
from console.web.usage_api import usage_routes
from pages.components.layout import shell
from pages.errors import not_found
from pages.registry import PAGES, PUBLIC_PAGES, PageSpec
from pages.session import SessionState

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _api() -> Starlette:
    """The Starlette app Reflex mounts itself under: /auth/* and POST /api/usage/events."""
    api = build_auth_app()
    api.router.routes[:0] = usage_routes()
    return api


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
    api_transformer=_api(),
)

for spec in PAGES:
    loaders = [SessionState.guard_page]
    if spec.state:
        loaders.append(_resolve(spec.state).load)
    app.add_page(_page(spec), route=spec.route, title=spec.label, on_load=loaders)
for public in PUBLIC_PAGES:
    app.add_page(_resolve(public.view), route=public.route, title=public.title,
                 on_load=_resolve(public.state).load if public.state else None)
app.add_page(not_found, route="404", title="Not found")
