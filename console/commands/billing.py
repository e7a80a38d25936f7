"""Billing commands: ``usage import FILE`` and ``bill-run --period YYYY-MM``.

* ``python -m console usage import FILE.csv|FILE.jsonl`` validates and stores a usage file in one
  transaction and prints the report (inserted, duplicates, rejected lines with reasons). Exit
  codes: 0 accepted, 1 rejected (nothing was written), 2 unusable input (no such file, another
  extension).
* ``python -m console bill-run --period 2026-12 [--wave-percent 5] [--batch 500]`` creates (or
  reuses) the period's bill run and drafts its invoices with progress lines. Running it again
  drafts only what is missing; a larger ``--wave-percent`` on a paused run releases more
  customers. Exit codes: 0 done, 1 the run failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from console.kernel.actor import Actor

CLI_ACTOR = Actor.system("system:cli")
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def _period(text: str) -> tuple[int, int]:
    match = _PERIOD.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2026-12 (YYYY-MM)")
    return int(match.group(1)), int(match.group(2))


def _percent(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole percentage") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError("must be between 1 and 100")
    return value


def _batch(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError("must be between 1 and 100000")
    return value


def add_parsers(sub: Any) -> None:
    """Add ``usage`` and ``bill-run`` to the CLI."""
    up = sub.add_parser("usage", help="usage metering: import usage files")
    up_sub = up.add_subparsers(dest="usage_command", required=True)
    imp = up_sub.add_parser("import", help="import a .csv or .jsonl usage file (all or nothing)")
    imp.add_argument("file", help="path to a .csv (header row) or .jsonl file")
    br = sub.add_parser("bill-run", help="draft the invoices of a month (idempotent, resumable)")
    br.add_argument("--period", required=True, type=_period, metavar="YYYY-MM",
                    help="the calendar month to bill")
    br.add_argument("--wave-percent", type=_percent, default=None, metavar="N",
                    help="share of customers released first (1-100; default 100)")
    br.add_argument("--batch", type=_batch, default=500, metavar="N",
                    help="subscriptions per transaction (default 500)")


def usage_import(path: str) -> int:
    """Import a usage file and print its report; returns the exit code."""
    from console.billing import import_usage_file
    from console.kernel.errors import ServiceError

    try:
        report = import_usage_file(None, path, actor=CLI_ACTOR)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0 if report.accepted else 1


def bill_run(year: int, month: int, *, wave_percent: int | None, batch: int) -> int:
    """Start or resume a month's bill run with progress lines; returns the exit code."""
    from console import billing as billing
    from console.billing import month_period
    from console.kernel.errors import ServiceError
    from models.db import unit_of_work

    period = month_period(year, month)
    try:
        with unit_of_work() as s:
            run = billing.start_bill_run(s, period_start=period.start, period_end=period.end,
                                         actor=CLI_ACTOR, wave_percent=wave_percent or 100)
            run_id, released, status = run.id, run.released_percent, run.status
            fresh = run.processed == 0 and status == "pending"
        label = f"{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}"
        if fresh:
            print(f"bill run #{run_id} for {label}: releasing {released}% of customers")
        else:
            print(f"bill run #{run_id} for {label} exists ({status}, {released}% released): "
                  "drafting only what is missing")
            if wave_percent is not None and wave_percent > released:
                with unit_of_work() as s:
                    billing.release_wave(s, bill_run_id=run_id, percent=wave_percent,
                                         actor=CLI_ACTOR)
                print(f"  released {wave_percent}% of customers")
            elif wave_percent is not None and wave_percent < released:
                print(f"  note: {released}% are already released; --wave-percent "
                      f"{wave_percent} changes nothing")
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    shown = [-1]

    def progress(done: int, total: int) -> None:
        pct = (100 * done // total) if total else 100
        if pct != shown[0]:
            shown[0] = pct
            print(f"  {done:,}/{total:,} subscriptions drafted ({pct}%)", flush=True)

    try:
        outcome = billing.run_bill_run(None, bill_run_id=run_id, progress=progress, batch=batch,
                                       actor=CLI_ACTOR)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the run is marked failed; running the command again resumes
        print(f"error: the bill run failed ({type(exc).__name__}: {exc}); run the command "
              "again to resume", file=sys.stderr)
        return 1
    if outcome.created == 0:
        print(f"nothing new: {outcome.skipped_existing} invoices of this period already exist "
              "(no invoice was created)")
    print(f"{outcome.status}: {outcome.created} invoices created, "
          f"{outcome.skipped_existing} already existed, {outcome.not_released} not released "
          f"yet, in {outcome.seconds:.1f}s")
    if outcome.not_released:
        print(f"  review the first wave, then release the rest: python -m console bill-run "
              f"--period {year:04d}-{month:02d} --wave-percent 100")
    return 0


def handle(args: argparse.Namespace) -> int | None:
    """Run ``usage import`` or ``bill-run``; None for other commands."""
    if args.command == "usage" and args.usage_command == "import":
        return usage_import(args.file)
    if args.command == "bill-run":
        year, month = args.period
        return bill_run(year, month, wave_percent=args.wave_percent, batch=args.batch)
    return None
