"""Every page of the console: route, sidebar label, icon and the permission needed to open it."""

from dataclasses import dataclass

from console.auth.roles import Permission


@dataclass(frozen=True)
class PageSpec:
    """A routed page and who may open it (None: any signed-in user)."""

    route: str
    label: str
    icon: str
    permission: Permission | None
    in_nav: bool = True


PAGES: tuple[PageSpec, ...] = (
    PageSpec("/", "Home", "house", None),
    PageSpec("/customers", "Customers", "users", Permission.VIEW_CUSTOMERS),
    PageSpec("/customers/[customer_id]", "Customer", "user", Permission.VIEW_CUSTOMERS,
             in_nav=False),
    PageSpec("/catalog", "Catalog & pricing", "tags", Permission.VIEW_CATALOG),
    PageSpec("/catalog/plans/[plan_id]", "Plan", "tag", Permission.VIEW_CATALOG, in_nav=False),
    PageSpec("/catalog/versions/[version_id]", "Plan version", "file-pen",
             Permission.VIEW_CATALOG, in_nav=False),
    PageSpec("/catalog/changes/[change_id]", "Change request", "git-pull-request",
             Permission.VIEW_CATALOG, in_nav=False),
    PageSpec("/experiments", "Experiments", "flask-conical", Permission.VIEW_EXPERIMENTS),
    PageSpec("/experiments/[experiment_id]", "Experiment", "flask-conical",
             Permission.VIEW_EXPERIMENTS, in_nav=False),
    PageSpec("/rollouts/[rollout_id]", "Rollout", "layers", Permission.VIEW_EXPERIMENTS,
             in_nav=False),
    PageSpec("/invoices", "Invoice review", "file-text", Permission.VIEW_INVOICES),
    PageSpec("/invoices/[invoice_id]", "Invoice", "file-text", Permission.VIEW_INVOICES,
             in_nav=False),
    PageSpec("/bill-runs", "Bill runs", "play", Permission.VIEW_INVOICES),
    PageSpec("/usage", "Usage imports", "upload", Permission.VIEW_INVOICES),
    PageSpec("/disputes", "Disputes", "message-square-warning", Permission.VIEW_DISPUTES),
    PageSpec("/disputes/new", "Open a dispute", "file-plus", Permission.WORK_DISPUTES,
             in_nav=False),
    PageSpec("/disputes/[dispute_id]", "Dispute", "message-square-warning",
             Permission.VIEW_DISPUTES, in_nav=False),
    PageSpec("/collections", "Collections", "hand-coins", Permission.VIEW_COLLECTIONS),
    PageSpec("/collections/customers/[customer_id]", "Customer collections", "hand-coins",
             Permission.VIEW_COLLECTIONS, in_nav=False),
    PageSpec("/kpis", "KPI dashboards", "chart-column", Permission.VIEW_KPIS),
    PageSpec("/audit", "Audit log", "scroll-text", Permission.VIEW_AUDIT),
    PageSpec("/admin/users", "Users & roles", "shield", Permission.MANAGE_USERS),
)

#: Pages reachable without signing in.
PUBLIC_ROUTES: tuple[str, ...] = ("/signin", "/invite/[token]")

_BY_ROUTE = {p.route: p for p in PAGES}


def page_for(route: str) -> PageSpec | None:
    """The spec of a route pattern (e.g. ``/customers/[customer_id]``)."""
    return _BY_ROUTE.get(route.rstrip("/") or "/")
