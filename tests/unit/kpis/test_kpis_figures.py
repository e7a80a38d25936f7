"""Every dashboard figure from the summed frames, without a database.

The frames are built here the way the database sums them (single currency), from a small MRR
ledger; the figures must agree with the library functions over that ledger (the waterfall's
churn from the identity, month-over-month NRR/GRR, logo churn, ARPA).
"""

import math
from datetime import date, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.kernel.months import add_months
from console.kpis.domain import (
    AGING_BUCKETS,
    MOVEMENT_KINDS,
    arpa,
    churn_reasons,
    gross_revenue_retention,
    logo_churn,
    mrr_movement_rows,
    mrr_movements,
    net_revenue_retention,
    open_balances,
)
from console.kpis.domain.figures import KpiFrames, figures
from console.kpis.domain.filters import DataState, KpiFilters, Window, resolve_window

LEDGER = {"customer_id": pl.Int64, "month": pl.Date, "mrr_minor": pl.Int64}
MONTHS = [date(2026, m, 1) for m in range(1, 7)]


def window(start: str, end: str, as_of: date | None = None) -> Window:
    state = DataState(latest_month=date(2026, 6, 1), latest_day=as_of, version=())
    return resolve_window(KpiFilters(start_month=start, end_month=end), state)


def ledger(rows: list[tuple[int, date, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=LEDGER, orient="row")


def _retention(mrr: pl.DataFrame, start: date, end: date) -> dict[str, int]:
    first = mrr.filter(pl.col("month") == start).select("customer_id", s="mrr_minor")
    last = mrr.filter(pl.col("month") == end).select("customer_id", e="mrr_minor")
    both = first.join(last, on="customer_id", how="left").with_columns(pl.col("e").fill_null(0))
    return {"customers": both.height, "start_minor": int(both["s"].sum()),
            "end_minor": int(both["e"].sum()),
            "kept_minor": int(both.select(pl.min_horizontal("s", "e")).to_series().sum())}


def frames_of(mrr: pl.DataFrame, w: Window, *, churn_events: pl.DataFrame | None = None,
              open_invoices: pl.DataFrame | None = None,
              invoice_months: pl.DataFrame | None = None,
              disputes: pl.DataFrame | None = None,
              tickets: pl.DataFrame | None = None) -> KpiFrames:
    """The frames the database would sum for ``mrr`` (one currency, no filters)."""
    totals = mrr.group_by("month").agg(pl.col("mrr_minor").sum(), customers=pl.len())
    moves = (mrr_movement_rows(mrr).filter(pl.col("kind") != "churn")
             .group_by("month", "kind")
             .agg(pl.col("amount_minor").sum(), customers=pl.len()))
    prev, span = add_months(w.start, -1), len(w.months)
    return KpiFrames(
        window=w, reporting="USD", totals=totals, movements=moves,
        churn_events=churn_events if churn_events is not None else pl.DataFrame(
            schema={"customer_id": pl.Int64, "month": pl.Date, "involuntary": pl.Int64}),
        retention={"window": _retention(mrr, prev, w.end),
                   "previous": _retention(mrr, add_months(prev, -span),
                                          add_months(w.end, -span))},
        open_invoices=open_invoices if open_invoices is not None else pl.DataFrame(
            schema={"issued_month": pl.Date, "closed_month": pl.Date, "due_date": pl.Date,
                    "open_minor": pl.Int64, "open_invoices": pl.Int64}),
        invoice_months=invoice_months if invoice_months is not None else pl.DataFrame(
            schema={"issued_month": pl.Date, "issued": pl.Int64, "total_minor": pl.Int64,
                    "sales_minor": pl.Int64}),
        events=pl.DataFrame(schema={"customer_id": pl.Int64, "occurred_on": pl.Date,
                                    "churn_reason": pl.String}),
        disputes=disputes if disputes is not None else pl.DataFrame(schema=DISPUTES),
        tickets=tickets if tickets is not None else pl.DataFrame(schema=TICKETS),
    )


DISPUTES = {"id": pl.Int64, "customer_id": pl.Int64, "invoice_id": pl.Int64,
            "currency": pl.String, "amount_minor": pl.Int64, "status": pl.String,
            "opened_at": pl.Datetime("us"), "resolved_at": pl.Datetime("us"),
            "response_due_at": pl.Datetime("us")}
TICKETS = {"id": pl.Int64, "customer_id": pl.Int64, "category": pl.String,
           "opened_at": pl.Datetime("us")}

# Jan..Jun: 1 grows, 2 shrinks, 3 leaves in Mar and returns in May, 4 is new in Apr.
HAND = ledger([
    (1, MONTHS[0], 100), (1, MONTHS[1], 100), (1, MONTHS[2], 150), (1, MONTHS[3], 150),
    (1, MONTHS[4], 150), (1, MONTHS[5], 150),
    (2, MONTHS[0], 400), (2, MONTHS[1], 300), (2, MONTHS[2], 300), (2, MONTHS[3], 300),
    (2, MONTHS[4], 300), (2, MONTHS[5], 300),
    (3, MONTHS[0], 200), (3, MONTHS[1], 200), (3, MONTHS[4], 250), (3, MONTHS[5], 250),
    (4, MONTHS[3], 50), (4, MONTHS[4], 50), (4, MONTHS[5], 50),
])


def test_waterfall_churn_follows_from_the_identity() -> None:
    w = window("2026-02", "2026-06")
    fig = figures(frames_of(HAND, w))
    assert fig.movements == {"new": [0, 0, 50, 0, 0], "expansion": [0, 50, 0, 0, 0],
                             "contraction": [100, 0, 0, 0, 0], "churn": [0, 200, 0, 0, 0],
                             "reactivation": [0, 0, 0, 250, 0]}
    assert fig.movement_counts["churn"] == [0, 1, 0, 0, 0]
    assert fig.churned[MONTHS[2]] == 1
    # Feb: start 700, contraction 100 -> NRR = GRR = 600/700.
    assert fig.nrr[0] == fig.grr[0] == 600 / 700
    # Mar: start 600, expansion 50, churn 200 -> NRR 450/600, GRR 400/600.
    assert (fig.nrr[1], fig.grr[1]) == (450 / 600, 400 / 600)


def test_cards_numbers() -> None:
    w = window("2026-02", "2026-03")
    fig = figures(frames_of(HAND, w))
    assert fig.logo_churn == {MONTHS[2]: 1 / 3, MONTHS[1]: 0.0}
    assert fig.arpa == {MONTHS[2]: 225, MONTHS[1]: 200}  # 450 / 2; 600 / 3
    # Jan -> Mar: start 700 (1, 2, 3), end 450 (150 + 300 + 0), kept 100 + 300.
    assert (fig.window_nrr, fig.window_grr) == (450 / 700, 400 / 700)
    assert math.isnan(fig.previous_nrr) and math.isnan(fig.previous_grr)  # nobody in Nov
    assert fig.billing_driven_share == 0.0  # one lost, no involuntary event


def test_churn_split_counts_other_for_churn_without_an_event() -> None:
    events = pl.DataFrame({"customer_id": [3], "month": [MONTHS[2]], "involuntary": [1]})
    w = window("2026-03", "2026-03")
    fig = figures(frames_of(HAND, w, churn_events=events))
    assert fig.churn_split[MONTHS[2]] == {"involuntary": 1, "voluntary": 0, "other": 0}
    assert fig.billing_driven_share == 1.0
    two_lost = HAND.filter(~((pl.col("customer_id") == 1) & (pl.col("month") >= MONTHS[2])))
    fig = figures(frames_of(two_lost, w, churn_events=events))
    assert fig.churned[MONTHS[2]] == 2
    assert fig.churn_split[MONTHS[2]] == {"involuntary": 1, "voluntary": 0, "other": 1}
    assert fig.billing_driven_share == 0.5


def test_receivables_dso_and_aging() -> None:
    w = window("2026-05", "2026-06", as_of=date(2026, 6, 10))
    assert w.as_of == date(2026, 6, 10)
    open_invoices = pl.DataFrame(
        {"issued_month": [MONTHS[3], MONTHS[4], MONTHS[5]],
         "closed_month": [MONTHS[5], None, None],
         "due_date": [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)],
         "open_minor": [1_000, 2_000, 4_000], "open_invoices": [1, 1, 1]})
    sales = pl.DataFrame({"issued_month": [MONTHS[4], MONTHS[5]], "issued": [3, 4],
                          "total_minor": [6_200, 8_000], "sales_minor": [6_200, 5_000]})
    fig = figures(frames_of(HAND, w, open_invoices=open_invoices, invoice_months=sales))
    # Apr: only the April invoice; May: April's and May's; June: April's closed in June.
    assert fig.receivables == {MONTHS[3]: 1_000, MONTHS[4]: 3_000, MONTHS[5]: 6_000}
    assert math.isnan(fig.dso[MONTHS[3]])  # nothing invoiced in April
    assert fig.dso[MONTHS[4]] == 3_000 * 31 / 6_200
    assert fig.dso[MONTHS[5]] == 6_000 * 10 / 5_000  # June runs to its as-of day
    assert list(fig.aging) == list(AGING_BUCKETS)
    assert fig.aging == {"current": 4_000, "1-30": 2_000, "31-60": 0, "61-90": 0, "90+": 0}


def test_dispute_and_support_figures() -> None:
    w = window("2026-06", "2026-06")
    at = lambda d, h=8: datetime(2026, 6, d, h)  # noqa: E731
    disputes = pl.DataFrame(
        [(1, 1, 11, "USD", 500, "won", at(2), at(4), at(9)),
         (2, 2, 12, "USD", 1_500, "lost", at(3), at(20), at(10)),
         (3, 3, 13, "USD", 100, "open", at(5), None, at(12)),
         (4, 1, 14, "USD", 900, "won", datetime(2026, 5, 20), datetime(2026, 5, 21),
          datetime(2026, 5, 27))],
        schema=DISPUTES, orient="row")
    tickets = pl.DataFrame([(1, 4, "billing", at(1)), (2, 4, "billing", datetime(2026, 5, 2))],
                           schema=TICKETS, orient="row")
    sales = pl.DataFrame({"issued_month": [MONTHS[4], MONTHS[5]], "issued": [2, 6],
                          "total_minor": [1_000, 21_000], "sales_minor": [1_000, 21_000]})
    fig = figures(frames_of(HAND, w, invoice_months=sales, disputes=disputes, tickets=tickets))
    june, may = fig.disputes[MONTHS[5]], fig.disputes[MONTHS[4]]
    assert (june["opened"], june["resolved"], june["resolved_within_sla"]) == (3, 2, 1)
    assert june["rate"] == 3 / 6 and june["amount_rate"] == 2_100 / 21_000
    assert june["within_sla_share"] == 1 / 3
    assert june["median_days_to_resolve"] == (2 + 17) / 2
    assert (may["rate"], may["opened"]) == (1 / 2, 1)
    assert fig.disputes_opened == {MONTHS[4]: 1, MONTHS[5]: 3}
    assert fig.tickets_opened == {MONTHS[4]: 1, MONTHS[5]: 1}
    # June: 3 disputes + 1 ticket over 4 paying customers; May likewise 2 over 4.
    assert fig.support_load == {MONTHS[4]: 50.0, MONTHS[5]: 100.0}


def test_churn_reasons_label_each_lost_customer() -> None:
    rows = pl.DataFrame({"customer_id": [1, 2, 3], "month": [MONTHS[2]] * 3})
    events = pl.DataFrame({"customer_id": [1, 1, 2, 3], "churn_reason": [
        "voluntary", "involuntary", "voluntary", "voluntary"],
        "occurred_on": [date(2026, 3, 3), date(2026, 3, 9), date(2026, 3, 30),
                        date(2026, 2, 27)]})
    got = churn_reasons(rows, events).sort("customer_id")["reason"].to_list()
    assert got == ["involuntary", "voluntary", "other"]  # 3's event is in February


@pytest.mark.parametrize(
    ("month", "open_ids"),
    [(MONTHS[0], []), (MONTHS[1], [1]), (MONTHS[2], [1, 2]), (MONTHS[3], [2])],
)
def test_open_balances_from_issue_to_close(month: date, open_ids: list[int]) -> None:
    invoices = pl.DataFrame({"id": [1, 2], "issued_month": [MONTHS[1], MONTHS[2]],
                             "closed_month": [MONTHS[3], None]})
    assert open_balances(invoices, month=month)["id"].to_list() == open_ids


@st.composite
def ledgers(draw: st.DrawFn) -> pl.DataFrame:
    # Customer 99 pays every month when drawn, so the library sees the last month's churn
    # (it reports churn only up to the last month present).
    rows = [(99, month, 10) for month in MONTHS] if draw(st.booleans()) else []
    for customer in range(1, draw(st.integers(1, 6)) + 1):
        for month in MONTHS:
            mrr = draw(st.sampled_from([0, 0, 100, 100, 250, 400]))
            if mrr:
                rows.append((customer, month, mrr))
    return ledger(rows)


@settings(max_examples=60, deadline=None)
@given(mrr=ledgers(), first=st.integers(1, 5), span=st.integers(1, 5))
def test_figures_agree_with_the_library(mrr: pl.DataFrame, first: int, span: int) -> None:
    start = MONTHS[first]
    end = MONTHS[min(first + span - 1, len(MONTHS) - 1)]
    w = window(f"{start:%Y-%m}", f"{end:%Y-%m}")
    fig = figures(frames_of(mrr, w))
    if mrr.is_empty() or mrr["month"].max() < w.end:
        return
    waterfall = {r["month"]: r for r in mrr_movements(mrr).to_dicts()}
    for i, m in enumerate(w.months):
        want = waterfall.get(m, dict.fromkeys(MOVEMENT_KINDS, 0))
        assert {k: fig.movements[k][i] for k in MOVEMENT_KINDS} == {
            k: want[k] for k in MOVEMENT_KINDS}, m
        before = add_months(m, -1)
        for got, lib in ((fig.nrr[i], net_revenue_retention(mrr, start=before, end=m)),
                         (fig.grr[i], gross_revenue_retention(mrr, start=before, end=m))):
            assert got == lib or (math.isnan(got) and math.isnan(lib)), m
    for m in (w.end, add_months(w.end, -1)):
        churn, lib = fig.logo_churn[m], logo_churn(mrr, month=m)
        assert churn == lib or (math.isnan(churn) and math.isnan(lib)), m
        assert fig.arpa[m] == arpa(mrr, month=m)
    nrr = net_revenue_retention(mrr, start=add_months(w.start, -1), end=w.end)
    assert fig.window_nrr == nrr or (math.isnan(nrr) and math.isnan(fig.window_nrr))
