"""KPI dashboards: filters, a background recompute with progress, charts and drill-downs."""

import asyncio
import logging

import plotly.graph_objects as go
import reflex as rx

from console import kpis as svc
from console.kernel.errors import ServiceError
from console.kernel.roles import Permission
from console.kpis import Card, Dashboard, DrillRow, KpiFilters, Option
from pages.kpis import charts
from pages.session import SessionState, requires

log = logging.getLogger(__name__)


def _text(form_data: dict, key: str, allowed: list[str]) -> str:
    value = str(form_data.get(key, "") or "")
    return value if value in allowed else ""


class KpisState(SessionState):
    """Filters, the dashboard's cards and figures, and one page of a drill-down."""

    # Filters (the form's current values).
    start_month: str = ""
    end_month: str = ""
    currency: str = "USD"
    segment: str = ""
    region: str = ""
    plan_id: str = ""
    plan_version_id: str = ""
    month_options: list[Option] = []
    currency_options: list[Option] = []
    segment_options: list[Option] = []
    region_options: list[Option] = []
    plan_options: list[Option] = []
    version_options: list[Option] = []

    # The computation.
    loading: bool = False
    progress: int = 0
    progress_message: str = ""
    error: str = ""
    ready: bool = False
    _run: int = 0

    # What the dashboard shows.
    window_label: str = ""
    as_of: str = ""
    reporting: str = ""
    status_line: str = ""
    notes: list[str] = []
    cards: list[Card] = []
    waterfall_fig: go.Figure = go.Figure()
    retention_fig: go.Figure = go.Figure()
    churn_fig: go.Figure = go.Figure()
    aging_fig: go.Figure = go.Figure()
    dso_fig: go.Figure = go.Figure()
    disputes_fig: go.Figure = go.Figure()
    support_fig: go.Figure = go.Figure()
    _months: list[str] = []
    _curves: dict[str, list[str]] = {}
    _buckets: list[str] = []

    # Drill-down.
    drill_open: bool = False
    drill_metric: str = ""
    drill_month: str = ""
    drill_bucket: str = ""
    drill_title: str = ""
    drill_columns: list[str] = []
    drill_rows: list[DrillRow] = []
    drill_total: int = 0
    drill_page: int = 0
    drill_pages: int = 1
    drill_error: str = ""
    drill_note: str = ""
    drill_loading: bool = False
    _version: str = ""

    # -- filters ---------------------------------------------------------------------------

    def _filters(self) -> KpiFilters:
        only = self.currency.startswith("only:")
        return KpiFilters(
            start_month=self.start_month, end_month=self.end_month,
            reporting=self.currency.removeprefix("only:") or "USD", single_currency=only,
            segment=self.segment, region=self.region,
            plan_id=int(self.plan_id) if self.plan_id.isdigit() else 0,
            plan_version_id=int(self.plan_version_id) if self.plan_version_id.isdigit() else 0)

    def _set_options(self, opts: svc.FilterOptions) -> None:
        self.month_options = opts.months
        self.currency_options = opts.currencies
        self.segment_options = opts.segments
        self.region_options = opts.regions
        self.plan_options = opts.plans
        self.version_options = opts.versions

    def _take(self, values) -> None:
        """Set every filter from a form or the URL's query (unknown values mean "any")."""
        months = [o.value for o in self.month_options]
        self.start_month = _text(values, "start_month", months)
        self.end_month = _text(values, "end_month", months)
        self.currency = _text(values, "currency",
                              [o.value for o in self.currency_options]) or "USD"
        self.segment = _text(values, "segment", [o.value for o in self.segment_options])
        self.region = _text(values, "region", [o.value for o in self.region_options])
        self.plan_id = _text(values, "plan_id", [o.value for o in self.plan_options])
        self.plan_version_id = _text(values, "plan_version_id",
                                     [o.value for o in self.version_options])
        self.drill_open = False
        self.error = ""

    @requires(Permission.VIEW_KPIS, quiet=True)
    def load(self):
        """Offer the filters (preset from the URL, e.g. ``?segment=smb``), then compute the
        dashboard in the background (on page load)."""
        self._set_options(svc.filter_options())
        self._take(dict(self.router.url.query_parameters) if self.router.url else {})
        return KpisState.compute

    @requires(Permission.VIEW_KPIS)
    def apply_filters(self, form_data: dict):
        """Apply the filter form and recompute (from the cache when already computed)."""
        self._take(form_data if isinstance(form_data, dict) else {})
        return KpisState.compute

    # -- the background computation ----------------------------------------------------

    @rx.event(background=True)
    @requires(Permission.VIEW_KPIS)
    async def compute(self):
        """Compute (or fetch from the cache) every figure, reporting progress as it goes."""
        async with self:
            self._run += 1
            run = self._run
            filters = self._filters()
            self.loading, self.progress, self.error = True, 0, ""
            self.progress_message = "Starting"
        box = {"fraction": 0.0, "message": "Starting"}

        def report(fraction: float, message: str) -> None:
            box["fraction"], box["message"] = fraction, message

        task = asyncio.ensure_future(asyncio.to_thread(svc.dashboard, filters, progress=report))
        while not task.done():
            await asyncio.wait({task}, timeout=0.3)
            async with self:
                if run != self._run:
                    break
                self.progress = int(box["fraction"] * 100)
                self.progress_message = box["message"]
        try:
            dash = await task
        except ServiceError as exc:
            async with self:
                if run == self._run:
                    self.error, self.loading = str(exc), False
            return None
        except Exception:
            log.exception("KPI dashboard failed")
            async with self:
                if run == self._run:
                    self.error = "The dashboard could not be computed. Try again."
                    self.loading = False
            return None
        async with self:
            if run != self._run:
                return None
            self._show(dash)
            self.loading, self.progress = False, 100
        return None

    def _show(self, d: Dashboard) -> None:
        self.window_label, self.as_of, self.reporting = d.window_label, d.as_of, d.currency
        source = "from cache" if d.cached else f"computed in {d.computed_ms:,} ms"
        self.status_line = f"{d.window_label} · {d.currency} · as of {d.as_of} · {source}"
        self.notes = list(d.notes)
        self.cards = list(d.cards)
        self._version = d.version
        self._months = list(d.months)
        self._buckets = list(d.aging_buckets)
        built = charts.build_all(d)
        self.waterfall_fig = built["waterfall"].figure
        self.retention_fig = built["retention"].figure
        self.churn_fig = built["churn"].figure
        self.aging_fig = built["aging"].figure
        self.dso_fig = built["dso"].figure
        self.disputes_fig = built["disputes"].figure
        self.support_fig = built["support"].figure
        self._curves = {name: list(chart.metrics) for name, chart in built.items()}
        self.ready = True

    # -- drill-down ------------------------------------------------------------------------

    def _open_drill(self, metric: str, month: str, bucket: str = ""):
        self.drill_metric, self.drill_month, self.drill_bucket = metric, month, bucket
        self.drill_page = 0
        self.drill_open, self.drill_loading, self.drill_error = True, True, ""
        self.drill_note = ""
        self.drill_title = svc.drill_title(metric, month, bucket)
        self.drill_columns = svc.drill_columns(metric)
        self.drill_rows, self.drill_total, self.drill_pages = [], 0, 1
        return KpisState.fetch_drill

    @rx.event(background=True)
    @requires(Permission.VIEW_KPIS)
    async def fetch_drill(self):
        """Load the open drill-down's page (off the event loop: a cache miss recomputes)."""
        async with self:
            if not self.drill_open or not self.drill_metric:
                return None
            args = (self._filters(), self.drill_metric, self.drill_month, self.drill_bucket,
                    self.drill_page)
            version = self._version
            self.drill_loading = True
        try:
            found = await asyncio.to_thread(svc.drill_down, *args, version=version)
        except ServiceError as exc:
            async with self:
                self.drill_error, self.drill_rows, self.drill_total = str(exc), [], 0
                self.drill_loading = False
            return None
        async with self:
            if (self.drill_metric, self.drill_month, self.drill_bucket,
                    self.drill_page) != args[1:]:
                return None  # another drill-down was opened meanwhile
            self.drill_rows, self.drill_total, self.drill_note = found
            self.drill_pages = max(1, -(-found.total // svc.PAGE_SIZE))
            self.drill_page = min(self.drill_page, self.drill_pages - 1)
            self.drill_loading = False
        return None

    @requires(Permission.VIEW_KPIS)
    def drill_card(self, key: str):
        """Show what makes up a card (its latest month)."""
        card = next((c for c in self.cards if c.key == key), None)
        if card is None or self.loading:
            return None
        return self._open_drill(key, card.month)

    def _point(self, chart: str, points) -> tuple[str, str] | None:
        if not isinstance(points, list) or not points or not isinstance(points[0], dict):
            return None
        point = points[0]
        curves = self._curves.get(chart, [])
        curve = point.get("curveNumber", 0)
        if not isinstance(curve, int) or not 0 <= curve < len(curves):
            return None
        return curves[curve], str(point.get("x", ""))

    def _drill_chart(self, chart: str, points):
        hit = self._point(chart, points)
        if hit is None or self.loading:
            return None
        metric, x = hit
        if chart == "aging":
            return self._open_drill("aging", "", x) if x in self._buckets else None
        return self._open_drill(metric, x) if x in self._months else None

    @requires(Permission.VIEW_KPIS)
    def drill_waterfall(self, points: list[dict]):
        """A click on the MRR waterfall: the customers behind that movement and month."""
        return self._drill_chart("waterfall", points)

    @requires(Permission.VIEW_KPIS)
    def drill_retention(self, points: list[dict]):
        """A click on the NRR/GRR trend: that month's starting customers."""
        return self._drill_chart("retention", points)

    @requires(Permission.VIEW_KPIS)
    def drill_churn(self, points: list[dict]):
        """A click on the churn split: the customers who churned for that reason."""
        return self._drill_chart("churn", points)

    @requires(Permission.VIEW_KPIS)
    def drill_aging(self, points: list[dict]):
        """A click on an aging bucket: its open invoices."""
        return self._drill_chart("aging", points)

    @requires(Permission.VIEW_KPIS)
    def drill_dso(self, points: list[dict]):
        """A click on the DSO trend: invoices open at that month's end."""
        return self._drill_chart("dso", points)

    @requires(Permission.VIEW_KPIS)
    def drill_disputes(self, points: list[dict]):
        """A click on the dispute chart: disputes opened that month."""
        return self._drill_chart("disputes", points)

    @requires(Permission.VIEW_KPIS)
    def drill_support(self, points: list[dict]):
        """A click on the support chart: disputes and tickets opened that month."""
        return self._drill_chart("support", points)

    @requires(Permission.VIEW_KPIS)
    def drill_next(self):
        """Next page of the drill-down."""
        if self.drill_open and not self.drill_loading and self.drill_page + 1 < self.drill_pages:
            self.drill_page += 1
            return KpisState.fetch_drill
        return None

    @requires(Permission.VIEW_KPIS)
    def drill_prev(self):
        """Previous page of the drill-down."""
        if self.drill_open and not self.drill_loading and self.drill_page > 0:
            self.drill_page -= 1
            return KpisState.fetch_drill
        return None

    @requires(Permission.VIEW_KPIS)
    def close_drill(self):
        """Hide the drill-down."""
        self.drill_open = False

    @rx.event(background=True)
    @requires(Permission.VIEW_KPIS)
    async def export_drill(self):
        """Download every row of the open drill-down as CSV."""
        async with self:
            if not self.drill_open or not self.drill_metric:
                return None
            f, metric = self._filters(), self.drill_metric
            month, bucket, version = self.drill_month, self.drill_bucket, self._version
        try:
            text = await asyncio.to_thread(svc.drill_down_csv, f, metric, month, bucket,
                                           version=version)
        except ServiceError as exc:
            return rx.toast.error(str(exc))
        name = "-".join(p for p in ("kpi", metric, month or "latest", bucket) if p)
        return rx.download(data=text, filename=f"{name}.csv")

    @rx.event(background=True)
    @requires(Permission.VIEW_KPIS)
    async def export_series(self):
        """Download the dashboard's monthly series as CSV."""
        async with self:
            f = self._filters()
        try:
            text = await asyncio.to_thread(svc.series_csv, f)
        except ServiceError as exc:
            return rx.toast.error(str(exc))
        return rx.download(data=text, filename="kpi-monthly-series.csv")
