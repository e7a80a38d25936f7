"""Metered usage: monthly totals per customer and meter, daily aggregates and raw events.

Monthly totals come from one random stream per customer, daily splits and raw events from a
second one, so how many days are stored never changes what is billed. Quantities are integer
millionths (``quantity_micro``); API calls and AI tokens are whole units, compute hours have
up to six decimals. Raw events add up exactly to the daily aggregate of the days they cover.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from console.demo.calendar import Calendar, at
from console.demo.simulate import CustSim
from console.demo.writer import BatchSink
from models.types import QUANTITY_SCALE

#: meter -> plan -> (low, high) typical monthly units (log-uniform between them).
LEVELS: dict[str, dict[str, tuple[float, float]]] = {
    "api_calls": {"free": (20e3, 90e3), "team": (150e3, 4e6), "business": (2e6, 40e6),
                  "enterprise": (30e6, 300e6)},
    "ai_tokens": {"team": (3e5, 8e6), "business": (5e6, 80e6), "enterprise": (5e7, 5e8)},
    "compute_hours": {"team": (5.0, 120.0), "business": (40.0, 800.0),
                      "enterprise": (300.0, 5000.0)},
}
#: meter -> plan -> share of customers using it.
ADOPTION: dict[str, dict[str, float]] = {
    "api_calls": {"free": 1.0, "team": 1.0, "business": 1.0, "enterprise": 1.0},
    "ai_tokens": {"free": 0.0, "team": 0.4, "business": 0.55, "enterprise": 0.7},
    "compute_hours": {"free": 0.0, "team": 0.25, "business": 0.35, "enterprise": 0.5},
}
#: meter -> (min, max) raw events per day for customers with raw events.
EVENTS_PER_DAY: dict[str, tuple[int, int]] = {
    "api_calls": (3, 10), "ai_tokens": (2, 8), "compute_hours": (1, 4),
}
INTEGRAL = frozenset({"api_calls", "ai_tokens"})
DAILY_COLUMNS = ("customer_id", "meter_id", "day", "quantity_micro", "max_micro", "events")
EVENT_COLUMNS = ("id", "idempotency_key", "customer_id", "meter_id", "quantity_micro",
                 "properties", "occurred_at", "received_at", "import_id")
_PROPS: dict[str, tuple[dict, ...]] = {
    "api_calls": ({"endpoint": "/v1/query"}, {"endpoint": "/v1/ingest"},
                  {"endpoint": "/v1/search"}),
    "ai_tokens": ({"model": "lumen-small"}, {"model": "lumen-large"}),
    "compute_hours": ({"instance": "cpu.medium"}, {"instance": "gpu.a10"}),
}


class UsageGenerator:
    """Builds one customer's usage: returns monthly totals, buffers daily rows and events."""

    def __init__(self, writer: BatchSink, cal: Calendar, meter_ids: dict[str, int], *,
                 daily_from_k: int, raw_from_k: int, raw_permyriad: int,
                 import_id: int | None, spike_idx: frozenset[int], seed: int) -> None:
        self.w = writer
        self.cal = cal
        self.meter_ids = meter_ids
        self.daily_from_k = daily_from_k
        self.raw_from_k = raw_from_k
        self.raw_permyriad = raw_permyriad
        self.import_id = import_id
        self.spike_idx = spike_idx
        self.seed = seed
        self.raw_events = 0
        self.raw_imported = 0
        self.raw_customers = 0
        self._weekday: dict[date, int] = {}

    def is_raw(self, idx: int) -> bool:
        """Whether customer ``idx`` reports raw events (a deterministic subset)."""
        return (idx * 2654435761 + self.seed) % 10_000 < self.raw_permyriad

    def _day_weight(self, day: date) -> int:
        weight = self._weekday.get(day)
        if weight is None:
            weight = self._weekday[day] = 10 if day.weekday() < 5 else 5
        return weight

    def generate(self, cs: CustSim) -> dict[tuple[str, int], int]:
        """Buffer the customer's daily rows (and raw events) and return monthly totals.

        Returns:
            ``(meter code, window month) -> quantity_micro`` for every month with usage,
            including the month before the window (billed in the first window month).
        """
        p = cs.profile
        cal = self.cal
        rng = random.Random(p.seed ^ 0x5BD1E995)
        daily_rng = random.Random(p.seed ^ 0x2545F491)
        intervals = [(s.start, s.end or cal.as_of + timedelta(days=1)) for s in cs.subs]
        first_k = max(-1, cal.k_of(min(s.start for s in cs.subs)))
        plan = cs.first_plan
        meters = []
        for meter, share in ADOPTION.items():
            adopt = rng.random()
            level_u = rng.random()
            growth = 1 + (rng.random() * 0.05 - 0.01)
            if adopt < share[plan]:
                lo, hi = LEVELS[meter][plan]
                meters.append((meter, lo * (hi / lo) ** level_u, growth))
        totals: dict[tuple[str, int], int] = {}
        raw = self.is_raw(p.idx)
        if raw:
            self.raw_customers += 1
        for k in range(first_k, self.cal.months):
            ms, last = cal.ms(k), cal.last_day(k)
            spans = [(max(a, ms), min(b - timedelta(days=1), last)) for a, b in intervals
                     if a <= last and b > ms]
            active = sum((y - x).days + 1 for x, y in spans)
            if active <= 0:
                continue
            days: list[date] = []
            if k >= self.daily_from_k:
                for x, y in spans:
                    days.extend(_days(x, y))
            share = active / cal.days(k)
            for meter, level, growth in meters:
                noise = rng.lognormvariate(0, 0.12)
                spike = 1.0
                if rng.random() < 0.025:
                    spike = 3 + rng.random() * 2
                if k == cal.months - 1 and p.idx in self.spike_idx and meter == "api_calls":
                    spike = 8.0
                units = level * growth ** max(0, k - first_k) * noise * spike * share
                if meter in INTEGRAL:
                    micro = int(units) * QUANTITY_SCALE
                else:
                    micro = int(units * QUANTITY_SCALE)
                if micro <= 0:
                    continue
                totals[(meter, k)] = micro
                if k >= self.daily_from_k:
                    self._daily(p.id, p.code, meter, days, micro, daily_rng,
                                raw and k >= self.raw_from_k, k)
        return totals

    def _daily(self, customer_id: int, code: str, meter: str, days: list[date], micro: int,
               rng: random.Random, raw: bool, k: int) -> None:
        integral = meter in INTEGRAL
        units = micro // QUANTITY_SCALE if integral else micro
        weights = [self._day_weight(d) * (70 + int(rng.random() * 60)) for d in days]
        total_w = sum(weights)
        alloc = [units * w // total_w for w in weights]
        alloc[-1] += units - sum(alloc)
        meter_id = self.meter_ids[meter]
        add = self.w.value_buffer("usage_daily", DAILY_COLUMNS).append
        lo, hi = EVENTS_PER_DAY[meter]
        scale = QUANTITY_SCALE if integral else 1
        for day, amount in zip(days, alloc, strict=True):
            if amount <= 0:
                continue
            q = amount * scale
            if raw:
                n = min(amount, lo + int(rng.random() * (hi - lo + 1)))
                parts = [x * scale for x in _split(amount, n, rng)]
                self._events(customer_id, code, meter, meter_id, day, parts, rng, k)
                add([customer_id, meter_id, day, q, max(parts), len(parts)])
                continue
            if meter == "api_calls":
                events = 24
            elif meter == "ai_tokens":
                events = max(1, min(5000, amount // 1500))
            else:
                events = 1 + amount % 7
            top = q if events == 1 else min(q, (q // events) * 2)
            add([customer_id, meter_id, day, q, max(top, 1), events])

    def _events(self, customer_id: int, code: str, meter: str, meter_id: int, day: date,
                parts: list[int], rng: random.Random, k: int) -> None:
        base = at(day)
        seconds = sorted(rng.randrange(86_400) for _ in parts)
        stamp = day.strftime("%Y%m%d")
        props = _PROPS[meter]
        imported = self.import_id if k < self.cal.months - 1 else None
        add = self.w.value_buffer("usage_event", EVENT_COLUMNS).append
        new_id = self.w.new_id
        for j, (quantity, second) in enumerate(zip(parts, seconds, strict=True)):
            occurred: datetime = base + timedelta(seconds=second)
            add([new_id("usage_event"), f"evt_{code}_{meter}_{stamp}_{j:02d}", customer_id,
                 meter_id,
                 quantity, props[(second + j) % len(props)], occurred,
                 occurred + timedelta(seconds=2 + second % 50), imported])
        self.raw_events += len(parts)
        if imported is not None:
            self.raw_imported += len(parts)


def _days(first: date, last: date) -> list[date]:
    n = (last - first).days + 1
    return [first + timedelta(days=i) for i in range(n)] if n > 0 else []


def _split(total: int, n: int, rng: random.Random) -> list[int]:
    """Split a positive integer into ``n`` positive parts (``n <= total``) that add up to it."""
    if n <= 1:
        return [total]
    cuts = sorted(rng.sample(range(1, total), n - 1)) if total > n else list(range(1, n))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(n)]
