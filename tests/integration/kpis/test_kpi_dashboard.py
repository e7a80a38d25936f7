"""KPI dashboards against a real database: frames, figures, drill-downs and the cache.

A small company with every movement kind is built by hand and each figure is worked out
below (amounts in USD cents; EUR at 1.08 and GBP at 1.27 to USD).

Customers and their MRR (Jan, Feb, Mar, Apr 2026):

- C1 smb/na/USD 100, 100, 150, 150 (expansion in Mar) on version A
- C2 smb/emea/EUR 200, 200, -, - (churns in Mar, voluntary) on version B
- C3 enterprise/na/USD 1000, 800, 800, 800 (contraction in Feb) on version A
- C4 enterprise/na/USD -, 500, -, 500 (new Feb, involuntary churn Mar, back in Apr) on B
- C5 smb/na/USD -, -, -, 300 (new in Apr) on B
- C6 mid_market/emea/GBP 100 each month on B
"""

import math
import random
from datetime import UTC, date, datetime

import polars as pl
import pytest
import sqlalchemy as sa

from console import kpis
from console.audit import record
from console.customers.usecases.ledger import mark_unchanged
from console.kernel.actor import Actor
from console.kernel.errors import InvalidInput
from console.kpis import KpiFilters
from console.kpis.domain import (
    MOVEMENT_KINDS,
    arpa,
    conversion_factor,
    conversion_factors,
    convert_minor,
    gross_revenue_retention,
    logo_churn,
    mrr_movements,
    net_revenue_retention,
    to_reporting_currency,
)
from console.kpis.queries import sql as kpis_sql
from console.kpis.queries.dashboard import clear_cache
from console.kpis.queries.frames import load_frames
from console.money import format_minor
from models import (
    Customer,
    Dispute,
    FxRate,
    Invoice,
    MrrMonthly,
    Payment,
    Plan,
    PlanVersion,
    Product,
    Subscription,
    SubscriptionEvent,
    SupportTicket,
)
from models.db import unit_of_work

pytestmark = pytest.mark.integration

WINDOW = KpiFilters(start_month="2026-02", end_month="2026-04")
MONTHS = [date(2026, m, 1) for m in (1, 2, 3, 4)]


def _at(day: str, hour: int = 8) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def company(engine) -> dict[str, int]:
    """The hand-built company; returns name -> id."""
    clear_cache()
    ids: dict[str, int] = {}
    with unit_of_work(engine) as s:
        s.add_all([FxRate(currency="USD", reporting_currency="USD", rate="1"),
                   FxRate(currency="EUR", reporting_currency="USD", rate="1.08"),
                   FxRate(currency="GBP", reporting_currency="USD", rate="1.27")])
        prod = Product(code="kpi", name="KPI product")
        s.add(prod)
        s.flush()
        plan_a = Plan(product_id=prod.id, code="a", name="Alpha")
        plan_b = Plan(product_id=prod.id, code="b", name="Beta")
        s.add_all([plan_a, plan_b])
        s.flush()
        va = PlanVersion(plan_id=plan_a.id, number=1, status="published")
        vb = PlanVersion(plan_id=plan_b.id, number=1, status="published")
        s.add_all([va, vb])
        s.flush()
        ids.update(plan_a=plan_a.id, plan_b=plan_b.id, va=va.id, vb=vb.id)
        people = {
            "C1": ("smb", "na", "USD", va.id, [100_00, 100_00, 150_00, 150_00]),
            "C2": ("smb", "emea", "EUR", vb.id, [200_00, 200_00, None, None]),
            "C3": ("enterprise", "na", "USD", va.id, [1000_00, 800_00, 800_00, 800_00]),
            "C4": ("enterprise", "na", "USD", vb.id, [None, 500_00, None, 500_00]),
            "C5": ("smb", "na", "USD", vb.id, [None, None, None, 300_00]),
            "C6": ("mid_market", "emea", "GBP", vb.id, [100_00] * 4),
        }
        for code, (segment, region, cur, version, mrr) in people.items():
            c = Customer(code=code, name=f"Customer {code}", email=f"{code}@x.test",
                         segment=segment, region=region, country="US", currency=cur)
            s.add(c)
            s.flush()
            ids[code] = c.id
            sub = Subscription(customer_id=c.id, plan_id=plan_a.id if version == va.id
                               else plan_b.id, plan_version_id=version, status="active",
                               currency=cur, started_on=date(2026, 1, 1),
                               current_period_start=date(2026, 4, 1),
                               current_period_end=date(2026, 4, 30))
            s.add(sub)
            s.flush()
            ids[f"sub_{code}"] = sub.id
            for month, amount in zip(MONTHS, mrr, strict=True):
                if amount is not None:
                    s.add(MrrMonthly(customer_id=c.id, month=month, mrr_minor=amount,
                                     currency=cur, plan_version_id=version))
        s.add_all([
            SubscriptionEvent(subscription_id=ids["sub_C2"], customer_id=ids["C2"], kind="cancel",
                              occurred_on=date(2026, 3, 5), currency="EUR",
                              churn_reason="voluntary"),
            SubscriptionEvent(subscription_id=ids["sub_C4"], customer_id=ids["C4"], kind="lapse",
                              occurred_on=date(2026, 3, 10), currency="USD",
                              churn_reason="involuntary"),
        ])
        invoices = {
            "I1": dict(customer_id=ids["C1"], currency="USD", status="paid", total_minor=11000,
                       paid_minor=11000, issued_at=_at("2026-03-01"), due_date=date(2026, 3, 31),
                       paid_at=_at("2026-03-20")),
            "I2": dict(customer_id=ids["C3"], currency="USD", status="issued", total_minor=88000,
                       issued_at=_at("2026-03-01"), due_date=date(2026, 3, 31)),
            "I3": dict(customer_id=ids["C3"], currency="USD", status="issued", total_minor=88000,
                       issued_at=_at("2026-04-01"), due_date=date(2026, 5, 1)),
            "I4": dict(customer_id=ids["C2"], currency="EUR", status="paid", total_minor=22000,
                       paid_minor=22000, issued_at=_at("2026-02-01"), due_date=date(2026, 3, 3),
                       paid_at=_at("2026-04-10")),
            "I5": dict(customer_id=ids["C4"], currency="USD", status="void", total_minor=55000,
                       issued_at=_at("2026-02-01"), due_date=date(2026, 3, 3),
                       voided_at=_at("2026-02-15")),
            "I6": dict(customer_id=ids["C6"], currency="GBP", status="issued", total_minor=11000,
                       credited_minor=1000, issued_at=_at("2026-04-01"),
                       due_date=date(2026, 4, 15)),
            "I7": dict(customer_id=ids["C1"], currency="USD", status="uncollectible",
                       total_minor=11000, issued_at=_at("2026-01-01"),
                       due_date=date(2026, 1, 31)),
            "I8": dict(customer_id=ids["C5"], currency="USD", status="draft", total_minor=33000),
        }
        for n, (key, values) in enumerate(invoices.items(), start=1):
            inv = Invoice(number=f"INV-{n}", period_start=date(2026, 1, 1),
                          period_end=date(2026, 1, 31), **values)
            s.add(inv)
            s.flush()
            ids[key] = inv.id
        s.add_all([
            Payment(invoice_id=ids["I1"], customer_id=ids["C1"], amount_minor=11000,
                    currency="USD", received_at=_at("2026-03-20")),
            Payment(invoice_id=ids["I4"], customer_id=ids["C2"], amount_minor=22000,
                    currency="EUR", received_at=_at("2026-04-10")),
        ])
        d1 = Dispute(customer_id=ids["C3"], invoice_id=ids["I2"], status="resolved_rejected",
                     reason="other", description="x", amount_minor=10000, currency="USD",
                     opened_at=_at("2026-03-05", 10), response_due_at=_at("2026-03-12", 10),
                     resolved_at=_at("2026-03-07", 10))
        d2 = Dispute(customer_id=ids["C2"], invoice_id=ids["I4"], status="open", reason="other",
                     description="y", amount_minor=5000, currency="EUR",
                     opened_at=_at("2026-04-12", 9), response_due_at=_at("2026-04-19", 9))
        s.add_all([d1, d2])
        s.add_all([
            SupportTicket(customer_id=ids["C1"], category="billing_question", subject="a",
                          opened_at=_at("2026-04-03")),
            SupportTicket(customer_id=ids["C5"], category="invoice_copy", subject="b",
                          opened_at=_at("2026-04-05")),
        ])
        s.flush()
        ids.update(D1=d1.id, D2=d2.id)
    return ids


def _cards(d) -> dict[str, kpis.Card]:
    return {c.key: c for c in d.cards}


def test_load_frames_sums_converted_rows_in_the_database(engine, company) -> None:
    frames = load_frames(engine, WINDOW)
    feb, mar, apr = MONTHS[1:]
    assert frames.window.months == (feb, mar, apr)
    assert frames.window.as_of == date(2026, 4, 12)  # the last day with activity
    totals = {r["month"]: (r["mrr_minor"], r["customers"]) for r in frames.totals.to_dicts()}
    # Each row converted, then summed: C2's 200 EUR is 216.00, C6's 100 GBP 127.00.
    assert totals == {MONTHS[0]: (144300, 4), feb: (174300, 5), mar: (107700, 3),
                      apr: (187700, 5)}
    moves = {(r["month"], r["kind"]): (r["amount_minor"], r["customers"])
             for r in frames.movements.to_dicts()}
    assert moves == {(feb, "new"): (50000, 1), (feb, "contraction"): (20000, 1),
                     (mar, "expansion"): (5000, 1), (apr, "new"): (30000, 1),
                     (apr, "reactivation"): (50000, 1)}
    churned = {(r["customer_id"], r["month"]): r["involuntary"]
               for r in frames.churn_events.to_dicts()}
    assert churned == {(company["C2"], mar): 0, (company["C4"], mar): 1}
    # Jan's customers at their April MRR: C1 150, C2 0, C3 800, C6 127 (kept: C1 capped at 100).
    assert frames.retention["window"] == {"customers": 4, "start_minor": 144300,
                                          "end_minor": 107700, "kept_minor": 102700}
    assert frames.retention["previous"]["customers"] == 0  # nobody paid in October 2025
    # Only what can be open at a month end: I2, I3, I4 (EUR 220 -> 237.60), I6 (GBP 100 ->
    # 127.00); not I1 (paid) nor I5 (voided) in their issue month, not I7, never the draft.
    assert frames.open_invoices["open_invoices"].sum() == 4
    assert frames.open_invoices["open_minor"].sum() == 88000 + 88000 + 23760 + 12700
    i4 = frames.open_invoices.filter(pl.col("issued_month") == feb).to_dicts()
    assert i4 == [{"issued_month": feb, "closed_month": apr, "due_date": date(2026, 3, 3),
                   "open_minor": 23760, "open_invoices": 1}]
    # Every invoice issued from the month before the window, summed per issue month (USD).
    months = {r["issued_month"]: (r["issued"], r["total_minor"], r["sales_minor"])
              for r in frames.invoice_months.to_dicts()}
    assert months == {date(2026, 1, 1): (1, 11000, 11000),  # I7
                      date(2026, 2, 1): (2, 23760 + 55000, 23760),  # I4 (EUR), I5 void
                      date(2026, 3, 1): (2, 99000, 99000),  # I1, I2
                      date(2026, 4, 1): (2, 88000 + 13970, 88000 + 13970)}  # I3, I6 (GBP)
    assert frames.disputes.schema["opened_at"] == pl.Datetime("us")
    assert frames.disputes.filter(pl.col("id") == company["D2"])["amount_minor"].item() == 5400
    assert frames.tickets.height == 2
    assert sorted(frames.events["churn_reason"].to_list()) == ["involuntary", "voluntary"]


def test_a_currency_without_a_rate_is_refused(engine, company) -> None:
    with unit_of_work(engine) as s:
        s.add(MrrMonthly(customer_id=company["C5"], month=MONTHS[2], mrr_minor=100,
                         currency="CHF", plan_version_id=company["vb"]))
    with pytest.raises(InvalidInput, match="without an exchange rate"):
        kpis.dashboard(WINDOW, engine=engine)
    # Reporting in CHF-free single currency still works.
    assert kpis.dashboard(KpiFilters(start_month="2026-02", end_month="2026-04",
                                     single_currency=True), engine=engine).mrr[-1] == 1750.0


def test_dashboard_figures_match_the_hand_computed_ones(engine, company) -> None:
    d = kpis.dashboard(WINDOW, engine=engine)
    assert d.months == ("2026-02", "2026-03", "2026-04") and d.currency == "USD"
    assert d.mrr == (1743.0, 1077.0, 1877.0)
    moves = dict(d.movements)
    assert moves["new"] == (500.0, 0.0, 300.0)
    assert moves["expansion"] == (0.0, 50.0, 0.0)
    assert moves["contraction"] == (-200.0, 0.0, 0.0)
    assert moves["churn"] == (0.0, -716.0, 0.0)
    assert moves["reactivation"] == (0.0, 0.0, 500.0)
    # Month over month: Feb (1443 - 200) / 1443, Mar (1743 + 50 - 716) / 1743.
    assert d.nrr == (86.14, 61.79, 100.0)
    assert d.grr == (86.14, 58.92, 100.0)
    assert dict(d.churn_split) == {"voluntary": (0, 1, 0), "involuntary": (0, 1, 0),
                                   "other": (0, 0, 0)}
    # Receivables: Feb I4 237.60; Mar I4 + I2; Apr I2 + I3 + I6 (127.00).
    assert d.receivables == (237.6, 1117.6, 1887.0)
    # DSO: Feb 237.60/237.60*28; Mar 1117.60/990*31; Apr 1887/1019.70*12 (to the 12th).
    assert d.dso == (28.0, 35.0, 22.2)
    assert dict(zip(d.aging_buckets, d.aging_labels, strict=True)) == {
        "current": "$1,007.00", "1-30": "$880.00", "31-60": "$0.00", "61-90": "$0.00",
        "90+": "$0.00"}
    assert d.dispute_rate == (0.0, 50.0, 50.0)
    assert d.dispute_median_days == (None, 2.0, None)
    assert d.dispute_within_sla == (None, 100.0, 0.0)
    assert d.support_tickets == (0, 0, 2) and d.support_disputes == (0, 1, 1)
    assert d.support_load == (0.0, 33.33, 60.0)
    cards = _cards(d)
    assert cards["mrr"].value == "$1,877.00" and cards["mrr"].change == "+74.3% vs Mar 2026"
    assert cards["mrr"].tone == "good" and cards["mrr"].month == "2026-04"
    assert cards["arr"].value == "$22,524.00"
    # NRR/GRR over the window: Jan's customers (1443.00) at their April MRR.
    assert cards["nrr"].value == "74.6%" and cards["grr"].value == "71.2%"
    assert cards["churn"].value == "0.0%" and cards["churn"].change == "-40.0 pp vs Mar 2026"
    assert cards["churn"].tone == "good"
    assert cards["arpa"].value == "$375.40" and cards["arpa"].change == "+4.6% vs Mar 2026"
    assert cards["dso"].value == "22.2 days"
    assert cards["disputes"].value == "50.0%"
    assert cards["support"].value == "60.00"
    assert cards["receivables"].value == "$1,887.00"
    assert d.notes  # April is month to date


def _ledger(engine, *, reporting: str = "USD", where: str = "") -> pl.DataFrame:
    """The whole MRR ledger read back and converted by the library, for comparisons."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT m.customer_id, m.month, m.mrr_minor, m.currency FROM mrr_monthly m "
            "JOIN customer c ON c.id = m.customer_id" + (f" WHERE {where}" if where else "")
        )).all()
        rates = {c: str(r) for c, rep, r in conn.execute(sa.text(
            "SELECT currency, reporting_currency, rate FROM fx_rate")).all() if rep == reporting}
    ledger = pl.DataFrame([(c, str(m)[:10], v, cur) for c, m, v, cur in rows], orient="row",
                          schema={"customer_id": pl.Int64, "month": pl.String,
                                  "mrr_minor": pl.Int64, "currency": pl.String})
    ledger = ledger.with_columns(pl.col("month").str.to_date())
    return to_reporting_currency(ledger, amount_cols=["mrr_minor"], currency_col="currency",
                                 rates=rates, reporting=reporting).drop("currency")


def _assert_matches_library(d, ledger: pl.DataFrame) -> None:
    """Every MRR series and card of ``d`` equals the library's answer over ``ledger``."""
    expected = {r["month"]: r for r in mrr_movements(ledger).to_dicts()}
    moves = dict(d.movements)
    months = [date(int(k[:4]), int(k[5:]), 1) for k in d.months]
    for i, month in enumerate(months):
        want = expected.get(month, {k: 0 for k in ("mrr", *MOVEMENT_KINDS)})
        assert d.mrr[i] == want["mrr"] / 100, month
        for kind in MOVEMENT_KINDS:
            assert abs(moves[kind][i]) == want[kind] / 100, (month, kind)
        before = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        nrr = net_revenue_retention(ledger, start=before, end=month)
        grr = gross_revenue_retention(ledger, start=before, end=month)
        assert d.nrr[i] == (None if math.isnan(nrr) else round(nrr * 100, 2)), month
        assert d.grr[i] == (None if math.isnan(grr) else round(grr * 100, 2)), month
    cards = _cards(d)
    end, first = months[-1], months[0]
    start = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    nrr = net_revenue_retention(ledger, start=start, end=end)
    assert cards["nrr"].value == ("—" if math.isnan(nrr) else f"{nrr * 100:.1f}%")
    churn = logo_churn(ledger, month=end)
    assert cards["churn"].value == ("—" if math.isnan(churn) else f"{churn * 100:.1f}%")
    assert cards["arpa"].value == format_minor(arpa(ledger, month=end), d.currency)


def test_trend_matches_the_library_month_by_month(engine, company) -> None:
    d = kpis.dashboard(WINDOW, engine=engine)
    _assert_matches_library(d, _ledger(engine))


def test_random_ledgers_match_the_library_for_every_filter(engine, company) -> None:
    """Customers with gaps, returns, plan moves and currency changes, built at random: the
    sums the database makes equal the library's over the ledger read back, filter by filter."""
    rng = random.Random(20261121)
    months = [date(2025, m, 1) for m in range(1, 13)] + MONTHS
    with unit_of_work(engine) as s:
        for n in range(60):
            c = Customer(code=f"R{n}", name=f"Random {n}", email=f"r{n}@x.test",
                         segment=rng.choice(["smb", "enterprise"]), region="na",
                         country="US", currency="USD")
            s.add(c)
            s.flush()
            amount, cur = rng.randrange(1, 5000) * 100, rng.choice(["USD", "EUR", "GBP"])
            for month in months:
                if rng.random() < 0.25:
                    continue  # a gap: churn, then a return or nothing
                if rng.random() < 0.3:
                    amount = max(1, amount + rng.randrange(-2000, 2000) * 7)
                if rng.random() < 0.05:
                    cur = rng.choice(["USD", "EUR", "GBP"])
                version = company["va"] if rng.random() < 0.7 else company["vb"]
                s.add(MrrMonthly(customer_id=c.id, month=month, mrr_minor=amount,
                                 currency=cur, plan_version_id=version))
        s.add(FxRate(currency="USD", reporting_currency="EUR", rate="0.925925925926"))
        s.add(FxRate(currency="GBP", reporting_currency="EUR", rate="1.175925925926"))
        s.add(FxRate(currency="EUR", reporting_currency="EUR", rate="1"))
    cases = [
        (KpiFilters(start_month="2025-03", end_month="2026-04"), "USD", ""),
        (KpiFilters(start_month="2025-06", end_month="2026-03", reporting="EUR"), "EUR", ""),
        (KpiFilters(start_month="2026-04", end_month="2026-04"), "USD", ""),
        (KpiFilters(start_month="2025-09", end_month="2026-04", segment="smb"), "USD",
         "c.segment = 'smb'"),
        (KpiFilters(start_month="2025-09", end_month="2026-04",
                    plan_version_id=company["va"]), "USD", f"m.plan_version_id = {company['va']}"),
        (KpiFilters(start_month="2025-09", end_month="2026-04", reporting="GBP",
                    single_currency=True), "GBP", "m.currency = 'GBP'"),
    ]
    with unit_of_work(engine) as s:
        s.add(FxRate(currency="GBP", reporting_currency="GBP", rate="1"))
    # The movements skip the rows marked unchanged: with and without the marks, the same.
    with engine.begin() as conn:
        assert mark_unchanged(conn) > 100
    _check_random_cases(engine, cases)
    with engine.begin() as conn:
        conn.execute(sa.update(MrrMonthly).values(unchanged=False))
    clear_cache()
    _check_random_cases(engine, cases)


def _check_random_cases(engine, cases) -> None:
    for filters, reporting, where in cases:
        d = kpis.dashboard(filters, engine=engine)
        _assert_matches_library(d, _ledger(engine, reporting=reporting, where=where))
        # The rows behind a waterfall bar add up to the bar, to the cent.
        for kind in ("new", "churn", "contraction"):
            month = d.months[-1]
            page = kpis.drill_down(filters, kind, month, engine=engine, page_size=10_000)
            shown = abs(dict(d.movements)[kind][-1])
            listed = sum(int(r.cells[-2].lstrip("+-").replace(",", "").replace(".", "")
                             .lstrip("$€£")) for r in page.rows)
            assert listed == round(shown * 100), (filters, kind)
            assert page.total == dict(d.movement_counts)[kind][-1]


def test_filters_segment_currency_and_plan(engine, company) -> None:
    smb = kpis.dashboard(KpiFilters(start_month="2026-02", end_month="2026-04",
                                    segment="smb"), engine=engine)
    assert smb.mrr == (316.0, 150.0, 450.0)  # C1 + C2 (216.00) | C1 | C1 + C5
    assert dict(smb.churn_split)["voluntary"] == (0, 1, 0)
    assert dict(smb.churn_split)["involuntary"] == (0, 0, 0)
    eur = kpis.dashboard(KpiFilters(start_month="2026-02", end_month="2026-04",
                                    reporting="EUR", single_currency=True), engine=engine)
    assert eur.currency == "EUR" and eur.mrr == (200.0, 0.0, 0.0)
    in_eur = kpis.dashboard(KpiFilters(end_month="2026-04", start_month="2026-04",
                                       reporting="EUR"), engine=engine)
    # 1877.00 USD of MRR: USD at 1/1.08, GBP at 1.27/1.08, each customer rounded.
    assert in_eur.mrr == (1737.96,)
    plan_a = kpis.dashboard(KpiFilters(start_month="2026-02", end_month="2026-04",
                                       plan_version_id=company["va"]), engine=engine)
    assert plan_a.mrr == (900.0, 950.0, 950.0)
    same = kpis.dashboard(KpiFilters(start_month="2026-02", end_month="2026-04",
                                     plan_id=company["plan_a"]), engine=engine)
    assert same.mrr == plan_a.mrr
    region = kpis.dashboard(KpiFilters(start_month="2026-04", end_month="2026-04",
                                       region="emea"), engine=engine)
    assert region.mrr == (127.0,)


def test_bad_filters_are_refused(engine, company) -> None:
    for bad in (KpiFilters(segment="nope"), KpiFilters(start_month="2026-13"),
                KpiFilters(reporting="JPY"), KpiFilters(start_month="2026-04",
                                                         end_month="2026-02")):
        with pytest.raises(InvalidInput):
            kpis.dashboard(bad, engine=engine)
    with pytest.raises(InvalidInput):
        kpis.drill_down(WINDOW, "bogus", "2026-03", engine=engine)
    with pytest.raises(InvalidInput):
        kpis.drill_down(WINDOW, "churn", "2025-01", engine=engine)


def _codes(rows) -> list[str]:
    return [r.cells[0] for r in rows]


def test_drill_down_lists_the_rows_behind_each_figure(engine, company) -> None:
    rows, total, _note = kpis.drill_down(WINDOW, "churn", "2026-03", engine=engine)
    assert total == 2 and sorted(_codes(rows)) == ["C2", "C4"]
    assert {r.customer_id for r in rows} == {company["C2"], company["C4"]}
    assert kpis.drill_columns("churn")[-1] == "Churn reason"
    assert {r.cells[-1] for r in rows} == {"voluntary", "involuntary"}
    rows, total, _note = kpis.drill_down(WINDOW, "churn_involuntary", "2026-03", engine=engine)
    assert (total, _codes(rows)) == (1, ["C4"])
    rows, total, _note = kpis.drill_down(WINDOW, "reactivation", "2026-04", engine=engine)
    assert (total, _codes(rows)) == (1, ["C4"]) and rows[0].cells[-2] == "+$500.00"
    rows, total, _note = kpis.drill_down(WINDOW, "mrr", "2026-04", engine=engine)
    assert total == 5 and _codes(rows)[0] == "C3" and rows[0].cells[-1] == "$800.00"
    first, total, _note = kpis.drill_down(WINDOW, "mrr", "2026-04", page=0, page_size=2,
                                   engine=engine)
    last, _, _note = kpis.drill_down(WINDOW, "mrr", "2026-04", page=9, page_size=2, engine=engine)
    assert total == 5 and len(first) == 2 and len(last) == 1  # clamped to the last page
    rows, total, _note = kpis.drill_down(WINDOW, "nrr", "", engine=engine)
    assert total == 4 and sorted(_codes(rows)) == ["C1", "C2", "C3", "C6"]
    rows, total, _note = kpis.drill_down(WINDOW, "aging", "", "1-30", engine=engine)
    assert total == 1 and rows[0].invoice_id == company["I2"] and rows[0].cells[0] == "INV-2"
    assert rows[0].cells[5:] == ["12", "$880.00"]
    rows, total, _note = kpis.drill_down(WINDOW, "receivables", "2026-03", engine=engine)
    assert {r.invoice_id for r in rows} == {company["I2"], company["I4"]}
    rows, total, _note = kpis.drill_down(WINDOW, "disputes", "2026-03", engine=engine)
    assert total == 1 and rows[0].cells[0] == f"#{company['D1']}"
    assert rows[0].cells[-2:] == ["2.0", "yes"]
    rows, total, _note = kpis.drill_down(WINDOW, "support", "2026-04", engine=engine)
    assert total == 3 and sorted(_codes(rows)) == ["C1", "C2", "C5"]
    csv_text = kpis.drill_down_csv(WINDOW, "churn", "2026-03", engine=engine)
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("customer_id,Customer,Name") and len(lines) == 3
    assert "716.00" not in csv_text and "216.00 USD" in csv_text
    series = kpis.series_csv(WINDOW, engine=engine)
    assert series.splitlines()[0].startswith("month,mrr_USD") and len(series.splitlines()) == 4


def test_cache_is_invalidated_when_invoices_payments_or_disputes_land(engine, company) -> None:
    first = kpis.dashboard(WINDOW, engine=engine)
    assert first.cached is False
    again = kpis.dashboard(WINDOW, engine=engine)
    assert again.cached is True and again.cards == first.cards
    with unit_of_work(engine) as s:
        s.add(Invoice(number="INV-NEW", customer_id=company["C5"], currency="USD",
                      status="issued", total_minor=33000, issued_at=_at("2026-04-02"),
                      due_date=date(2026, 5, 2), period_start=date(2026, 4, 1),
                      period_end=date(2026, 4, 30)))
    after_invoice = kpis.dashboard(WINDOW, engine=engine)
    assert after_invoice.cached is False
    assert after_invoice.dispute_rate[-1] == 33.33  # 1 dispute / 3 April invoices
    assert after_invoice.receivables[-1] == 2217.0
    # A drill-down from the figure on screen reads today's rows and says the data changed;
    # one from the current figures says nothing.
    stale = kpis.drill_down(WINDOW, "receivables", "2026-04", engine=engine,
                            version=first.version)
    assert stale.total == 4 and "data changed" in stale.note
    now = kpis.drill_down(WINDOW, "receivables", "2026-04", engine=engine,
                          version=after_invoice.version)
    assert now.total == 4 and now.note == ""
    # Disputes and tickets are listed from the figures' own frames: nothing to warn about.
    assert kpis.drill_down(WINDOW, "disputes", "2026-04", engine=engine,
                           version=first.version).note == ""
    assert kpis.dashboard(WINDOW, engine=engine).cached is True
    with unit_of_work(engine) as s:
        s.add(Payment(invoice_id=company["I2"], customer_id=company["C3"], amount_minor=100,
                      currency="USD", received_at=_at("2026-04-11")))
    assert kpis.dashboard(WINDOW, engine=engine).cached is False
    with unit_of_work(engine) as s:
        s.add(Dispute(customer_id=company["C1"], invoice_id=company["I3"], status="open",
                      reason="other", description="z", amount_minor=100, currency="USD",
                      opened_at=_at("2026-04-11"), response_due_at=_at("2026-04-18")))
    after_dispute = kpis.dashboard(WINDOW, engine=engine)
    assert after_dispute.cached is False and after_dispute.support_disputes[-1] == 2
    # A status change writes an audit event: the audit trail's max id moves the version too.
    with unit_of_work(engine) as s:
        s.execute(sa.update(Invoice).where(Invoice.id == company["I2"]).values(status="paid"))
        record(s, actor=Actor.system("system:test"), action="invoice.paid",
               object_type="invoice", object_id=str(company["I2"]))
    assert kpis.dashboard(WINDOW, engine=engine).cached is False


def test_progress_is_reported(engine, company) -> None:
    seen: list[tuple[float, str]] = []
    kpis.dashboard(WINDOW, engine=engine, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 5


def test_filter_options(engine, company) -> None:
    opts = kpis.filter_options(engine)
    assert [o.value for o in opts.months] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert {o.label for o in opts.plans} == {"Alpha", "Beta"}
    assert len(opts.versions) == 2 and "only:EUR" in {o.value for o in opts.currencies}


def test_movements_read_from_the_window_match_the_library_over_the_whole_ledger(
        engine, company) -> None:
    """The dashboard reads the ledger from just before the window; a customer who paid long
    before and comes back inside it is still a reactivation, as over the whole history."""
    with unit_of_work(engine) as s:
        old = Customer(code="C7", name="Old", email="c7@x.test", segment="smb", region="na",
                       country="US", currency="USD")
        s.add(old)
        s.flush()
        for month in (date(2025, 3, 1), date(2025, 4, 1), date(2026, 4, 1)):
            s.add(MrrMonthly(customer_id=old.id, month=month, mrr_minor=7000, currency="USD",
                             plan_version_id=company["vb"]))
        company["C7"] = old.id
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT customer_id, month, mrr_minor FROM mrr_monthly WHERE currency = 'USD'"
        )).all()
    ledger = pl.DataFrame([(c, str(m)[:10], v) for c, m, v in rows], orient="row",
                          schema={"customer_id": pl.Int64, "month": pl.String,
                                  "mrr_minor": pl.Int64})
    ledger = ledger.with_columns(pl.col("month").str.to_date())
    expected = {r["month"]: r for r in mrr_movements(ledger).to_dicts()}
    for start in ("2026-02", "2026-03", "2026-04"):
        d = kpis.dashboard(KpiFilters(start_month=start, end_month="2026-04",
                                      reporting="USD", single_currency=True), engine=engine)
        moves = dict(d.movements)
        for i, key in enumerate(d.months):
            want = expected[date(int(key[:4]), int(key[5:]), 1)]
            for kind in ("new", "expansion", "contraction", "churn", "reactivation"):
                assert abs(moves[kind][i]) == want[kind] / 100, (start, key, kind)
    rows, total, _note = kpis.drill_down(KpiFilters(start_month="2026-04", end_month="2026-04"),
                                  "reactivation", "2026-04", engine=engine)
    assert total == 2 and sorted(_codes(rows)) == ["C4", "C7"]


def test_sql_conversion_is_the_library_conversion_on_both_paths(engine) -> None:
    """Integer SQL for ordinary amounts, the exact fallback (kpi_fx / numeric) beyond what a
    BIGINT product holds: every amount converts as console.kpis.domain.convert_minor does."""
    rates = {"EUR": "1.083456789012", "JPY": "0.006712345678", "USD": "1"}
    q = kpis_sql.KpiSql(KpiFilters(), engine.dialect.name,
                        conversion_factors(rates, reporting="USD"))
    amounts = [0, 1, -1, 25, -25, 12_345, -99_999, 10**7 + 3, 4 * 10**12 + 1, -(4 * 10**12 + 7),
               9 * 10**14 + 5]
    for currency in ("USD", "EUR", "JPY"):
        numerator, denominator = conversion_factor(rates[currency], currency, "USD")
        sql = " UNION ALL ".join(
            f"SELECT {n} AS k, {q.conv(str(a), repr(currency))} AS v"
            for n, a in enumerate(amounts))
        got = dict(kpis_sql.fetch(engine, sql, {"k": pl.Int64(), "v": pl.Int64()}).rows())
        assert [got[n] for n in range(len(amounts))] == [
            convert_minor(a, numerator, denominator) for a in amounts], currency
