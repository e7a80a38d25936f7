"""Every page of the console, in one table: route, title, sidebar icon, who may open it, what
it shows and which state loads it. ``console/app.py`` registers the pages from this table,
the sidebar and the home page list it, the page guard checks it, and the role tests walk it.

``view`` and ``state`` name their objects as ``module:attribute`` so that this table imports
no page code: the app resolves them when it registers the pages.
"""

from dataclasses import dataclass

from console.kernel.roles import Permission


@dataclass(frozen=True)
class PageSpec:
    """A routed page.

    Attributes:
        route: the URL pattern (``[name]`` for a dynamic segment).
        label: the page's title, in the sidebar, the header and the browser tab.
        icon: the lucide icon of the sidebar link.
        permission: what opening it needs (None: any signed-in user).
        view: ``module:function`` returning the page's content (wrapped in the shell).
        state: ``module:Class`` whose ``load`` runs on load after the guard (None: none).
        in_nav: whether the sidebar links it.
        blurb: what the home page says about it.
    """

    route: str
    label: str
    icon: str
    permission: Permission | None
    view: str
    state: str | None = None
    in_nav: bool = True
    blurb: str = ""


P = Permission
PAGES: tuple[PageSpec, ...] = (
    PageSpec("/", "Home", "house", None, "pages.home.views:home_view"),
    PageSpec("/customers", "Customers", "users", P.VIEW_CUSTOMERS,
             "pages.customers.views:customers_view", "pages.customers.state:CustomersState",
             blurb="Search customers; subscriptions, timeline, invoices, usage."),
    PageSpec("/customers/new", "New customer", "user-plus", P.MANAGE_CUSTOMERS,
             "pages.customers.form_views:new_customer_view",
             "pages.customers.form_state:CustomerFormState", in_nav=False),
    PageSpec("/customers/[customer_id]", "Customer", "user", P.VIEW_CUSTOMERS,
             "pages.customers.views:customer_detail_view",
             "pages.customers.state:CustomerDetailState", in_nav=False),
    PageSpec("/catalog", "Catalog & pricing", "tags", P.VIEW_CATALOG,
             "pages.catalog.views:catalog_view", "pages.catalog.state:CatalogState",
             blurb="Plans, versioned rate cards, price changes with approval and simulation."),
    PageSpec("/catalog/plans/[plan_id]", "Plan", "tag", P.VIEW_CATALOG,
             "pages.catalog.views:plan_view", "pages.catalog.state:PlanState", in_nav=False),
    PageSpec("/catalog/versions/[version_id]", "Plan version", "file-pen", P.VIEW_CATALOG,
             "pages.catalog.version_views:version_view",
             "pages.catalog.version_state:VersionState", in_nav=False),
    PageSpec("/catalog/changes/[change_id]", "Change request", "git-pull-request",
             P.VIEW_CATALOG, "pages.catalog.change_views:change_view",
             "pages.catalog.change_state:ChangeState", in_nav=False),
    PageSpec("/experiments", "Experiments", "flask-conical", P.VIEW_EXPERIMENTS,
             "pages.experiments.views:experiments_view",
             "pages.experiments.state:ExperimentsState",
             blurb="Pricing experiments and staged rollouts with guardrails."),
    PageSpec("/experiments/[experiment_id]", "Experiment", "flask-conical",
             P.VIEW_EXPERIMENTS, "pages.experiments.views:experiment_view",
             "pages.experiments.state:ExperimentState", in_nav=False),
    PageSpec("/rollouts/[rollout_id]", "Rollout", "layers", P.VIEW_EXPERIMENTS,
             "pages.experiments.rollout_views:rollout_view",
             "pages.experiments.rollout_state:RolloutState", in_nav=False),
    PageSpec("/invoices", "Invoice review", "file-text", P.VIEW_INVOICES,
             "pages.invoices.views:review_view", "pages.invoices.state:ReviewState",
             blurb="Bill runs and the invoice review queue."),
    PageSpec("/invoices/[invoice_id]", "Invoice", "file-text", P.VIEW_INVOICES,
             "pages.invoices.detail_views:invoice_detail_view",
             "pages.invoices.detail_state:InvoiceState", in_nav=False),
    PageSpec("/bill-runs", "Bill runs", "play", P.VIEW_INVOICES,
             "pages.billing.views:bill_runs_view", "pages.billing.state:BillRunsState"),
    PageSpec("/usage", "Usage imports", "upload", P.VIEW_INVOICES,
             "pages.billing.views:usage_view", "pages.billing.state:UsageState"),
    PageSpec("/disputes", "Disputes", "message-square-warning", P.VIEW_DISPUTES,
             "pages.disputes.views:queue_view", "pages.disputes.state:DisputesState",
             blurb="Dispute cases, evidence and resolutions."),
    PageSpec("/disputes/new", "Open a dispute", "file-plus", P.WORK_DISPUTES,
             "pages.disputes.views:new_dispute_view", "pages.disputes.state:NewDisputeState",
             in_nav=False),
    PageSpec("/disputes/[dispute_id]", "Dispute", "message-square-warning", P.VIEW_DISPUTES,
             "pages.disputes.case_views:case_view", "pages.disputes.case_state:CaseState",
             in_nav=False),
    PageSpec("/collections", "Collections", "hand-coins", P.VIEW_COLLECTIONS,
             "pages.collections.views:collections_view",
             "pages.collections.state:CollectionsState",
             blurb="Open receivables by aging bucket, dunning, promises to pay."),
    PageSpec("/collections/customers/[customer_id]", "Customer collections", "hand-coins",
             P.VIEW_COLLECTIONS, "pages.collections.views:customer_collections_view",
             "pages.collections.state:CustomerCollectionsState", in_nav=False),
    PageSpec("/kpis", "KPI dashboards", "chart-column", P.VIEW_KPIS,
             "pages.kpis.views:kpis_view", "pages.kpis.state:KpisState",
             blurb="MRR movements, retention, churn, DSO, dispute rate."),
    PageSpec("/audit", "Audit log", "scroll-text", P.VIEW_AUDIT,
             "pages.audit.views:audit_view", "pages.audit.state:AuditState",
             blurb="Every change, hash-chained and exportable."),
    PageSpec("/jobs", "Jobs", "clock", P.VIEW_JOBS, "pages.jobs.views:jobs_view",
             "pages.jobs.state:JobsState",
             blurb="Scheduled work: last and next runs, outcomes, run now."),
    PageSpec("/webhooks", "Webhooks", "webhook", P.VIEW_JOBS,
             "pages.webhooks.views:webhooks_view", "pages.webhooks.state:WebhooksState",
             blurb="Signed event delivery to your systems: endpoints, failures, replay."),
    PageSpec("/admin/users", "Users & roles", "shield", P.MANAGE_USERS,
             "pages.admin.views:admin_view", "pages.admin.state:AdminState",
             blurb="Invite users and assign roles."),
)


@dataclass(frozen=True)
class PublicPage:
    """A page reachable without signing in (no shell, no guard)."""

    route: str
    title: str
    view: str
    state: str | None = None


PUBLIC_PAGES: tuple[PublicPage, ...] = (
    PublicPage("/signin", "Sign in · Monetization console", "pages.auth.views:signin_view",
               "pages.auth.state:SignInState"),
    PublicPage("/invite/[token]", "Accept invitation", "pages.auth.views:invite_view"),
)

_BY_ROUTE = {p.route: p for p in PAGES}


def page_for(route: str) -> PageSpec | None:
    """The spec of a route pattern (e.g. ``/customers/[customer_id]``)."""
    return _BY_ROUTE.get(route.rstrip("/") or "/")
