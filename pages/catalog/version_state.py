"""/catalog/versions/[version_id]: a version's rate card, and the draft editor (prices with
validation as you type and a sample-price preview, entitlements, notes, submit)."""

import reflex as rx

from console import catalog as svc
from console.catalog import (
    ChangeRequestRow,
    EntitlementRow,
    FeatureRow,
    MeterRow,
    PriceInput,
    PriceRow,
    SamplePrice,
)
from console.kernel.errors import ServiceError
from console.kernel.roles import Permission
from pages.catalog.common import (
    CURRENCIES,
    DEFAULT_LEVELS,
    EXAMPLES,
    REGION_CHOICES,
    SEGMENT_CHOICES,
    months_of,
    route_id,
    text_of,
    with_progress,
)
from pages.session import SessionState, requires

#: Longest properties document the editor validates as you type.
MAX_PROPERTIES_CHARS = 20_000
#: Most usage levels previewed at once.
MAX_LEVELS = 12


class VersionState(SessionState):
    """One version; when it is a draft the user may edit, the editor too."""

    found: bool = False
    message: str = ""
    version_id: int = 0
    plan_id: int = 0
    plan_code: str = ""
    plan_name: str = ""
    product: str = ""
    label: str = ""
    status: str = ""
    status_label: str = ""
    editable: bool = False
    effective_from: str = ""
    effective_to: str = ""
    based_on: str = ""
    notes: str = ""
    created_by: str = ""
    last_comment: str = ""
    prices: list[PriceRow] = []
    entitlements: list[EntitlementRow] = []
    change_requests: list[ChangeRequestRow] = []
    meters: list[MeterRow] = []
    features: list[FeatureRow] = []
    charge_models: list[str] = []
    kinds: list[str] = []
    intervals: list[str] = []
    currencies: list[str] = list(CURRENCIES)
    regions: list[str] = list(REGION_CHOICES)
    segments: list[str] = list(SEGMENT_CHOICES)
    # the price editor (model, properties, currency and levels are live; the rest is a form)
    editing: bool = False
    edit_price_id: int = 0
    form_key: int = 0
    f_name: str = ""
    f_kind: str = "usage"
    f_meter: str = ""
    f_region: str = ""
    f_segment: str = ""
    f_interval: str = "month"
    f_timing: str = "advance"
    f_minimum: str = ""
    f_commit: str = ""
    f_model: str = "standard"
    f_props: str = ""
    f_currency: str = "USD"
    f_levels: str = DEFAULT_LEVELS
    problem: str = ""
    preview: list[SamplePrice] = []
    editor_error: str = ""
    error: str = ""
    submitting: bool = False
    submit_progress: int = 0
    submit_error: str = ""
    _row_version: int = 0

    def _show(self, version_id: int) -> None:
        try:
            v = svc.version(version_id, user_id=self._actor_id())
        except ServiceError as exc:
            self.found, self.message = False, str(exc)
            return
        self.found = True
        for key in ("plan_id", "plan_code", "plan_name", "product", "label", "status",
                    "status_label", "editable", "effective_from", "effective_to", "based_on",
                    "notes", "created_by", "last_comment", "prices", "entitlements",
                    "change_requests"):
            setattr(self, key, getattr(v, key))
        self.version_id, self._row_version = v.id, v.row_version
        self.form_key += 1
        if not v.editable:
            self.editing = False

    @requires(Permission.VIEW_CATALOG, quiet=True)
    def load(self):
        """Load the version named by the route and the editor's choices."""
        self.error = self.editor_error = self.submit_error = ""
        self.submitting, self.editing = False, False
        version_id = route_id(self.router.url)
        if version_id is None:
            self.found, self.message = False, "No such version."
            return
        ref = svc.catalog_reference()
        self.meters, self.features = ref.meters, ref.features
        self.charge_models, self.kinds, self.intervals = (ref.charge_models, ref.kinds,
                                                          ref.intervals)
        self._show(version_id)

    # --- the price editor -------------------------------------------------------------------

    def _check(self) -> None:
        """Validate the properties as typed and price the sample levels."""
        self.problem = svc.price_problem(self.f_model, self.f_props)
        if self.problem:
            self.preview = []
            return
        levels = [p.strip() for p in self.f_levels.split(",") if p.strip()][:MAX_LEVELS]
        try:
            self.preview = svc.price_preview(self.f_model, self.f_props, self.f_currency,
                                             levels or ["0", "1"])
        except ServiceError as exc:
            self.problem, self.preview = str(exc), []

    @requires(Permission.EDIT_CATALOG)
    def edit_price(self, price_id: int):
        """Open the editor on a row of the draft."""
        row = next((p for p in self.prices if p.id == price_id), None)
        if row is None or not self.editable:
            return
        self.editing, self.edit_price_id, self.editor_error = True, row.id, ""
        self.f_name, self.f_kind = row.name, row.kind
        self.f_meter = str(row.meter_id) if row.meter_id else ""
        self.f_region, self.f_segment = row.region_value, row.segment_value
        self.f_interval = row.billing_interval
        self.f_timing = "advance" if row.pay_in_advance else "arrears"
        self.f_minimum, self.f_commit = row.minimum_text, row.commit_text
        self.f_model, self.f_props, self.f_currency = (row.charge_model, row.properties_json,
                                                       row.currency)
        self.form_key += 1
        self._check()

    @requires(Permission.EDIT_CATALOG)
    def new_price(self):
        """Open the editor on a new row."""
        if not self.editable:
            return
        self.editing, self.edit_price_id, self.editor_error = True, 0, ""
        self.f_name, self.f_kind, self.f_meter = "", "usage", ""
        self.f_region = self.f_segment = self.f_minimum = self.f_commit = ""
        self.f_interval, self.f_timing = "month", "arrears"
        self.f_model, self.f_props = "standard", EXAMPLES["standard"]
        self.form_key += 1
        self._check()

    @requires(Permission.EDIT_CATALOG)
    def close_editor(self):
        """Close the editor without saving."""
        self.editing, self.editor_error = False, ""

    @requires(Permission.EDIT_CATALOG)
    def live(self, field: str, value: str):
        """Validate as you type: a live field changed (model, properties, currency, levels)."""
        value = str(value or "")
        if field == "model":
            if value not in self.charge_models:
                return
            keep = self.f_props.strip() and not svc.price_problem(value, self.f_props)
            self.f_model = value
            if not keep:
                self.f_props = EXAMPLES.get(value, "{}")
        elif field == "props":
            self.f_props = value[:MAX_PROPERTIES_CHARS]
        elif field == "currency":
            if value not in self.currencies:
                return
            self.f_currency = value
        elif field == "levels":
            self.f_levels = value[:200]
        else:
            return
        self._check()

    @requires(Permission.EDIT_CATALOG)
    def use_example(self):
        """Replace the properties with an example for the chosen charge model."""
        self.f_props = EXAMPLES.get(self.f_model, "{}")
        self._check()

    @requires(Permission.EDIT_CATALOG)
    def save_price(self, form_data: dict):
        """Save the edited (or new) row; refused with the field's message when invalid."""
        meter = text_of(form_data, "meter_id", 20)
        price = PriceInput(
            name=text_of(form_data, "name", 200), kind=text_of(form_data, "kind", 20),
            charge_model=self.f_model, properties=self.f_props, currency=self.f_currency,
            meter_id=int(meter) if meter.isdigit() else None,
            region=text_of(form_data, "region", 20) or None,
            segment=text_of(form_data, "segment", 20) or None,
            billing_interval=text_of(form_data, "billing_interval", 20) or "month",
            pay_in_advance=text_of(form_data, "timing", 20) == "advance",
            minimum=text_of(form_data, "minimum", 40), commit=text_of(form_data, "commit", 40))
        try:
            if self.edit_price_id:
                svc.save_price(user_id=self._actor_id(), price_id=self.edit_price_id,
                               price=price, expected_version=self._row_version)
            else:
                svc.add_price_row(user_id=self._actor_id(), version_id=self.version_id,
                                  price=price, expected_version=self._row_version)
        except ServiceError as exc:
            self.editor_error = str(exc)
            return None
        self.editing, self.editor_error = False, ""
        self._show(self.version_id)
        return rx.toast.success("Price saved.")

    @requires(Permission.EDIT_CATALOG)
    def delete_price(self, price_id: int):
        """Remove a row from the draft."""
        if not any(p.id == price_id for p in self.prices):
            return None
        try:
            svc.delete_price(user_id=self._actor_id(), price_id=price_id,
                             expected_version=self._row_version)
        except ServiceError as exc:
            self.error = str(exc)
            return rx.toast.error(str(exc))
        if self.edit_price_id == price_id:
            self.editing = False
        self._show(self.version_id)
        return rx.toast.success("Price removed.")

    # --- entitlements and notes -------------------------------------------------------------

    @requires(Permission.EDIT_CATALOG)
    def save_entitlement(self, form_data: dict):
        """Grant or change a feature on the draft."""
        feature = text_of(form_data, "feature_id", 20)
        if not feature.isdigit():
            self.error = "Choose a feature."
            return None
        try:
            svc.save_entitlement(user_id=self._actor_id(), version_id=self.version_id,
                                 feature_id=int(feature),
                                 enabled=text_of(form_data, "enabled", 10) != "off",
                                 limit=text_of(form_data, "limit", 40),
                                 expected_version=self._row_version)
        except ServiceError as exc:
            self.error = str(exc)
            return None
        self.error = ""
        self._show(self.version_id)
        return rx.toast.success("Entitlement saved.")

    @requires(Permission.EDIT_CATALOG)
    def delete_entitlement(self, feature_id: int):
        """Stop granting a feature on the draft."""
        try:
            svc.delete_entitlement(user_id=self._actor_id(), version_id=self.version_id,
                                   feature_id=feature_id, expected_version=self._row_version)
        except ServiceError as exc:
            self.error = str(exc)
            return rx.toast.error(str(exc))
        self._show(self.version_id)
        return rx.toast.success("Entitlement removed.")

    @requires(Permission.EDIT_CATALOG)
    def save_notes(self, form_data: dict):
        """Change the draft's notes."""
        try:
            svc.save_notes(user_id=self._actor_id(), version_id=self.version_id,
                           notes=text_of(form_data, "notes", 4000),
                           expected_version=self._row_version)
        except ServiceError as exc:
            self.error = str(exc)
            return rx.toast.error(str(exc))
        self._show(self.version_id)
        return rx.toast.success("Notes saved.")

    @requires(Permission.EDIT_CATALOG)
    def discard(self, form_data: dict):
        """Abandon the draft and go back to the plan."""
        try:
            svc.discard(user_id=self._actor_id(), version_id=self.version_id,
                        reason=text_of(form_data, "reason"))
        except ServiceError as exc:
            self.error = str(exc)
            return rx.toast.error(str(exc))
        return [rx.toast.success("Draft discarded."),
                rx.redirect(f"/catalog/plans/{self.plan_id}")]

    @requires(Permission.EDIT_CATALOG)
    def start_draft(self):
        """Start a new draft from this (published or retired) version."""
        try:
            draft = svc.start_draft(user_id=self._actor_id(), version_id=self.version_id)
        except ServiceError as exc:
            self.error = str(exc)
            return rx.toast.error(str(exc))
        return [rx.toast.success("Draft created."), rx.redirect(f"/catalog/versions/{draft}")]

    # --- submit -----------------------------------------------------------------------------

    @rx.event(background=True)
    @requires(Permission.EDIT_CATALOG)
    async def submit_for_approval(self, form_data: dict):
        """Submit the draft: the diff and the revenue simulation run in a worker thread while
        a progress bar moves; then the change request opens."""
        reason = text_of(form_data, "reason")
        months = months_of(form_data.get("months"))
        async with self:
            if self.submitting:
                return
            if not reason:
                self.submit_error = "Give a reason for the change."
                return
            version_id, user_id = self.version_id, self._actor_id()
            self.submitting, self.submit_progress, self.submit_error = True, 0, ""
            self.editing = False
        try:
            cr_id = await with_progress(self, "submit_progress", lambda report: svc.submit(
                user_id=user_id, version_id=version_id, reason=reason, months=months,
                progress=report))
        except ServiceError as exc:
            async with self:
                self.submitting, self.submit_error = False, str(exc)
            return
        async with self:
            self.submitting, self.submit_progress = False, 100
        yield rx.toast.success("Submitted for approval.")
        yield rx.redirect(f"/catalog/changes/{cr_id}")
