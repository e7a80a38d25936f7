"""``python -m console dunning run [--today YYYY-MM-DD | --now ISO-8601]``: one dunning pass.

Charges issued invoices not yet attempted, runs the retries that are due, and cancels
past-due subscriptions whose grace period has run out (see
:mod:`console.collections.usecases.payments`).
``--today`` processes everything due by the end of that day (UTC); ``--now`` an exact instant.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time
from typing import Any


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-30") from None


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2026-11-30T09:00:00+00:00"
                                         ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time with an offset, e.g. +00:00")
    return value.astimezone(UTC)


def add_parsers(sub: Any) -> None:
    """Add ``dunning run``."""
    p = sub.add_parser("dunning", help="payment retries and involuntary churn")
    dsub = p.add_subparsers(dest="dunning_command", required=True)
    run = dsub.add_parser("run", help="one dunning pass (charges, due retries, cancellations)")
    when = run.add_mutually_exclusive_group()
    when.add_argument("--today", type=_day, default=None,
                      help="process everything due by the end of this day (UTC)")
    when.add_argument("--now", type=_instant, default=None, help="the exact clock to use")


def when_of(args: argparse.Namespace) -> datetime | None:
    """The clock the arguments ask for (None: now)."""
    if getattr(args, "now", None) is not None:
        return args.now
    if getattr(args, "today", None) is not None:
        return datetime.combine(args.today, time(23, 59, 59), UTC)
    return None


def handle(args: argparse.Namespace) -> int | None:
    """Run ``dunning run``; None for commands this module does not own."""
    if args.command != "dunning":
        return None
    from console.collections import run_dunning
    from console.kernel.actor import Actor

    report = run_dunning(now=when_of(args), actor=Actor.system("system:cli"))
    print(report.summary())
    for line in report.errors[:20]:
        print(f"  {line}")
    return 0
