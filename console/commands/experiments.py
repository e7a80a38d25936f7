"""``python -m console experiments-due``: the scheduled upkeep of experiments and rollouts.

Starts approved experiments whose start date has come, moves rollout members whose renewal
or stage date has come, checks the guardrails of running rollouts (a breach pauses them) and
refreshes the results of running experiments. Safe to run as often as wanted (cron, systemd
timer): every step is idempotent.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``experiments-due``."""
    p = sub.add_parser("experiments-due",
                       help="start scheduled experiments, move due rollout members, check "
                            "rollout guardrails, refresh experiment results")
    p.add_argument("--on", type=date.fromisoformat, default=None,
                   help="the day to act for (default today, UTC)")


def handle(args: argparse.Namespace) -> int | None:
    """Run ``experiments-due``; None for other commands."""
    if args.command != "experiments-due":
        return None
    import sqlalchemy as sa

    from console.experiments import (
        check_rollout_guardrails,
        refresh_results,
        run_due_rollouts,
        start_due_experiments,
    )
    from console.kernel.actor import Actor
    from console.kernel.errors import ServiceError
    from models import Experiment, Rollout, RolloutStage
    from models.db import read_session, unit_of_work

    on = args.on or datetime.now(UTC).date()
    system = Actor.system("system:experiments-due")
    with unit_of_work() as s:
        started = start_due_experiments(s, on=on, actor=system)
    with unit_of_work() as s:
        moved = run_due_rollouts(s, on=on, actor=system)
    with read_session() as s:
        rollouts = s.execute(
            sa.select(Rollout.id).where(Rollout.status == "running", Rollout.id.in_(
                sa.select(RolloutStage.rollout_id).where(RolloutStage.status != "pending")))
        ).scalars().all()
        running = s.execute(sa.select(Experiment.id).where(
            Experiment.status == "running")).scalars().all()
    paused = 0
    for rollout_id in rollouts:
        try:
            with unit_of_work() as s:
                report = check_rollout_guardrails(s, rollout_id=rollout_id, actor=system, on=on)
            paused += not report.passed
        except ServiceError as exc:
            print(f"rollout {rollout_id}: {exc}")
    for experiment_id in running:
        refresh_results(experiment_id)
    print(f"{on}: {started} experiment(s) started, {moved} subscription(s) moved, "
          f"{paused} rollout(s) paused by a guardrail, {len(running)} result(s) refreshed")
    return 0
