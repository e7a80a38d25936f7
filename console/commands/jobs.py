"""``python -m console jobs list | run-due [--now D] | run NAME`` and ``python -m console worker``.

* ``jobs run-due`` runs every job whose latest slot is due and not yet run, once, in the
  foreground, and prints each job's outcome (exit 1 when a job failed). ``--now 2027-01-20``
  sets the clock to the end of that day (UTC); ``--now 2027-01-20T09:00:00+00:00`` to an instant.
* ``jobs run NAME`` runs one job now, whatever its schedule (recorded as a manual run).
* ``worker`` ticks every ``CONSOLE_SCHEDULER_TICK_SECONDS`` in the foreground until SIGTERM or
  SIGINT (production; set ``CONSOLE_SCHEDULER=off`` on the web processes then).
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time
from typing import Any


def parse_now(text: str) -> datetime:
    """``YYYY-MM-DD`` (the end of that day, UTC) or an ISO instant with an offset."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(23, 59, 59), UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a day like 2027-01-20 or a time like 2027-01-20T09:00:00+00:00"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time with an offset, e.g. +00:00")
    return value.astimezone(UTC)


def add_parsers(sub: Any) -> None:
    """Add ``jobs`` and ``worker``."""
    p = sub.add_parser("jobs", help="scheduled jobs: list, run what is due, run one now")
    jsub = p.add_subparsers(dest="jobs_command", required=True)
    jsub.add_parser("list", help="schedules, last and next runs")
    rd = jsub.add_parser("run-due", help="run every due job once, in the foreground")
    rd.add_argument("--now", type=parse_now, default=None,
                    help="the clock: YYYY-MM-DD (that day's end, UTC) or an ISO instant")
    one = jsub.add_parser("run", help="run one job now, whatever its schedule")
    one.add_argument("name", help="the job's name (see jobs list)")
    sub.add_parser("worker", help="run the job scheduler in the foreground (production)")


def _list() -> int:
    from console.jobs import job_rows
    from models.db import read_session

    with read_session() as s:
        rows = job_rows(s)
    for r in rows:
        last = (f"{r.last_outcome} {r.last_when} ({r.last_duration}, {r.last_by})"
                if r.last_when else r.last_outcome)
        print(f"{r.name:<18} {r.schedule:<14} {r.schedule_text}")
        print(f"{'':<18} last: {last}")
        if r.last_detail:
            print(f"{'':<18}       {r.last_detail}")
        print(f"{'':<18} next: {r.next_run}")
    return 0


def _run_due(now: datetime | None) -> int:
    from console.jobs import FAILED, run_due

    results = run_due(now)
    for result in results:
        print(result.line())
    return 1 if any(r.outcome == FAILED for r in results) else 0


def _run_one(name: str) -> int:
    from console.jobs import FAILED, run_job
    from console.kernel.actor import Actor
    from console.kernel.errors import ServiceError

    try:
        result = run_job(name, actor=Actor.system("system:cli"))
    except ServiceError as exc:
        print(exc)
        return 2
    print(result.line())
    return 1 if result.outcome == FAILED else 0


def handle(args: argparse.Namespace) -> int | None:
    """Run ``jobs ...`` or ``worker``; None for commands this module does not own."""
    if args.command == "worker":
        import logging

        from console.jobs import run_worker

        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return run_worker()
    if args.command != "jobs":
        return None
    if args.jobs_command == "list":
        return _list()
    if args.jobs_command == "run-due":
        return _run_due(args.now)
    return _run_one(args.name)
