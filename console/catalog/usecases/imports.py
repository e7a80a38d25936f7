"""Importing a Lago-compatible document as a change request (never publishes).

The document is validated and diffed by :func:`console.catalog.queries.documents.preview_import`;
:func:`import_version` then creates a draft from it and submits that draft as a change request
of kind ``import``, which goes through the normal approval. Plan-level name and description are
not versioned and are not changed by an import.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.catalog.domain.status import ChangeKind, VersionStatus
from console.catalog.queries.documents import preview_import
from console.catalog.usecases.lifecycle import refuse_second_open_version, require_reason
from console.catalog.usecases.submissions import submit_change_request
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import ChangeRequest, Entitlement, Feature, Meter, PlanVersion, Price
from models.db import unit_of_work


def import_version(session: Session, *, document: Mapping[str, Any] | str, reason: str,
                   actor: Actor, months: int = 3, as_of: date | None = None) -> ChangeRequest:
    """Create a draft from a document and submit it as an ``import`` change request.

    Args:
        session: the unit of work.
        document: the document, parsed or as JSON text.
        reason: why the change is made (required).
        actor: the author (needs edit permission).
        months: the simulation window.
        as_of: end of the simulation window (default today).

    Returns:
        The change request (pending); nothing is published.

    Raises:
        InvalidInput: invalid document, nothing changed, or no reason.
        NotAllowed: without edit permission.
        Conflict: the plan already has an open version.
    """
    require(session, actor, Permission.EDIT_CATALOG)
    require_reason(reason)
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


# --- page-facing


def import_json(*, user_id: int, text: str, reason: str, months: int = 3) -> int:
    """Open an ``import`` change request from a document, as the signed-in user.

    Returns:
        The change request id (nothing is published).

    Raises:
        InvalidInput: invalid document, nothing changed, or no reason.
        Conflict: the plan already has an open version.
    """
    with unit_of_work() as s:
        return import_version(s, document=text, reason=reason, actor=actor_for(s, user_id),
                              months=months).id
