"""Shared plumbing of the catalog services: loading, permissions, conditional status moves."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session

from console.catalog.domain.policy import SETTING_KEY, ApprovalPolicy
from console.catalog.domain.ratecard import EntitlementSpec, PriceSpec
from console.catalog.domain.status import (
    OPEN_VERSION_STATUSES,
    ChangeRequestStatus,
    VersionStatus,
    check_change_request_transition,
    check_version_transition,
    version_label,
)
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotFound
from models import (
    AuditEvent,
    ChangeRequest,
    Entitlement,
    Feature,
    Meter,
    Plan,
    PlanVersion,
    PolicySetting,
    Price,
)


class FieldError(InvalidInput):
    """Invalid input in one field; ``field`` is its path (e.g. ``properties.amount``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def get_plan(session: Session, plan_id: int) -> Plan:
    """The plan, or NotFound."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("No such plan.")
    return plan


def get_version(session: Session, version_id: int) -> PlanVersion:
    """The plan version, or NotFound."""
    version = session.get(PlanVersion, version_id)
    if version is None:
        raise NotFound(f"No plan version with id {version_id}.")
    return version


def get_change_request(session: Session, change_request_id: int) -> ChangeRequest:
    """The change request, or NotFound."""
    cr = session.get(ChangeRequest, change_request_id)
    if cr is None:
        raise NotFound("No such change request.")
    return cr


def published_version(session: Session, plan_id: int) -> PlanVersion | None:
    """The plan's current published version (None before the first publish)."""
    return session.execute(
        sa.select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id, PlanVersion.status == VersionStatus.PUBLISHED)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def open_version(session: Session, plan_id: int) -> PlanVersion | None:
    """The plan's version still being worked on (draft, pending approval or approved)."""
    return session.execute(
        sa.select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id,
               PlanVersion.status.in_([s.value for s in OPEN_VERSION_STATUSES]))
        .order_by(PlanVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def refuse_second_open_version(session: Session, plan_id: int) -> None:
    """Raise Conflict when the plan already has an open version (one at a time)."""
    existing = open_version(session, plan_id)
    if existing is not None:
        raise Conflict(
            f"This plan already has an open version v{existing.number} "
            f"({version_label(existing.status).lower()}); finish, withdraw or discard it first."
        )


def meter_codes(session: Session) -> dict[int, str]:
    """Meter id -> code."""
    return dict(session.execute(sa.select(Meter.id, Meter.code)).all())


def spec_of(price: Price, meters: dict[int, str]) -> PriceSpec:
    """A stored price as a rate-card value."""
    return PriceSpec(
        name=price.name,
        kind=price.kind,
        charge_model=price.charge_model,
        properties=dict(price.properties or {}),
        currency=price.currency,
        meter_code=meters.get(price.meter_id) if price.meter_id is not None else None,
        region=price.region,
        segment=price.segment,
        billing_interval=price.billing_interval,
        pay_in_advance=price.pay_in_advance,
        minimum_minor=price.minimum_minor,
        commit_minor=price.commit_minor,
        price_id=price.id,
        meter_id=price.meter_id,
    )


def version_prices(session: Session, version_id: int) -> list[Price]:
    """A version's stored prices in rate-card order."""
    return list(session.execute(
        sa.select(Price).where(Price.plan_version_id == version_id)
        .order_by(Price.position, Price.id)
    ).scalars())


def price_specs(session: Session, version_id: int | None) -> list[PriceSpec]:
    """A version's rate card as values (empty for ``None``)."""
    if version_id is None:
        return []
    meters = meter_codes(session)
    return [spec_of(p, meters) for p in version_prices(session, version_id)]


def entitlement_specs(session: Session, version_id: int | None) -> list[EntitlementSpec]:
    """A version's entitlements as values, by feature key."""
    if version_id is None:
        return []
    rows = session.execute(
        sa.select(Feature.key, Entitlement.enabled, Entitlement.limit_value)
        .join(Feature, Feature.id == Entitlement.feature_id)
        .where(Entitlement.plan_version_id == version_id)
        .order_by(Feature.key)
    ).all()
    return [EntitlementSpec(key, bool(enabled), limit) for key, enabled, limit in rows]


def move_version(
    session: Session,
    version: PlanVersion,
    target: VersionStatus,
    **values: object,
) -> None:
    """Change a version's status with a conditional UPDATE (status and row version must match).

    Raises:
        Conflict: if the lifecycle forbids it or someone changed the version first.
    """
    current = version.status
    try:
        check_version_transition(current, target)
    except ValueError as exc:
        raise Conflict(str(exc)) from None
    conditional_update(session, version, status=target.value, **values)


def move_change_request(
    session: Session, cr: ChangeRequest, target: ChangeRequestStatus, **values: object
) -> None:
    """Change a change request's status with a conditional UPDATE.

    Raises:
        Conflict: if the lifecycle forbids it or someone decided first.
    """
    try:
        check_change_request_transition(cr.status, target)
    except ValueError as exc:
        raise Conflict(str(exc)) from None
    conditional_update(session, cr, status=target.value, **values)


def load_policy(session: Session) -> ApprovalPolicy:
    """The approval policy from ``policy_setting`` (defaults when the key is missing)."""
    row = session.get(PolicySetting, SETTING_KEY)
    try:
        return ApprovalPolicy.from_setting(row.value if row else None)
    except ValueError as exc:
        raise InvalidInput(f"The approval_thresholds policy setting is not valid: {exc}") from None


def require_reason(text: str, what: str = "A reason") -> str:
    """Trimmed text, or InvalidInput when it is empty."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"{what} is required.")
    return text


def ids(values: Sequence[int]) -> str:
    """Integers as a SQL literal list (for generated read queries; never user text)."""
    return ", ".join(str(int(v)) for v in values) or "NULL"


#: Audit actions that change a draft's content: whoever did one is a maker of the draft.
EDIT_ACTIONS = (
    "catalog.version.create_draft", "catalog.version.import", "catalog.version.notes",
    "catalog.price.add", "catalog.price.update", "catalog.price.remove",
    "catalog.entitlement.set", "catalog.entitlement.remove",
)


def draft_editors(session: Session, version_id: int) -> frozenset[int]:
    """Everyone who created or edited a version's content (from the audit trail)."""
    version = get_version(session, version_id)
    ids = session.execute(
        sa.select(AuditEvent.actor_id).distinct()
        .where(AuditEvent.object_type == "plan_version",
               AuditEvent.object_id == str(version_id),
               AuditEvent.action.in_(EDIT_ACTIONS), AuditEvent.actor_id.is_not(None))
    ).scalars().all()
    makers = set(ids)
    if version.created_by is not None:
        makers.add(version.created_by)
    return frozenset(makers)
