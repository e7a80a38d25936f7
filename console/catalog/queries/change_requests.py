"""Change requests for the pages: the review queue, one request with its diff, simulation and
approvals, and what the viewer may do with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.catalog.domain.policy import (
    ApprovalRequirement,
    Vote,
    approval_refusal,
    review_refusal,
)
from console.catalog.domain.status import ChangeRequestStatus, change_request_label
from console.catalog.queries.loaders import draft_editors, get_change_request
from console.catalog.queries.page_text import pretty_json, timestamp_text, user_names
from console.catalog.queries.simulation_result import SimulationView, simulation_view
from console.kernel.permissions import roles_of
from console.kernel.roles import Permission, can
from models import Approval, ChangeRequest, Plan, PlanVersion
from models.db import read_session

KIND_LABELS = {"price_change": "Price change", "rollback": "Rollback", "import": "Import"}
DECISION_LABELS = {"approve": "Approved", "reject": "Rejected",
                   "request_changes": "Requested changes"}
CHANGE_LABELS = {"added": "Added", "removed": "Removed", "changed": "Changed"}


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
    names = user_names(session)
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
        author=names.get(cr.author_id, ""), created_at=timestamp_text(cr.created_at),
        decided_at=timestamp_text(cr.decided_at),
        approvals=f"{counts.get(cr.id, 0)} of {cr.required_approvals}",
        requirement=ApprovalRequirement(cr.required_approvals, cr.requires_finance).describe(),
        revenue_change=_revenue_text(cr.simulation))
        for cr, v, plan in found]


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
            old_properties=pretty_json(old.get("properties")) if old else "",
            new_properties=pretty_json(new.get("properties")) if new else "",
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
    names = user_names(session)
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
            comment=a.comment, at=timestamp_text(a.created_at)) for a in approvals],
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


# --- page-facing


def change_requests(*, status: str = "", plan_id: int | None = None) -> list[ChangeRequestRow]:
    """Change requests, newest first (``status="pending"`` for the review queue), for a page."""
    with read_session() as s:
        return change_request_rows(s, status=status, plan_id=plan_id)


def change_request(change_request_id: int, *, user_id: int | None = None
                   ) -> ChangeRequestDetail:
    """A change request with diff, simulation, approvals and the viewer's options, for a page.

    Raises:
        NotFound: when there is no such change request.
    """
    with read_session() as s:
        return change_request_detail(s, change_request_id, user_id)
