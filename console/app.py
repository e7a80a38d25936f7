"""The Reflex app: pages, theme, and the /auth and usage API routes mounted beside it.

The only module under console/ that imports reflex.
"""

import logging

import reflex as rx
from starlette.applications import Starlette

from console.web.auth_routes import build_auth_app
from console.web.usage_api import usage_routes
from pages.admin import page as admin_page
from pages.areas import page as areas_page
from pages.audit import page as audit_page
from pages.auth import page as auth_page
from pages.billing import page as billing_page
from pages.catalog import page as catalog_page
from pages.collections import page as collections_page
from pages.customers import page as customers_page
from pages.disputes import page as disputes_page
from pages.errors import not_found
from pages.experiments import page as experiments_page
from pages.home import page as home_page
from pages.invoices import page as invoices_page
from pages.kpis import page as kpis_page

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _api() -> Starlette:
    """The Starlette app Reflex mounts itself under: /auth/* and POST /api/usage/events."""
    api = build_auth_app()
    api.router.routes[:0] = usage_routes()
    return api


app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=_api(),
)

for area in (auth_page, home_page, customers_page, audit_page, admin_page, catalog_page,
             invoices_page, billing_page, kpis_page, experiments_page, disputes_page,
             collections_page, areas_page):
    area.register(app)
app.add_page(not_found, route="404", title="Not found")
