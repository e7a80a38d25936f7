"""Opening a change request: submitting a draft (diff, revenue simulation and the approvals
the policy requires, stored on the request), and proposing a rollback the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from console.audit import record
from console.catalog.domain.diff import diff_rate_cards
from console.catalog.domain.policy import requirement_for
from console.catalog.domain.status import (
    ChangeKind,
    ChangeRequestStatus,
    VersionStatus,
    version_label,
)
from console.catalog.queries.loaders import (
    get_plan,
    get_version,
    load_policy,
    previous_published_version,
    published_version,
)
from console.catalog.queries.rate_cards import entitlement_specs, price_specs
from console.catalog.queries.simulation import simulate_in
from console.catalog.usecases.drafts import create_draft_from, validate_draft
from console.catalog.usecases.lifecycle import (
    SUBJECT,
    move_version,
    refuse_second_open_version,
    require_reason,
)
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import Conflict, InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import ChangeRequest
from models.db import unit_of_work


def submit_change_request(
    session: Session,
    *,
    version_id: int,
    reason: str,
    actor: Actor,
    months: int = 3,
    kind: ChangeKind | str = ChangeKind.PRICE_CHANGE,
    as_of: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ChangeRequest:
    """Submit a draft for approval: diff, revenue simulation and required approvals stored.

    Args:
        session: the unit of work.
        version_id: the draft.
        reason: why the change is made (required).
        actor: the author (needs edit permission).
        months: simulation window (3, 6 or 12).
        kind: price_change, rollback or import.
        as_of: end of the simulation window (default today).
        progress: simulation progress callback (0-100).

    Returns:
        The change request (pending).

    Raises:
        InvalidInput: no reason, an invalid row, or nothing changed.
        NotAllowed: without edit permission.
        Conflict: the version is not a draft (or someone changed it first).
    """
    require(session, actor, Permission.EDIT_CATALOG)
    reason = require_reason(reason)
    kind = ChangeKind(kind)
    version = get_version(session, version_id)
    if version.status != VersionStatus.DRAFT:
        raise Conflict(f"v{version.number} is {version_label(version.status).lower()}; only a "
                       "draft can be submitted.")
    validate_draft(session, version.id)
    baseline = published_version(session, version.plan_id)
    base_id = baseline.id if baseline else None
    diff = diff_rate_cards(
        old_prices=price_specs(session, base_id), new_prices=price_specs(session, version.id),
        old_entitlements=entitlement_specs(session, base_id),
        new_entitlements=entitlement_specs(session, version.id),
    )
    if diff.is_empty:
        raise InvalidInput(
            f"v{version.number} is identical to the published v{baseline.number if baseline else 0}"
            "; there is nothing to submit."
        )
    simulation = simulate_in(session, version_id=version.id, months=months, progress=progress,
                             as_of=as_of)
    policy = load_policy(session)
    requirement = requirement_for(
        policy, revenue_change_minor=simulation.revenue_change_reporting_minor,
        max_price_decrease_pct=diff.max_decrease_pct)
    move_version(session, version, VersionStatus.PENDING_APPROVAL)
    diff_doc = diff.to_json()
    diff_doc["baseline"] = {"version_id": base_id,
                            "number": baseline.number if baseline else None}
    diff_doc["approval"] = {"required_approvals": requirement.required_approvals,
                            "requires_finance": requirement.requires_finance,
                            "reasons": list(requirement.reasons),
                            "describe": requirement.describe()}
    cr = ChangeRequest(plan_version_id=version.id, kind=kind.value,
                       status=ChangeRequestStatus.PENDING.value, reason=reason,
                       author_id=actor.user_id, required_approvals=requirement.required_approvals,
                       requires_finance=requirement.requires_finance, diff=diff_doc,
                       simulation=simulation.to_json())
    session.add(cr)
    session.flush()
    record(session, actor=actor, action="catalog.version.submit", object_type="plan_version",
           object_id=version.id, before={"status": VersionStatus.DRAFT.value},
           after={"status": version.status, "change_request_id": cr.id}, reason=reason)
    record(session, actor=actor, action="catalog.change_request.submit",
           object_type=SUBJECT, object_id=cr.id, reason=reason,
           after={"status": cr.status, "kind": cr.kind, "plan_version_id": version.id,
                  "required_approvals": cr.required_approvals,
                  "requires_finance": cr.requires_finance,
                  "policy_reasons": list(requirement.reasons),
                  "revenue_change_reporting_minor":
                      simulation.revenue_change_reporting_minor,
                  "summary": diff.summary()})
    return cr


def request_rollback(session: Session, *, plan_id: int, reason: str, actor: Actor,
                     months: int = 3, as_of: date | None = None) -> ChangeRequest:
    """Propose re-publishing the previous version: a new draft copying it, submitted as a
    change request of kind ``rollback`` through the same approval.

    Returns:
        The change request (pending).

    Raises:
        InvalidInput: no reason.
        NotAllowed: without edit permission.
        Conflict: nothing to roll back to, or the plan already has an open version.
    """
    require(session, actor, Permission.EDIT_CATALOG)
    reason = require_reason(reason)
    plan = get_plan(session, plan_id)
    current = published_version(session, plan.id)
    target = previous_published_version(session, plan.id)
    if current is None or target is None:
        raise Conflict(f"{plan.name} has no earlier published version to roll back to.")
    refuse_second_open_version(session, plan.id)
    draft = create_draft_from(session, version_id=target.id, actor=actor,
                              notes=f"Rollback of v{current.number} to v{target.number}")
    return submit_change_request(session, version_id=draft.id, reason=reason, actor=actor,
                                 months=months, kind=ChangeKind.ROLLBACK, as_of=as_of)


# --- page-facing


def submit(*, user_id: int, version_id: int, reason: str, months: int = 3,
           progress: Callable[[int], None] | None = None) -> int:
    """Submit a draft for approval, as the signed-in user (runs the simulation: call it off
    the event loop).

    Returns:
        The change request id.

    Raises:
        InvalidInput: no reason, an invalid row, or nothing changed.
        NotAllowed: without edit permission.
        Conflict: the version is not a draft.
    """
    with unit_of_work() as s:
        return submit_change_request(
            s, version_id=version_id, reason=reason, actor=actor_for(s, user_id), months=months,
            progress=progress).id


def rollback(*, user_id: int, plan_id: int, reason: str, months: int = 3) -> int:
    """Propose rolling back to the previous published version, as the signed-in user.

    Returns:
        The change request id.

    Raises:
        Conflict: nothing to roll back to, or the plan already has an open version.
    """
    with unit_of_work() as s:
        return request_rollback(s, plan_id=plan_id, reason=reason,
                                actor=actor_for(s, user_id), months=months).id
