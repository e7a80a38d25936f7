"""The dunning run: one pass at a given time over what is due, one transaction per invoice.

Failed collections are followed through to involuntary churn (and back on payment):
:mod:`console.collections.usecases.charges` charges and schedules retries,
:mod:`console.collections.usecases.involuntary_churn` moves the subscriptions. The run is
safe when two runners work at once (attempts are claimed before the provider is called, keys
are unique) and the clock is a parameter, so tests and the CLI can walk the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from console.collections.domain import PaymentProvider
from console.collections.queries.dunning import (
    cancel_candidates,
    due_attempt_ids,
    dunning_settings,
    new_invoice_ids,
)
from console.collections.usecases.charges import (
    NOTHING_OPEN,
    AttemptResult,
    charge_invoice,
    get_provider,
    run_attempt,
)
from console.collections.usecases.involuntary_churn import cancel_involuntary
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import ServiceError
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import Invoice, PaymentAttempt, Subscription
from models.db import read_session, unit_of_work
from models.types import utcnow

SYSTEM = Actor.system("system:dunning")


@dataclass
class DunningReport:
    """What a dunning run did."""

    now: datetime
    charged: int = 0
    succeeded: int = 0
    failed: int = 0
    exhausted: int = 0
    canceled: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CLI and the page."""
        text = (f"dunning at {self.now:%Y-%m-%d %H:%M} UTC: {self.charged} attempts "
                f"({self.succeeded} paid, {self.failed} failed), {self.exhausted} exhausted, "
                f"{self.canceled} subscriptions canceled")
        return text + (f", {len(self.errors)} errors" if self.errors else "")

    def tally(self, result: AttemptResult) -> None:
        """Count an attempt (a replayed or canceled one charged nothing)."""
        if result.replayed or result.status == "canceled":
            return
        self.charged += 1
        self.succeeded += result.status == "succeeded"
        self.failed += result.status == "failed"
        self.exhausted += result.exhausted


def run_dunning(*, now: datetime | None = None, engine: sa.Engine | None = None,
                provider: PaymentProvider | None = None, actor: Actor = SYSTEM,
                limit: int = 10_000) -> DunningReport:
    """One dunning pass at ``now``, one transaction per invoice:

    1. first charges of issued invoices that have none yet (policy ``dunning.auto_charge``),
    2. retries that are due,
    3. involuntary cancellation of past-due subscriptions whose grace ran out.

    Args:
        now: the clock (defaults to now).
        engine: the database (default: the process engine).
        provider: the payment provider (default
            :func:`~console.collections.usecases.charges.get_provider`).
        actor: who runs it (the system by default).
        limit: at most this many invoices per step.

    Returns:
        The counts of what happened.
    """
    now = now or utcnow()
    provider = provider or get_provider()
    report = DunningReport(now)
    with read_session(engine) as s:
        auto = bool(dunning_settings(s).get("auto_charge", True))
        new_ids = new_invoice_ids(s, now, limit) if auto else []
        due_ids = due_attempt_ids(s, now, limit)
    for invoice_id in new_ids:
        try:
            with unit_of_work(engine) as s:
                report.tally(charge_invoice(s, invoice_id=invoice_id, actor=actor, now=now,
                                            provider=provider))
        except sa.exc.IntegrityError:
            continue  # another runner made this attempt first (unique idempotency key)
        except ServiceError as exc:
            if str(exc) != NOTHING_OPEN:
                report.errors.append(f"invoice {invoice_id}: {exc}")
    for attempt_id in due_ids:
        try:
            with unit_of_work(engine) as s:
                a = s.get(PaymentAttempt, attempt_id)
                if a is not None and a.status == "scheduled":
                    report.tally(run_attempt(s, a, actor=actor, now=now, provider=provider))
        except ServiceError as exc:
            report.errors.append(f"attempt {attempt_id}: {exc}")
    with read_session(engine) as s:
        candidates = cancel_candidates(s, now)
    for sub_id, inv_id in candidates:
        try:
            with unit_of_work(engine) as s:
                sub = s.execute(sa.select(Subscription).where(Subscription.id == sub_id)
                                .execution_options(populate_existing=True)).scalar_one()
                if cancel_involuntary(s, sub, s.get(Invoice, inv_id), actor=actor,
                                      now=now) is not None:
                    report.canceled += 1
        except ServiceError as exc:
            report.errors.append(f"subscription {sub_id}: {exc}")
    return report


# --- page-facing


def run_dunning_view(*, user_id: int, now: datetime | None = None) -> DunningReport:
    """Page-facing :func:`run_dunning` run by a finance user (re-checks the permission).

    Raises:
        NotAllowed: the user may not manage collections.
    """
    with unit_of_work() as s:
        actor = actor_for(s, user_id)
        require(s, actor, Permission.MANAGE_COLLECTIONS, system=True)
    return run_dunning(now=now, actor=actor)
