"""Orchestration of the demo-company generator: validation, the two passes and the bulk writes."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

import sqlalchemy as sa
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from console.demo.billing import Numbering, RowBuilder, number_credit_notes
from console.demo.calendar import Calendar, at
from console.demo.catalog import (
    CURRENCIES,
    FIXED,
    TAX_RATES,
    USAGE,
    Catalog,
    build_catalog,
    build_reference,
)
from console.demo.simulate import (
    EXPERIMENT2_KEY,
    EXPERIMENT_KEY,
    ROLLOUT_KEY,
    ROLLOUT_STAGE1_PERCENT,
    CustSim,
    Profile,
    Simulator,
    make_profiles,
)
from console.demo.usage import UsageGenerator
from console.demo.writer import BatchSink, BulkWriter, Converter

#: Role keys ``actors`` must map to existing user ids.
ACTOR_ROLES: tuple[str, ...] = (
    "admin", "monetization_lead", "monetization_lead2", "finance", "finance2", "support",
    "support2", "viewer",
)
#: Target number of ``usage_daily`` rows: above it only the last months get daily rows.
DAILY_ROW_BUDGET = 3_000_000
#: Target number of raw ``usage_event`` rows (previous month and current month to date).
RAW_EVENT_BUDGET = 600_000
#: Above this many customers, usage lines older than the last 3 months carry no breakdown.
FULL_BREAKDOWN_MAX_CUSTOMERS = 20_000
#: At most this many customers per batch (a batch is built, inline or by a worker, then
#: written); smaller datasets use about 16 batches so writing starts early.
BATCH_CUSTOMERS = 1000
#: From this many customers on, batches are built by forked worker processes (Linux only).
PARALLEL_MIN_CUSTOMERS = 1000
#: At most this many worker processes.
MAX_WORKERS = 4


class DemoSeedError(RuntimeError):
    """Raised when the demo company cannot be generated (e.g. the database has customers)."""


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What :func:`seed_demo` wrote.

    Attributes:
        customers: customers generated.
        months: months of history (the last one partial).
        seed: the random seed.
        as_of: the last day with data.
        counts: table name -> rows inserted.
        elapsed_seconds: wall time of the whole seed.
    """

    customers: int
    months: int
    seed: int
    as_of: date
    counts: Mapping[str, int]
    elapsed_seconds: float

    @property
    def total_rows(self) -> int:
        """Rows inserted over all tables."""
        return sum(self.counts.values())


@dataclass(slots=True)
class _Pass1:
    a_count: Counter
    first_month: dict[int, int]
    facts: Counter
    candidates: dict[str, list[int]]
    dispute_candidates: list[int]
    spike_candidates: list[int]
    drafts: int
    arms: Counter
    arm_mrr: Counter
    probes: dict[str, dict[str, list[int]]]
    rollout_members: int
    rollout_delta: Counter


def seed_demo(
    engine: sa.Engine,
    *,
    customers: int = 1500,
    months: int = 24,
    seed: int = 7,
    as_of: date,
    actors: Mapping[str, int],
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    """Generate the deterministic demo company into an empty database.

    The same ``(customers, months, seed, as_of)`` always produce the same rows. ``as_of`` is
    the last day with data; its month is partial and its invoices are drafts waiting in the
    bill-run review queue. Everything is written in one transaction.

    Volumes scale with ``customers``: daily usage rows cover the whole window while they fit
    :data:`DAILY_ROW_BUDGET` (else only the last full month(s) and the current month), raw
    usage events exist for a subset of customers in the previous and current month
    (:data:`RAW_EVENT_BUDGET`), and above :data:`FULL_BREAKDOWN_MAX_CUSTOMERS` customers only
    the last three months' usage lines carry a range breakdown. From
    :data:`PARALLEL_MIN_CUSTOMERS` customers on (and only when called from a single-threaded
    process, e.g. the CLI), batches of customers are built by forked worker processes while
    this process writes; the rows are identical either way.

    Args:
        engine: SQLite or PostgreSQL engine with the schema created.
        customers: number of customers to generate.
        months: months of history, the current (partial) month included; at least 3.
        seed: random seed.
        as_of: last day with data.
        actors: role key (see :data:`ACTOR_ROLES`) -> existing user id.
        progress: optional callback receiving short progress messages.

    Returns:
        Row counts per table and the elapsed time.

    Raises:
        DemoSeedError: if the database already holds customers.
        ValueError: if an argument is out of range or an actor is missing.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    _validate(customers, months, as_of, actors)
    actor_ids = {role: int(actors[role]) for role in ACTOR_ROLES}
    eng = engine.execution_options(sqlite_immediate=True) \
        if engine.dialect.name == "sqlite" else engine
    with eng.begin() as conn:
        existing = conn.execute(sa.select(sa.func.count()).select_from(
            SQLModel.metadata.tables["customer"])).scalar_one()
        if existing:
            raise DemoSeedError(
                f"the database already has {existing} customers; the demo company is only "
                "generated into an empty database")
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MB while seeding
        try:
            counts = _seed(conn, customers, months, seed, as_of, actor_ids, say)
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA cache_size=-2000")
    elapsed = time.perf_counter() - started
    say(f"demo company ready: {sum(counts.values()):,} rows in {elapsed:.1f} s")
    return SeedReport(customers=customers, months=months, seed=seed, as_of=as_of,
                      counts=MappingProxyType(dict(sorted(counts.items()))),
                      elapsed_seconds=elapsed)


def _validate(customers: int, months: int, as_of: date, actors: Mapping[str, int]) -> None:
    if not isinstance(customers, int) or customers < 1:
        raise ValueError(f"customers must be a positive int, got {customers!r}")
    if not isinstance(months, int) or not 3 <= months <= 120:
        raise ValueError(f"months must be an int between 3 and 120, got {months!r}")
    if not isinstance(as_of, date) or hasattr(as_of, "hour"):
        raise ValueError(f"as_of must be a date, got {as_of!r}")
    missing = [role for role in ACTOR_ROLES if role not in actors]
    if missing:
        raise ValueError(f"actors lacks user ids for: {', '.join(missing)}")


def _seed(conn: sa.Connection, n: int, months: int, seed: int, as_of: date,
          actors: dict[str, int], say: Callable[[str], None]) -> dict[str, int]:
    cal = Calendar(as_of, months)
    K = months
    w = BulkWriter(conn)
    tables = SQLModel.metadata.tables
    existing = {
        "tax_rate": set(conn.execute(sa.select(tables["tax_rate"].c.region)).scalars()),
        "fx_rate": set(conn.execute(sa.select(tables["fx_rate"].c.currency).where(
            tables["fx_rate"].c.reporting_currency == "USD")).scalars()),
        "policy_setting": set(conn.execute(sa.select(tables["policy_setting"].c.key)).scalars()),
    }
    build_reference(w, existing=existing, admin=actors["admin"], now=at(cal.ms(0), 6))
    cat = build_catalog(w, cal, actors)
    first_id = w.reserve("customer", n)
    profiles = make_profiles(n, cal, random.Random(seed), first_id, seed)
    sim = Simulator(cal, cat, n)
    say(f"simulating {n:,} customers over {K} months")
    probes = _probes(cal, cat)
    stats, sims = _pass1(sim, cat, profiles, probes)
    forced = _force(sim, cat, profiles, stats, random.Random(seed + 1), sims)
    numbering = _numbering(cal, stats)

    bill_runs = _bill_runs(w, cal, stats, actors)
    import_id = _usage_imports(w, cal, actors)
    experiment_ids, arms = _experiments(w, cal, cat, stats, actors)
    rollout = _rollout(w, cal, cat, stats, actors)
    w.flush()

    series = n * 1.75 * 0.7
    daily_months = max(1, min(K - 1, int(DAILY_ROW_BUDGET / max(1.0, series * 30.4))))
    raw_per_customer = 1.75 * (30 + as_of.day) * 5
    raw_customers = min(0.2 * n, RAW_EVENT_BUDGET / raw_per_customer)
    size = min(BATCH_CUSTOMERS, max(50, -(-n // 16)))
    ranges = [(start, min(n, start + size)) for start in range(0, n, size)]
    a_next, drafts_before = _batch_offsets(sims, ranges)
    global _CTX  # read by the forked workers
    _CTX = _BatchContext(
        cal=cal, cat=cat, sim=sim, sims=sims, actors=actors, numbering=numbering,
        bill_runs=bill_runs, forced_disputes=forced["disputes"], experiment_ids=experiment_ids,
        arms=arms, rollout=rollout, import_id=import_id, spike=frozenset(forced["spike"]),
        daily_from_k=K - 1 - daily_months,
        raw_permyriad=max(1, int(10_000 * raw_customers / n)), seed=seed,
        breakdown_from_k=-1 if n <= FULL_BREAKDOWN_MAX_CUSTOMERS else K - 4,
        ranges=ranges, a_next=a_next, drafts_before=drafts_before,
        converter=w.converter)
    late: dict[str, list[dict]] = {"credit_note": [], "credit_note_line": [],
                                   "approval_request": [], "approval": []}
    raw_imported = 0
    workers = _workers(n)
    say(f"building {n:,} customers in {len(ranges)} batches"
        + (f" with {workers} worker processes" if workers > 1 else ""))
    try:
        for index, (exported, used, late_rows, imported) in enumerate(
                _batch_results(len(ranges), workers)):
            bases = w.bases(used)
            w.write_batch(exported, bases)
            for table, rows in late_rows.items():
                w.remap_rows(table, rows, bases)
                late[table].extend(rows)
            raw_imported += imported
            first, last = ranges[index]
            sims[first:last] = [None] * (last - first)
            say(f"customers {last:,}/{n:,} written")
    finally:
        _CTX = None
    cn_last = number_credit_notes(late["credit_note"])
    for table, rows in late.items():
        w.extend(table, rows)
    _late_catalog(w, cal, cat, stats, actors, experiment_ids)
    for year, last_number in sorted(numbering.last_by_year.items()):
        w.add("invoice_number_sequence", {"series": "INV", "year": year,
                                          "last_number": last_number})
    for year, last_number in sorted(cn_last.items()):
        w.add("invoice_number_sequence", {"series": "CN", "year": year,
                                          "last_number": last_number})
    w.flush()
    conn.execute(sa.update(tables["usage_import"]).where(tables["usage_import"].c.id == import_id)
                 .values(received=raw_imported, inserted=raw_imported))
    w.bump_sequences()
    return dict(w.counts)


# -- customer batches (possibly in worker processes) ------------------------------------


@dataclass(slots=True)
class _BatchContext:
    cal: Calendar
    cat: Catalog
    sim: Simulator
    sims: list
    actors: dict[str, int]
    numbering: Numbering
    bill_runs: dict[int, int]
    forced_disputes: dict[int, tuple[str, int]]
    experiment_ids: dict[str, int]
    arms: dict
    rollout: tuple[int, int]
    import_id: int
    spike: frozenset[int]
    daily_from_k: int
    raw_permyriad: int
    seed: int
    breakdown_from_k: int
    ranges: list[tuple[int, int]]
    a_next: list[dict[int, int]]
    drafts_before: list[int]
    converter: Converter


_CTX: _BatchContext | None = None


def _batch_offsets(sims: list, ranges: list[tuple[int, int]]
                   ) -> tuple[list[dict[int, int]], list[int]]:
    """Per batch: invoices already numbered per month, and drafts made, by earlier batches."""
    a_next: list[dict[int, int]] = []
    drafts_before: list[int] = []
    numbered: Counter[int] = Counter()
    drafts = 0
    for first, last in ranges:
        a_next.append(dict(numbered))
        drafts_before.append(drafts)
        for cs in sims[first:last]:
            for spec in cs.specs:
                if spec.group == "A":
                    numbered[spec.k] += 1
                else:
                    drafts += 1
    return a_next, drafts_before


def _build_batch(index: int) -> tuple[dict, Counter, dict[str, list[dict]], int]:
    """Build one batch of customers into a :class:`BatchSink` (runs in a worker or inline)."""
    ctx = _CTX
    assert ctx is not None
    sink = BatchSink()
    usage = UsageGenerator(
        sink, ctx.cal, ctx.cat.meter_ids, daily_from_k=ctx.daily_from_k,
        raw_from_k=ctx.cal.months - 2, raw_permyriad=ctx.raw_permyriad,
        import_id=ctx.import_id, spike_idx=ctx.spike, seed=ctx.seed)
    numbering = Numbering(a_start=ctx.numbering.a_start,
                          last_by_year=ctx.numbering.last_by_year,
                          first_month=ctx.numbering.first_month,
                          a_next=dict(ctx.a_next[index]))
    builder = RowBuilder(
        writer=sink, cal=ctx.cal, cat=ctx.cat, sim=ctx.sim, usage=usage, actors=ctx.actors,
        numbering=numbering, bill_runs=ctx.bill_runs,
        tax_pct={region: pct for region, _, pct in TAX_RATES},
        forced_disputes=ctx.forced_disputes, experiment_arms=ctx.arms,
        experiment_ids=ctx.experiment_ids, rollout=ctx.rollout,
        breakdown_from_k=ctx.breakdown_from_k, drafts_before=ctx.drafts_before[index])
    first, last = ctx.ranges[index]
    for i in range(first, last):
        builder.build(ctx.sims[i])
    return sink.export(ctx.converter), sink.used, builder.late, usage.raw_imported


def _workers(n: int) -> int:
    """Worker processes for ``n`` customers (1: build inline).

    Forking is only safe from a single-threaded process (a CLI, not the web app) and is only
    used on Linux; anything else builds inline.
    """
    if n < PARALLEL_MIN_CUSTOMERS or not sys.platform.startswith("linux") \
            or threading.active_count() > 1:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _batch_results(count: int, workers: int) -> Iterator[tuple]:
    """Batch results in batch order; built by forked workers when ``workers > 1``."""
    if workers <= 1:
        for index in range(count):
            yield _build_batch(index)
        return
    with mp.get_context("fork").Pool(processes=workers) as pool:
        pending: deque = deque()
        submitted = 0
        while submitted < count or pending:
            while submitted < count and len(pending) < workers + 1:
                pending.append(pool.apply_async(_build_batch, (submitted,)))
                submitted += 1
            yield pending.popleft().get()


# -- pass 1 ------------------------------------------------------------------------------


def _probes(cal: Calendar, cat: Catalog) -> dict[str, tuple[date, int, int]]:
    t = cat.timeline
    v = cat.vid
    day = timedelta(days=1)
    return {
        "free-2": (t.effective["free"] - day, v[("free", 1)], v[("free", 2)]),
        "team-2": (t.effective["team"] - day, v[("team", 1)], v[("team", 2)]),
        "business-2": (t.exp2_start - day, v[("business", 1)], v[("business", 2)]),
        "enterprise-2": (t.effective["enterprise"] - day, v[("enterprise", 1)],
                         v[("enterprise", 2)]),
        "team-3": (t.exp_start - day, v[("team", 2)], v[("team", 3)]),
        "team-4": (cal.as_of, v[("team", 2)], v[("team", 4)]),
        "business-3": (cal.as_of, v[("business", 2)], v[("business", 3)]),
        "enterprise-migration": (cal.as_of, v[("enterprise", 1)], v[("enterprise", 2)]),
    }


def _pass1(sim: Simulator, cat: Catalog, profiles: list[Profile],
           probes: dict[str, tuple[date, int, int]]) -> tuple[_Pass1, list]:
    K = sim.cal.months
    stats = _Pass1(a_count=Counter(), first_month={}, facts=Counter(), candidates={},
                   dispute_candidates=[], spike_candidates=[], drafts=0, arms=Counter(),
                   arm_mrr=Counter(), probes={key: {} for key in probes}, rollout_members=0,
                   rollout_delta=Counter())
    sims: list[CustSim | None] = []
    for p in profiles:
        cs = sim.simulate(p)
        sims.append(cs)
        _count(stats, cs, +1)
        stats.facts.update(cs.facts)
        for name in cs.candidates:
            bucket = stats.candidates.setdefault(name, [])
            if len(bucket) < 400:
                bucket.append(p.idx)
        regular = {(s.sub, s.k) for s in cs.specs if s.kind == "regular"}
        for sub in cs.subs:
            if (sub.local, K - 2) in regular and (sub.local, K - 3) in regular \
                    and not sub.stories and len(stats.dispute_candidates) < 400:
                stats.dispute_candidates.append(p.idx)
            if (sub.local, K - 1) in regular and (sub.local, K - 2) in regular \
                    and (sub.local, K - 3) in regular and len(stats.spike_candidates) < 400:
                stats.spike_candidates.append(p.idx)
            if sub.experiment is not None:
                stats.arms[sub.experiment] += 1
                stats.arm_mrr[sub.experiment] += cat.mrr(sub.changes[0][1], "USD",
                                                         sub.changes[0][2])
            if sub.migrated_from is not None:
                stats.rollout_members += 1
        for ev in cs.events:
            if ev.kind == "migrate":
                stats.rollout_delta[p.currency] += ev.after - ev.before
        for key, (day, base, target) in probes.items():
            for sub in cs.subs:
                if sub.start <= day and (sub.end is None or sub.end > day) \
                        and sub.status != "trialing":
                    vid, seats = sub.state_at(day)
                    if vid == base:
                        acc = stats.probes[key].setdefault(p.currency, [0, 0, 0])
                        acc[0] += 1
                        acc[1] += cat.mrr(base, p.currency, seats)
                        acc[2] += cat.mrr(target, p.currency, seats)
    return stats, sims


def _count(stats: _Pass1, cs: CustSim, sign: int) -> None:
    for spec in cs.specs:
        if spec.group == "A":
            stats.a_count[spec.k] += sign
        else:
            stats.drafts += sign
        if sign > 0 and spec.kind != "trial":
            first = stats.first_month.get(spec.vid)
            if first is None or spec.k < first:
                stats.first_month[spec.vid] = spec.k


def _force(sim: Simulator, cat: Catalog, profiles: list[Profile], stats: _Pass1,
           rng: random.Random, sims: list) -> dict:
    """Make sure small datasets still show every story the console's pages need."""
    K = sim.cal.months
    used: set[int] = set()
    forced_sim: dict[int, dict] = {}

    def choose(name: str) -> int | None:
        pool = [i for i in stats.candidates.get(name, []) if i not in used]
        if not pool:
            return None
        idx = rng.choice(pool)
        used.add(idx)
        return idx

    wanted = [
        ("uncollectible", "onset4", {"onset": K - 4}),
        ("past_due", "onset2", {"onset": K - 2}),
        ("void", "void", {"cancel": K - 3}),
        ("trial", "trial", {"trial": True}),
    ]
    for fact, candidate, force in wanted:
        if stats.facts[fact]:
            continue
        idx = choose(candidate)
        if idx is not None:
            forced_sim[idx] = force
    if not stats.rollout_members:
        idx = choose("rollout")
        if idx is not None:
            forced_sim[idx] = {"rollout": True}
    for idx, force in forced_sim.items():
        before = sims[idx]
        after = sims[idx] = sim.simulate(profiles[idx], force)
        _count(stats, before, -1)
        _count(stats, after, +1)
        stats.facts.update(after.facts)
        for sub in after.subs:
            if sub.migrated_from is not None and not any(
                    s.migrated_from is not None for s in before.subs):
                stats.rollout_members += 1
                for ev in after.events:
                    if ev.kind == "migrate":
                        stats.rollout_delta[profiles[idx].currency] += ev.after - ev.before
    disputes: dict[int, tuple[str, int]] = {}
    pool = [i for i in dict.fromkeys(stats.dispute_candidates) if i not in used]
    rng.shuffle(pool)
    statuses = ("open", "investigating", "awaiting_customer", "resolved_credited",
                "resolved_rejected", "withdrawn")
    for status, idx in zip(statuses, pool, strict=False):
        target = K - 2 if status in statuses[:3] else K - 3
        disputes[idx] = (status, target)
        used.add(idx)
    spikes = [i for i in dict.fromkeys(stats.spike_candidates) if i not in used]
    return {"sim": forced_sim, "disputes": disputes,
            "spike": spikes[:1] if spikes else []}


def _numbering(cal: Calendar, stats: _Pass1) -> Numbering:
    """Month ``k``'s invoices are issued on the first day of ``k + 1``, in customer order."""
    a_start: dict[int, int] = {}
    last: dict[int, int] = {}
    for k in range(cal.months - 1):
        year = cal.ms(k + 1).year
        seq = last.get(year, 0)
        a_start[k] = seq + 1
        seq += stats.a_count[k]
        if seq:
            last[year] = seq
    return Numbering(a_start=a_start, last_by_year=last, first_month=stats.first_month)


# -- global rows -------------------------------------------------------------------------


def _bill_runs(w: BulkWriter, cal: Calendar, stats: _Pass1,
               actors: dict[str, int]) -> dict[int, int]:
    ids = {}
    for k in range(cal.months):
        rid = ids[k] = w.new_id("bill_run")
        current = k == cal.months - 1
        total = stats.drafts if current else stats.a_count[k]
        created = at(cal.as_of, 0, 50) if current else at(cal.ms(k + 1), 0, 30)
        w.add("bill_run", {
            "id": rid, "period_start": cal.ms(k), "period_end": cal.me(k),
            "status": "completed", "released_percent": 100, "total": total,
            "processed": total,
            "created_by": actors["finance"] if k % 2 == 0 else actors["finance2"],
            "created_at": created, "started_at": created,
            "finished_at": created + timedelta(seconds=30 + total // 50),
            "error": None, "version": 3,
        })
    return ids


def _usage_imports(w: BulkWriter, cal: Calendar, actors: dict[str, int]) -> int:
    K = cal.months
    backfill = w.new_id("usage_import")
    w.add("usage_import", {
        "id": backfill, "source": "cli", "filename": f"usage-{cal.ms(K - 2):%Y-%m}.csv",
        "status": "accepted", "received": 0, "inserted": 0, "duplicates": 0, "rejected": 0,
        "errors": None, "created_by": actors["admin"],
        "created_at": at(cal.ms(K - 2), 0, 5),
    })
    w.add("usage_import", {
        "id": w.new_id("usage_import"), "source": "cli", "filename": "usage-gpu-export.csv",
        "status": "rejected", "received": 1200, "inserted": 0, "duplicates": 0,
        "rejected": 1200,
        "errors": [{"row": 2, "error": "unknown meter 'gpu_minutes'"},
                   {"row": 3, "error": "quantity '-4' must not be negative"}],
        "created_by": actors["admin"], "created_at": at(cal.as_of - timedelta(days=6), 16),
    })
    return backfill


def _experiments(w: BulkWriter, cal: Calendar, cat: Catalog, stats: _Pass1,
                 actors: dict[str, int]) -> tuple[dict[str, int], dict]:
    t = cat.timeline
    lead = actors["monetization_lead"]
    day = timedelta(days=1)
    guardrails = {"max_dispute_rate": 0.02, "max_payment_failure_rate": 0.08,
                  "max_churn_delta": 0.02}
    ids: dict[str, int] = {}
    arms: dict[tuple[str, str], int] = {}
    specs = [
        (EXPERIMENT_KEY, "Team: cheaper seats, higher platform fee",
         "A higher platform fee with cheaper seats converts more small teams at equal ARPA.",
         "team", "running", {"segments": ["smb"], "regions": [], "new_customers_only": True},
         "conversion", t.exp_start, None, ("team", 2), ("team", 3)),
        (EXPERIMENT2_KEY, "Business price review",
         "Raising the Business platform fee to 299 does not hurt conversion.",
         "business", "concluded", {"segments": [], "regions": [], "new_customers_only": True},
         "arpa", t.exp2_start, t.exp2_end + day, ("business", 1), ("business", 2)),
    ]
    for key, name, hypothesis, plan, status, elig, metric, start, end, control, variant in specs:
        eid = ids[key] = w.new_id("experiment")
        control_id, variant_id = w.new_id("experiment_arm"), w.new_id("experiment_arm")
        arms[(key, "control")], arms[(key, "variant")] = control_id, variant_id
        results = None
        if status == "concluded":
            results = {"arms": {}, "decision": "Variant shipped as Business v2."}
            for arm in ("control", "variant"):
                customers = stats.arms[(key, arm)]
                results["arms"][arm] = {
                    "customers": customers,
                    "arpa_minor_usd": stats.arm_mrr[(key, arm)] // customers if customers
                    else 0,
                }
        w.add("experiment", {
            "id": eid, "key": key, "name": name, "hypothesis": hypothesis,
            "plan_id": cat.plan_ids[plan], "status": status, "eligibility": elig,
            "primary_metric": metric, "guardrails": guardrails, "planned_days": 56,
            "min_sample": 200, "scheduled_for": start, "started_at": at(start, 9),
            "ended_at": at(end, 10) if end else None,
            "winner_arm_id": variant_id if status == "concluded" else None,
            "results": results, "created_by": lead, "created_at": at(start - 10 * day, 11),
            "version": 4 if status == "concluded" else 3,
        })
        w.add("experiment_arm", {"id": control_id, "experiment_id": eid, "name": "control",
                                 "plan_version_id": cat.vid[control], "weight": 50,
                                 "is_control": True})
        w.add("experiment_arm", {"id": variant_id, "experiment_id": eid, "name": "variant",
                                 "plan_version_id": cat.vid[variant], "weight": 50,
                                 "is_control": False})
    return ids, arms


def _rollout(w: BulkWriter, cal: Calendar, cat: Catalog, stats: _Pass1,
             actors: dict[str, int]) -> tuple[int, int]:
    K = cal.months
    lead2 = actors["monetization_lead2"]
    rid = w.new_id("rollout")
    effective = cal.ms(K - 1)
    w.add("rollout", {
        "id": rid, "key": ROLLOUT_KEY, "name": "Move grandfathered Team v1 customers to v2",
        "plan_id": cat.plan_ids["team"], "from_version_id": cat.vid[("team", 1)],
        "to_version_id": cat.vid[("team", 2)], "status": "running", "timing": "next_renewal",
        "guardrails": {"max_dispute_rate": 0.03, "max_payment_failure_rate": 0.1,
                       "max_churn_delta": 0.02},
        "include_grandfathered": True, "owner_id": lead2, "paused_reason": None,
        "created_at": at(effective - timedelta(days=12), 10), "version": 3,
    })
    stage1 = 0
    for position, percent in enumerate((ROLLOUT_STAGE1_PERCENT, 50, 100), start=1):
        sid = w.new_id("rollout_stage")
        done = position == 1
        stage1 = stage1 or sid
        w.add("rollout_stage", {
            "id": sid, "rollout_id": rid, "position": position, "percent": percent,
            "status": "completed" if done else "pending",
            "effective_date": cal.ms(K - 2 + position),
            "preview": {"subscriptions": stats.rollout_members,
                        "mrr_delta_minor": dict(stats.rollout_delta)} if done else None,
            "guardrail_result": {"dispute_rate": 0.0, "payment_failure_rate": 0.0,
                                 "passed": True} if done else None,
            "confirmed_by": lead2 if done else None,
            "confirmed_at": at(effective - timedelta(days=3), 15) if done else None,
        })
    return rid, stage1


def _late_catalog(w: BulkWriter, cal: Calendar, cat: Catalog, stats: _Pass1,
                  actors: dict[str, int], experiment_ids: dict[str, int]) -> None:
    """Buffer change requests, their approvals, the scheduled migration and experiment approvals."""
    a = actors
    lead, lead2 = a["monetization_lead"], a["monetization_lead2"]
    day = timedelta(days=1)
    crs = [
        ("free", 2, lead2, "published", [lead], False, "Align Free with the new API tiers."),
        ("team", 2, lead, "published", [lead2, a["finance"]], True,
         "Annual price review: platform fee 39 -> 49, seats 10 -> 12."),
        ("business", 2, lead, "published", [lead2, a["finance2"]], True,
         "Business price review (validated by experiment)."),
        ("enterprise", 2, lead2, "published", [lead, a["finance"]], True,
         "New enterprise list price with an annual commit."),
        ("team", 3, lead, "published", [lead2], False,
         "Experiment variant for the seat-light test."),
        ("team", 4, lead, "pending", [], True,
         "Raise the Team platform fee to 55 and re-tier API calls."),
        ("business", 3, lead2, "changes_requested", [], True,
         "10M free API calls and volume-priced compute for Business."),
    ]
    for plan, number, author, status, approvers, finance, reason in crs:
        version = cat.versions[cat.vid[(plan, number)]]
        base_number = 1 if number == 2 else 2
        created = version.created_at + 2 * day
        decided = (version.published_at - day) if version.published_at else None
        if status == "changes_requested":
            decided = created + 2 * day
        probe = stats.probes.get(f"{plan}-{number}", {})
        cid = w.new_id("change_request")
        w.add("change_request", {
            "id": cid, "plan_version_id": version.id, "kind": "price_change", "status": status,
            "reason": reason, "author_id": author,
            "required_approvals": 2 if finance else 1, "requires_finance": finance,
            "diff": _diff(plan, base_number, number),
            "simulation": {
                "method": "recurring fees re-priced for subscribers on the base version",
                "months": 3,
                "currencies": {cur: {"subscriptions": v[0], "mrr_before_minor": v[1],
                                     "mrr_after_minor": v[2], "delta_minor": v[2] - v[1]}
                               for cur, v in sorted(probe.items())},
            },
            "effective_from": version.effective_from, "created_at": created,
            "decided_at": decided,
            "version": 1 + len(approvers) + (1 if status == "changes_requested" else 0),
        })
        for i, approver in enumerate(approvers):
            roles = ["finance"] if approver in {a["finance"], a["finance2"]} \
                else ["monetization_lead"]
            w.add("approval", {
                "id": w.new_id("approval"), "subject_type": "change_request",
                "subject_id": cid, "approver_id": approver, "approver_roles": roles,
                "decision": "approve", "comment": "Looks good." if i == 0 else "Approved.",
                "created_at": (decided or created) - timedelta(hours=6 - i),
            })
        if status == "changes_requested":
            w.add("approval", {
                "id": w.new_id("approval"), "subject_type": "change_request",
                "subject_id": cid, "approver_id": a["finance"], "approver_roles": ["finance"],
                "decision": "request_changes",
                "comment": "Revenue impact is too high for mid-market; keep 5M free calls.",
                "created_at": decided,
            })
    migration = stats.probes.get("enterprise-migration", {})
    w.add("plan_migration", {
        "id": w.new_id("plan_migration"), "from_version_id": cat.vid[("enterprise", 1)],
        "to_version_id": cat.vid[("enterprise", 2)], "status": "scheduled",
        "timing": "next_renewal", "effective_date": None,
        "customer_filter": {"grandfathered": True},
        "preview": {"subscriptions": sum(v[0] for v in migration.values())},
        "created_by": lead2, "created_at": at(cal.as_of - 20 * day, 10), "version": 1,
    })
    t = cat.timeline
    for key, start, end in ((EXPERIMENT_KEY, t.exp_start, None),
                            (EXPERIMENT2_KEY, t.exp2_start, t.exp2_end + day)):
        steps = [("experiment_start", {"key": key}, "Start the experiment.",
                  at(start - 2 * day, 10), at(start - day, 10))]
        if end is not None:
            steps.append(("experiment_conclude", {"key": key, "winner": "variant"},
                          "Variant wins on ARPA with no guardrail breach.", at(end, 9),
                          at(end, 11)))
        for kind, payload, reason, created, decided in steps:
            rid = w.new_id("approval_request")
            w.add("approval_request", {
                "id": rid, "kind": kind, "subject_type": "experiment",
                "subject_id": experiment_ids[key], "status": "approved", "requested_by": lead,
                "required_role": "monetization_lead", "payload": payload, "reason": reason,
                "created_at": created, "decided_at": decided, "version": 2,
            })
            w.add("approval", {
                "id": w.new_id("approval"), "subject_type": "approval_request",
                "subject_id": rid, "approver_id": lead2,
                "approver_roles": ["monetization_lead"], "decision": "approve", "comment": "",
                "created_at": decided,
            })


def _diff(plan: str, base: int, number: int) -> dict:
    fee0, seat0 = FIXED[(plan, base)]
    fee1, seat1 = FIXED[(plan, number)]
    prices = []
    for cur in CURRENCIES:
        if fee0[cur] != fee1[cur]:
            prices.append({"price": "platform fee", "currency": cur, "before": fee0[cur],
                           "after": fee1[cur]})
        if seat0 and seat1 and seat0[cur] != seat1[cur]:
            prices.append({"price": "seat", "currency": cur, "before": seat0[cur],
                           "after": seat1[cur]})
    usage0, usage1 = USAGE[(plan, base)], USAGE[(plan, number)]
    for meter in sorted(set(usage0) | set(usage1)):
        if usage0.get(meter) != usage1.get(meter):
            prices.append({"price": meter, "currency": "*",
                           "before": _model_text(usage0.get(meter)),
                           "after": _model_text(usage1.get(meter))})
    return {"base_version": base, "prices": prices}


def _model_text(entry: tuple[str, dict] | None) -> dict | None:
    if entry is None:
        return None
    return {"charge_model": entry[0], "properties": entry[1]}
