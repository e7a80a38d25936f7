"""The job registry: every scheduled job of the console, one line each.

A job is a stable name, a title, a default schedule (five-field cron in UTC, see
:mod:`console.jobs.domain.schedule`), the permission needed to run it by hand, and
``run(now) -> str`` (a one-line summary) that does its work in its own transactions and is
idempotent (running the same due work twice changes nothing the second time). Adding a job is
one :class:`JobSpec` line in :data:`JOBS`; the function usually lives in its area and is wrapped
in :mod:`console.jobs.tasks` when its signature differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from console.jobs import tasks
from console.jobs.domain import parse_schedule
from console.kernel.errors import NotFound
from console.kernel.roles import Permission


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job (see the module docstring)."""

    name: str
    title: str
    schedule: str
    run: Callable[[datetime], str]
    permission: Permission = Permission.RUN_JOBS
    description: str = ""


JOBS: tuple[JobSpec, ...] = (
    JobSpec("dunning", "Payment retries and reminders", "0 2 * * *", tasks.dunning,
            description="Charges new invoices, runs due payment retries, writes reminders and "
                        "cancels subscriptions whose retries ran out."),
    JobSpec("experiments-due", "Experiment starts and rollout moves", "5 * * * *",
            tasks.experiments_due,
            description="Starts approved experiments whose day has come and moves due rollout "
                        "members."),
    JobSpec("renewals", "Subscription renewals", "10 * * * *", tasks.renewals,
            description="Advances subscriptions whose period ended (annual plans by a year), "
                        "ends those set to cancel at the period end and gives customers in a "
                        "running experiment their arm's plan version."),
    JobSpec("plan-migrations", "Scheduled plan migrations", "30 1 * * *",
            tasks.plan_migrations,
            description="Moves subscribers of scheduled plan migrations whose date has come."),
    JobSpec("mrr-ledger", "MRR ledger months", "50 2 * * *", tasks.mrr_ledger,
            description="Writes each month's MRR ledger from the subscription events, so a new "
                        "month gets its rows and moves by migrations and renewals count."),
    JobSpec("deliver-webhooks", "Webhook delivery", "* * * * *", tasks.deliver_webhooks,
            description="Sends due signed webhook events; failed ones are retried with backoff."),
    JobSpec("deliver-messages", "E-mail outbox", "*/5 * * * *", tasks.deliver_messages,
            description="Sends the e-mails in the outbox (dunning reminders, notices)."),
    JobSpec("job-history", "Job history upkeep", "45 3 * * *", tasks.prune_job_history,
            description="Forgets successful job runs older than 30 days (failures: 90 days)."),
)


def _check(jobs: tuple[JobSpec, ...]) -> None:
    names = [j.name for j in jobs]
    if len(names) != len(set(names)):
        raise ValueError(f"job names must be unique: {names}")
    for job in jobs:
        parse_schedule(job.schedule)


_check(JOBS)


def job(name: str, jobs: tuple[JobSpec, ...] = JOBS) -> JobSpec:
    """The job called ``name``.

    Raises:
        NotFound: with a plain message when there is no such job.
    """
    for spec in jobs:
        if spec.name == name:
            return spec
    raise NotFound(f"There is no job called {name!r}. Nothing was run.")
