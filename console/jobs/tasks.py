"""The work of each registered job: thin wrappers over the areas' public faces.

Each takes the clock (``now``, UTC) and returns a one-line summary; each acts as a system actor
named after the job, so the audit trail says which job changed what.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from console import catalog, collections, delivery, experiments, subscriptions
from console.kernel.actor import Actor
from models import JobRun
from models.db import unit_of_work


def _system(job: str) -> Actor:
    return Actor.system(f"system:job:{job}")


def dunning(now: datetime) -> str:
    """One dunning pass at ``now`` (charges, due retries, reminders, involuntary churn)."""
    report = collections.run_dunning(now=now, actor=_system("dunning"))
    return report.summary()


def experiments_due(now: datetime) -> str:
    """Start experiments scheduled for today or earlier; move due rollout members."""
    actor = _system("experiments-due")
    with unit_of_work() as s:
        started = experiments.start_due_experiments(s, on=now.date(), actor=actor)
    with unit_of_work() as s:
        moved = experiments.run_due_rollouts(s, on=now.date(), actor=actor)
    return f"{started} experiment(s) started, {moved} subscription(s) moved by rollouts"


def plan_migrations(now: datetime) -> str:
    """Apply scheduled plan migrations due on or before ``now``'s day."""
    with unit_of_work() as s:
        run = catalog.run_due_migrations(s, today=now.date(), actor=_system("plan-migrations"))
    return (f"{run.migrations} migration(s) looked at, {run.moved} subscription(s) moved, "
            f"{run.completed} completed")


def renewals(now: datetime) -> str:
    """Renew subscriptions whose period ended (cancel those set to end, apply experiment arms)."""
    return subscriptions.renew_due(now=now, actor=_system("renewals")).summary()


def mrr_ledger(now: datetime) -> str:
    """Bring the MRR ledger's months up to ``now``'s month in line with the subscription events."""
    return subscriptions.sync_ledger(now=now)


def deliver_webhooks(now: datetime) -> str:
    """Send due webhook deliveries (signed; retried with backoff; ordered per key)."""
    return delivery.deliver_due(now=now).summary()


def deliver_messages(now: datetime) -> str:
    """Send the outbox e-mails not sent yet (each at most once)."""
    return delivery.send_due_messages(now=now).summary()


def prune_job_history(now: datetime) -> str:
    """Forget finished job runs: successes whose slot is over 30 days old, failures over 90.

    Ages are counted on the slot (the scheduler's clock), and each job's latest run stays.
    """
    table = JobRun.__table__
    latest = sa.select(sa.func.max(table.c.id)).group_by(table.c.job)
    forgot = {}
    with unit_of_work() as s:
        for status, days in (("succeeded", 30), ("failed", 90)):
            forgot[status] = s.execute(sa.delete(table).where(
                table.c.status == status, table.c.slot < now - timedelta(days=days),
                table.c.id.not_in(latest))).rowcount
    return (f"forgot {forgot['succeeded']} successful and {forgot['failed']} failed "
            "run(s)")
