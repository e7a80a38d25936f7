"""Scheduled jobs: the registry, the claim table that runs each slot once, the tick (embedded
or ``python -m console worker``), and the Jobs page's reads and actions."""

from console.jobs.domain import parse_schedule, schedule_words
from console.jobs.queries import (
    JobRow,
    RunRow,
    effective_schedules,
    history_view,
    job_rows,
    jobs_view,
    recent_runs,
)
from console.jobs.registry import JOBS, JobSpec, job
from console.jobs.runner import run_worker, start_embedded, stop_embedded, tick
from console.jobs.usecases import (
    ALREADY_RAN,
    FAILED,
    NOT_DUE,
    RUNNING_ELSEWHERE,
    SUCCEEDED,
    RunResult,
    change_schedule,
    claim,
    run_due,
    run_job,
    run_now,
    set_schedule,
    worker_id,
)

__all__ = [
    "ALREADY_RAN",
    "FAILED",
    "JOBS",
    "NOT_DUE",
    "RUNNING_ELSEWHERE",
    "SUCCEEDED",
    "JobRow",
    "JobSpec",
    "RunResult",
    "RunRow",
    "change_schedule",
    "claim",
    "effective_schedules",
    "history_view",
    "job",
    "job_rows",
    "jobs_view",
    "parse_schedule",
    "recent_runs",
    "run_due",
    "run_job",
    "run_now",
    "run_worker",
    "schedule_words",
    "set_schedule",
    "start_embedded",
    "stop_embedded",
    "tick",
    "worker_id",
]
