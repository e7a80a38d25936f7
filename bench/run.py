"""``python -m console bench``: speed and memory figures for the issue notes (not a test).

Each benchmark builds what it needs in a temporary SQLite file (and in PostgreSQL when
``--postgres-url`` is given) and prints one line per figure. Peak memory is the process's
max RSS after each step.
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa

AS_OF = date(2026, 11, 20)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _line(name: str, value: str) -> None:
    print(f"  {name:<48} {value}   (peak RSS {_rss_mb():,.0f} MB)", flush=True)


def _timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _fresh_db(url: str) -> sa.Engine:
    from console.cli import migrate
    from models.db import make_engine

    if url.startswith("postgresql"):
        eng = make_engine(url)
        with eng.begin() as c:
            c.execute(sa.text("DROP SCHEMA public CASCADE"))
            c.execute(sa.text("CREATE SCHEMA public"))
        eng.dispose()
    migrate(url)
    return make_engine(url)


def bench_seed_and_customers(url: str, *, customers: int, months: int) -> sa.Engine:
    """Seed the demo company at scale, then time the customers page queries."""
    from console.customers.queries.customer_search import CustomerFilter, search_customers
    from console.demo import seed_demo
    from console.identity.usecases.accounts import ensure_demo_users
    from models.db import read_session, unit_of_work

    engine = _fresh_db(url)
    with unit_of_work(engine) as s:
        actors = ensure_demo_users(s)
    t0 = time.perf_counter()
    seed_demo(engine, customers=customers, months=months, seed=7, as_of=AS_OF, actors=actors)
    elapsed = time.perf_counter() - t0
    _line(f"seed {customers:,} customers x {months} months", f"{elapsed:,.1f} s")
    cases = {
        "first page (name order)": (CustomerFilter(), 0),
        "page 1,000 (name order)": (CustomerFilter(), 999),
        "segment+region filter": (CustomerFilter(segment="enterprise", region="emea"), 0),
        "text search 'CUS-0999'": (CustomerFilter(text="CUS-0999"), 0),
        "sort by MRR desc": (CustomerFilter(sort="mrr", descending=True), 0),
    }
    for label, (f, page) in cases.items():
        with read_session(engine) as s:
            secs, result = _timed(lambda f=f, page=page, s=s: search_customers(s, f, page=page))
        _line(f"customers page: {label}", f"{secs * 1000:,.1f} ms ({result.total:,} rows)")
    return engine


#: Later issues register their benchmarks here: name -> fn(engine, url, customers, months).
EXTRA: dict[str, Callable[..., None]] = {}


def run_benchmarks(*, customers: int, months: int, postgres_url: str = "",
                   only: set[str] | None = None) -> None:
    """Run every benchmark (or ``only`` those named) and print the figures."""
    only = only or set()
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}"))
        if postgres_url:
            targets.append(("postgresql", postgres_url))
        for name, url in targets:
            print(f"== {name} ==", flush=True)
            engine = None
            if not only or "seed" in only or "customers" in only:
                engine = bench_seed_and_customers(url, customers=customers, months=months)
            for bench_name, fn in EXTRA.items():
                if only and bench_name not in only:
                    continue
                fn(engine=engine, url=url, customers=customers, months=months, line=_line)
            if engine is not None:
                engine.dispose()


def _register_areas() -> None:
    """Benchmarks contributed by areas (each module's ``register(EXTRA)``)."""
    from bench.billing import register as register_billing

    register_billing(EXTRA)


_register_areas()


def _register_kpis() -> None:
    """The KPI dashboard benchmark (issue 6): cold, cached and the floor ratio."""
    from bench.kpis import bench_kpis

    EXTRA["kpis"] = bench_kpis


_register_kpis()
