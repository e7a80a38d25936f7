"""Export a plan version as a Lago-compatible JSON document, and import one as a change request.

Import never publishes: it validates the document, shows the diff against the published
version (:func:`preview_import`), then creates a draft from it and submits that draft as a
change request of kind ``import`` (:func:`import_version`), which goes through the normal
approval. The plan must exist (matched by ``plan.code``; ``plan.product_code`` must match too);
plan-level name and description are not versioned and are not changed by an import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.catalog.domain.diff import RateCardDiff, diff_rate_cards
from console.catalog.domain.lago import (
    DocumentError,
    PlanDocument,
    PlanHeader,
    dumps,
    export_document,
    loads,
    parse_document,
)
from console.catalog.domain.status import ChangeKind, VersionStatus
from console.catalog.usecases.common import (
    entitlement_specs,
    get_plan,
    get_version,
    price_specs,
    published_version,
    refuse_second_open_version,
)
from console.catalog.usecases.review import submit_change_request
from console.kernel.actor import Actor
from console.kernel.errors import InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import ChangeRequest, Entitlement, Feature, Meter, Plan, PlanVersion, Price, Product


@dataclass(frozen=True)
class ImportPreview:
    """A validated import document and what it changes against the published version."""

    plan_id: int
    plan_code: str
    baseline_version_id: int | None
    document: PlanDocument
    diff: RateCardDiff


def export_version(session: Session, *, version_id: int) -> dict[str, Any]:
    """A plan version as a document (see :mod:`console.catalog.domain.lago`)."""
    version = get_version(session, version_id)
    plan = get_plan(session, version.plan_id)
    product = session.get(Product, plan.product_id)
    header = PlanHeader(code=plan.code, name=plan.name, description=plan.description,
                        interval=plan.interval, product_code=product.code if product else "")
    return export_document(header, price_specs(session, version.id),
                           entitlement_specs(session, version.id))


def export_version_json(session: Session, *, version_id: int) -> str:
    """The export document as stable JSON text (sorted keys, 2-space indent)."""
    return dumps(export_version(session, version_id=version_id))


def _document(document: Mapping[str, Any] | str) -> PlanDocument:
    try:
        return parse_document(loads(document) if isinstance(document, str) else document)
    except DocumentError as exc:
        raise InvalidInput(str(exc)) from None


def preview_import(session: Session, *, document: Mapping[str, Any] | str) -> ImportPreview:
    """Validate a document against the catalog and diff it with the published version.

    Raises:
        InvalidInput: naming the first invalid field (unknown plan, meter or feature too).
    """
    doc = _document(document)
    plan = session.execute(sa.select(Plan).where(Plan.code == doc.plan.code)
                           ).scalar_one_or_none()
    if plan is None:
        raise InvalidInput(f"plan.code: no plan with code {doc.plan.code!r}.")
    product = session.get(Product, plan.product_id)
    if doc.plan.product_code and product is not None and doc.plan.product_code != product.code:
        raise InvalidInput(f"plan.product_code: plan {plan.code} belongs to {product.code}, "
                           f"not {doc.plan.product_code}.")
    meters = dict(session.execute(sa.select(Meter.code, Meter.id)).all())
    for i, price in enumerate(doc.prices):
        if price.meter_code is not None and price.meter_code not in meters:
            raise InvalidInput(f"charges[{i}].billable_metric_code: no meter "
                               f"{price.meter_code!r}.")
    features = dict(session.execute(sa.select(Feature.key, Feature.id)).all())
    for i, ent in enumerate(doc.entitlements):
        if ent.feature_key not in features:
            raise InvalidInput(f"entitlements[{i}].feature_code: no feature "
                               f"{ent.feature_key!r}.")
    keys = [p.match_key for p in doc.prices]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            raise InvalidInput(f"charges[{i}]: the same charge (name, meter, currency, region, "
                               "segment, interval) is listed twice.")
    baseline = published_version(session, plan.id)
    base_id = baseline.id if baseline else None
    diff = diff_rate_cards(old_prices=price_specs(session, base_id), new_prices=doc.prices,
                           old_entitlements=entitlement_specs(session, base_id),
                           new_entitlements=doc.entitlements)
    return ImportPreview(plan.id, plan.code, base_id, doc, diff)


def import_version(session: Session, *, document: Mapping[str, Any] | str, reason: str,
                   actor: Actor, months: int = 3, as_of: date | None = None) -> ChangeRequest:
    """Create a draft from a document and submit it as an ``import`` change request.

    Raises:
        InvalidInput: invalid document, nothing changed, or no reason.
        Conflict: the plan already has an open version.
    """
    require(session, actor, Permission.EDIT_CATALOG)
    if not (reason or "").strip():
        raise InvalidInput("A reason is required.")
    preview = preview_import(session, document=document)
    if preview.diff.is_empty:
        raise InvalidInput("The document is identical to the published version; nothing to "
                           "import.")
    refuse_second_open_version(session, preview.plan_id)
    number = session.execute(
        sa.select(sa.func.max(PlanVersion.number)).where(PlanVersion.plan_id == preview.plan_id)
    ).scalar_one()
    draft = PlanVersion(plan_id=preview.plan_id, number=(number or 0) + 1,
                        status=VersionStatus.DRAFT.value, based_on_id=preview.baseline_version_id,
                        notes="Imported", created_by=actor.user_id)
    session.add(draft)
    session.flush()
    meters = dict(session.execute(sa.select(Meter.code, Meter.id)).all())
    features = dict(session.execute(sa.select(Feature.key, Feature.id)).all())
    for position, p in enumerate(preview.document.prices):
        session.add(Price(
            plan_version_id=draft.id, meter_id=meters[p.meter_code] if p.meter_code else None,
            name=p.name, kind=p.kind, charge_model=p.charge_model,
            properties=dict(p.properties), currency=p.currency, region=p.region,
            segment=p.segment, billing_interval=p.billing_interval,
            pay_in_advance=p.pay_in_advance, minimum_minor=p.minimum_minor,
            commit_minor=p.commit_minor, position=position))
    for ent in preview.document.entitlements:
        session.add(Entitlement(plan_version_id=draft.id, feature_id=features[ent.feature_key],
                                enabled=ent.enabled, limit_value=ent.limit_value))
    session.flush()
    record(session, actor=actor, action="catalog.version.import", object_type="plan_version",
           object_id=draft.id,
           after={"plan_id": draft.plan_id, "number": draft.number, "status": draft.status,
                  "charges": len(preview.document.prices),
                  "entitlements": len(preview.document.entitlements),
                  "summary": preview.diff.summary()})
    return submit_change_request(session, version_id=draft.id, reason=reason, actor=actor,
                                 months=months, kind=ChangeKind.IMPORT, as_of=as_of)
