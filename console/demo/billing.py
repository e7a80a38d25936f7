"""Per-customer rows: subscriptions, events, the MRR ledger, invoices and everything after them.

Invoices follow the simulated timeline and the bill-run rules of
:mod:`console.billing.domain.charges`:
one invoice per subscription and month, made when the month ends, with the month's platform
fee and seats (in advance; prorated from a mid-month start, credited and re-charged on a
mid-month upgrade or seat addition), a yearly fee on the invoice of the month a subscription
year starts, and the month's usage in arrears. Amounts are rounded once per line
(:func:`console.money.round_minor`, :func:`console.pricing.prorate`), tax per line
(:func:`console.billing.domain.tax.line_tax_minor`), prepaid credit is drawn like the bill run does
(:func:`console.billing.domain.lines.prepaid_credit_line`) and review flags come from
:func:`console.billing.domain.anomalies.flag_invoice`.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from console.billing.domain.anomalies import AnomalyPolicy, InvoiceFacts, flag_invoice
from console.billing.domain.lines import LineDraft, prepaid_credit_line
from console.billing.domain.tax import line_tax_minor
from console.demo.calendar import Calendar, at, month_from_abs
from console.demo.catalog import (
    CREDIT_NOTE_THRESHOLD_MINOR,
    DISPUTE_SLA_HOURS,
    DUNNING_DAYS,
    METERS,
    POLICY,
    Catalog,
    PriceDef,
)
from console.demo.simulate import CustSim, Simulator, Spec, SubSim, pick
from console.demo.usage import UsageGenerator
from console.demo.words import COLLECTION_NOTES, DISPUTE_TEXT, TICKET_SUBJECTS
from console.demo.writer import BatchSink
from console.money import format_minor, round_minor, to_major
from console.pricing import breakdown, prorate, rate_many
from models.types import micro_to_quantity

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
_ZERO = Decimal(0)
_AVG_QUANTUM = Decimal("1e-8")
_METER_NAMES = {code: name for code, name, _, _ in METERS}
_POLICY = AnomalyPolicy.from_setting(POLICY["anomaly"])
#: Earlier invoices (and months of usage) the review flags compare with.
TRAILING_PERIODS = 3
_TICKET_RATE = {"smb": 0.015, "mid_market": 0.03, "enterprise": 0.05}


def _anniversary(start: date, year: int) -> date:
    """``start``'s anniversary in ``year`` (Feb 29 falls on Feb 28)."""
    return date(year, start.month, min(start.day, calendar.monthrange(year, start.month)[1]))


def _dec(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0E+0"} else text


@dataclass(slots=True)
class Numbering:
    """Gap-free, chronological invoice numbers per year, decided before the rows are built."""

    a_start: dict[int, int]
    last_by_year: dict[int, int]
    first_month: dict[int, int]
    a_next: dict[int, int] = field(default_factory=dict)

    def take_a(self, k: int) -> int:
        """Next number of month ``k``'s bill run (customers are built in id order)."""
        offset = self.a_next.get(k, 0)
        self.a_next[k] = offset + 1
        return self.a_start[k] + offset


@dataclass(slots=True)
class _Account:
    """A customer's running state while its invoices are built in time order."""

    #: subscription -> [(total, version)] of earlier non-void invoices, most recent last
    history: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    balance: int = 0
    #: (when, amount) credits not yet available to the bill run
    pending: list[tuple[datetime, int]] = field(default_factory=list)

    def release(self, until: datetime) -> None:
        """Move credits granted up to ``until`` into the prepaid balance."""
        keep = []
        for when, amount in self.pending:
            if when <= until:
                self.balance += amount
            else:
                keep.append((when, amount))
        self.pending = keep


@dataclass(slots=True)
class _Dispute:
    opened_at: datetime
    status: str
    resolved_at: datetime | None
    credit_total: int
    credit_at: datetime | None


class RowBuilder:
    """Turns simulated customers into rows of every customer-side table."""

    def __init__(self, *, writer: BatchSink, cal: Calendar, cat: Catalog, sim: Simulator,
                 usage: UsageGenerator, actors: dict[str, int], numbering: Numbering,
                 bill_runs: dict[int, int], tax_pct: dict[str, str],
                 forced_disputes: dict[int, tuple[str, int]], experiment_arms: dict,
                 experiment_ids: dict[str, int], rollout: tuple[int, int] | None,
                 breakdown_from_k: int, drafts_before: int = 0) -> None:
        self.w = writer
        self.cal = cal
        self.cat = cat
        self.sim = sim
        self.usage = usage
        self.a = actors
        self.numbering = numbering
        self.bill_runs = bill_runs
        self.tax_pct = {region: Decimal(pct) for region, pct in tax_pct.items()}
        self.tax_text = dict(tax_pct)
        self.forced_disputes = forced_disputes
        self.experiment_arms = experiment_arms
        self.experiment_ids = experiment_ids
        self.rollout = rollout
        self.breakdown_from_k = breakdown_from_k
        self.horizon = at(cal.as_of) + DAY
        self.late: dict[str, list[dict]] = {
            "credit_note": [], "credit_note_line": [], "approval_request": [], "approval": [],
        }
        self.current_seen = drafts_before
        self._label_cache: dict[tuple[int, Decimal], list[str]] = {}
        self._tax_cache: dict[tuple[int, str, str], int] = {}
        self._rated: dict[tuple[int, int], Decimal] = {}
        self.flag_counts: dict[str, int] = {}

    # -- customer ------------------------------------------------------------------------

    def build(self, cs: CustSim) -> None:
        """Buffer every row of one simulated customer."""
        p = cs.profile
        w = self.w
        rng = random.Random(p.seed ^ 0x3C6EF372)
        sub_ids = [w.new_id("subscription") for _ in cs.subs]
        self._subscriptions(cs, sub_ids)
        usage = self.usage.generate(cs)
        self._rated = self._rate_usage(cs, usage)
        account = _Account()
        open_items: list[tuple[date, int, int, int]] = []
        late_paid: list[tuple[date, int]] = []
        for spec in sorted(cs.specs, key=lambda s: (s.k, s.sub)):
            self._invoice(cs, sub_ids, spec, usage, rng, account, open_items, late_paid)
        account.release(self.horizon)
        balance = account.balance
        self._collections(cs, rng, open_items, late_paid)
        self._tickets(cs, rng)
        card_ref = "tok_success"
        failing = [s.stories[max(s.stories)] for s in cs.subs
                   if s.stories and (s.past_due_since or s.churn_reason == "involuntary")]
        if failing:
            card_ref = "tok_" + failing[-1][1]
        elif rng.random() < 0.03:
            card_ref = "tok_network_error"
        w.add("customer", {
            "id": p.id, "code": p.code, "name": p.name, "email": p.email, "segment": p.segment,
            "region": p.region, "country": p.country, "currency": p.currency,
            "payment_terms_days": p.terms, "status": cs.status, "payment_token": card_ref,
            "credit_balance_minor": balance, "mrr_minor": cs.mrr, "tax_exempt": p.tax_exempt,
            "created_at": p.created_at, "version": 1,
        })

    def _rate_usage(self, cs: CustSim, usage: dict) -> dict[tuple[int, int], Decimal]:
        """Rate every usage total the customer's invoices need, one engine call per price.

        :func:`console.pricing.rate_many` is :func:`console.pricing.rate` with the properties
        parsed once per price.
        """
        cur = cs.profile.currency
        wanted: dict[int, tuple[PriceDef, set[int]]] = {}
        for spec in cs.specs:
            if spec.kind != "regular":
                continue
            for price in self.cat.versions[spec.vid].usage[cur]:
                micro = usage.get((price.meter, spec.k))
                if micro:
                    wanted.setdefault(price.id, (price, set()))[1].add(micro)
        rated: dict[tuple[int, int], Decimal] = {}
        for price, micros in wanted.values():
            ordered = sorted(micros)
            amounts = rate_many(price.model, price.properties,
                                [micro_to_quantity(m) for m in ordered])
            for micro, amount in zip(ordered, amounts, strict=True):
                rated[(price.id, micro)] = amount
        return rated

    def _subscriptions(self, cs: CustSim, sub_ids: list[int]) -> None:
        p = cs.profile
        w, cal, cat = self.w, self.cal, self.cat
        as_of = cal.as_of
        for sub, sid in zip(cs.subs, sub_ids, strict=True):
            live = sub.end is None
            vid = sub.version
            if sub.status == "trialing":
                period = (sub.start, sub.trial_end or sub.start)
            else:
                period = self._period(sub, as_of if live else sub.end - DAY)
            mrr = cat.mrr(vid, p.currency, sub.seats) if live and sub.status != "trialing" \
                else 0
            w.add("subscription", {
                "id": sid, "customer_id": p.id, "plan_id": cat.plan_ids[sub.plan],
                "plan_version_id": vid, "status": sub.status, "currency": p.currency,
                "seats": sub.seats, "billing_interval": sub.interval, "started_on": sub.start,
                "current_period_start": period[0], "current_period_end": period[1],
                "canceled_on": sub.end - DAY if sub.end else None,
                "churn_reason": sub.churn_reason, "mrr_minor": mrr,
                "grandfathered": live and cat.versions[vid].status == "retired",
                "created_at": sub.start_at, "version": len(sub.changes) + (0 if live else 1),
            })
            if sub.experiment is not None:
                key, arm = sub.experiment
                w.add("experiment_assignment", {
                    "id": w.new_id("experiment_assignment"),
                    "experiment_id": self.experiment_ids[key],
                    "arm_id": self.experiment_arms[(key, arm)], "customer_id": p.id,
                    "assigned_at": sub.start_at,
                })
            if sub.migrated_from is not None and self.rollout is not None:
                w.add("rollout_member", {
                    "id": w.new_id("rollout_member"), "rollout_id": self.rollout[0],
                    "stage_id": self.rollout[1], "customer_id": p.id, "subscription_id": sid,
                    "from_version_id": sub.migrated_from, "moved_on": sub.migrated_on,
                    "rolled_back_on": None,
                })
        add = w.rows["subscription_event"].append
        for ev in cs.events:
            add({
                "id": w.new_id("subscription_event"), "subscription_id": sub_ids[ev.sub],
                "customer_id": p.id, "kind": ev.kind, "occurred_on": ev.day,
                "from_version_id": ev.from_v, "to_version_id": ev.to_v, "currency": p.currency,
                "mrr_before_minor": ev.before, "mrr_after_minor": ev.after,
                "mrr_delta_minor": ev.after - ev.before, "churn_reason": ev.reason,
                "note": ev.note, "actor_id": self.a[ev.actor] if ev.actor else None,
                "created_at": ev.time,
            })
        add = w.rows["mrr_monthly"].append
        before = None  # the ledger is in month order: mark the rows equal to the month before
        for k, mrr, vid in cs.ledger:
            add({"customer_id": p.id, "month": cal.ms(k), "mrr_minor": mrr,
                 "currency": p.currency, "plan_version_id": vid,
                 "unchanged": before == (k - 1, mrr, vid)})
            before = (k, mrr, vid)

    def _period(self, sub: SubSim, day: date) -> tuple[date, date]:
        """The billing period containing ``day``: its calendar month, or its subscription year
        (anniversary to the day before the next) for annual plans."""
        if sub.interval == "year":
            start = _anniversary(sub.start, day.year)
            if start > day:
                start = _anniversary(sub.start, day.year - 1)
            return start, _anniversary(sub.start, start.year + 1) - DAY
        first = day.replace(day=1)
        nxt = month_from_abs(first.year * 12 + first.month)
        return first, nxt - DAY

    # -- invoices ------------------------------------------------------------------------

    def _line(self, kind: str, description: str, quantity: str, unit_amount: str, amount: int,
              *, price: PriceDef | None = None, bd: list | None = None,
              usage_from: datetime | None = None, usage_to: datetime | None = None) -> dict:
        return {
            "id": 0, "invoice_id": 0, "price_id": price.id if price else None,
            "meter_id": price.meter_id if price else None, "kind": kind,
            "description": description, "quantity": quantity, "unit_amount": unit_amount,
            "amount_minor": amount, "tax_rate": "0", "tax_minor": 0, "breakdown": bd or [],
            "usage_from": usage_from, "usage_to": usage_to, "position": 0, "edit_reason": None,
            "meter_code": price.meter if price else None,
        }

    def _fixed_lines(self, vid: int, cur: str, seats: int, period: str) -> list[dict]:
        cat = self.cat
        version = cat.versions[vid]
        lines = []
        for kind, price, units in (("recurring", version.fee[cur], 1),
                                   ("seat", version.seat.get(cur), seats)):
            if price is None:
                continue
            amount = cat.fee_minor(vid, cur) if kind == "recurring" \
                else cat.seat_minor(vid, cur, seats)
            title = price.name if kind == "recurring" else f"{price.name} × {seats}"
            lines.append(self._line(kind, f"{title} ({period}, in advance)", str(units),
                                    price.properties["amount"], amount, price=price,
                                    bd=self._labels(price, Decimal(units), cur)))
        return lines

    def _labels(self, price: PriceDef, units: Decimal, cur: str, *, cache: bool = True
                ) -> list[str]:
        """The charge's breakdown rows as text, like the bill run stores them."""
        key = (price.id, units)
        rows = self._label_cache.get(key) if cache else None
        if rows is None:
            rows = [r.label for r in breakdown(price.model, price.properties, units,
                                               currency=cur)]
            if cache:
                self._label_cache[key] = rows
        return list(rows)

    def _prorated(self, lines: list[dict], cur: str, ps: date, pe: date, first: date,
                  *, credit: bool) -> list[dict]:
        out = []
        note = f"{(pe - first).days + 1}/{(pe - ps).days + 1} days of {ps:%b %Y}"
        for line in lines:
            share = prorate(line["amount_minor"], period_start=ps, period_end=pe,
                            active_from=first, active_to=pe)
            if not share:
                continue
            title = line["description"].split(" (")[0]
            span = f"{first:%b %d}–{pe:%b %d}"
            line = dict(line)
            if credit:
                line.update(kind="proration_credit", amount_minor=-share,
                            description=f"Unused {title} ({span})",
                            breakdown=[*line["breakdown"], f"credit {note}"])
            else:
                line.update(kind="proration_charge", amount_minor=share,
                            description=f"{title} ({span}, prorated)",
                            breakdown=[*line["breakdown"], f"charge {note}"])
            out.append(line)
        return out

    def _usage_lines(self, vid: int, cur: str, k: int, usage: dict, first: date,
                     until: datetime) -> list[dict]:
        cal = self.cal
        lines = []
        frm, to = at(first), until
        with_bd = k >= self.breakdown_from_k
        for price in self.cat.versions[vid].usage[cur]:
            micro = usage.get((price.meter, k))
            if not micro:
                continue
            units = micro_to_quantity(micro)
            amount_dec = self._rated[(price.id, micro)]
            bd = self._labels(price, units, cur, cache=False) if with_bd else []
            if price.model == "standard":
                unit_amount = price.properties["amount"]
            else:
                unit_amount = _dec((amount_dec / units).quantize(_AVG_QUANTUM))
            lines.append(self._line(
                "usage", f"{price.name} ({cal.label(k)}, in arrears)", _dec(units),
                unit_amount, round_minor(amount_dec, cur), price=price, bd=bd,
                usage_from=frm, usage_to=to))
        return lines

    def _lines(self, cs: CustSim, sub: SubSim, spec: Spec, usage: dict) -> list[dict]:
        cal = self.cal
        cur = cs.profile.currency
        k = spec.k
        ms, me = cal.ms(k), cal.me(k)
        if spec.kind == "trial":
            vid, seats = sub.changes[0][1], sub.changes[0][2]
            lines = self._fixed_lines(vid, cur, seats, f"free trial until {sub.trial_end:%b %d}")
            for line in lines:
                line.update(amount_minor=0, unit_amount="0", breakdown=["free trial"])
            return lines
        if spec.kind == "final":
            vid, seats = sub.state_at(sub.end - DAY)
            return self._fixed_lines(vid, cur, seats, cal.label(k))
        first = max(ms, sub.start)
        lines: list[dict] = []
        if sub.interval == "year":
            year_start = self.sim.year_start_in(sub, k)
            if year_start is not None and year_start >= sub.start and (
                    sub.end is None or year_start < sub.end):
                vid, seats = sub.state_at(year_start)
                lines.extend(self._fixed_lines(vid, cur, seats, self._year_label(year_start)))
        else:
            vid, seats = sub.state_at(first)
            if self.cat.versions[vid].plan != "free":
                fixed = self._fixed_lines(vid, cur, seats, cal.label(k))
                lines.extend(fixed if first == ms else
                             self._prorated(fixed, cur, ms, me, first, credit=False))
            for day, old_v, old_n, new_v, new_n in sub.prorations:
                if cal.k_of(day) != k:
                    continue
                if self.cat.versions[old_v].plan != "free":
                    lines.extend(self._prorated(self._fixed_lines(old_v, cur, old_n,
                                                                  cal.label(k)),
                                                cur, ms, me, day, credit=True))
                lines.extend(self._prorated(self._fixed_lines(new_v, cur, new_n, cal.label(k)),
                                            cur, ms, me, day, credit=False))
        last = min(me, cal.as_of) if sub.end is None else min(me, sub.end - DAY)
        until = min(at(last) + DAY, self.horizon)
        lines.extend(self._usage_lines(spec.vid, cur, k, usage, first, until))
        return lines

    def _year_label(self, start: date) -> str:
        end = _anniversary(start, start.year + 1) - DAY
        return f"year {start:%b %d, %Y} – {end:%b %d, %Y}"

    def _invoice(self, cs: CustSim, sub_ids: list[int], spec: Spec, usage: dict,
                 rng: random.Random, account: _Account, open_items: list,
                 late_paid: list) -> None:
        """Buffer one invoice with its lines and everything that followed it."""
        p = cs.profile
        w, cal = self.w, self.cal
        sub = cs.subs[spec.sub]
        cur = p.currency
        k = spec.k
        draft = spec.group is None
        created = self.sim.a_time(k, p.idx) - (0 * HOUR if draft else 7 * HOUR)
        if spec.kind == "trial":
            created = max(created, sub.start_at)
        lines = self._lines(cs, sub, spec, usage)
        pct_text = "0" if p.tax_exempt else self.tax_text[p.region]
        tax_cache = self._tax_cache
        for line in lines:
            line["tax_rate"] = pct_text
            key = (line["amount_minor"], pct_text, cur)
            line_tax = tax_cache.get(key)
            if line_tax is None:
                line_tax = tax_cache[key] = line_tax_minor(key[0], pct_text, cur)
                if len(tax_cache) > 200_000:
                    tax_cache.clear()
            line["tax_minor"] = line_tax
        account.release(created)
        if account.balance > 0 and spec.kind == "regular":
            credit, left = prepaid_credit_line(
                [LineDraft(kind=x["kind"], description=x["description"],
                           amount_minor=x["amount_minor"], tax_minor=x["tax_minor"])
                 for x in lines], credit_balance_minor=account.balance)
            if credit is not None:
                account.balance = left
                lines.append(self._line("credit", credit.description, credit.quantity,
                                        credit.unit_amount, credit.amount_minor,
                                        bd=list(credit.breakdown)))
        invoice_id = w.new_id("invoice")
        subtotal = tax = 0
        add_line = w.rows["invoice_line"].append
        for position, line in enumerate(lines):
            line.update(id=w.new_id("invoice_line"), invoice_id=invoice_id, position=position)
            subtotal += line["amount_minor"]
            tax += line["tax_minor"]
            add_line(line)
        total = subtotal + tax
        vid = spec.vid
        history = account.history.setdefault(spec.sub, [])
        previous_version = history[-1][1] if history else None
        first_on_version = (previous_version is not None and previous_version != vid) or (
            previous_version is None and self.numbering.first_month.get(vid) == k)
        units = {_METER_NAMES[x["meter_code"]]: Decimal(x["quantity"]) for x in lines
                 if x["kind"] == "usage"}
        trailing = {}
        for x in lines:
            if x["kind"] == "usage":
                seen = [usage[(x["meter_code"], j)] for j in range(k - TRAILING_PERIODS, k)
                        if usage.get((x["meter_code"], j))]
                if seen:
                    trailing[_METER_NAMES[x["meter_code"]]] = micro_to_quantity(
                        sum(seen)) / len(seen)
        facts = InvoiceFacts(
            total_minor=total,
            previous_totals_minor=[t for t, _ in reversed(history)],
            meter_units=units, trailing_average_units=trailing,
            first_on_version=first_on_version,
            format_amount=lambda minor: format_minor(minor, cur))
        flags = [f.as_json() for f in flag_invoice(facts, _POLICY)]
        for flag in flags:
            self.flag_counts[flag["code"]] = self.flag_counts.get(flag["code"], 0) + 1
        for line in lines:
            line.pop("meter_code", None)
        row = {
            "id": invoice_id, "number": None, "customer_id": p.id,
            "subscription_id": sub_ids[spec.sub], "bill_run_id": self.bill_runs.get(k),
            "plan_version_id": vid, "period_start": cal.ms(k), "period_end": cal.me(k),
            "currency": cur, "status": "draft", "subtotal_minor": subtotal, "tax_minor": tax,
            "total_minor": total, "credited_minor": 0, "paid_minor": 0, "flags": flags,
            "hold_reason": None, "issued_at": None, "due_date": None, "paid_at": None,
            "voided_at": None, "approved_by": None, "created_at": created,
            "updated_at": created, "version": 1,
        }
        if spec.kind != "final":
            history.append((total, vid))
            del history[:-TRAILING_PERIODS]
        if draft:
            self._draft(row, rng)
        else:
            account.pending.extend(self._issued(
                row, cs, sub, spec, lines, rng, previous_version not in (None, vid),
                open_items, late_paid))
        w.add("invoice", row)

    def _draft(self, row: dict, rng: random.Random) -> None:
        self.current_seen += 1
        created = row["created_at"]
        flags = row["flags"]
        forced = {1: "in_review", 2: "approved", 3: "draft"}.get(self.current_seen)
        if forced:
            status = forced
        elif flags:
            status = "in_review" if rng.random() < 0.5 else "draft"
        else:
            status = "approved" if rng.random() < 0.25 else "draft"
        updated = created
        if status != "draft":
            updated = min(created + timedelta(minutes=20 + rng.randrange(600)),
                          self.horizon - MINUTE)
        if status == "approved":
            row["approved_by"] = self._reviewer(self.cal.months - 1)
        if status == "in_review":
            row["hold_reason"] = ("Held for review: " + flags[0]["detail"] if flags
                                  else "Held: customer asked to check the seat count.")
        row.update(status=status, updated_at=max(created, updated),
                   version=1 if status == "draft" else 2)

    def _reviewer(self, k: int) -> int:
        """Who approved month ``k``'s invoices: not the finance user who ran its bill run."""
        return self.a["finance2"] if k % 2 == 0 else self.a["finance"]

    # -- issued invoices -----------------------------------------------------------------

    def _issued(self, row: dict, cs: CustSim, sub: SubSim, spec: Spec, lines: list[dict],
                rng: random.Random, new_version: bool, open_items: list,
                late_paid: list) -> list[tuple[datetime, int]]:
        """Issue, collect, dispute and credit one invoice; return credits for the balance."""
        p = cs.profile
        k = spec.k
        issued = spec.issued_at
        assert issued is not None
        number = self.numbering.take_a(k)
        due = issued.date() + timedelta(days=p.terms)
        total = row["total_minor"]
        row.update(number=f"INV-{issued.year}-{number:06d}", issued_at=issued, due_date=due,
                   approved_by=self._reviewer(k),
                   status="issued", updated_at=issued, version=2)
        if spec.kind == "final":
            voided = issued + (timedelta(minutes=30) if p.method == "card" else 2 * DAY)
            voided = min(voided, self.horizon - HOUR)
            row.update(status="void", voided_at=voided, updated_at=voided, version=3)
            return []
        if total <= 0:
            row.update(status="paid", paid_at=issued, updated_at=issued, version=3)
            return []
        story = sub.stories.get(k)
        dispute = None
        forced = self.forced_disputes.get(p.idx)
        if story is None:
            if forced is not None and forced[1] == k:
                dispute = self._dispute(row, cs, lines, rng, spec, new_version, forced[0])
            elif rng.random() < self._dispute_chance(lines, new_version):
                dispute = self._dispute(row, cs, lines, rng, spec, new_version, None)
        credited = dispute.credit_total if dispute else 0
        credit_at = dispute.credit_at if dispute else None
        credits: list[tuple[datetime, int]] = []
        if p.method == "card":
            payments, written_off = self._card(row, cs, sub, story, rng)
            if credited and credit_at is not None:
                credits.append((credit_at, credited))
        else:
            payments, written_off, after = self._bank(row, cs, dispute, rng)
            if after and credit_at is not None:
                credits.append((credit_at, after))
        paid = sum(amount for _, amount in payments)
        row["paid_minor"] = paid
        row["credited_minor"] = credited
        if paid + credited >= total:
            paid_at = max([t for t, _ in payments] + ([credit_at] if credit_at else []))
            row.update(status="paid", paid_at=paid_at, updated_at=paid_at, version=3)
            last_pay = payments[-1][0] if payments else paid_at
            if last_pay.date() > due + timedelta(days=20):
                late_paid.append((due, row["id"]))
            if dispute is None and p.segment != "smb" and rng.random() < 0.012:
                goodwill = self._goodwill(row, cs, lines, rng, paid_at)
                if goodwill is not None:
                    credits.append(goodwill)
        elif written_off is not None:
            row.update(status="uncollectible", updated_at=written_off, version=3)
            if total >= CREDIT_NOTE_THRESHOLD_MINOR:
                self.approval_request("write_off", "invoice", row["id"], self.a["finance"],
                                      "finance", {"amount_minor": total - paid},
                                      "Dunning exhausted; writing off the balance.",
                                      written_off - DAY, "approved", written_off,
                                      self.a["finance2"])
        else:
            open_items.append((due, row["id"], total - paid - credited, total))
        return credits

    def _dispute_chance(self, lines: list[dict], new_version: bool) -> float:
        chance = 0.007
        if any(line["kind"] == "usage" and line["amount_minor"] > 0 for line in lines):
            chance += 0.004
        if new_version:
            chance += 0.03
        return chance

    def _card(self, row: dict, cs: CustSim, sub: SubSim, story: tuple | None,
              rng: random.Random) -> tuple[list[tuple[datetime, int]], datetime | None]:
        w = self.w
        invoice_id, total, cur = row["id"], row["total_minor"], row["currency"]
        t1 = row["issued_at"] + HOUR
        schedule = [t1] + [t1 + d * DAY for d in DUNNING_DAYS]
        written_off = None
        manual_at = None
        if story is None:
            if rng.random() < 0.01:
                outcomes = [("failed", "network_error"), ("succeeded", None)]
            else:
                outcomes = [("succeeded", None)]
        else:
            name, code, extra = story
            if name == "recover_retry":
                outcomes = [("failed", code)] * extra + [("succeeded", None)]
            else:
                outcomes = [("failed", code)] * len(schedule)
                if name == "recover_manual":
                    manual_at = t1 + (DUNNING_DAYS[-1] + extra) * DAY + 3 * HOUR
                    outcomes.append(("succeeded", None))
                    schedule.append(manual_at)
                else:
                    day = self.sim.writeoff_day(extra)
                    if day <= self.cal.as_of:
                        written_off = at(day, 11)
        payments = []
        for n, ((status, code), when) in enumerate(zip(outcomes, schedule, strict=False),
                                                   start=1):
            attempt = {
                "id": w.new_id("payment_attempt"), "invoice_id": invoice_id, "attempt_no": n,
                "idempotency_key": f"pay-{row['number']}-attempt-{n}", "amount_minor": total,
                "currency": cur, "status": status, "failure_code": code, "scheduled_at": when,
                "attempted_at": when, "payment_id": None,
            }
            if when >= self.horizon:
                attempt.update(status="scheduled", failure_code=None, attempted_at=None)
                w.add("payment_attempt", attempt)
                break
            if status == "succeeded":
                pid = self._payment(row, cs, total, when, "card", n)
                attempt["payment_id"] = pid
                payments.append((when, total))
            else:
                final = n == len(DUNNING_DAYS) + 1
                self._outbox(cs, "dunning_final" if final else "dunning_reminder",
                             f"Payment failed for invoice {row['number']}",
                             ("We could not collect payment after several attempts; your "
                              "subscription is now past due.") if final else
                             f"Attempt {n} failed ({code}). We will retry automatically.",
                             "invoice", invoice_id, when + timedelta(minutes=5))
            w.add("payment_attempt", attempt)
        return payments, written_off

    def _bank(self, row: dict, cs: CustSim, dispute: _Dispute | None, rng: random.Random
              ) -> tuple[list[tuple[datetime, int]], datetime | None, int]:
        due = row["due_date"]
        total = row["total_minor"]
        u = rng.random()
        if u < 0.72:
            delay = -rng.randrange(13)
        elif u < 0.90:
            delay = 1 + rng.randrange(30)
        elif u < 0.96:
            delay = 31 + rng.randrange(45)
        elif u < 0.99:
            delay = 76 + rng.randrange(35)
        else:
            delay = None
        if delay is None:
            day = due + timedelta(days=120)
            return [], (at(day, 11) if day <= self.cal.as_of else None), 0
        pay_at = at(due + timedelta(days=delay), 13) + timedelta(seconds=rng.randrange(14400))
        pay_at = max(pay_at, row["issued_at"] + 2 * HOUR)
        if dispute is not None and dispute.opened_at < pay_at:
            if dispute.resolved_at is None:
                return [], None, 0
            pay_at = max(pay_at, dispute.resolved_at + 2 * DAY)
        credit_before = dispute.credit_total if dispute and dispute.credit_at and \
            dispute.credit_at <= pay_at else 0
        balance = dispute.credit_total if dispute and dispute.credit_total and \
            not credit_before else 0
        amount = total - credit_before
        payments = []
        if delay > 10 and rng.random() < 0.3 and amount > 1:
            first_at = max(row["issued_at"] + 2 * HOUR, pay_at - timedelta(days=delay // 2))
            if first_at < self.horizon:
                half = amount // 2
                self._payment(row, cs, half, first_at, "bank_transfer", 1)
                payments.append((first_at, half))
                amount -= half
        if pay_at < self.horizon and amount > 0:
            self._payment(row, cs, amount, pay_at, "bank_transfer", len(payments) + 1)
            payments.append((pay_at, amount))
        return payments, None, balance if pay_at < self.horizon else 0

    def _payment(self, row: dict, cs: CustSim, amount: int, when: datetime, method: str,
                 seq: int) -> int:
        pid = self.w.new_id("payment")
        number = row["number"]
        ref = (f"ch_{number[4:8]}{number[9:]}{seq}" if method == "card"
               else f"BT-{number[4:]}-{seq}")
        self.w.add("payment", {
            "id": pid, "invoice_id": row["id"], "customer_id": cs.profile.id,
            "amount_minor": amount, "currency": row["currency"], "status": "succeeded",
            "method": method, "provider_ref": ref, "received_at": when, "created_at": when,
        })
        return pid

    def _outbox(self, cs: CustSim, kind: str, subject: str, body: str, related_type: str,
                related_id: int, when: datetime) -> None:
        self.w.add("outbox_message", {
            "id": self.w.new_id("outbox_message"), "customer_id": cs.profile.id, "kind": kind,
            "subject": subject, "body": body, "related_type": related_type,
            "related_id": related_id, "created_at": when,
            "sent_at": when + MINUTE if when + MINUTE < self.horizon else None,
        })

    # -- disputes and credit notes -------------------------------------------------------

    def _dispute(self, row: dict, cs: CustSim, lines: list[dict], rng: random.Random,
                 spec: Spec, new_version: bool, forced: str | None) -> _Dispute | None:
        w, a = self.w, self.a
        positive = [line for line in lines if line["amount_minor"] > 0]
        if not positive:
            return None
        issued = row["issued_at"]
        has_usage = any(line["kind"] == "usage" for line in positive)
        reason = pick(rng, (
            ("usage_disagreement", 40 if has_usage else 0),
            ("price_plan_mismatch", 15 + (40 if new_version else 0)),
            ("duplicate_charge", 8), ("service_issue", 15),
            ("cancellation_not_honoured", 70 if spec.kind == "final" else 2), ("other", 6)))
        horizon = self.horizon
        if forced in {"open", "investigating", "awaiting_customer"}:
            back = {"open": 1, "investigating": 4, "awaiting_customer": 9}[forced]
            opened = max(issued + HOUR, horizon - timedelta(days=back, hours=rng.randrange(20)))
        else:
            opened = issued + timedelta(days=2 + rng.randrange(24), hours=rng.randrange(9))
        if opened >= horizon - HOUR:
            return None
        age_days = (horizon - opened).days
        status = forced or self._dispute_status(rng, age_days)
        resolved_at = None
        if status.startswith("resolved") or status == "withdrawn":
            span = max(1, min(age_days, 30))
            resolved_at = opened + timedelta(days=1 + rng.randrange(span), hours=rng.randrange(8))
            resolved_at = min(resolved_at, horizon - HOUR)
        chosen = self._disputed_lines(reason, positive, rng)
        amount = sum(x for _, x in chosen)
        owner = None
        if status != "open" or rng.random() < 0.4:
            owner = pick(rng, ((a["support"], 50), (a["support2"], 45), (a["finance"], 5)))
        opened_by = a["support"] if rng.random() < 0.5 else a["support2"]
        did = w.new_id("dispute")
        sla = DISPUTE_SLA_HOURS[reason]
        events = self._dispute_events(did, status, owner, opened_by, opened, resolved_at,
                                      reason, amount, row["currency"], rng)
        credit_total, credit_at = 0, None
        if status == "resolved_credited":
            share = 1.0 if rng.random() < 0.7 else 0.5
            credit_total = self._credit_note(
                row, cs, [(line, max(1, int(x * share))) for line, x in chosen],
                f"Dispute on {row['number']}: {reason.replace('_', ' ')}", owner or opened_by,
                resolved_at or opened, "issued", did)
            credit_at = resolved_at
        elif status in {"investigating", "awaiting_customer"} and (
                forced == "investigating" or rng.random() < 0.25):
            self._credit_note(row, cs, chosen, f"Proposed credit for the {row['number']} dispute",
                              owner or opened_by, events[-1]["created_at"], "pending_approval",
                              did)
        w.add("dispute", {
            "id": did, "customer_id": cs.profile.id, "invoice_id": row["id"], "status": status,
            "reason": reason, "description": rng.choice(DISPUTE_TEXT[reason]),
            "amount_minor": amount, "currency": row["currency"], "owner_id": owner,
            "opened_by": opened_by, "opened_at": opened,
            "response_due_at": opened + timedelta(hours=sla), "resolved_at": resolved_at,
            "resolution_note": self._resolution_note(status, credit_total, row["currency"]),
            "credited_minor": credit_total, "reopened_count": 0, "version": len(events),
        })
        for line, x in chosen:
            w.add("dispute_line", {"id": w.new_id("dispute_line"), "dispute_id": did,
                                   "invoice_line_id": line["id"], "amount_minor": x})
        w.extend("dispute_event", events)
        return _Dispute(opened, status, resolved_at, credit_total, credit_at)

    def _dispute_status(self, rng: random.Random, age_days: int) -> str:
        resolved = (("resolved_credited", 45), ("resolved_rejected", 35), ("withdrawn", 20))
        if age_days > 45:
            return pick(rng, resolved)
        u = rng.random()
        if u < 0.2 and age_days <= 7:
            return "open"
        if u < 0.45:
            return "investigating"
        if u < 0.65:
            return "awaiting_customer"
        return pick(rng, resolved)

    def _disputed_lines(self, reason: str, positive: list[dict], rng: random.Random
                        ) -> list[tuple[dict, int]]:
        by_kind: dict[str, list[dict]] = {}
        for line in positive:
            by_kind.setdefault(line["kind"], []).append(line)
        largest = max(positive, key=lambda line: line["amount_minor"])
        fixed = (by_kind.get("recurring") or by_kind.get("seat") or [largest])[0]
        if reason == "usage_disagreement" and by_kind.get("usage"):
            line = max(by_kind["usage"], key=lambda x: x["amount_minor"])
            share = 0.3 + rng.random() * 0.7
        elif reason == "price_plan_mismatch":
            line = (by_kind.get("seat") or [fixed])[0]
            share = 0.1 + rng.random() * 0.3
        elif reason == "duplicate_charge":
            line, share = fixed, 1.0
        elif reason == "service_issue":
            line, share = fixed, 0.2 + rng.random() * 0.3
        elif reason == "cancellation_not_honoured":
            return [(x, x["amount_minor"]) for x in positive]
        else:
            line, share = largest, 0.05 + rng.random() * 0.15
        return [(line, max(1, min(line["amount_minor"], int(line["amount_minor"] * share))))]

    def _dispute_events(self, did: int, status: str, owner: int | None, opened_by: int,
                        opened: datetime, resolved: datetime | None, reason: str, amount: int,
                        cur: str, rng: random.Random) -> list[dict]:
        end = resolved or min(self.horizon - HOUR, opened + timedelta(days=20))
        steps: list[tuple[str, str, str | None, str | None, int | None]] = [
            ("status_change", f"Dispute opened ({reason.replace('_', ' ')}).", None, "open",
             opened_by)]
        if owner is not None:
            steps.append(("assignment", "Case assigned.", None, None, owner))
        if status != "open":
            steps.append(("status_change", "Started the investigation.", "open",
                          "investigating", owner))
            steps.append(("note", "Checked usage records, rate card and contract terms.", None,
                          None, owner))
        via_customer = status == "awaiting_customer" or (
            status != "open" and status != "investigating" and rng.random() < 0.5)
        if via_customer:
            steps.append(("status_change", "Waiting for the customer's answer.",
                          "investigating", "awaiting_customer", owner))
            steps.append(("customer_contact", "Asked the customer for their own usage export "
                          "and the PO reference.", None, None, owner))
        before = "awaiting_customer" if via_customer else "investigating"
        if status == "resolved_credited":
            if via_customer:
                steps.append(("customer_contact", "Customer sent the requested details.", None,
                              None, owner))
            steps.append(("credit_proposed",
                          f"Proposed a credit of {to_major(amount, cur)} {cur}.", None, None,
                          owner))
            steps.append(("status_change", "Resolved with a credit note.", before,
                          "resolved_credited", owner))
        elif status == "resolved_rejected":
            steps.append(("note", "Charges match the metered usage and the signed order form.",
                          None, None, owner))
            steps.append(("status_change", "Resolved: charges upheld.", before,
                          "resolved_rejected", owner))
        elif status == "withdrawn":
            steps.append(("customer_contact", "Customer withdrew the dispute.", None, None,
                          owner))
            steps.append(("status_change", "Withdrawn by the customer.", before, "withdrawn",
                          owner))
        n = len(steps)
        total_seconds = max(60, int((end - opened).total_seconds()))
        events = []
        for i, (kind, body, frm, to, actor) in enumerate(steps):
            when = opened if i == 0 else opened + timedelta(
                seconds=total_seconds * i // max(1, n - 1 if resolved else n))
            events.append({
                "id": self.w.new_id("dispute_event"), "dispute_id": did, "kind": kind,
                "body": body, "from_status": frm, "to_status": to, "evidence_id": None,
                "actor_id": actor, "created_at": when,
            })
        return events

    def _resolution_note(self, status: str, credited: int, cur: str) -> str | None:
        if status == "resolved_credited":
            return f"Credited {to_major(credited, cur)} {cur}."
        if status == "resolved_rejected":
            return "Charges are correct; shared the usage export with the customer."
        if status == "withdrawn":
            return "Customer withdrew after reviewing the usage report."
        return None

    def _credit_note(self, row: dict, cs: CustSim, parts: list[tuple[dict, int]], reason: str,
                     author: int, when: datetime, status: str, dispute_id: int | None) -> int:
        """Record a credit note; return its total when issued (0 when pending)."""
        cur = row["currency"]
        cid = self.w.new_id("credit_note")
        amount = tax = 0
        for line, x in parts:
            pct = Decimal(line["tax_rate"])
            line_tax = round_minor(to_major(x, cur) * pct / 100, cur) if pct else 0
            self.late["credit_note_line"].append({
                "id": self.w.new_id("credit_note_line"), "credit_note_id": cid,
                "invoice_line_id": line["id"], "amount_minor": x, "tax_minor": line_tax})
            amount += x
            tax += line_tax
        total = amount + tax
        approver = None
        finance = self.a["finance"] if author != self.a["finance"] else self.a["finance2"]
        if status == "pending_approval":
            self.approval_request("dispute_credit" if dispute_id else "credit_note",
                                   "credit_note", cid, author, "finance",
                                   {"amount_minor": total, "currency": cur}, reason, when,
                                   "pending", None, None)
        elif total >= CREDIT_NOTE_THRESHOLD_MINOR:
            approver = finance
            self.approval_request("dispute_credit" if dispute_id else "credit_note",
                                   "credit_note", cid, author, "finance",
                                   {"amount_minor": total, "currency": cur}, reason,
                                   when - 6 * HOUR, "approved", when, approver)
        issued = status == "issued"
        self.late["credit_note"].append({
            "id": cid, "number": None, "invoice_id": row["id"], "customer_id": cs.profile.id,
            "dispute_id": dispute_id, "currency": cur, "status": status, "reason": reason,
            "amount_minor": amount, "tax_minor": tax, "total_minor": total,
            "created_by": author, "approved_by": approver,
            "created_at": when - 6 * HOUR if issued else when,
            "issued_at": when if issued else None, "version": 2 if issued else 1,
        })
        if issued:
            self._outbox(cs, "credit_note_issued", f"Credit note for invoice {row['number']}",
                         f"We issued a credit of {to_major(total, cur)} {cur}.", "credit_note",
                         cid, when + timedelta(minutes=5))
        return total if issued else 0

    def _goodwill(self, row: dict, cs: CustSim, lines: list[dict], rng: random.Random,
                  paid_at: datetime) -> tuple[datetime, int] | None:
        """A service credit on a paid invoice; returns (when, total) when issued."""
        fixed = [line for line in lines if line["kind"] == "recurring"
                 and line["amount_minor"] > 0]
        if not fixed:
            return None
        line = fixed[0]
        when = paid_at + timedelta(days=3 + rng.randrange(40), hours=rng.randrange(8))
        if when >= self.horizon - HOUR:
            return None
        amount = max(1, int(line["amount_minor"] * (0.1 + rng.random() * 0.15)))
        reason = "Service credit for the API incident (SLA)"
        if when >= self.horizon - timedelta(days=10):
            self._credit_note(row, cs, [(line, amount)], reason, self.a["support"], when,
                              "pending_approval", None)
            return None
        total = self._credit_note(row, cs, [(line, amount)], reason, self.a["finance2"], when,
                                  "issued", None)
        row["credited_minor"] += total
        return when, total

    def approval_request(self, kind: str, subject_type: str, subject_id: int,
                          requested_by: int, role: str, payload: dict, reason: str,
                          created: datetime, status: str, decided: datetime | None,
                          approver: int | None) -> None:
        """Record a maker-checker request (and the approval when decided); inserted last."""
        rid = self.w.new_id("approval_request")
        self.late["approval_request"].append({
            "id": rid, "kind": kind, "subject_type": subject_type, "subject_id": subject_id,
            "status": status, "requested_by": requested_by, "required_role": role,
            "payload": payload, "reason": reason, "created_at": created, "decided_at": decided,
            "version": 1 if status == "pending" else 2,
        })
        if approver is not None and decided is not None:
            self.late["approval"].append({
                "id": self.w.new_id("approval"), "subject_type": "approval_request",
                "subject_id": rid, "approver_id": approver, "approver_roles": [role],
                "decision": "approve", "comment": "", "created_at": decided,
            })

    # -- collections and support ---------------------------------------------------------

    def _collections(self, cs: CustSim, rng: random.Random, open_items: list,
                     late_paid: list) -> None:
        as_of = self.cal.as_of
        w, a = self.w, self.a
        overdue = [item for item in open_items if (as_of - item[0]).days > 10]
        if overdue:
            due, invoice_id, open_minor, _ = min(overdue)
            author = a["finance"] if rng.random() < 0.6 else a["finance2"]
            base = at(as_of - timedelta(days=rng.randrange(8)), 10)
            if rng.random() < 0.5:
                w.add("collection_note", {
                    "id": w.new_id("collection_note"), "customer_id": cs.profile.id,
                    "invoice_id": invoice_id, "kind": "note",
                    "body": rng.choice(COLLECTION_NOTES), "promised_on": None,
                    "promised_minor": None, "author_id": author, "created_at": base,
                })
            if rng.random() < 0.35:
                w.add("collection_note", {
                    "id": w.new_id("collection_note"), "customer_id": cs.profile.id,
                    "invoice_id": invoice_id, "kind": "promise_to_pay",
                    "body": "Customer promised to pay the open balance.",
                    "promised_on": as_of + timedelta(days=3 + rng.randrange(19)),
                    "promised_minor": open_minor, "author_id": author,
                    "created_at": base + 2 * HOUR,
                })
        for due, invoice_id in late_paid:
            if rng.random() < 0.3:
                w.add("collection_note", {
                    "id": w.new_id("collection_note"), "customer_id": cs.profile.id,
                    "invoice_id": invoice_id, "kind": "note",
                    "body": rng.choice(COLLECTION_NOTES), "promised_on": None,
                    "promised_minor": None, "author_id": a["finance2"],
                    "created_at": at(due + timedelta(days=15), 15),
                })

    def _tickets(self, cs: CustSim, rng: random.Random) -> None:
        cal = self.cal
        p = cs.profile
        base = _TICKET_RATE[p.segment]
        categories = tuple((c, 1) for c in TICKET_SUBJECTS)
        for sub in cs.subs:
            first = max(0, cal.k_of(sub.start))
            last = cal.k_of(sub.end) if sub.end else cal.months - 1
            for k in range(first, min(last, cal.months - 1) + 1):
                chance = base + (0.4 if k in sub.stories else 0.0)
                if rng.random() >= chance:
                    continue
                category = "payment_method" if k in sub.stories else pick(rng, categories)
                opened = at(cal.ms(k), 8) + timedelta(
                    seconds=rng.randrange(cal.days(k) * 86_400))
                if opened >= self.horizon or opened < sub.start_at:
                    continue
                closed: datetime | None = opened + timedelta(hours=1 + rng.randrange(96))
                if opened >= self.horizon - timedelta(days=6) and rng.random() < 0.5:
                    closed = None
                self.w.add("support_ticket", {
                    "id": self.w.new_id("support_ticket"), "customer_id": p.id,
                    "category": category, "subject": rng.choice(TICKET_SUBJECTS[category]),
                    "opened_at": opened,
                    "closed_at": closed if closed and closed < self.horizon else None,
                })

    # -- end -----------------------------------------------------------------------------


def number_credit_notes(notes: list[dict]) -> dict[int, int]:
    """Number the issued credit notes chronologically per year (``CN-YYYY-NNNNNN``).

    Returns:
        year -> last number used.
    """
    issued = sorted((n for n in notes if n["status"] == "issued"),
                    key=lambda n: (n["issued_at"], n["id"]))
    last: dict[int, int] = {}
    for note in issued:
        year = note["issued_at"].year
        last[year] = last.get(year, 0) + 1
        note["number"] = f"CN-{year}-{last[year]:06d}"
    notes.sort(key=lambda n: n["id"])
    return last
