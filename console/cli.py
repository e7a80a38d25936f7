"""Command line: migrate, setup, seed, verify-audit, users, bench (``python -m console --help``)."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-30") from None


def migrate(url: str | None = None) -> None:
    """Upgrade the database to the newest migration."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


def _customer_count() -> int:
    import sqlalchemy as sa

    from models import Customer
    from models.db import read_session

    with read_session() as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one())


def seed(*, customers: int, months: int, seed_value: int, as_of: date | None) -> str:
    """Create the demo users (dev) and the demo company; returns a summary line."""
    from console.audit import record
    from console.demo import seed_demo
    from console.identity import ensure_demo_users
    from console.kernel.actor import Actor
    from console.kernel.settings import settings
    from models.db import get_engine, unit_of_work

    as_of = as_of or date.today()  # noqa: DTZ011 - the demo ends "today" in UTC-ish terms
    with unit_of_work() as s:
        if settings().is_dev:
            actors = ensure_demo_users(s)
        else:
            # Outside dev the demo company still needs actors; they can never sign in.
            actors = _system_actors(s)
    report = seed_demo(get_engine(), customers=customers, months=months, seed=seed_value,
                       as_of=as_of, actors=actors, progress=lambda m: print(f"  {m}", flush=True))
    with unit_of_work() as s:
        record(s, actor=Actor.system("system:seed"), action="demo.seed", object_type="database",
               object_id="demo", after={"customers": customers, "months": months,
                                        "seed": seed_value, "as_of": as_of})
    return f"seeded {customers} customers x {months} months in {report.elapsed_seconds:.1f}s"


def _system_actors(session) -> dict[str, int]:
    import sqlalchemy as sa

    from models import User

    user = session.execute(sa.select(User).where(User.email == "system@console.invalid")
                           ).scalar_one_or_none()
    if user is None:
        user = User(email="system@console.invalid", name="System", auth_source="system",
                    is_active=False)
        session.add(user)
        session.flush()
    from console.identity import DEMO_USERS

    return {key: user.id for key, *_ in DEMO_USERS}


def setup() -> None:
    """What ``make run`` does before serving: migrate, demo accounts per env, seed once."""
    from console.identity import ensure_demo_users, remove_demo_users
    from console.kernel.settings import settings
    from models.db import unit_of_work

    migrate()
    _forget_ui_states()
    with unit_of_work() as s:
        if settings().is_dev:
            ensure_demo_users(s)
        else:
            removed = remove_demo_users(s)
            if removed:
                print(f"disabled {removed} demo accounts (CONSOLE_ENV is not dev)")
    if settings().is_dev and _customer_count() == 0:
        print("first run: generating the demo company (about a minute)...", flush=True)
        print(seed(customers=1500, months=24, seed_value=7, as_of=None))
    if settings().scheduler == "on":
        catch_up()


def catch_up() -> None:
    """Run the scheduled work that is due (renewals, dunning, migrations, the ledger's months)
    once before serving, so the console shows today's months after days or weeks off."""
    from console import jobs

    started = time.perf_counter()
    results = jobs.run_due()
    ran = [r for r in results if r.outcome in (jobs.SUCCEEDED, jobs.FAILED)]
    print(f"caught up with scheduled work in {time.perf_counter() - started:.1f}s "
          f"({len(ran)} job(s) ran)", flush=True)
    for result in ran:
        print(f"  {result.line()}", flush=True)


def _forget_ui_states() -> None:
    """Drop the UI states a previous server saved under ``.states`` (Reflex's disk manager).

    They hold only view data (pages reload from the database in ``on_load``), but they are
    pickles of view classes by module path: after an upgrade that moved or changed a class,
    an old pickle must not be read back as something else.
    """
    states = ROOT / ".states"
    if states.is_dir():
        for path in states.glob("*.pkl"):
            path.unlink(missing_ok=True)


def verify_audit() -> int:
    """Check the audit chain; exit 1 naming the first broken link."""
    from console.audit import verify_stored_chain

    verdict = verify_stored_chain()
    print(verdict)
    return 0 if verdict.startswith("OK") else 1


def create_user(email: str, name: str, roles: Sequence[str], password: str) -> None:
    """Create a local account (e.g. the first admin in production)."""
    from console.identity import create_local_user
    from console.kernel.actor import Actor
    from console.kernel.roles import parse_roles
    from models.db import unit_of_work

    parsed = parse_roles(roles)
    if len(parsed) != len(set(roles)):
        raise SystemExit(f"unknown role in {list(roles)}")
    with unit_of_work() as s:
        create_local_user(s, email=email, name=name, password=password, roles=sorted(parsed),
                          actor=Actor.system("system:cli"))


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    p = argparse.ArgumentParser(prog="python -m console", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database schema to head")
    sub.add_parser("setup", help="migrate, demo users (dev), seed the demo company once")
    sp = sub.add_parser("seed", help="generate the deterministic demo company")
    sp.add_argument("--customers", type=_positive, default=1500)
    sp.add_argument("--months", type=_positive, default=24)
    sp.add_argument("--seed", type=int, default=7)
    sp.add_argument("--as-of", type=_day, default=None, help="last day of data (default today)")
    sub.add_parser("verify-audit", help="verify the audit hash chain")
    up = sub.add_parser("users", help="manage local accounts")
    up_sub = up.add_subparsers(dest="users_command", required=True)
    uc = up_sub.add_parser("create", help="create a local account")
    uc.add_argument("--email", required=True)
    uc.add_argument("--name", required=True)
    uc.add_argument("--role", action="append", required=True, dest="roles")
    uc.add_argument("--password", required=True)
    bp = sub.add_parser("bench", help="benchmarks (speed and memory targets)")
    bp.add_argument("--customers", type=_positive, default=100_000)
    bp.add_argument("--months", type=_positive, default=24)
    bp.add_argument("--postgres-url", default="", help="also run on this PostgreSQL database")
    bp.add_argument("--only", default="", help="comma-separated bench names")
    from console.commands import modules

    for module in modules():
        module.add_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    if args.command == "migrate":
        migrate()
        print("database at head")
    elif args.command == "setup":
        setup()
    elif args.command == "seed":
        migrate()
        if _customer_count():
            print("the database already has customers; seed an empty database", file=sys.stderr)
            return 2
        print(seed(customers=args.customers, months=args.months, seed_value=args.seed,
                   as_of=args.as_of))
    elif args.command == "verify-audit":
        return verify_audit()
    elif args.command == "users":
        create_user(args.email, args.name, args.roles, args.password)
        print(f"created {args.email}")
    elif args.command == "bench":
        # The benchmarks live outside the product (bench/); this is their one door, loaded by
        # name so that nothing in console/ imports them.
        run_benchmarks = importlib.import_module("bench.run").run_benchmarks
        run_benchmarks(customers=args.customers, months=args.months,
                       postgres_url=args.postgres_url,
                       only={x.strip() for x in args.only.split(",") if x.strip()})
    else:
        from console.commands import modules

        for module in modules():
            code = module.handle(args)
            if code is not None:
                if code:
                    return code
                break
    print(f"done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0
