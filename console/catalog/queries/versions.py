"""One plan version for the pages: its rate card, entitlements and change requests."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.catalog.domain.ratecard import EntitlementSpec, describe_terms
from console.catalog.domain.status import VersionStatus
from console.catalog.queries.change_requests import ChangeRequestRow, change_request_rows
from console.catalog.queries.loaders import get_plan, get_version
from console.catalog.queries.page_text import day_text, pretty_json, user_names
from console.catalog.queries.plans import version_status_label
from console.catalog.queries.rate_cards import meter_codes, spec_of, version_prices
from console.kernel.permissions import roles_of
from console.kernel.roles import Permission, can
from console.money import format_minor, to_major
from models import Approval, ChangeRequest, Entitlement, Feature, Meter, PlanVersion, Product
from models.db import read_session


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
            properties_json=pretty_json(p.properties), currency=p.currency,
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


def version_detail(session: Session, version_id: int, user_id: int | None = None
                   ) -> VersionDetail:
    """One version with its rate card, entitlements and change requests."""
    v = get_version(session, version_id)
    plan = get_plan(session, v.plan_id)
    product = session.get(Product, plan.product_id)
    based = session.get(PlanVersion, v.based_on_id) if v.based_on_id else None
    names = user_names(session)
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
        status=v.status, status_label=version_status_label(v), editable=editable,
        effective_from=day_text(v.effective_from), effective_to=day_text(v.effective_to),
        based_on=f"v{based.number}" if based else "", notes=v.notes,
        created_by=names.get(v.created_by, "") if v.created_by else "", row_version=v.version,
        prices=price_rows(session, v.id), entitlements=entitlement_rows(session, v.id),
        change_requests=requests, last_comment=comment or "")


# --- page-facing


def version(version_id: int, *, user_id: int | None = None) -> VersionDetail:
    """A version's rate card, entitlements and change requests, for a page.

    Raises:
        NotFound: when there is no such version.
    """
    with read_session() as s:
        return version_detail(s, version_id, user_id)
