"""A version's stored rate card and entitlements as domain values."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from console.catalog.domain.ratecard import EntitlementSpec, PriceSpec
from models import Entitlement, Feature, Meter, Price


def meter_codes(session: Session) -> dict[int, str]:
    """Meter id -> code."""
    return dict(session.execute(sa.select(Meter.id, Meter.code)).all())


def spec_of(price: Price, meters: dict[int, str]) -> PriceSpec:
    """A stored price as a rate-card value.

    Args:
        price: the stored row.
        meters: meter id -> code (from :func:`meter_codes`).
    """
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
    """A version's entitlements as values, by feature key (empty for ``None``)."""
    if version_id is None:
        return []
    rows = session.execute(
        sa.select(Feature.key, Entitlement.enabled, Entitlement.limit_value)
        .join(Feature, Feature.id == Entitlement.feature_id)
        .where(Entitlement.plan_version_id == version_id)
        .order_by(Feature.key)
    ).all()
    return [EntitlementSpec(key, bool(enabled), limit) for key, enabled, limit in rows]
