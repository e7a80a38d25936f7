"""Revenue-impact simulation on the hand-built dataset (figures worked out by hand).

v1 (published) -> v2 (draft): USD platform fee 100 -> 120, USD paid API tier 0.01 -> 0.02,
EUR API 0.009 -> 0.0081. Window Jan-Mar 2025 (as of 2025-04-15).

* C1 (USD, 2 seats): v1 3 x (100 + 2 x 10) = 360; API Jan 5000 -> 4000 x 0.01 = 40, Feb 500
  -> 0; storage max Jan 20 x 0.5 = 10, Feb 5 x 0.5 = 2.50 -> 412.50.
  v2 3 x 140 = 420 + 80 + 12.50 = 512.50 (+100.00).
* C2 (USD, 5 seats): v1 3 x 150 = 450; API Jan 1000 -> 0, Feb 2500 -> 15, Mar 10000 -> 90
  -> 555.00. v2 3 x 170 = 510 + 30 + 180 = 720.00 (+165.00).
* C3 (EUR, past_due): v1 3 x 90 = 270 + 900 + 450 = 1,620.00; v2 270 + 810 + 405 = 1,485.00
  (-135.00).
* C4: canceled, excluded (its usage too).
* C5 (USD, started 2025-03-10): March only: v1 110 + 2000 x 0.01 = 130.00; v2 130 + 40 = 170.
"""

from datetime import date

import pytest
import sqlalchemy as sa

from console.catalog.queries.simulation import simulate
from tests.integration.catalog_fixtures import AS_OF, build_catalog, make_v2

pytestmark = pytest.mark.integration


def test_simulation_matches_hand_computed_totals(engine, users):
    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    seen: list[int] = []
    result = simulate(engine, version_id=v2, months=3, as_of=AS_OF, progress=seen.append)

    assert (result.window_start, result.window_end) == (date(2025, 1, 1), date(2025, 3, 31))
    assert result.customers == 4
    assert (result.increased, result.decreased, result.unchanged) == (3, 1, 0)
    by_code = {c.customer_code: c for c in result.per_customer}
    assert {k: (c.old_minor, c.new_minor) for k, c in by_code.items()} == {
        "C1": (41250, 51250), "C2": (55500, 72000), "C3": (162000, 148500),
        "C5": (13000, 17000),
    }
    totals = {t.currency: t for t in result.totals}
    assert (totals["USD"].old_minor, totals["USD"].new_minor) == (109750, 140250)
    assert totals["USD"].change == "+$305.00"
    assert (totals["EUR"].old_minor, totals["EUR"].new_minor) == (162000, 148500)
    assert totals["EUR"].change == "-€135.00"
    # 305.00 USD + 135.00 EUR x 1.10 = 453.50 USD
    assert result.revenue_change_reporting_minor == 45350
    assert [c.customer_code for c in result.top] == ["C2", "C3", "C1", "C5"]
    bins = {b.label: b.count for b in result.histogram}
    assert bins["+20% to +50%"] == 3 and bins["-10% to -5%"] == 1
    assert sum(bins.values()) == 4
    assert seen[0] == 0 and seen[-1] == 100
    doc = result.to_json()
    assert doc["totals"][0]["currency"] == "EUR" and "per_customer" not in doc


def test_simulation_without_rate_leaves_policy_total_unknown(engine, users):
    cat = build_catalog(engine, eur_rate=None)
    v2 = make_v2(engine, cat, users)
    result = simulate(engine, version_id=v2, months=3, as_of=AS_OF)
    assert result.revenue_change_reporting_minor is None


def test_longer_window_includes_older_usage(engine, users):
    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    result = simulate(engine, version_id=v2, months=6, as_of=AS_OF)
    c1 = next(c for c in result.per_customer if c.customer_code == "C1")
    # Oct-Dec 2024 add 3 months of fees; Dec 31 2024 usage 77,777 calls: 76,777 x 0.01 / 0.02
    assert c1.old_minor == 41250 + 3 * 12000 + 76777
    assert c1.new_minor == 51250 + 3 * 14000 + 2 * 76777


def test_event_meters_use_raw_events(engine, users):
    from datetime import UTC, datetime

    from console.catalog.usecases.price_input import PriceInput
    from console.catalog.usecases.rate_card_edits import add_price
    from models import Meter, UsageEvent
    from models.db import unit_of_work
    from tests.integration.catalog_fixtures import actor

    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    with unit_of_work(engine) as s:
        active = Meter(code="active_users", name="Active users", event_type="login",
                       aggregation="unique_count", field_name="user", unit="user")
        seats = Meter(code="gauge", name="Gauge", event_type="gauge", aggregation="latest")
        s.add_all([active, seats])
        s.flush()
        ids = active.id, seats.id
        c1 = cat.customers["c1"]
        for i, (meter, user, qty, day) in enumerate([
            (active.id, "a", 1, 5), (active.id, "b", 1, 6), (active.id, "a", 1, 7),
            (seats.id, None, 4, 3), (seats.id, None, 9, 20), (seats.id, None, 2, 10),
        ]):
            s.add(UsageEvent(idempotency_key=f"k{i}", customer_id=c1, meter_id=meter,
                             quantity_micro=qty * 1_000_000,
                             properties={"user": user} if user else None,
                             occurred_at=datetime(2025, 2, day, 12, tzinfo=UTC)))
    lead = actor(users, "monetization_lead")
    for name, meter_id, amount in (("Active users", ids[0], "3"), ("Gauge", ids[1], "1")):
        with unit_of_work(engine) as s:
            add_price(s, version_id=v2, actor=lead, price=PriceInput(
                name=name, kind="usage", charge_model="standard",
                properties={"amount": amount}, currency="USD", meter_id=meter_id))
    result = simulate(engine, version_id=v2, months=3, as_of=AS_OF)
    c1 = next(c for c in result.per_customer if c.customer_code == "C1")
    # 2 distinct users x 3.00 + last gauge value (9, on Feb 20) x 1.00 = 15.00 more
    assert c1.new_minor == 51250 + 1500
    assert any("raw usage events" in n for n in result.notes)


def test_no_subscribers_gives_empty_result(engine, users):
    from models import Subscription
    from models.db import unit_of_work

    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    with unit_of_work(engine) as s:
        for sub in s.execute(sa.select(Subscription)).scalars():
            sub.status = "canceled"
    result = simulate(engine, version_id=v2, months=12, as_of=AS_OF)
    assert result.customers == 0 and result.totals == () and result.top == ()


def test_bench_runs_on_a_small_scratch_database():
    from bench.catalog import bench_simulation

    report = bench_simulation(customers=200, months=3)
    assert report["customers"] == 200 and report["usage_rows"] == 200 * 3 * 3
    assert report["rated_lines"] == 200 * 3 * 3 * 2
    assert report["simulate_seconds"] >= 0 and set(report["totals"]) == {"EUR", "USD"}
