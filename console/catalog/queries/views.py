"""Read side of the catalog for the UI: small frozen dataclasses with preformatted strings.

Nothing here changes data and nothing returned is an ORM object; the pages show the strings
as they are (money via :func:`console.money.format_minor`, statuses as labels).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.catalog.domain.impact import HISTOGRAM_LABELS
from console.catalog.domain.policy import (
    ApprovalRequirement,
    Vote,
    approval_refusal,
    review_refusal,
)
from console.catalog.domain.ratecard import EntitlementSpec, describe_terms
from console.catalog.domain.status import (
    ChangeRequestStatus,
    VersionStatus,
    change_request_label,
    version_label,
)
from console.catalog.usecases.common import (
    draft_editors,
    get_change_request,
    get_plan,
    get_version,
    meter_codes,
    spec_of,
    version_prices,
)
from console.kernel.permissions import roles_of
from console.kernel.roles import Permission, can
from console.money import format_minor, to_major
from console.pricing import CHARGE_MODELS
from models import (
    Approval,
    ChangeRequest,
    Entitlement,
    Feature,
    Meter,
    Plan,
    PlanMigration,
    PlanVersion,
    Product,
    Subscription,
    User,
)

KIND_LABELS = {"price_change": "Price change", "rollback": "Rollback", "import": "Import"}
DECISION_LABELS = {"approve": "Approved", "reject": "Rejected",
                   "request_changes": "Requested changes"}
CHANGE_LABELS = {"added": "Added", "removed": "Removed", "changed": "Changed"}
_DASH = "—"


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


def _ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _users(session: Session) -> dict[int, str]:
    return dict(session.execute(sa.select(User.id, User.name)).all())


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True) if value is not None else ""


@dataclass(frozen=True)
class ProductRow:
    """A product."""

    id: int
    code: str
    name: str
    description: str


@dataclass(frozen=True)
class MeterRow:
    """A meter."""

    id: int
    code: str
    name: str
    aggregation: str
    unit: str
    event_type: str


@dataclass(frozen=True)
class FeatureRow:
    """An entitlement key."""

    id: int
    key: str
    name: str
    kind: str
    product: str
    meter: str


@dataclass(frozen=True)
class CatalogReference:
    """Products, meters, features and the editor's choices."""

    products: list[ProductRow]
    meters: list[MeterRow]
    features: list[FeatureRow]
    charge_models: list[str] = field(default_factory=lambda: list(CHARGE_MODELS))
    kinds: list[str] = field(default_factory=lambda: ["recurring", "seat", "usage",
                                                      "one_time"])
    intervals: list[str] = field(default_factory=lambda: ["month", "year"])


@dataclass(frozen=True)
class PlanRow:
    """A plan in the catalog list."""

    id: int
    code: str
    name: str
    product: str
    interval: str
    published: str
    published_version_id: int
    effective_from: str
    open_version: str
    open_version_id: int
    subscribers: int
    pending_changes: int


@dataclass(frozen=True)
class VersionRow:
    """A version in a plan's history."""

    id: int
    number: int
    label: str
    status: str
    status_label: str
    effective_from: str
    effective_to: str
    based_on: str
    created_by: str
    created_at: str
    published_at: str


@dataclass(frozen=True)
class PlanDetail:
    """A plan with its versions (newest first) and what the viewer may do."""

    id: int
    code: str
    name: str
    product: str
    description: str
    interval: str
    versions: list[VersionRow]
    published_version_id: int
    open_version_id: int
    can_edit: bool
    can_start_draft: bool
    can_start_empty_draft: bool


@dataclass(frozen=True)
class PriceRow:
    """A rate-card row for display and for filling the editor."""

    id: int
    position: int
    name: str
    kind: str
    meter_id: int
    meter: str
    charge_model: str
    summary: str
    properties_json: str
    currency: str
    region: str
    segment: str
    region_value: str
    segment_value: str
    billing_interval: str
    timing: str
    pay_in_advance: bool
    minimum: str
    minimum_text: str
    commit: str
    commit_text: str


@dataclass(frozen=True)
class EntitlementRow:
    """A feature granted by a version."""

    feature_id: int
    feature_key: str
    feature_name: str
    kind: str
    value: str
    enabled: bool
    limit_text: str


@dataclass(frozen=True)
class ChangeRequestRow:
    """A change request in a list."""

    id: int
    plan_id: int
    plan_code: str
    plan_name: str
    version_id: int
    version_label: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    reason: str
    author: str
    created_at: str
    decided_at: str
    approvals: str
    requirement: str
    revenue_change: str


@dataclass(frozen=True)
class VersionDetail:
    """One version: header, rate card, entitlements, its change requests."""

    id: int
    plan_id: int
    plan_code: str
    plan_name: str
    product: str
    number: int
    label: str
    status: str
    status_label: str
    editable: bool
    effective_from: str
    effective_to: str
    based_on: str
    notes: str
    created_by: str
    row_version: int
    prices: list[PriceRow]
    entitlements: list[EntitlementRow]
    change_requests: list[ChangeRequestRow]
    last_comment: str


@dataclass(frozen=True)
class ApprovalRow:
    """One reviewer's decision."""

    approver: str
    roles: str
    decision: str
    decision_label: str
    comment: str
    at: str


@dataclass(frozen=True)
class DiffRow:
    """One changed rate-card row."""

    change: str
    change_label: str
    label: str
    fields: str
    old_summary: str
    new_summary: str
    old_properties: str
    new_properties: str
    decrease: str


@dataclass(frozen=True)
class EntitlementDiffRow:
    """One changed entitlement."""

    change: str
    change_label: str
    feature_key: str
    old: str
    new: str


@dataclass(frozen=True)
class TotalRow:
    """Simulated totals of one currency."""

    currency: str
    customers: int
    increased: int
    decreased: int
    unchanged: int
    old: str
    new: str
    change: str
    change_pct: str


@dataclass(frozen=True)
class ImpactRow:
    """One of the most affected customers."""

    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    old: str
    new: str
    change: str
    change_pct: str
    change_minor: int
    direction: str


@dataclass(frozen=True)
class BarRow:
    """One histogram bar; ``width_pct`` is its length relative to the tallest bar (0-100)."""

    label: str
    count: int
    width_pct: int


@dataclass(frozen=True)
class SimulationView:
    """A revenue-impact simulation ready to show."""

    months: int
    window: str
    customers: int
    increased: int
    decreased: int
    unchanged: int
    totals: list[TotalRow]
    top: list[ImpactRow]
    histogram: list[BarRow]
    notes: list[str]
    revenue_change: str
    elapsed: str


@dataclass(frozen=True)
class ChangeRequestDetail:
    """A change request with diff, simulation, approvals and the viewer's options."""

    row: ChangeRequestRow
    baseline: str
    diff_summary: str
    prices: list[DiffRow]
    entitlements: list[EntitlementDiffRow]
    simulation: SimulationView | None
    approvals: list[ApprovalRow]
    policy_reasons: list[str]
    can_approve: bool
    approve_blocked: str
    can_review: bool
    can_withdraw: bool
    can_publish: bool


@dataclass(frozen=True)
class MigrationRow:
    """A scheduled (or finished) migration."""

    id: int
    from_version: str
    to_version: str
    status: str
    timing: str
    effective_date: str
    customer_filter: str
    subscriptions: int
    mrr_change: str
    created_by: str
    created_at: str


def catalog_reference(session: Session) -> CatalogReference:
    """Products, meters and features for the catalog page and the editor's selects."""
    products = {p.id: p for p in session.execute(sa.select(Product).order_by(Product.name)
                                                 ).scalars()}
    meters = session.execute(sa.select(Meter).order_by(Meter.code)).scalars().all()
    codes = {m.id: m.code for m in meters}
    features = session.execute(sa.select(Feature).order_by(Feature.key)).scalars().all()
    return CatalogReference(
        products=[ProductRow(p.id, p.code, p.name, p.description) for p in products.values()],
        meters=[MeterRow(m.id, m.code, m.name, m.aggregation, m.unit, m.event_type)
                for m in meters],
        features=[FeatureRow(f.id, f.key, f.name, f.kind,
                             products[f.product_id].name if f.product_id in products else "",
                             codes.get(f.meter_id, "") if f.meter_id else "")
                  for f in features],
    )


def plan_rows(session: Session) -> list[PlanRow]:
    """Every plan with its published and open versions and subscriber counts."""
    plans = session.execute(
        sa.select(Plan, Product.name).join(Product, Product.id == Plan.product_id)
        .order_by(Product.name, Plan.position, Plan.name)
    ).all()
    versions = session.execute(sa.select(PlanVersion).order_by(PlanVersion.number)
                               ).scalars().all()
    subscribers = dict(session.execute(
        sa.select(Subscription.plan_id, sa.func.count())
        .where(Subscription.status.in_(("trialing", "active", "past_due")))
        .group_by(Subscription.plan_id)
    ).all())
    pending = dict(session.execute(
        sa.select(PlanVersion.plan_id, sa.func.count())
        .join(ChangeRequest, ChangeRequest.plan_version_id == PlanVersion.id)
        .where(ChangeRequest.status.in_((ChangeRequestStatus.PENDING.value,
                                         ChangeRequestStatus.APPROVED.value)))
        .group_by(PlanVersion.plan_id)
    ).all())
    rows = []
    for plan, product in plans:
        mine = [v for v in versions if v.plan_id == plan.id]
        published = next((v for v in reversed(mine) if v.status == VersionStatus.PUBLISHED),
                         None)
        open_ = next((v for v in reversed(mine) if v.status in (
            VersionStatus.DRAFT, VersionStatus.PENDING_APPROVAL, VersionStatus.APPROVED)), None)
        rows.append(PlanRow(
            id=plan.id, code=plan.code, name=plan.name, product=product,
            interval=plan.interval, published=f"v{published.number}" if published else _DASH,
            published_version_id=published.id if published else 0,
            effective_from=_d(published.effective_from) if published else "",
            open_version=(f"v{open_.number} · {version_label(open_.status)}" if open_ else ""),
            open_version_id=open_.id if open_ else 0,
            subscribers=int(subscribers.get(plan.id, 0)),
            pending_changes=int(pending.get(plan.id, 0))))
    return rows


def _version_status_label(v: PlanVersion) -> str:
    if v.status == VersionStatus.RETIRED and v.published_at is None:
        return "Discarded"
    return version_label(v.status)


def plan_detail(session: Session, plan_id: int, user_id: int | None = None) -> PlanDetail:
    """A plan with its version history (newest first)."""
    plan = get_plan(session, plan_id)
    product = session.get(Product, plan.product_id)
    versions = session.execute(
        sa.select(PlanVersion).where(PlanVersion.plan_id == plan.id)
        .order_by(PlanVersion.number.desc())
    ).scalars().all()
    numbers = {v.id: v.number for v in versions}
    names = _users(session)
    published = next((v for v in versions if v.status == VersionStatus.PUBLISHED), None)
    open_ = next((v for v in versions if v.status in (
        VersionStatus.DRAFT, VersionStatus.PENDING_APPROVAL, VersionStatus.APPROVED)), None)
    editor = can(roles_of(session, user_id), Permission.EDIT_CATALOG)
    return PlanDetail(
        id=plan.id, code=plan.code, name=plan.name, product=product.name if product else "",
        description=plan.description, interval=plan.interval,
        versions=[VersionRow(
            id=v.id, number=v.number, label=f"v{v.number}", status=v.status,
            status_label=_version_status_label(v), effective_from=_d(v.effective_from),
            effective_to=_d(v.effective_to),
            based_on=f"v{numbers[v.based_on_id]}" if v.based_on_id in numbers else "",
            created_by=names.get(v.created_by, "") if v.created_by else "",
            created_at=_ts(v.created_at), published_at=_ts(v.published_at))
            for v in versions],
        published_version_id=published.id if published else 0,
        open_version_id=open_.id if open_ else 0,
        can_edit=editor,
        can_start_draft=editor and open_ is None and published is not None,
        can_start_empty_draft=editor and open_ is None and published is None,
    )


def _minor_text(minor: int | None, currency: str) -> str:
    return "" if minor is None else str(to_major(minor, currency))


def price_rows(session: Session, version_id: int) -> list[PriceRow]:
    """A version's rate card for display and editing."""
    meters = session.execute(sa.select(Meter)).scalars().all()
    by_id = {m.id: m for m in meters}
    codes = meter_codes(session)
    rows = []
    for p in version_prices(session, version_id):
        meter = by_id.get(p.meter_id) if p.meter_id else None
        spec = spec_of(p, codes)
        rows.append(PriceRow(
            id=p.id, position=p.position, name=p.name, kind=p.kind, meter_id=p.meter_id or 0,
            meter=meter.name if meter else "", charge_model=p.charge_model,
            summary=describe_terms(spec, unit=meter.unit if meter else "unit"),
            properties_json=_pretty(p.properties), currency=p.currency,
            region=p.region or "All regions", segment=p.segment or "All segments",
            region_value=p.region or "", segment_value=p.segment or "",
            billing_interval=p.billing_interval,
            timing="in advance" if p.pay_in_advance else "in arrears",
            pay_in_advance=p.pay_in_advance,
            minimum=format_minor(p.minimum_minor, p.currency) if p.minimum_minor else "",
            minimum_text=_minor_text(p.minimum_minor, p.currency),
            commit=format_minor(p.commit_minor, p.currency) if p.commit_minor else "",
            commit_text=_minor_text(p.commit_minor, p.currency)))
    return rows


def entitlement_rows(session: Session, version_id: int) -> list[EntitlementRow]:
    """A version's entitlements by feature key."""
    rows = session.execute(
        sa.select(Entitlement, Feature).join(Feature, Feature.id == Entitlement.feature_id)
        .where(Entitlement.plan_version_id == version_id).order_by(Feature.key)
    ).all()
    return [EntitlementRow(
        feature_id=f.id, feature_key=f.key, feature_name=f.name, kind=f.kind,
        value=EntitlementSpec(f.key, e.enabled, e.limit_value).describe(), enabled=e.enabled,
        limit_text="" if e.limit_value is None else str(e.limit_value))
        for e, f in rows]


def _revenue_text(simulation: Mapping[str, Any] | None) -> str:
    if not simulation:
        return ""
    return " · ".join(f"{t['currency']} {t['change']}" for t in simulation.get("totals", []))


def change_request_rows(session: Session, *, status: str = "", plan_id: int | None = None,
                        version_id: int | None = None) -> list[ChangeRequestRow]:
    """Change requests, newest first, optionally by status, plan or version."""
    query = (
        sa.select(ChangeRequest, PlanVersion, Plan)
        .join(PlanVersion, PlanVersion.id == ChangeRequest.plan_version_id)
        .join(Plan, Plan.id == PlanVersion.plan_id)
        .order_by(ChangeRequest.id.desc())
    )
    if status:
        query = query.where(ChangeRequest.status == status)
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    if version_id is not None:
        query = query.where(PlanVersion.id == version_id)
    found = session.execute(query).all()
    names = _users(session)
    counts = dict(session.execute(
        sa.select(Approval.subject_id, sa.func.count())
        .where(Approval.subject_type == "change_request", Approval.decision == "approve")
        .group_by(Approval.subject_id)
    ).all())
    return [ChangeRequestRow(
        id=cr.id, plan_id=plan.id, plan_code=plan.code, plan_name=plan.name,
        version_id=v.id, version_label=f"v{v.number}", kind=cr.kind,
        kind_label=KIND_LABELS.get(cr.kind, cr.kind), status=cr.status,
        status_label=change_request_label(cr.status), reason=cr.reason,
        author=names.get(cr.author_id, ""), created_at=_ts(cr.created_at),
        decided_at=_ts(cr.decided_at),
        approvals=f"{counts.get(cr.id, 0)} of {cr.required_approvals}",
        requirement=ApprovalRequirement(cr.required_approvals, cr.requires_finance).describe(),
        revenue_change=_revenue_text(cr.simulation))
        for cr, v, plan in found]


def version_detail(session: Session, version_id: int, user_id: int | None = None
                   ) -> VersionDetail:
    """One version with its rate card, entitlements and change requests."""
    v = get_version(session, version_id)
    plan = get_plan(session, v.plan_id)
    product = session.get(Product, plan.product_id)
    based = session.get(PlanVersion, v.based_on_id) if v.based_on_id else None
    names = _users(session)
    requests = change_request_rows(session, version_id=v.id)
    comment = session.execute(
        sa.select(Approval.comment)
        .join(ChangeRequest, ChangeRequest.id == Approval.subject_id)
        .where(Approval.subject_type == "change_request",
               ChangeRequest.plan_version_id == v.id,
               Approval.decision.in_(("reject", "request_changes")))
        .order_by(Approval.id.desc()).limit(1)
    ).scalar_one_or_none()
    editable = v.status == VersionStatus.DRAFT and can(roles_of(session, user_id),
                                                       Permission.EDIT_CATALOG)
    return VersionDetail(
        id=v.id, plan_id=plan.id, plan_code=plan.code, plan_name=plan.name,
        product=product.name if product else "", number=v.number, label=f"v{v.number}",
        status=v.status, status_label=_version_status_label(v), editable=editable,
        effective_from=_d(v.effective_from), effective_to=_d(v.effective_to),
        based_on=f"v{based.number}" if based else "", notes=v.notes,
        created_by=names.get(v.created_by, "") if v.created_by else "", row_version=v.version,
        prices=price_rows(session, v.id), entitlements=entitlement_rows(session, v.id),
        change_requests=requests, last_comment=comment or "")


def simulation_view(doc: Mapping[str, Any] | None) -> SimulationView | None:
    """A stored (or fresh) simulation document as view rows."""
    if not doc:
        return None
    bars = doc.get("histogram") or [{"label": label, "count": 0} for label in HISTOGRAM_LABELS]
    tallest = max((b["count"] for b in bars), default=0) or 1
    start = date.fromisoformat(doc["window_start"])
    end = date.fromisoformat(doc["window_end"])
    change = doc.get("revenue_change_reporting") or "unknown (missing exchange rate)"
    return SimulationView(
        months=int(doc["months"]), window=f"{start:%b %Y} – {end:%b %Y}",
        customers=int(doc["customers"]), increased=int(doc["increased"]),
        decreased=int(doc["decreased"]), unchanged=int(doc["unchanged"]),
        totals=[TotalRow(t["currency"], t["customers"], t["increased"], t["decreased"],
                         t["unchanged"], t["old"], t["new"], t["change"], t["change_pct"])
                for t in doc.get("totals", [])],
        top=[ImpactRow(c["customer_id"], c["customer_code"], c["customer_name"],
                       c["currency"], c["old"], c["new"], c["change"], c["change_pct"],
                       c["change_minor"], c["direction"]) for c in doc.get("top", [])],
        histogram=[BarRow(b["label"], b["count"], round(100 * b["count"] / tallest))
                   for b in bars],
        notes=list(doc.get("notes", [])),
        revenue_change=change,
        elapsed=f"{int(doc.get('elapsed_ms', 0)) / 1000:.1f} s",
    )


def _fields_text(fields: Sequence[str]) -> str:
    return ", ".join(f.replace("_minor", "").replace("_", " ") for f in fields)


def diff_rows(diff: Mapping[str, Any] | None) -> tuple[list[DiffRow], list[EntitlementDiffRow]]:
    """A stored diff document as view rows."""
    if not diff:
        return [], []
    prices = []
    for p in diff.get("prices", []):
        old, new = p.get("old") or {}, p.get("new") or {}
        prices.append(DiffRow(
            change=p["change"], change_label=CHANGE_LABELS.get(p["change"], p["change"]),
            label=p["label"], fields=_fields_text(p.get("changed_fields", [])),
            old_summary=old.get("summary", ""), new_summary=new.get("summary", ""),
            old_properties=_pretty(old.get("properties")) if old else "",
            new_properties=_pretty(new.get("properties")) if new else "",
            decrease=p.get("decrease", "")))
    ents = [EntitlementDiffRow(e["change"], CHANGE_LABELS.get(e["change"], e["change"]),
                               e["feature_key"], e.get("old") or "", e.get("new") or "")
            for e in diff.get("entitlements", [])]
    return prices, ents


def change_request_detail(session: Session, change_request_id: int,
                          user_id: int | None = None) -> ChangeRequestDetail:
    """A change request with everything a reviewer needs, and what this viewer may do."""
    cr = get_change_request(session, change_request_id)
    row = change_request_rows(session, version_id=cr.plan_version_id)
    this = next(r for r in row if r.id == cr.id)
    names = _users(session)
    approvals = session.execute(
        sa.select(Approval).where(Approval.subject_type == "change_request",
                                  Approval.subject_id == cr.id).order_by(Approval.id)
    ).scalars().all()
    votes = [Vote(a.approver_id, frozenset(a.approver_roles or ())) for a in approvals
             if a.decision == "approve"]
    roles = roles_of(session, user_id)
    requirement = ApprovalRequirement(cr.required_approvals, cr.requires_finance)
    pending = cr.status == ChangeRequestStatus.PENDING
    blocked = "" if pending else f"This change request is {this.status_label.lower()}."
    if pending:
        blocked = approval_refusal(requirement, author_id=cr.author_id, approver_id=user_id,
                                   approver_roles=roles, approvals=votes,
                                   editor_ids=draft_editors(session, cr.plan_version_id))
    prices, ents = diff_rows(cr.diff)
    baseline = (cr.diff or {}).get("baseline") or {}
    return ChangeRequestDetail(
        row=this,
        baseline=f"v{baseline['number']}" if baseline.get("number") else "nothing published",
        diff_summary=(cr.diff or {}).get("summary", ""),
        prices=prices, entitlements=ents, simulation=simulation_view(cr.simulation),
        approvals=[ApprovalRow(
            approver=names.get(a.approver_id, ""), roles=", ".join(a.approver_roles or []),
            decision=a.decision, decision_label=DECISION_LABELS.get(a.decision, a.decision),
            comment=a.comment, at=_ts(a.created_at)) for a in approvals],
        policy_reasons=list(((cr.diff or {}).get("approval") or {}).get("reasons", [])),
        can_approve=pending and not blocked,
        approve_blocked=blocked,
        can_review=pending and not review_refusal(author_id=cr.author_id, reviewer_id=user_id,
                                                  reviewer_roles=roles),
        can_withdraw=user_id == cr.author_id and cr.status in (
            ChangeRequestStatus.PENDING, ChangeRequestStatus.APPROVED),
        can_publish=cr.status == ChangeRequestStatus.APPROVED and (
            can(roles, Permission.EDIT_CATALOG) or can(roles, Permission.APPROVE_CATALOG)),
    )


def _filter_text(flt: Mapping[str, Any]) -> str:
    """``segment: smb, mid_market; region: emea`` (a scalar value is shown as is)."""
    parts = []
    for key, value in flt.items():
        values = value if isinstance(value, list | tuple) else [value]
        parts.append(f"{key}: {', '.join(map(str, values))}")
    return "; ".join(parts) or "all subscribers"


def migration_rows(session: Session, plan_id: int) -> list[MigrationRow]:
    """Migrations of a plan's versions, newest first."""
    versions = dict(session.execute(
        sa.select(PlanVersion.id, PlanVersion.number).where(PlanVersion.plan_id == plan_id)
    ).all())
    if not versions:
        return []
    names = _users(session)
    found = session.execute(
        sa.select(PlanMigration).where(PlanMigration.to_version_id.in_(list(versions)))
        .order_by(PlanMigration.id.desc())
    ).scalars().all()
    rows = []
    for m in found:
        preview = m.preview or {}
        flt = m.customer_filter or {}
        rows.append(MigrationRow(
            id=m.id, from_version=f"v{versions.get(m.from_version_id, '?')}",
            to_version=f"v{versions.get(m.to_version_id, '?')}", status=m.status,
            timing="at next renewal" if m.timing == "next_renewal" else "on a date",
            effective_date=_d(m.effective_date),
            customer_filter=_filter_text(flt),
            subscriptions=int(preview.get("count", preview.get("subscriptions", 0)) or 0),
            mrr_change=" · ".join(f"{t['currency']} {t['change']}"
                                  for t in preview.get("totals", [])),
            created_by=names.get(m.created_by, ""), created_at=_ts(m.created_at)))
    return rows
