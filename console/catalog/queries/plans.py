"""The catalog's plans for the pages: the plan list, one plan's version history, and the
products, meters and features the editor chooses from."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

from console.catalog.domain.status import ChangeRequestStatus, VersionStatus, version_label
from console.catalog.queries.loaders import get_plan
from console.catalog.queries.page_text import DASH, day_text, timestamp_text, user_names
from console.kernel.permissions import roles_of
from console.kernel.roles import Permission, can
from console.pricing import CHARGE_MODELS
from models import ChangeRequest, Feature, Meter, Plan, PlanVersion, Product, Subscription
from models.db import read_session


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


def catalog_reference_in(session: Session) -> CatalogReference:
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
    found = session.execute(
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
    for plan, product in found:
        mine = [v for v in versions if v.plan_id == plan.id]
        published = next((v for v in reversed(mine) if v.status == VersionStatus.PUBLISHED),
                         None)
        open_ = next((v for v in reversed(mine) if v.status in (
            VersionStatus.DRAFT, VersionStatus.PENDING_APPROVAL, VersionStatus.APPROVED)), None)
        rows.append(PlanRow(
            id=plan.id, code=plan.code, name=plan.name, product=product,
            interval=plan.interval, published=f"v{published.number}" if published else DASH,
            published_version_id=published.id if published else 0,
            effective_from=day_text(published.effective_from) if published else "",
            open_version=(f"v{open_.number} · {version_label(open_.status)}" if open_ else ""),
            open_version_id=open_.id if open_ else 0,
            subscribers=int(subscribers.get(plan.id, 0)),
            pending_changes=int(pending.get(plan.id, 0))))
    return rows


def version_status_label(v: PlanVersion) -> str:
    """A version's status as shown: a retired version never published reads "Discarded"."""
    if v.status == VersionStatus.RETIRED and v.published_at is None:
        return "Discarded"
    return version_label(v.status)


def plan_detail(session: Session, plan_id: int, user_id: int | None = None) -> PlanDetail:
    """A plan with its version history (newest first) and what ``user_id`` may do.

    Raises:
        NotFound: when there is no such plan.
    """
    plan = get_plan(session, plan_id)
    product = session.get(Product, plan.product_id)
    versions = session.execute(
        sa.select(PlanVersion).where(PlanVersion.plan_id == plan.id)
        .order_by(PlanVersion.number.desc())
    ).scalars().all()
    numbers = {v.id: v.number for v in versions}
    names = user_names(session)
    published = next((v for v in versions if v.status == VersionStatus.PUBLISHED), None)
    open_ = next((v for v in versions if v.status in (
        VersionStatus.DRAFT, VersionStatus.PENDING_APPROVAL, VersionStatus.APPROVED)), None)
    editor = can(roles_of(session, user_id), Permission.EDIT_CATALOG)
    return PlanDetail(
        id=plan.id, code=plan.code, name=plan.name, product=product.name if product else "",
        description=plan.description, interval=plan.interval,
        versions=[VersionRow(
            id=v.id, number=v.number, label=f"v{v.number}", status=v.status,
            status_label=version_status_label(v), effective_from=day_text(v.effective_from),
            effective_to=day_text(v.effective_to),
            based_on=f"v{numbers[v.based_on_id]}" if v.based_on_id in numbers else "",
            created_by=names.get(v.created_by, "") if v.created_by else "",
            created_at=timestamp_text(v.created_at), published_at=timestamp_text(v.published_at))
            for v in versions],
        published_version_id=published.id if published else 0,
        open_version_id=open_.id if open_ else 0,
        can_edit=editor,
        can_start_draft=editor and open_ is None and published is not None,
        can_start_empty_draft=editor and open_ is None and published is None,
    )


# --- page-facing


def catalog_reference() -> CatalogReference:
    """Products, meters, features and the editor's choices, for a page."""
    with read_session() as s:
        return catalog_reference_in(s)


def plans() -> list[PlanRow]:
    """Every plan with its published and open version, for a page."""
    with read_session() as s:
        return plan_rows(s)


def plan(plan_id: int, *, user_id: int | None = None) -> PlanDetail:
    """A plan with its version history and what ``user_id`` may do, for a page.

    Raises:
        NotFound: when there is no such plan.
    """
    with read_session() as s:
        return plan_detail(s, plan_id, user_id)
