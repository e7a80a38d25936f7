"""Change requests: submit a draft, approve / reject / request changes / withdraw, publish,
and roll back (maker-checker with conditional updates; every step audited).

Racing reviewers: each decision first *claims* the change request with
``UPDATE change_request SET version = version + 1 WHERE id = ? AND status = 'pending' AND
version = ?``; only one of two concurrent decisions matches, the other gets
:class:`~console.kernel.errors.Conflict` and records nothing. The unique constraint on
``approval (subject_type, subject_id, approver_id)`` backs it up for a double click.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.catalog.domain.diff import diff_rate_cards
from console.catalog.domain.policy import (
    ApprovalRequirement,
    Vote,
    approval_refusal,
    is_satisfied,
    requirement_for,
    review_refusal,
)
from console.catalog.domain.status import (
    ChangeKind,
    ChangeRequestStatus,
    VersionStatus,
    change_request_label,
    version_label,
)
from console.catalog.queries.simulation import simulate_in
from console.catalog.usecases.common import (
    draft_editors,
    entitlement_specs,
    get_change_request,
    get_plan,
    get_version,
    load_policy,
    move_change_request,
    move_version,
    price_specs,
    published_version,
    refuse_second_open_version,
    require_reason,
)
from console.catalog.usecases.drafts import create_draft_from, validate_draft
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from console.kernel.permissions import require, roles_of
from console.kernel.roles import Permission
from models import Approval, ChangeRequest, PlanVersion, Subscription
from models.types import utcnow

SUBJECT = "change_request"

#: Subscriptions that are grandfathered on publish (everyone not yet canceled).
LIVE_SUBSCRIPTION_STATUSES = ("trialing", "active", "past_due")


def _today() -> date:
    return datetime.now(UTC).date()


def _version_audit(version: PlanVersion) -> dict[str, Any]:
    return {"status": version.status, "number": version.number,
            "effective_from": version.effective_from, "effective_to": version.effective_to}


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


def _votes(session: Session, cr_id: int) -> list[Vote]:
    rows = session.execute(
        sa.select(Approval.approver_id, Approval.approver_roles)
        .where(Approval.subject_type == SUBJECT, Approval.subject_id == cr_id,
               Approval.decision == "approve")
        .order_by(Approval.id)
    ).all()
    return [Vote(approver_id, frozenset(roles or ())) for approver_id, roles in rows]


def _pending(cr: ChangeRequest, verb: str) -> None:
    if cr.status != ChangeRequestStatus.PENDING:
        raise Conflict(f"This change request is {change_request_label(cr.status).lower()}; "
                       f"only a pending one can be {verb}.")


def _record_decision(session: Session, cr: ChangeRequest, actor: Actor, roles: frozenset[str],
                     decision: str, comment: str) -> Approval:
    conditional_update(session, cr)  # claims it: a racing writer gets Conflict
    row = Approval(subject_type=SUBJECT, subject_id=cr.id, approver_id=actor.user_id,
                   approver_roles=sorted(roles), decision=decision, comment=comment)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("You already recorded a decision on this change request.") from None
    return row


def approve(session: Session, *, change_request_id: int, actor: Actor,
            comment: str = "") -> ChangeRequest:
    """Approve a pending change request; the last required approval approves the version.

    Raises:
        NotAllowed: the author or an editor of the draft, a user without approve permission,
            a repeated approval, or a
            non-finance approval where finance must complete the count.
        Conflict: not pending, or another reviewer decided at the same time.
    """
    cr = get_change_request(session, change_request_id)
    _pending(cr, "approved")
    roles = roles_of(session, actor.user_id)
    votes = _votes(session, cr.id)
    requirement = ApprovalRequirement(cr.required_approvals, cr.requires_finance)
    refusal = approval_refusal(requirement, author_id=cr.author_id, approver_id=actor.user_id,
                               approver_roles=roles, approvals=votes,
                               editor_ids=draft_editors(session, cr.plan_version_id))
    if refusal:
        raise NotAllowed(refusal)
    _record_decision(session, cr, actor, roles, "approve", (comment or "").strip())
    votes.append(Vote(actor.user_id or 0, roles))
    done = is_satisfied(requirement, votes)
    before = {"status": cr.status, "approvals": len(votes) - 1}
    if done:
        move_change_request(session, cr, ChangeRequestStatus.APPROVED, decided_at=utcnow())
        version = get_version(session, cr.plan_version_id)
        move_version(session, version, VersionStatus.APPROVED)
        record(session, actor=actor, action="catalog.version.approve",
               object_type="plan_version", object_id=version.id,
               before={"status": VersionStatus.PENDING_APPROVAL.value},
               after={"status": version.status, "change_request_id": cr.id})
    record(session, actor=actor, action="catalog.change_request.approve", object_type=SUBJECT,
           object_id=cr.id, before=before,
           after={"status": cr.status, "approvals": len(votes),
                  "required_approvals": cr.required_approvals,
                  "approver_roles": sorted(roles)}, reason=comment or "")
    return cr


def _send_back(session: Session, *, change_request_id: int, actor: Actor, comment: str,
               decision: str, target: ChangeRequestStatus) -> ChangeRequest:
    cr = get_change_request(session, change_request_id)
    _pending(cr, "rejected" if decision == "reject" else "sent back")
    comment = require_reason(comment, "A comment")
    roles = roles_of(session, actor.user_id)
    refusal = review_refusal(author_id=cr.author_id, reviewer_id=actor.user_id,
                             reviewer_roles=roles)
    if refusal:
        raise NotAllowed(refusal)
    _record_decision(session, cr, actor, roles, decision, comment)
    move_change_request(session, cr, target, decided_at=utcnow())
    version = get_version(session, cr.plan_version_id)
    before_status = version.status
    move_version(session, version, VersionStatus.DRAFT)
    record(session, actor=actor, action=f"catalog.change_request.{decision}",
           object_type=SUBJECT, object_id=cr.id, before={"status": "pending"},
           after={"status": cr.status}, reason=comment)
    record(session, actor=actor, action="catalog.version.reopen", object_type="plan_version",
           object_id=version.id, before={"status": before_status},
           after={"status": version.status, "change_request_id": cr.id}, reason=comment)
    return cr


def reject(session: Session, *, change_request_id: int, actor: Actor,
           comment: str) -> ChangeRequest:
    """Reject a pending change request (comment required); the version returns to draft."""
    return _send_back(session, change_request_id=change_request_id, actor=actor,
                      comment=comment, decision="reject", target=ChangeRequestStatus.REJECTED)


def request_changes(session: Session, *, change_request_id: int, actor: Actor,
                    comment: str) -> ChangeRequest:
    """Send a pending change request back to its author with a comment (version -> draft)."""
    return _send_back(session, change_request_id=change_request_id, actor=actor,
                      comment=comment, decision="request_changes",
                      target=ChangeRequestStatus.CHANGES_REQUESTED)


def withdraw(session: Session, *, change_request_id: int, actor: Actor,
             comment: str = "") -> ChangeRequest:
    """The author takes back a pending or approved (not yet published) change request."""
    cr = get_change_request(session, change_request_id)
    if actor.user_id is None or actor.user_id != cr.author_id:
        raise NotAllowed("Only the author can withdraw a change request.")
    if cr.status not in (ChangeRequestStatus.PENDING, ChangeRequestStatus.APPROVED):
        raise Conflict(f"This change request is {change_request_label(cr.status).lower()} "
                       "and cannot be withdrawn.")
    before = cr.status
    move_change_request(session, cr, ChangeRequestStatus.WITHDRAWN, decided_at=utcnow())
    version = get_version(session, cr.plan_version_id)
    version_before = version.status
    move_version(session, version, VersionStatus.DRAFT)
    record(session, actor=actor, action="catalog.change_request.withdraw", object_type=SUBJECT,
           object_id=cr.id, before={"status": before}, after={"status": cr.status},
           reason=comment or "")
    record(session, actor=actor, action="catalog.version.reopen", object_type="plan_version",
           object_id=version.id, before={"status": version_before},
           after={"status": version.status, "change_request_id": cr.id}, reason=comment or "")
    return cr


def publish(session: Session, *, change_request_id: int, effective_from: date, actor: Actor,
            today: date | None = None) -> PlanVersion:
    """Publish an approved change request's version from ``effective_from``.

    The previously published version is retired with ``effective_to = effective_from - 1``;
    new subscriptions take the new version from its effective date (see
    :func:`version_for_new_subscription`); existing subscribers stay on their version and are
    marked ``grandfathered`` unless a migration moves them.

    Raises:
        NotAllowed: without edit or approve permission.
        Conflict: not approved, or the date is not after the current version's start.
        InvalidInput: an effective date in the past.
    """
    require(session, actor, Permission.EDIT_CATALOG, Permission.APPROVE_CATALOG)
    cr = get_change_request(session, change_request_id)
    if cr.status != ChangeRequestStatus.APPROVED:
        raise Conflict(f"This change request is {change_request_label(cr.status).lower()}; "
                       "only an approved one can be published.")
    today = today or _today()
    if effective_from < today:
        raise InvalidInput("The effective date cannot be in the past.")
    version = get_version(session, cr.plan_version_id)
    previous = published_version(session, version.plan_id)
    if previous is not None and previous.effective_from and \
            effective_from <= previous.effective_from:
        raise Conflict(f"The effective date must be after v{previous.number}'s "
                       f"({previous.effective_from.isoformat()}).")
    if previous is not None:
        before = _version_audit(previous)
        move_version(session, previous, VersionStatus.RETIRED,
                     effective_to=effective_from - timedelta(days=1))
        record(session, actor=actor, action="catalog.version.retire",
               object_type="plan_version", object_id=previous.id, before=before,
               after=_version_audit(previous), reason=f"replaced by v{version.number}")
    before = _version_audit(version)
    move_version(session, version, VersionStatus.PUBLISHED, effective_from=effective_from,
                 effective_to=None, published_at=utcnow(), published_by=actor.user_id)
    move_change_request(session, cr, ChangeRequestStatus.PUBLISHED, effective_from=effective_from)
    record(session, actor=actor, action="catalog.version.publish", object_type="plan_version",
           object_id=version.id, before=before, after=_version_audit(version),
           reason=cr.reason)
    record(session, actor=actor, action="catalog.change_request.publish", object_type=SUBJECT,
           object_id=cr.id, before={"status": ChangeRequestStatus.APPROVED.value},
           after={"status": cr.status, "effective_from": effective_from})
    grandfathered = session.execute(
        sa.update(Subscription)
        .where(Subscription.plan_id == version.plan_id,
               Subscription.plan_version_id != version.id,
               Subscription.status.in_(LIVE_SUBSCRIPTION_STATUSES),
               Subscription.grandfathered.is_(False))
        .values(grandfathered=True, version=Subscription.version + 1)
    ).rowcount
    if grandfathered:
        record(session, actor=actor, action="catalog.subscriptions.grandfather",
               object_type="plan_version", object_id=version.id,
               after={"subscriptions": grandfathered, "grandfathered": True},
               reason=f"stay on their version after v{version.number} was published")
    return version


def version_for_new_subscription(session: Session, *, plan_id: int,
                                 on: date) -> PlanVersion | None:
    """The version a subscription starting on ``on`` takes (by effective dates)."""
    return session.execute(
        sa.select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id,
               PlanVersion.status.in_([VersionStatus.PUBLISHED.value,
                                       VersionStatus.RETIRED.value]),
               PlanVersion.effective_from.is_not(None), PlanVersion.effective_from <= on,
               sa.or_(PlanVersion.effective_to.is_(None), PlanVersion.effective_to >= on))
        .order_by(PlanVersion.effective_from.desc(), PlanVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def previous_published_version(session: Session, plan_id: int) -> PlanVersion | None:
    """The version that was published before the current one (a rollback's target)."""
    current = published_version(session, plan_id)
    if current is None:
        return None
    return session.execute(
        sa.select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id, PlanVersion.status == VersionStatus.RETIRED,
               PlanVersion.published_at.is_not(None), PlanVersion.id != current.id)
        .order_by(PlanVersion.effective_from.desc(), PlanVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def request_rollback(session: Session, *, plan_id: int, reason: str, actor: Actor,
                     months: int = 3, as_of: date | None = None) -> ChangeRequest:
    """Propose re-publishing the previous version: a new draft copying it, submitted as a
    change request of kind ``rollback`` through the same approval.

    Raises:
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
