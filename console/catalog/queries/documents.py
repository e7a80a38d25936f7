"""Plan versions as Lago-compatible JSON documents: export one, and preview an import.

Importing never publishes: :func:`preview_import` validates the document and shows the diff
against the published version; :func:`console.catalog.usecases.imports.import_version` then
opens a change request from it. The plan must exist (matched by ``plan.code``;
``plan.product_code`` must match too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

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
from console.catalog.queries.change_requests import DiffRow, EntitlementDiffRow, diff_rows
from console.catalog.queries.loaders import get_plan, get_version, published_version
from console.catalog.queries.rate_cards import entitlement_specs, price_specs
from console.kernel.errors import InvalidInput
from models import Feature, Meter, Plan, Product
from models.db import read_session


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


# --- page-facing


@dataclass(frozen=True)
class ImportPreviewView:
    """What an import document would change (shown before the change request is opened)."""

    plan_code: str
    summary: str
    prices: list[DiffRow]
    entitlements: list[EntitlementDiffRow]
    charges: int


def export_json(version_id: int) -> str:
    """A version as Lago-compatible JSON text (for a download).

    Raises:
        NotFound: when there is no such version.
    """
    with read_session() as s:
        return export_version_json(s, version_id=version_id)


def import_preview(text: str) -> ImportPreviewView:
    """Validate an uploaded document and show its diff against the published version.

    Raises:
        InvalidInput: naming the first invalid field of the document.
    """
    with read_session() as s:
        preview = preview_import(s, document=text)
    prices, ents = diff_rows(preview.diff.to_json())
    return ImportPreviewView(preview.plan_code, preview.diff.summary(), prices, ents,
                             len(preview.document.prices))
