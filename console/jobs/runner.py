"""The tick that runs due jobs: embedded in the web process (``make run``) or in the
foreground of ``python -m console worker`` (production). APScheduler drives the tick; which
job runs which slot is decided by the claim table (:mod:`console.jobs.usecases`), so any number
of ticking processes run each slot once.
"""

from __future__ import annotations

import logging
import signal
from datetime import timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from console.jobs.usecases import FAILED, SUCCEEDED, run_due, worker_id
from console.kernel.settings import settings
from models.types import utcnow

log = logging.getLogger(__name__)
TICK_ID = "console-run-due"


def tick() -> None:
    """One pass: run what is due, log what ran (never raises: the next tick tries again)."""
    try:
        for result in run_due():
            if result.outcome == SUCCEEDED:
                log.info("job %s", result.line())
            elif result.outcome == FAILED:
                log.error("job %s", result.line())
    except Exception:
        log.exception("the job tick failed; trying again at the next tick")


def _add_tick(scheduler: BaseScheduler, *, first_in: float) -> None:
    scheduler.add_job(tick, "interval", seconds=settings().scheduler_tick_seconds, id=TICK_ID,
                      max_instances=1, coalesce=True, misfire_grace_time=None,
                      next_run_time=utcnow() + timedelta(seconds=first_in))


def start_embedded(*, first_in: float = 5.0) -> BackgroundScheduler | None:
    """Start the tick in a background thread of this process (None when
    ``CONSOLE_SCHEDULER=off``: a worker runs the jobs)."""
    if settings().scheduler == "off":
        log.info("job scheduler off in this process (CONSOLE_SCHEDULER=off)")
        return None
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_tick(scheduler, first_in=first_in)
    scheduler.start()
    log.info("job scheduler started in the web process: a tick every %s s",
             settings().scheduler_tick_seconds)
    return scheduler


def stop_embedded(scheduler: BackgroundScheduler | None) -> None:
    """Stop the embedded tick, letting a job that is running finish."""
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=True)
        log.info("job scheduler stopped")


def run_worker() -> int:
    """The tick in the foreground until SIGTERM or SIGINT; returns the exit code (0)."""
    scheduler = BlockingScheduler(timezone="UTC")
    _add_tick(scheduler, first_in=0.5)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker %s: %s received, stopping after the running job",
                 worker_id(), signal.Signals(signum).name)
        scheduler.shutdown(wait=True)  # lets a running job finish; start() then returns

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker %s: a tick every %s s", worker_id(), settings().scheduler_tick_seconds)
    scheduler.start()  # blocks until shutdown
    log.info("worker %s stopped", worker_id())
    return 0
