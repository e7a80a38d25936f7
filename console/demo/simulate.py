"""Customer profiles and their subscription timelines (month by month, day-precise events).

A customer's timeline is a pure function of its profile, the catalog and optional forcing
options, so the generator can simulate everyone once to count invoices (for gap-free,
chronological invoice numbers) and again, batch by batch, to build the rows.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from console.demo.calendar import Calendar, at, month_abs
from console.demo.catalog import Catalog
from console.demo.words import (
    CANCEL_REASONS,
    COUNTRIES,
    COUNTRY_CURRENCY,
    LEGAL_SUFFIX,
    MAILBOXES,
    NAME_FIRST,
    NAME_SECOND,
    TLD,
)
from console.experiments.domain import assign_arm, in_rollout_stage

EXPERIMENT_KEY = "team-seat-light"
EXPERIMENT2_KEY = "business-price-review"
ROLLOUT_KEY = "team-v1-to-v2"
ROLLOUT_STAGE1_PERCENT = 20

DAY = timedelta(days=1)

_SEGMENTS = (("smb", 70), ("mid_market", 23), ("enterprise", 7))
_REGIONS = (("na", 45), ("emea", 30), ("apac", 15), ("latam", 10))
_PLAN_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    "smb": (("free", 30), ("team", 62), ("business", 8)),
    "mid_market": (("free", 5), ("team", 30), ("business", 58), ("enterprise", 7)),
    "enterprise": (("business", 30), ("enterprise", 70)),
}
_SEATS: dict[tuple[str, str], tuple[int, int]] = {
    ("team", "smb"): (2, 12), ("team", "mid_market"): (8, 30), ("team", "enterprise"): (10, 40),
    ("business", "smb"): (5, 20), ("business", "mid_market"): (15, 80),
    ("business", "enterprise"): (40, 150), ("enterprise", "smb"): (30, 60),
    ("enterprise", "mid_market"): (40, 120), ("enterprise", "enterprise"): (80, 400),
}
_CHURN = {"smb": 0.020, "mid_market": 0.011, "enterprise": 0.006}
_ONSET = {"smb": 0.02, "mid_market": 0.01, "enterprise": 0.004}
_TERMS = {"smb": ((15, 30), (30, 70)), "mid_market": ((30, 60), (45, 40)),
          "enterprise": ((30, 40), (45, 35), (60, 25))}
_CARD_SHARE = {"smb": 0.95, "mid_market": 0.6, "enterprise": 0.1}


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...] | tuple) -> object:
    """Pick one value from ``((value, weight), ...)``."""
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for value, weight in weighted:
        x -= weight
        if x < 0:
            return value
    return weighted[-1][0]


@dataclass(slots=True)
class Profile:
    """A demo customer's fixed attributes."""

    idx: int
    id: int
    code: str
    name: str
    email: str
    segment: str
    region: str
    country: str
    currency: str
    terms: int
    method: str
    tax_exempt: bool
    created_at: datetime
    seed: int


def make_profiles(n: int, cal: Calendar, rng: random.Random, first_id: int,
                  seed: int) -> list[Profile]:
    """Create ``n`` customers ordered by signup time (codes follow that order).

    About 38 % signed up before the window (up to three years earlier); the rest sign up
    inside it at a rate that grows by 80 % from the first month to the last.
    """
    start = cal.ms(0)
    window_days = (cal.as_of - start).days + 1
    times: list[datetime] = []
    for _ in range(n):
        if rng.random() < 0.38:
            day = start - timedelta(days=1 + int(rng.random() ** 0.8 * 1100))
        else:
            u = rng.random()
            x = (-1 + math.sqrt(1 + 2.24 * u)) / 0.8
            day = start + timedelta(days=min(window_days - 1, int(x * window_days)))
        seconds = 10 * 3600 + rng.randrange(12 * 3600)
        times.append(at(day) + timedelta(seconds=seconds))
    times.sort()
    profiles = []
    for idx, created in enumerate(times):
        segment = pick(rng, _SEGMENTS)
        region = pick(rng, _REGIONS)
        country = pick(rng, COUNTRIES[region])
        first = rng.choice(NAME_FIRST)
        second = rng.choice(NAME_SECOND)
        suffix = rng.choice(LEGAL_SUFFIX[country])
        name = f"{first} {second}" + (f" {suffix}" if suffix else "")
        slug = f"{first}{second}".lower().replace(" ", "")
        email = f"{rng.choice(MAILBOXES)}@{slug}.{TLD[country]}"
        terms = pick(rng, _TERMS[segment])
        method = "card" if rng.random() < _CARD_SHARE[segment] else "bank_transfer"
        profiles.append(Profile(
            idx=idx, id=first_id + idx, code=f"CUS-{idx + 1:06d}", name=name, email=email,
            segment=segment, region=region, country=country,
            currency=COUNTRY_CURRENCY.get(country, "USD"), terms=terms, method=method,
            tax_exempt=rng.random() < (0.06 if segment == "enterprise" else 0.01),
            created_at=created, seed=seed * 1_000_003 + idx * 7919 + 17,
        ))
    return profiles


@dataclass(slots=True)
class SubSim:
    """One subscription's life: its plan/seat changes, end and payment stories."""

    local: int
    plan: str
    interval: str
    start: date
    start_at: datetime
    changes: list[tuple[date, int, int]]
    prorations: list[tuple[date, int, int, int, int]] = field(default_factory=list)
    end: date | None = None
    churn_reason: str | None = None
    status: str = "active"
    trial_end: date | None = None
    #: window month -> (story, failure code, extra days)
    stories: dict[int, tuple[str, str, int]] = field(default_factory=dict)
    final_k: int | None = None
    void_final: bool = False
    anchor_abs: int = 0
    past_due_since: date | None = None
    experiment: tuple[str, str] | None = None
    migrated_from: int | None = None
    migrated_on: date | None = None

    def state_at(self, day: date) -> tuple[int, int]:
        """(version id, seats) in effect on ``day``."""
        vid, seats = self.changes[0][1], self.changes[0][2]
        for when, v, n in self.changes:
            if when > day:
                break
            vid, seats = v, n
        return vid, seats

    @property
    def version(self) -> int:
        """Current version id."""
        return self.changes[-1][1]

    @property
    def seats(self) -> int:
        """Current seat count."""
        return self.changes[-1][2]


@dataclass(slots=True)
class Spec:
    """An invoice to build: its kind, subscription, window month and issue time."""

    kind: str  # regular | final (billed after the end by mistake, voided) | trial
    sub: int
    k: int
    group: str | None  # "A" (issued by the month's bill run) or None (current draft)
    issued_at: datetime | None
    vid: int


@dataclass(slots=True)
class Event:
    """A subscription event before ids are assigned."""

    sub: int
    kind: str
    day: date
    time: datetime
    from_v: int | None
    to_v: int | None
    before: int
    after: int
    reason: str | None
    note: str
    actor: str | None


@dataclass(slots=True)
class CustSim:
    """Everything simulated for one customer."""

    profile: Profile
    subs: list[SubSim] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    ledger: list[tuple[int, int, int | None]] = field(default_factory=list)
    specs: list[Spec] = field(default_factory=list)
    status: str = "active"
    mrr: int = 0
    first_plan: str = "free"
    candidates: set[str] = field(default_factory=set)
    facts: set[str] = field(default_factory=set)


class Simulator:
    """Simulates customers' subscriptions over the window."""

    def __init__(self, cal: Calendar, cat: Catalog, n_customers: int) -> None:
        self.cal = cal
        self.cat = cat
        self.n = max(1, n_customers)

    def a_time(self, k: int, idx: int) -> datetime:
        """When month ``k``'s invoice of customer ``idx`` was issued (or, now, drafted).

        A period is billed when it ends: the run of month ``k`` issues its invoices on the
        first day of ``k + 1`` between 08:00 and 10:00 in customer order. The current month's
        run drafted its invoices early on ``as_of``.
        """
        if k >= self.cal.months - 1:
            return at(self.cal.as_of, 1) + timedelta(seconds=idx * 3600 // self.n)
        return at(self.cal.ms(k + 1), 8) + timedelta(seconds=idx * 7200 // self.n)

    def _start_version(self, plan: str, day: date, p: Profile) -> tuple[int, tuple | None]:
        cat, t = self.cat, self.cat.timeline
        if plan == "team" and p.segment == "smb" and day >= t.exp_start:
            arm = assign_arm(EXPERIMENT_KEY, str(p.id), {"control": 50, "variant": 50})
            return cat.vid[("team", 3 if arm == "variant" else 2)], (EXPERIMENT_KEY, arm)
        if plan == "business" and t.exp2_start <= day <= t.exp2_end:
            arm = assign_arm(EXPERIMENT2_KEY, str(p.id), {"control": 50, "variant": 50})
            return cat.vid[("business", 2 if arm == "variant" else 1)], (EXPERIMENT2_KEY, arm)
        return cat.version_for(plan, day), None

    def simulate(self, p: Profile, force: dict | None = None) -> CustSim:
        """Simulate one customer (``force`` makes a story happen, for small datasets)."""
        force = force or {}
        cal, cat = self.cal, self.cat
        K = cal.months
        as_of = cal.as_of
        rng = random.Random(p.seed)
        cs = CustSim(profile=p)
        cur = p.currency
        s0 = p.created_at.date()
        plan = pick(rng, _PLAN_MIX[p.segment])
        seats = self._seats(rng, plan, p.segment)
        cs.first_plan = plan
        k0 = cal.k_of(s0)
        trial_draw = rng.random()
        vid, arm = self._start_version(plan, s0, p)
        live: SubSim | None = self._open(cs, plan, s0, p.created_at, vid, seats)
        live.experiment = arm
        if plan in {"team", "business"} and (as_of - s0).days < 14:
            cs.candidates.add("trial")
            if trial_draw < 0.6 or force.get("trial"):
                live.status = "trialing"
                live.trial_end = s0 + 14 * DAY
                cs.facts.add("trial")
                self._finish(cs)
                return cs
        mrr = cat.mrr(vid, cur, seats)
        self._emit(cs, live, "new", s0, p.created_at, None, vid, 0, mrr, None,
                   f"Signed up for {plan.capitalize()} with {seats} seat(s).", None)
        last_paid_end: int | None = None
        if k0 < 0 and rng.random() < 0.12:
            end = s0 + timedelta(days=45 + rng.randrange(400))
            if end < cal.ms(0):
                self._end(cs, live, "cancel", end, "voluntary",
                          f"Canceled: {rng.choice(CANCEL_REASONS)}.", None)
                if plan != "free":
                    last_paid_end = cal.k_of(end)
                live = None
        pending: dict[int, list[tuple]] = {}
        lock_until = -1
        for k in range(max(0, k0), K):
            ms = cal.ms(k)
            last = cal.last_day(k)
            if live is not None and ms > live.start:
                for action in pending.pop(k, ()):
                    if live is None:
                        break
                    live = self._apply(cs, live, action, ms, rng)
                    if live is None:
                        last_paid_end = k
                anniversary = self.year_start_in(live, k) if live is not None else None
                if anniversary is not None and anniversary > live.start \
                        and anniversary <= as_of:
                    live = self._renew(cs, live, anniversary, rng)
                    if live is None:
                        last_paid_end = k
                if live is not None and k == cat.timeline.rollout_k and live.plan == "team" \
                        and live.version == cat.vid[("team", 1)]:
                    cs.candidates.add("rollout")
                    if in_rollout_stage(ROLLOUT_KEY, str(p.id), ROLLOUT_STAGE1_PERCENT) \
                            or force.get("rollout"):
                        self._change(cs, live, "migrate", ms, at(ms, 6), cat.vid[("team", 2)],
                                     live.seats, "Moved to Team v2 by rollout stage 1 (20%).",
                                     "monetization_lead2", prorate=False)
                        live.migrated_from = cat.vid[("team", 1)]
                        live.migrated_on = ms
            if live is None:
                if last_paid_end is not None and k - last_paid_end >= 2 and last.day >= 2 \
                        and rng.random() < 0.025:
                    day = ms + timedelta(days=rng.randrange(1, last.day))
                    new_plan = "team" if p.segment == "smb" else "business"
                    n = self._seats(rng, new_plan, p.segment)
                    v = cat.version_for(new_plan, day)
                    when = at(day, 10) + timedelta(seconds=rng.randrange(36000))
                    live = self._open(cs, new_plan, day, when, v, n)
                    self._emit(cs, live, "reactivate", day, when, None, v, 0,
                               cat.mrr(v, cur, n), None,
                               f"Came back on {new_plan.capitalize()}.", None)
                    last_paid_end = None
                continue
            if k <= lock_until or live.interval == "year":
                continue
            paid = live.plan != "free"
            first_day = max(ms + DAY, live.start + DAY)
            if first_day > last:
                continue
            day = first_day + timedelta(days=rng.randrange((last - first_day).days + 1))
            when = at(day, 9) + timedelta(seconds=rng.randrange(32400))
            u = rng.random()
            billed_now = paid and live.start <= ms
            card = p.method == "card"
            forced_cancel = force.get("cancel") == k
            if billed_now and k <= K - 2 and card and not forced_cancel:
                if k == K - 4 or (k == K - 2 and cal.ms(K - 1) + 7 * DAY <= as_of):
                    cs.candidates.add(f"onset{K - k}")
                forced = force.get("onset") == k
                if forced or u < _ONSET[p.segment]:
                    story = "churn" if forced else pick(
                        rng, (("recover_retry", 45), ("recover_manual", 25), ("churn", 30)))
                    code = "insufficient_funds" if story == "recover_retry" else (
                        "expired_card" if story == "recover_manual"
                        else rng.choice(("insufficient_funds", "expired_card")))
                    lock_until = self._story(cs, live, k, story, code, rng, pending)
                    continue
                u -= _ONSET[p.segment]
            if billed_now and k == K - 3:
                cs.candidates.add("void")
            churn = _CHURN[p.segment] * (0.75 if live.plan == "business" else 1.0)
            if not paid:
                if u < 0.03:
                    v = cat.version_for("team", day)
                    n = max(live.seats, 2 + rng.randrange(4))
                    self._change(cs, live, "upgrade", day, when, v, n,
                                 "Upgraded from Free to Team.", None, plan="team")
                elif u < 0.042:
                    self._end(cs, live, "cancel", day, "voluntary", "Closed free workspace.",
                              None)
                    live = None
                continue
            if forced_cancel or (k <= K - 2 and u < churn):
                reason = rng.choice(CANCEL_REASONS)
                pending.setdefault(k + 1, []).append(("cancel", day, reason))
                live.final_k = k + 1
                live.void_final = k <= K - 3 and (forced_cancel or rng.random() < 0.12)
                lock_until = k
                continue
            u -= churn
            if live.plan == "team" and u < 0.018:
                v = cat.version_for("business", day)
                n = max(live.seats, int(live.seats * (1 + rng.random() * 0.4)))
                self._change(cs, live, "upgrade", day, when, v, n, "Upgraded to Business.",
                             None, plan="business")
            elif live.plan == "business" and u < 0.007 and k <= K - 2:
                pending.setdefault(k + 1, []).append(("downgrade",))
            elif 0.02 <= u < 0.08:
                n = live.seats + 1 + int(rng.random() ** 2 * max(2, live.seats // 3))
                self._change(cs, live, "seat_change", day, when, live.version, n,
                             f"Added {n - live.seats} seat(s).", None)
            elif 0.08 <= u < 0.105 and k <= K - 2 and live.seats > 2:
                n = max(1, live.seats - 1 - rng.randrange(max(1, live.seats // 4)))
                pending.setdefault(k + 1, []).append(("seats", n))
        self._finish(cs)
        return cs

    # -- helpers -------------------------------------------------------------------------

    def _seats(self, rng: random.Random, plan: str, segment: str) -> int:
        if plan == "free":
            return 1 + rng.randrange(3)
        lo, hi = _SEATS[(plan, segment)]
        return lo + int((hi - lo) * rng.random() ** 2)

    def _open(self, cs: CustSim, plan: str, day: date, when: datetime, vid: int,
              seats: int) -> SubSim:
        interval = self.cat.versions[vid].interval
        sub = SubSim(local=len(cs.subs), plan=plan, interval=interval, start=day, start_at=when,
                     changes=[(day, vid, seats)], anchor_abs=month_abs(day))
        cs.subs.append(sub)
        return sub

    def _emit(self, cs: CustSim, sub: SubSim, kind: str, day: date, when: datetime,
              from_v: int | None, to_v: int | None, before: int, after: int,
              reason: str | None, note: str, actor: str | None) -> None:
        cs.events.append(Event(sub.local, kind, day, when, from_v, to_v, before, after, reason,
                               note, actor))

    def _change(self, cs: CustSim, sub: SubSim, kind: str, day: date, when: datetime,
                vid: int, seats: int, note: str, actor: str | None, *, plan: str | None = None,
                prorate: bool = True) -> None:
        cur = cs.profile.currency
        old_v, old_n = sub.version, sub.seats
        before = self.cat.mrr(old_v, cur, old_n)
        after = self.cat.mrr(vid, cur, seats)
        if plan is not None:
            sub.plan = plan
        sub.changes.append((day, vid, seats))
        if prorate and day.day != 1 and self.cat.fixed_minor(vid, cur, seats) > \
                self.cat.fixed_minor(old_v, cur, old_n):
            sub.prorations.append((day, old_v, old_n, vid, seats))
        self._emit(cs, sub, kind, day, when, old_v, vid, before, after, None, note, actor)

    def _end(self, cs: CustSim, sub: SubSim, kind: str, day: date, reason: str, note: str,
             actor: str | None) -> None:
        before = self.cat.mrr(sub.version, cs.profile.currency, sub.seats)
        sub.end = day
        sub.status = "canceled"
        sub.churn_reason = reason
        self._emit(cs, sub, kind, day, at(day, 5), sub.version, None, before, 0, reason, note,
                   actor)

    def _apply(self, cs: CustSim, sub: SubSim, action: tuple, ms: date,
               rng: random.Random) -> SubSim | None:
        name = action[0]
        if name == "cancel":
            self._end(cs, sub, "cancel", ms, "voluntary",
                      f"Cancellation requested on {action[1].isoformat()}: {action[2]}.", None)
            return None
        if name == "lapse":
            kind = action[1]
            note = ("Subscription lapsed after failed dunning." if kind == "lapse"
                    else "Canceled by finance after failed dunning.")
            self._end(cs, sub, kind, ms, "involuntary", note,
                      "finance" if kind == "cancel" else None)
            return None
        if name == "downgrade":
            v = self.cat.version_for("team", ms)
            n = max(2, int(sub.seats * 0.8))
            self._change(cs, sub, "downgrade", ms, at(ms, 4), v, n, "Downgraded to Team.", None,
                         plan="team", prorate=False)
            return sub
        if name == "seats":
            n = action[1]
            self._change(cs, sub, "seat_change", ms, at(ms, 4), sub.version, n,
                         f"Removed {sub.seats - n} seat(s).", None, prorate=False)
        return sub

    def year_start_in(self, sub: SubSim, k: int) -> date | None:
        """The day a subscription year of an annual ``sub`` starts in month ``k``, if any."""
        if sub.interval != "year" or (self.cal.abs_of(k) - sub.anchor_abs) % 12:
            return None
        ms = self.cal.ms(k)
        return ms.replace(day=min(sub.start.day, self.cal.days(k)))

    def _renew(self, cs: CustSim, sub: SubSim, ms: date, rng: random.Random) -> SubSim | None:
        if rng.random() < 0.07:
            self._end(cs, sub, "cancel", ms, "voluntary",
                      f"Did not renew the annual contract: {rng.choice(CANCEL_REASONS)}.", None)
            return None
        current = self.cat.version_for("enterprise", ms)
        vid = current if sub.version != current and rng.random() < 0.6 else sub.version
        n = max(20, int(sub.seats * (0.9 + rng.random() * 0.4)))
        cur = cs.profile.currency
        before = self.cat.mrr(sub.version, cur, sub.seats)
        after = self.cat.mrr(vid, cur, n)
        old = sub.version
        sub.changes.append((ms, vid, n))
        self._emit(cs, sub, "renewal", ms, at(ms, 3), old, vid, before, after, None,
                   f"Annual renewal with {n} seats.", None)
        return sub

    def _story(self, cs: CustSim, sub: SubSim, k: int, story: str, code: str,
               rng: random.Random, pending: dict[int, list[tuple]]) -> int:
        cal = self.cal
        issued = cal.ms(k + 1)  # month k is invoiced (and charged) when it ends
        K = cal.months
        exhausted = issued + 7 * DAY
        if story == "recover_retry":
            sub.stories[k] = (story, code, 1 + rng.randrange(3))
            return k
        if story == "recover_manual":
            delay = 3 + rng.randrange(20)
            sub.stories[k] = (story, code, delay)
            if exhausted <= cal.as_of < exhausted + delay * DAY:
                sub.past_due_since = exhausted
            return k
        sub.stories[k] = ("churn", code, k)
        if k + 1 <= K - 2:
            sub.stories[k + 1] = ("churn", code, k)
        if exhausted <= cal.as_of:
            sub.past_due_since = exhausted
        if k + 2 <= K - 1:
            pending.setdefault(k + 2, []).append(
                ("lapse", "cancel" if rng.random() < 0.2 else "lapse"))
            if self.writeoff_day(k) <= cal.as_of:
                cs.facts.add("uncollectible")
        return k + 1

    def _finish(self, cs: CustSim) -> None:
        cal, cat = self.cal, self.cat
        K = cal.months
        p = cs.profile
        cs.events.sort(key=lambda e: (e.day, e.time))
        # The MRR ledger: each window month's MRR after its last day's events.
        total, vid = 0, None
        i, events = 0, cs.events
        for k in range(K):
            end = cal.last_day(k)
            while i < len(events) and events[i].day <= end:
                ev = events[i]
                total += ev.after - ev.before
                if ev.after > 0:
                    vid = ev.to_v
                i += 1
            if total > 0:
                cs.ledger.append((k, total, vid))
        cs.mrr = total
        live = [s for s in cs.subs if s.end is None]
        for sub in cs.subs:
            if sub.end is None and sub.past_due_since is not None and sub.status == "active":
                sub.status = "past_due"
                cs.facts.add("past_due")
            if sub.void_final and sub.final_k is not None and sub.final_k <= K - 2:
                cs.facts.add("void")
        if not live:
            cs.status = "churned"
        elif live[-1].plan == "free":
            cs.status = "free"
        elif live[-1].status == "past_due":
            cs.status = "past_due"
        else:
            cs.status = "active"
        # Invoices to build: one per subscription and month with active days on a paid plan.
        for sub in cs.subs:
            if sub.status == "trialing":
                cs.specs.append(Spec("trial", sub.local, K - 1, None, None, sub.version))
                continue
            for k in range(max(0, cal.k_of(sub.start)), K):
                ms = cal.ms(k)
                if sub.end is not None and sub.end <= ms:
                    if sub.end == ms and sub.void_final and sub.final_k == k and k <= K - 2:
                        cs.specs.append(Spec("final", sub.local, k, "A", self.a_time(k, p.idx),
                                             sub.state_at(sub.end - DAY)[0]))
                    break
                last = cal.last_day(k) if sub.end is None else min(cal.me(k), sub.end - DAY)
                vid_k, _ = sub.state_at(last)
                if cat.versions[vid_k].plan == "free":
                    continue
                group = "A" if k < K - 1 else None
                cs.specs.append(Spec("regular", sub.local, k, group, self.a_time(k, p.idx)
                                     if group else None, vid_k))

    def writeoff_day(self, onset_k: int) -> date:
        """When the unpaid invoices of a dunning story starting in ``onset_k`` are written off."""
        return self.cal.ms(onset_k + 2) + timedelta(days=21)
