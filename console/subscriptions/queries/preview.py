"""The preview shown before a subscription change is confirmed: the credit and charge lines the
next invoice will carry (computed by the bill run's own code:
:func:`console.billing.preview_next_invoice`), the MRR change, the entitlements gained and
lost, and whether a second person must approve it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console import billing, reference
from console.kernel.errors import FieldErrors, ServiceError
from console.kernel.policy import policy
from console.money import MoneyError, format_minor, format_signed_minor, round_minor, to_major
from console.subscriptions.domain import (
    CHANGE_LABELS,
    ChangeKind,
    EntitlementChange,
    Grant,
    entitlement_change,
    needs_approval,
)
from console.subscriptions.queries.resolve import ChangeSpec, Resolved, parse_change, resolve
from models import Entitlement, Feature, Plan, PlanVersion
from models.db import read_session

#: Policy ``approval_thresholds`` key: the MRR change (reporting-currency minor units) above
#: which a subscription change needs a finance approval.
THRESHOLD_KEY = "subscription_mrr_change_minor"
THRESHOLD_DEFAULT = 100_000
REPORTING_CURRENCY = "USD"
#: Line kinds a change adds to the next invoice (a new subscription: its first charges too).
CHANGE_LINES = ("proration_credit", "proration_charge")
START_LINES = ("recurring", "seat", "one_time", "proration_charge", "proration_credit")
_LINE_LABELS = {"proration_credit": "Credit", "proration_charge": "Charge",
                "recurring": "Charge", "seat": "Charge", "one_time": "One-time charge"}


@dataclass(frozen=True)
class PreviewLine:
    """One line the next invoice will carry because of the change (amount before tax)."""

    label: str
    description: str
    amount: str
    amount_minor: int


@dataclass(frozen=True)
class ChangePreview:
    """What a change does, shown before it is confirmed."""

    title: str
    effective_on: str
    invoice_period: str
    lines: list[PreviewLine]
    lines_total: str
    lines_total_minor: int
    mrr_before: str
    mrr_after: str
    mrr_change: str
    mrr_change_minor: int
    version_before: str
    version_after: str
    gained: list[str]
    lost: list[str]
    changed: list[str]
    needs_approval: bool
    approval_text: str
    notes: list[str]


def threshold_minor(session: Session) -> int:
    """The approval threshold (reporting-currency minor units) from the policy settings."""
    value = policy(session, "approval_thresholds", {THRESHOLD_KEY: THRESHOLD_DEFAULT}).get(
        THRESHOLD_KEY, THRESHOLD_DEFAULT)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return THRESHOLD_DEFAULT


def in_reporting(session: Session, amount_minor: int, currency: str) -> int | None:
    """``amount_minor`` of ``currency`` in reporting-currency minor units (None: no rate)."""
    rate = reference.fx_rates(session, REPORTING_CURRENCY).get(currency)
    if rate is None:
        return None
    try:
        return round_minor(to_major(amount_minor, currency) * Decimal(rate), REPORTING_CURRENCY)
    except MoneyError:
        return None


def approval_needed(session: Session, resolved: Resolved) -> bool:
    """Whether the change's MRR change is above the approval threshold."""
    delta = in_reporting(session, resolved.mrr_delta, resolved.currency)
    return needs_approval(mrr_change_reporting_minor=delta,
                          threshold_minor=threshold_minor(session))


def grants(session: Session, version_id: int | None) -> dict[str, Grant]:
    """A version's entitlements by feature key."""
    if version_id is None:
        return {}
    rows = session.execute(
        sa.select(Feature.key, Feature.name, Entitlement.enabled, Entitlement.limit_value)
        .join(Feature, Feature.id == Entitlement.feature_id)
        .where(Entitlement.plan_version_id == version_id)).all()
    return {key: Grant(key, name, bool(enabled), limit) for key, name, enabled, limit in rows}


def version_label(session: Session, version_id: int | None) -> str:
    """``Team v2`` (— for none)."""
    if version_id is None:
        return "—"
    row = session.execute(sa.select(Plan.name, PlanVersion.number)
                          .join(Plan, Plan.id == PlanVersion.plan_id)
                          .where(PlanVersion.id == version_id)).first()
    return f"{row.name} v{row.number}" if row else "—"


def _entitlements(session: Session, r: Resolved) -> EntitlementChange:
    before = r.before.plan_version_id if r.before is not None and \
        r.before.status != "canceled" else None
    after = r.after.plan_version_id if r.status_after != "canceled" else None
    if r.spec.kind in (ChangeKind.CANCEL_AT_PERIOD_END, ChangeKind.UNDO_CANCEL):
        after = before
    return entitlement_change(grants(session, before), grants(session, after))


def invoice_lines(session: Session, r: Resolved) -> tuple[list[Any], str]:
    """The lines the change puts on the next invoice, and that invoice's period label.

    Cancelling at the period end (or undoing it) changes no invoice line.
    """
    if r.spec.kind in (ChangeKind.CANCEL_AT_PERIOD_END, ChangeKind.UNDO_CANCEL):
        return [], ""
    on = r.event_on
    draft = billing.preview_next_invoice(session, r.after, on=on)
    kinds = START_LINES if r.before is None else CHANGE_LINES
    period = billing.month_period(on.year, on.month)
    return [line for line in draft.lines if line.kind in kinds], period.label()


def build_preview(session: Session, r: Resolved) -> ChangePreview:
    """The preview of a worked-out change."""
    cur = r.currency
    lines, period = invoice_lines(session, r)
    total = sum(line.amount_minor for line in lines)
    change = _entitlements(session, r)
    approval = approval_needed(session, r)
    version_before = version_label(session, r.before.plan_version_id if r.before else None)
    version_after = version_label(session, r.after.plan_version_id)
    title = CHANGE_LABELS[r.spec.kind]
    if version_before != version_after and r.before is not None:
        title += f": {version_before} → {version_after}"
    elif r.before is None:
        title += f": {version_after}"
    notes = list(r.notes)
    if r.spec.kind == ChangeKind.CANCEL_AT_PERIOD_END:
        notes.append(f"The subscription ends after {r.period[1].isoformat()}; nothing more is "
                     "billed after that period.")
    return ChangePreview(
        title=title, effective_on=r.event_on.isoformat(), invoice_period=period,
        lines=[PreviewLine(_LINE_LABELS.get(line.kind, "Charge"), line.description,
                           format_minor(line.amount_minor, cur), line.amount_minor)
               for line in lines],
        lines_total=format_signed_minor(total, cur), lines_total_minor=total,
        mrr_before=format_minor(r.mrr_before, cur), mrr_after=format_minor(r.mrr_after, cur),
        mrr_change=format_signed_minor(r.mrr_delta, cur), mrr_change_minor=r.mrr_delta,
        version_before=version_before, version_after=version_after,
        gained=list(change.gained), lost=list(change.lost), changed=list(change.changed),
        needs_approval=approval,
        approval_text=("The MRR change is above the approval threshold: a finance colleague "
                       "must approve it before it takes effect." if approval else
                       "Takes effect as soon as you confirm."),
        notes=notes)


def preview_change(session: Session, spec: ChangeSpec, *, on: date | None = None
                   ) -> ChangePreview:
    """The preview of a change (nothing is written)."""
    return build_preview(session, resolve(session, spec, on=on))


# --- page-facing

@dataclass(frozen=True)
class PreviewResult:
    """A preview for the page, or why there is none (field -> message for the form)."""

    ok: bool
    message: str
    preview: ChangePreview | None
    errors: dict[str, str]


def preview_view(customer_id: int, form: Mapping[str, Any]) -> PreviewResult:
    """Page-facing preview of the change described by a form (its own read session)."""
    try:
        spec = parse_change(form, customer_id=customer_id)
        with read_session() as s:
            return PreviewResult(True, "", preview_change(s, spec), {})
    except FieldErrors as exc:
        return PreviewResult(False, str(exc), None, exc.errors)
    except ServiceError as exc:
        return PreviewResult(False, str(exc), None, {})
