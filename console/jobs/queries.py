"""Reads of scheduled jobs for the Jobs page and ``jobs list``: schedules in force, last and
next runs, recent history (preformatted, plain words)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from console.jobs.domain import next_fire, parse_schedule, schedule_words
from console.jobs.registry import JOBS, JobSpec
from console.kernel.errors import FieldError
from models import JobRun, JobSchedule, User
from models.db import read_session
from models.types import utcnow

_OUTCOME = {"succeeded": ("Succeeded", "green"), "failed": ("Failed", "red"),
            "running": ("Running", "blue")}


@dataclass(frozen=True)
class JobRow:
    """One job on the Jobs page."""

    name: str
    title: str
    description: str
    schedule: str
    schedule_text: str
    default_schedule: str
    custom: bool
    last_when: str
    last_duration: str
    last_outcome: str
    last_tone: str
    last_detail: str
    last_by: str
    next_run: str
    running: bool


@dataclass(frozen=True)
class RunRow:
    """One past run."""

    id: int
    job: str
    title: str
    when: str
    by: str
    duration: str
    outcome: str
    tone: str
    detail: str


def when_text(value: datetime | None) -> str:
    """``2026-12-03 16:05 UTC`` (empty for None)."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def duration_text(ms: int | None) -> str:
    """``850 ms``, ``12.3 s``, ``4 min 5 s`` (empty for None)."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms // 60_000} min {(ms % 60_000) // 1000} s"


def effective_schedules(session: Session, jobs: Sequence[JobSpec] = JOBS) -> dict[str, str]:
    """Each job's schedule in force: an admin's (``job_schedule``) or the registry default."""
    return {name: cron for name, (cron, _) in schedules_since(session, jobs).items()}


def schedules_since(session: Session, jobs: Sequence[JobSpec] = JOBS
                    ) -> dict[str, tuple[str, datetime | None]]:
    """Each job's schedule in force and since when (None: the registry default, always).

    A schedule applies from the moment it was set: its fire times before that are not due
    (the old schedule's runs covered that time).
    """
    custom = {job: (cron, since) for job, cron, since in session.execute(
        sa.select(JobSchedule.job, JobSchedule.cron, JobSchedule.updated_at)).all()}
    return {j.name: custom.get(j.name, (j.schedule, None)) for j in jobs}


def _by(run: JobRun, emails: dict[int, str]) -> str:
    if run.trigger == "manual":
        who = emails.get(run.requested_by or 0, "the command line")
        return f"run by {who}" if run.requested_by else "run from the command line"
    return "on schedule"


def _row_of(run: JobRun, title: str, emails: dict[int, str]) -> RunRow:
    outcome, tone = _OUTCOME.get(run.status, (run.status.capitalize(), "gray"))
    return RunRow(int(run.id or 0), run.job, title, when_text(run.started_at), _by(run, emails),
                  duration_text(run.duration_ms), outcome, tone,
                  run.error or run.summary or "")


def _emails(session: Session, runs: Sequence[JobRun]) -> dict[int, str]:
    ids = {r.requested_by for r in runs if r.requested_by}
    if not ids:
        return {}
    return dict(session.execute(sa.select(User.id, User.email).where(User.id.in_(ids))).all())


def job_rows(session: Session, *, now: datetime | None = None,
             jobs: Sequence[JobSpec] = JOBS) -> list[JobRow]:
    """Every job with its schedule in words, last run and next run."""
    now = now or utcnow()
    schedules = effective_schedules(session, jobs)
    out = []
    for spec in jobs:
        last = session.execute(sa.select(JobRun).where(JobRun.job == spec.name)
                               .order_by(JobRun.slot.desc()).limit(1)).scalar_one_or_none()
        cron = schedules[spec.name]
        try:
            upcoming = when_text(next_fire(parse_schedule(cron), now))
        except FieldError:
            upcoming = "never (the schedule cannot be read)"
        if last is None:
            out.append(JobRow(spec.name, spec.title, spec.description, cron,
                              schedule_words(cron), spec.schedule, cron != spec.schedule,
                              "", "", "Not run yet", "gray", "", "", upcoming, False))
            continue
        row = _row_of(last, spec.title, _emails(session, [last]))
        out.append(JobRow(spec.name, spec.title, spec.description, cron, schedule_words(cron),
                          spec.schedule, cron != spec.schedule, row.when, row.duration,
                          row.outcome, row.tone, row.detail, row.by, upcoming,
                          last.status == "running"))
    return out


def recent_runs(session: Session, *, limit: int = 30, job: str = "",
                jobs: Sequence[JobSpec] = JOBS) -> list[RunRow]:
    """The latest runs, newest first (of one job when ``job`` is given)."""
    titles = {j.name: j.title for j in jobs}
    stmt = sa.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job:
        stmt = stmt.where(JobRun.job == job)
    runs = session.execute(stmt).scalars().all()
    emails = _emails(session, runs)
    return [_row_of(r, titles.get(r.job, r.job), emails) for r in runs]


# --- page-facing

def jobs_view() -> list[JobRow]:
    """The Jobs page's table."""
    with read_session() as s:
        return job_rows(s)


def history_view(job: str = "", limit: int = 30) -> list[RunRow]:
    """The Jobs page's recent runs."""
    with read_session() as s:
        return recent_runs(s, job=job, limit=limit)
