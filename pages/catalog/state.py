"""The catalog overview (plans, pending approvals, reference data, JSON import) and the plan
page (versions, rate cards, rollback, export, scheduled migrations)."""

from dataclasses import dataclass

import reflex as rx

from console import catalog as svc
from console.catalog import (
    ChangeRequestRow,
    DiffRow,
    EntitlementDiffRow,
    EntitlementRow,
    FeatureRow,
    MeterRow,
    MigrationRow,
    MigrationTotal,
    PlanRow,
    PriceRow,
    ProductRow,
    VersionRow,
)
from console.kernel.errors import ServiceError
from console.kernel.roles import Permission
from pages.catalog.common import (
    REGION_CHOICES,
    SEGMENT_CHOICES,
    in_thread,
    months_of,
    route_id,
    text_of,
)
from pages.session import SessionState, requires

#: Largest import document accepted from the text area.
MAX_IMPORT_CHARS = 500_000
#: Rows of a migration preview shown on the page (the count and totals cover all of them).
PREVIEW_ROWS = 50


class CatalogState(SessionState):
    """/catalog: reference data, plan list, the review queue and the JSON import."""

    products: list[ProductRow] = []
    meters: list[MeterRow] = []
    features: list[FeatureRow] = []
    plans: list[PlanRow] = []
    pending: list[ChangeRequestRow] = []
    approved: list[ChangeRequestRow] = []
    import_checked: bool = False
    import_plan: str = ""
    import_summary: str = ""
    import_charges: int = 0
    import_prices: list[DiffRow] = []
    import_entitlements: list[EntitlementDiffRow] = []
    import_error: str = ""
    import_running: bool = False
    _import_text: str = ""

    def _refresh(self) -> None:
        ref = svc.catalog_reference()
        self.products, self.meters, self.features = ref.products, ref.meters, ref.features
        self.plans = svc.plans()
        self.pending = svc.change_requests(status="pending")
        self.approved = svc.change_requests(status="approved")

    @requires(Permission.VIEW_CATALOG, quiet=True)
    def load(self):
        """Load the overview (on page load); a previous import preview is forgotten."""
        self.import_error, self.import_checked, self._import_text = "", False, ""
        self.import_running = False
        self._refresh()

    @requires(Permission.EDIT_CATALOG)
    def preview_import(self, form_data: dict):
        """Validate a pasted document and show its diff against the published version."""
        text = str(form_data.get("document", "") or "")
        self.import_checked = False
        if not text.strip():
            self.import_error = "Paste an exported plan document (JSON) first."
            return
        if len(text) > MAX_IMPORT_CHARS:
            self.import_error = "The document is too large (at most 500,000 characters)."
            return
        try:
            preview = svc.import_preview(text)
        except ServiceError as exc:
            self.import_error = str(exc)
            return
        self._import_text = text
        self.import_error = ""
        self.import_checked = True
        self.import_plan = preview.plan_code
        self.import_summary = preview.summary
        self.import_charges = preview.charges
        self.import_prices = preview.prices
        self.import_entitlements = preview.entitlements

    @requires(Permission.EDIT_CATALOG)
    def clear_import(self):
        """Forget the previewed document."""
        self._import_text = ""
        self.import_checked = False
        self.import_error = ""

    @rx.event(background=True)
    @requires(Permission.EDIT_CATALOG)
    async def open_import(self, form_data: dict):
        """Open an ``import`` change request from the previewed document (runs the simulation
        in a worker thread), then show the change request."""
        async with self:
            if self.import_running or not self._import_text:
                return
            text, user_id = self._import_text, self._actor_id()
            self.import_running, self.import_error = True, ""
        reason = text_of(form_data, "reason")
        months = months_of(form_data.get("months"))
        try:
            cr_id = await in_thread(svc.import_json, user_id=user_id, text=text,
                                    reason=reason, months=months)
        except ServiceError as exc:
            async with self:
                self.import_running, self.import_error = False, str(exc)
            return
        async with self:
            self.import_running, self.import_checked, self._import_text = False, False, ""
        yield rx.toast.success("Change request opened from the import.")
        yield rx.redirect(f"/catalog/changes/{cr_id}")


@dataclass(frozen=True)
class MoveRow:
    """One subscription in a migration preview (preformatted by the service)."""

    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    move_on: str
    mrr_before: str
    mrr_after: str
    change: str


class PlanState(SessionState):
    """/catalog/plans/[plan_id]: versions, one version's rate card, actions, migrations."""

    found: bool = False
    message: str = ""
    plan_id: int = 0
    code: str = ""
    name: str = ""
    product: str = ""
    description: str = ""
    interval: str = ""
    versions: list[VersionRow] = []
    published_version_id: int = 0
    open_version_id: int = 0
    can_start_draft: bool = False
    can_start_empty_draft: bool = False
    shown_version_id: int = 0
    shown_label: str = ""
    shown_status: str = ""
    currencies: list[str] = []
    currency_filter: str = ""
    prices: list[PriceRow] = []
    entitlements: list[EntitlementRow] = []
    changes: list[ChangeRequestRow] = []
    migrations: list[MigrationRow] = []
    error: str = ""
    rollback_running: bool = False
    mig_sources: list[VersionRow] = []
    mig_checked: bool = False
    mig_count: int = 0
    mig_lines: list[MoveRow] = []
    mig_totals: list[MigrationTotal] = []
    mig_summary: str = ""
    mig_error: str = ""
    _all_prices: list[PriceRow] = []
    _mig_params: dict = {}

    def _show(self, plan_id: int) -> None:
        try:
            d = svc.plan(plan_id, user_id=self._actor_id())
        except ServiceError as exc:
            self.found, self.message = False, str(exc)
            return
        self.found = True
        self.plan_id, self.code, self.name, self.product = d.id, d.code, d.name, d.product
        self.description, self.interval, self.versions = d.description, d.interval, d.versions
        self.published_version_id, self.open_version_id = (d.published_version_id,
                                                           d.open_version_id)
        self.can_start_draft, self.can_start_empty_draft = (d.can_start_draft,
                                                            d.can_start_empty_draft)
        self.changes = svc.change_requests(plan_id=d.id)
        self.migrations = svc.migrations(d.id)
        self.mig_sources = [v for v in d.versions if v.status in ("published", "retired")
                            and v.published_at and v.id != d.published_version_id]
        shown = self.shown_version_id if any(v.id == self.shown_version_id
                                             for v in d.versions) else 0
        # after a load: the published version (else the newest); after an action: as chosen
        self._show_version(shown or d.published_version_id or
                           (d.versions[0].id if d.versions else 0))

    def _show_version(self, version_id: int) -> None:
        self.shown_version_id = version_id
        if not version_id:
            self._all_prices, self.prices, self.entitlements, self.currencies = [], [], [], []
            self.shown_label = self.shown_status = ""
            return
        v = svc.version(version_id, user_id=self._actor_id())
        self.shown_label, self.shown_status = v.label, v.status_label
        self._all_prices = v.prices
        self.entitlements = v.entitlements
        self.currencies = sorted({p.currency for p in v.prices})
        if self.currency_filter not in self.currencies:
            self.currency_filter = ""
        self._filter_prices()

    def _filter_prices(self) -> None:
        self.prices = [p for p in self._all_prices
                       if not self.currency_filter or p.currency == self.currency_filter]

    @requires(Permission.VIEW_CATALOG, quiet=True)
    def load(self):
        """Load the plan named by the route."""
        self.error, self.mig_error, self.mig_checked = "", "", False
        self.rollback_running = False
        plan_id = route_id(self.router.url)
        if plan_id is None:
            self.found, self.message = False, "No such plan."
            return
        self.shown_version_id, self.currency_filter = 0, ""
        self._show(plan_id)

    @requires(Permission.VIEW_CATALOG)
    def show_version(self, version_id: int):
        """Show another version's rate card and entitlements."""
        if any(v.id == version_id for v in self.versions):
            try:
                self._show_version(version_id)
            except ServiceError as exc:
                self.error = str(exc)

    @requires(Permission.VIEW_CATALOG)
    def filter_currency(self, currency: str):
        """Show the rate card of one currency ("" for all)."""
        self.currency_filter = currency if currency in self.currencies else ""
        self._filter_prices()

    @requires(Permission.EDIT_CATALOG)
    def start_draft(self):
        """Start a new draft from the published version and open it in the editor."""
        try:
            if self.published_version_id:
                draft = svc.start_draft(user_id=self._actor_id(),
                                        version_id=self.published_version_id)
            else:
                draft = svc.start_empty_draft(user_id=self._actor_id(), plan_id=self.plan_id)
        except ServiceError as exc:
            self.error = str(exc)
            return rx.toast.error(str(exc))
        return [rx.toast.success("Draft created."), rx.redirect(f"/catalog/versions/{draft}")]

    @requires(Permission.VIEW_CATALOG)
    def export(self):
        """Download the shown version as Lago-compatible JSON."""
        if not self.shown_version_id:
            return rx.toast.error("This plan has no version to export.")
        try:
            text = svc.export_json(self.shown_version_id)
        except ServiceError as exc:
            return rx.toast.error(str(exc))
        return rx.download(data=text, filename=f"{self.code}-{self.shown_label}.json",
                           mime_type="application/json")

    @rx.event(background=True)
    @requires(Permission.EDIT_CATALOG)
    async def rollback(self, form_data: dict):
        """Propose rolling back to the previous published version (a change request that
        runs the simulation in a worker thread), then show it."""
        async with self:
            if self.rollback_running:
                return
            plan_id, user_id = self.plan_id, self._actor_id()
            self.rollback_running, self.error = True, ""
        try:
            cr_id = await in_thread(svc.rollback, user_id=user_id, plan_id=plan_id,
                                    reason=text_of(form_data, "reason"),
                                    months=months_of(form_data.get("months")))
        except ServiceError as exc:
            async with self:
                self.rollback_running, self.error = False, str(exc)
            return
        async with self:
            self.rollback_running = False
        yield rx.toast.success("Rollback proposed; it needs approval like any change.")
        yield rx.redirect(f"/catalog/changes/{cr_id}")

    def _migration_args(self, form_data: dict) -> dict:
        flt = {}
        for key, allowed in (("segment", SEGMENT_CHOICES), ("region", REGION_CHOICES),
                             ("currency", self.currencies)):
            value = text_of(form_data, key, 20)
            if value and value in allowed:
                flt[key] = [value]
        timing = "date" if text_of(form_data, "timing", 20) == "date" else "next_renewal"
        try:
            source = int(text_of(form_data, "from_version_id", 20) or 0)
        except ValueError:
            source = 0
        return {"from_version_id": source, "to_version_id": self.published_version_id,
                "customer_filter": flt, "timing": timing,
                "effective_date": text_of(form_data, "effective_date", 20)
                if timing == "date" else None}

    @requires(Permission.EDIT_CATALOG)
    def preview_migration(self, form_data: dict):
        """Show who would move to the published version, when, and the MRR change."""
        self.mig_checked = False
        args = self._migration_args(form_data)
        if not args["from_version_id"] or not any(
                v.id == args["from_version_id"] for v in self.mig_sources):
            self.mig_error = "Choose the version subscribers move from."
            return
        if not args["to_version_id"]:
            self.mig_error = "This plan has no published version to move subscribers to."
            return
        try:
            preview = svc.migration_preview(**args)
        except ServiceError as exc:
            self.mig_error = str(exc)
            return
        self._mig_params = args
        self.mig_error, self.mig_checked, self.mig_count = "", True, preview.count
        self.mig_totals = list(preview.totals)
        self.mig_lines = [MoveRow(ln.customer_id, ln.customer_code, ln.customer_name,
                                  ln.currency, ln.move_on_text, ln.mrr_before, ln.mrr_after,
                                  ln.change) for ln in preview.lines[:PREVIEW_ROWS]]
        source = next(v.label for v in self.mig_sources if v.id == args["from_version_id"])
        target = next(v.label for v in self.versions if v.id == args["to_version_id"])
        when = ("at each subscription's next renewal" if args["timing"] == "next_renewal"
                else f"on {args['effective_date']}")
        self.mig_summary = (f"{preview.count} subscription(s) move from {source} to {target} "
                            f"{when}.")

    @requires(Permission.EDIT_CATALOG)
    def confirm_migration(self):
        """Schedule exactly the previewed migration."""
        if not self.mig_checked or not self._mig_params:
            self.mig_error = "Preview the migration first."
            return None
        try:
            svc.schedule(user_id=self._actor_id(), **self._mig_params)
        except ServiceError as exc:
            self.mig_error = str(exc)
            return rx.toast.error(str(exc))
        self.mig_checked, self._mig_params, self.mig_error = False, {}, ""
        self.migrations = svc.migrations(self.plan_id)
        return rx.toast.success("Migration scheduled.")

    @requires(Permission.EDIT_CATALOG)
    def discard_migration_preview(self):
        """Close the preview without scheduling."""
        self.mig_checked, self._mig_params = False, {}

    @requires(Permission.EDIT_CATALOG)
    def cancel_migration(self, migration_id: int):
        """Cancel a scheduled migration."""
        if not any(m.id == migration_id for m in self.migrations):
            return None
        try:
            svc.cancel_scheduled_migration(user_id=self._actor_id(), migration_id=migration_id,
                                           reason="canceled on the plan page")
        except ServiceError as exc:
            self.mig_error = str(exc)
            return rx.toast.error(str(exc))
        self.migrations = svc.migrations(self.plan_id)
        return rx.toast.success("Migration canceled.")
