"""Running jobs: claim a slot in ``job_run``, run the job, record how it went.

A slot is claimed with one ``INSERT ... ON CONFLICT (job, slot) DO NOTHING RETURNING id``:
two workers (threads, processes or hosts) racing for the same slot get one row, and only the
worker that got the id runs the job. A ``running`` claim older than the lease
(``CONSOLE_JOB_LEASE_MINUTES``, wall-clock time) is taken as crashed and may be claimed again
by a conditional update. Missed slots coalesce: only the latest slot at or before ``now`` is
due, and only when no run of the job has a slot at or after it (a catch-up after downtime runs
once, and a manual run covers the slots before it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from console.audit import record
from console.jobs.domain import latest_fire, normalize, parse_schedule, schedule_words
from console.jobs.queries import duration_text, schedules_since
from console.jobs.registry import JOBS, JobSpec, job
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, FieldError, ServiceError
from console.kernel.metrics import JOB_RUNS, JOB_SECONDS
from console.kernel.outcome import Outcome
from console.kernel.permissions import require
from console.kernel.process import worker_name
from console.kernel.roles import Permission
from console.kernel.settings import settings
from models import JobRun, JobSchedule
from models.db import get_engine, read_session, unit_of_work
from models.types import utcnow

log = logging.getLogger(__name__)

#: Outcomes of :func:`run_due` per job.
SUCCEEDED, FAILED = "succeeded", "failed"
ALREADY_RAN, RUNNING_ELSEWHERE, NOT_DUE = "already ran", "running elsewhere", "not due"


@dataclass(frozen=True)
class RunResult:
    """What happened to one job in one pass."""

    job: str
    slot: datetime | None
    outcome: str
    summary: str = ""
    error: str = ""
    duration_ms: int = 0

    def line(self) -> str:
        """One line for the CLI: ``dunning  succeeded in 120 ms: ...``."""
        head = f"{self.job:<18} {self.outcome}"
        if self.outcome in (SUCCEEDED, FAILED):
            head += f" in {self.duration_ms} ms"
        text = self.error or self.summary
        return f"{head}: {text}" if text else head


def worker_id() -> str:
    """This process's name in ``job_run.worker``: host and pid."""
    return worker_name()


def _insert(engine: sa.Engine):
    return (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(
        JobRun.__table__)


def claim(*, job_name: str, slot: datetime, worker: str, trigger: str = "schedule",
          requested_by: int | None = None) -> tuple[int | None, str]:
    """Claim ``(job, slot)`` for ``worker``.

    Returns:
        ``(run id, "")`` when this worker got it; ``(None, status)`` with the status of the
        run that holds the slot otherwise.
    """
    engine = get_engine()
    table = JobRun.__table__
    started = utcnow()
    stmt = _insert(engine).values(
        job=job_name, slot=slot, status="running", trigger=trigger, worker=worker[:128],
        requested_by=requested_by, claims=1, started_at=started,
    ).on_conflict_do_nothing(index_elements=["job", "slot"]).returning(table.c.id)
    lease = timedelta(minutes=settings().job_lease_minutes)
    with unit_of_work() as s:
        run_id = s.execute(stmt).scalar_one_or_none()
        if run_id is not None:
            return int(run_id), ""
        # A crashed worker's claim past its lease may be taken over (once: conditional).
        run_id = s.execute(
            sa.update(table)
            .where(table.c.job == job_name, table.c.slot == slot, table.c.status == "running",
                   table.c.started_at < started - lease)
            .values(worker=worker[:128], started_at=started, claims=table.c.claims + 1,
                    trigger=trigger, requested_by=requested_by)
            .returning(table.c.id)).scalar_one_or_none()
        if run_id is not None:
            log.warning("job %s slot %s: took over a claim older than %s", job_name, slot, lease)
            return int(run_id), ""
        status = s.execute(sa.select(table.c.status).where(
            table.c.job == job_name, table.c.slot == slot)).scalar_one_or_none()
    return None, status or "running"


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ServiceError):
        return str(exc)
    first = (str(exc).strip().splitlines() or [""])[0]
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return text[:1000]


def execute(spec: JobSpec, *, run_id: int, slot: datetime | None, now: datetime,
            worker: str) -> RunResult:
    """Run a claimed job and record its outcome on the ``job_run`` row (never raises for the
    job's own failure: the error is recorded and returned). The outcome is written only while
    ``worker`` still holds the claim (a claim taken over after its lease stays the new
    holder's)."""
    started = time.perf_counter()
    summary, error = "", ""
    try:
        summary = str(spec.run(now) or "")
        outcome = SUCCEEDED
    except Exception as exc:  # a failing job must not stop the others
        log.exception("job %s failed", spec.name)
        outcome, error = FAILED, _error_text(exc)
    elapsed = time.perf_counter() - started
    duration_ms = round(elapsed * 1000)
    table = JobRun.__table__
    with unit_of_work() as s:
        held = s.execute(sa.update(table).where(
            table.c.id == run_id, table.c.worker == worker[:128]).values(
            status=outcome, finished_at=utcnow(), duration_ms=duration_ms,
            summary=summary[:2000] or None, error=error or None)).rowcount
    if held != 1:
        log.warning("job %s: the claim was taken over before it finished (%s)", spec.name,
                    outcome)
    JOB_RUNS.labels(job=spec.name, outcome=outcome).inc()
    JOB_SECONDS.labels(job=spec.name).observe(elapsed)
    return RunResult(spec.name, slot, outcome, summary, error, duration_ms)


def _since(session: Session, name: str, slot: datetime) -> str:
    """How the runs at or after ``slot`` stand: "" (none, or only crashed claims),
    ``running`` (one is in progress) or ``done``."""
    table = JobRun.__table__
    rows = session.execute(sa.select(table.c.status, table.c.started_at).where(
        table.c.job == name, table.c.slot >= slot)).all()
    cutoff = utcnow() - timedelta(minutes=settings().job_lease_minutes)
    if any(status != "running" for status, _ in rows):
        return "done"
    if any(started >= cutoff for _, started in rows):
        return "running"
    return ""


def run_due(now: datetime | None = None, *, worker: str | None = None,
            jobs: Sequence[JobSpec] = JOBS) -> list[RunResult]:
    """Run every job whose latest slot at or before ``now`` has not run yet.

    Args:
        now: the clock (default: now, UTC).
        worker: the name recorded on claims (default: host and pid).
        jobs: the registry to use (tests pass their own).

    Returns:
        One result per job, in registry order; a failing job records its error and the
        others still run.
    """
    now = now or utcnow()
    worker = worker or worker_id()
    with read_session() as s:
        schedules = schedules_since(s, jobs)
    results = []
    for spec in jobs:
        cron, since = schedules[spec.name]
        try:
            slot = latest_fire(parse_schedule(cron), now)
        except FieldError as exc:
            results.append(RunResult(spec.name, None, FAILED, error=str(exc)))
            continue
        if slot is None or (since is not None and slot < since):
            results.append(RunResult(spec.name, slot, NOT_DUE))
            continue
        with read_session() as s:
            since = _since(s, spec.name, slot)
        if since:
            results.append(RunResult(spec.name, slot,
                                     RUNNING_ELSEWHERE if since == "running" else ALREADY_RAN))
            continue
        run_id, holder = claim(job_name=spec.name, slot=slot, worker=worker)
        if run_id is None:
            results.append(RunResult(spec.name, slot,
                                     RUNNING_ELSEWHERE if holder == "running" else ALREADY_RAN))
            continue
        results.append(execute(spec, run_id=run_id, slot=slot, now=now, worker=worker))
    return results


def run_job(name: str, *, actor: Actor, now: datetime | None = None,
            worker: str | None = None, jobs: Sequence[JobSpec] = JOBS) -> RunResult:
    """Run one job now, by hand (a person with the job's permission, or the CLI).

    The run gets the current second as its slot and is recorded with who asked for it.

    Raises:
        NotAllowed: without the job's permission. NotFound: no such job.
        Conflict: while another run of the job is in progress.
    """
    spec = job(name, tuple(jobs))
    with unit_of_work() as s:
        require(s, actor, spec.permission, system=True)
        table = JobRun.__table__
        lease = timedelta(minutes=settings().job_lease_minutes)
        busy = s.execute(sa.select(table.c.worker).where(
            table.c.job == spec.name, table.c.status == "running",
            table.c.started_at >= utcnow() - lease).limit(1)).scalar_one_or_none()
    if busy is not None:
        raise Conflict(f"{spec.title} is running now (on {busy}); wait for it to finish. "
                       "Nothing was run.")
    slot = utcnow().replace(microsecond=0)
    worker = worker or worker_id()
    run_id, _ = claim(job_name=spec.name, slot=slot, worker=worker, trigger="manual",
                      requested_by=actor.user_id)
    if run_id is None:
        raise Conflict(f"{spec.title} was started by someone else this very second. "
                       "Nothing was run.")
    return execute(spec, run_id=run_id, slot=slot, now=now or utcnow(), worker=worker)


def set_schedule(session: Session, *, actor: Actor, name: str, cron: str,
                 expect_version: int | None = None) -> str:
    """Give a job another schedule (audited), in force from now on: its fire times before
    this moment are not due (no catch-up run because of a change).

    Returns:
        The schedule now in force (normalized).

    Raises:
        FieldError: on ``schedule`` for an expression that cannot be parsed (nothing changed).
        NotAllowed, NotFound, Conflict (someone else changed it first).
    """
    require(session, actor, Permission.RUN_JOBS)
    spec = job(name)
    parse_schedule(cron)
    new = normalize(cron)
    row = session.execute(sa.select(JobSchedule).where(JobSchedule.job == spec.name)
                          ).scalar_one_or_none()
    before = row.cron if row is not None else spec.schedule
    if row is not None and expect_version is not None and row.version != expect_version:
        raise Conflict("This job's schedule was changed by someone else; reload to see the "
                       "change. Nothing was changed.")
    if new == normalize(before):
        return new
    if row is None:
        session.add(JobSchedule(job=spec.name, cron=new, updated_by=actor.user_id,
                                updated_at=utcnow()))
    else:
        conditional_update(session, row, cron=new, updated_by=actor.user_id,
                           updated_at=utcnow())
    record(session, actor=actor, action="job.schedule_changed", object_type="job",
           object_id=spec.name, before={"schedule": before}, after={"schedule": new})
    return new


# --- page-facing

def run_now(user_id: int, name: str) -> Outcome:
    """"Run now" on the Jobs page: the outcome to show (ok only when the job succeeded)."""
    try:
        with read_session() as s:
            actor = actor_for(s, user_id)
        result = run_job(name, actor=actor)
    except ServiceError as exc:
        return Outcome(False, str(exc))
    title = job(name).title
    took = duration_text(result.duration_ms)
    if result.outcome == SUCCEEDED:
        return Outcome(True, f"{title} ran in {took}: {result.summary or 'done'}.")
    return Outcome(False, f"{title} failed after {took}: {result.error}")


def change_schedule(user_id: int, name: str, cron: str) -> Outcome:
    """The Jobs page's schedule form."""
    try:
        with unit_of_work() as s:
            new = set_schedule(s, actor=actor_for(s, user_id), name=name, cron=cron)
    except ServiceError as exc:
        return Outcome(False, str(exc))
    return Outcome(True, f"{job(name).title} now runs {schedule_words(new)}.")
