"""Bill runs on real databases: hand-computed lines, idempotency, resume after a crash, waves."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from console.audit import verify
from console.billing.domain.waves import released
from console.billing.usecases import bill_runs as billing
from console.kernel.actor import Actor
from console.kernel.errors import NotAllowed
from models import AuditEvent, BillRun, Customer, Invoice, InvoiceLine
from models.db import read_session, unit_of_work
from tests.integration import billing_fixtures as bf

pytestmark = pytest.mark.integration
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
FIN = Actor.system("system:test-finance")

GRADUATED = {"graduated_ranges": [
    {"from_value": 0, "to_value": 1000, "per_unit_amount": "0", "flat_amount": "0"},
    {"from_value": 1001, "to_value": 10000, "per_unit_amount": "0.002", "flat_amount": "0"},
    {"from_value": 10001, "to_value": None, "per_unit_amount": "0.001", "flat_amount": "0"},
]}


def build_catalog(s) -> dict:
    """Pro v1 (platform, seats, graduated API calls, storage with a $20 minimum), Pro v2."""
    prod = bf.product(s)
    calls = bf.meter(s, "api_calls")
    storage = bf.meter(s, "storage_gb", aggregation="max", unit="GB")
    pro = bf.plan(s, prod)
    v1 = bf.version(s, pro, 1)
    bf.price(s, v1, name="Platform fee", kind="recurring", properties={"amount": "49.00"},
             position=1)
    bf.price(s, v1, name="Platform fee", kind="recurring", properties={"amount": "5000"},
             currency="JPY", position=1)
    bf.price(s, v1, name="Seats", kind="seat", properties={"amount": "12.50"}, position=2)
    bf.price(s, v1, name="API calls", kind="usage", model="graduated", properties=GRADUATED,
             meter_row=calls, position=3)
    bf.price(s, v1, name="Storage", kind="usage", properties={"amount": "0.25"},
             meter_row=storage, minimum_minor=2000, position=4)
    v2 = bf.version(s, pro, 2)
    bf.price(s, v2, name="Platform fee v2", kind="recurring", properties={"amount": "99.00"},
             position=1)
    bf.price(s, v2, name="Seats v2", kind="seat", properties={"amount": "15.00"}, position=2)
    bf.tax_rate(s, "na", "8.875")
    bf.tax_rate(s, "apac", "10")
    return {"v1": v1, "v2": v2, "calls": calls, "storage": storage}


def _lines(s, invoice_id: int) -> list[tuple[str, int, int]]:
    rows = s.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
                     .order_by(InvoiceLine.position)).scalars().all()
    return [(r.kind, r.amount_minor, r.tax_minor) for r in rows]


def _invoice(s, code: str) -> Invoice:
    return s.execute(sa.select(Invoice).join(Customer, Customer.id == Invoice.customer_id)
                     .where(Customer.code == code)).scalar_one()


@pytest.fixture
def march(engine) -> dict:
    with unit_of_work(engine) as s:
        cat = build_catalog(s)
        acme = bf.customer(s, "ACME", region="na", credit_balance_minor=5000)
        bf.subscription(s, acme, cat["v1"], started_on=date(2026, 3, 10), seats=3)
        beta = bf.customer(s, "BETA", region="emea")
        sub_b = bf.subscription(s, beta, cat["v1"], started_on=date(2026, 1, 1))
        bf.version_change(s, sub_b, on=date(2026, 3, 16), from_version=cat["v1"],
                          to_version=cat["v2"])
        gamma = bf.customer(s, "GAMMA", region="na", tax_exempt=True)
        bf.subscription(s, gamma, cat["v1"], started_on=date(2025, 6, 1), seats=2,
                        status="canceled", canceled_on=date(2026, 3, 20))
        delta = bf.customer(s, "DELTA", currency="JPY", region="apac")
        bf.subscription(s, delta, cat["v1"], started_on=date(2025, 1, 1))
        # Not billed: trialing, and canceled before the period.
        eps = bf.customer(s, "EPS")
        bf.subscription(s, eps, cat["v1"], started_on=date(2026, 3, 1), status="trialing")
        zeta = bf.customer(s, "ZETA")
        bf.subscription(s, zeta, cat["v1"], started_on=date(2025, 1, 1), status="canceled",
                        canceled_on=date(2026, 2, 27))
        bf.usage(s, [
            ("ACME", "api_calls", "10000", "2026-03-10T09:00:00+00:00"),
            ("ACME", "api_calls", "2345.5", "2026-03-31T23:00:00+00:00"),
            ("ACME", "api_calls", "99999", "2026-04-01T00:00:00+00:00"),  # April
            ("ACME", "storage_gb", "12", "2026-03-11T00:00:00+00:00"),
            ("ACME", "storage_gb", "40", "2026-03-12T00:00:00+00:00"),
            ("GAMMA", "api_calls", "500", "2026-03-05T00:00:00+00:00"),
        ])
        cat["acme"] = acme.id
    return cat


def _run(engine, **kw) -> billing.RunOutcome:
    with unit_of_work(engine) as s:
        run = billing.start_bill_run(s, period_start=MARCH[0], period_end=MARCH[1], actor=FIN,
                                     **kw)
        run_id = run.id
    return billing.run_bill_run(engine, bill_run_id=run_id, **({"batch": 2}))


def test_hand_computed_invoices(engine, march) -> None:
    outcome = _run(engine)
    assert (outcome.created, outcome.status, outcome.total) == (4, "completed", 4)
    with read_session(engine) as s:
        acme = _invoice(s, "ACME")
        # Started 10 March: 22 of 31 days. Platform 4900*22/31 = 3477.4 -> 3477; seats
        # 3*12.50 = 3750*22/31 = 2661.3 -> 2661; API calls 1000 free + 9000*0.002 +
        # 2345.5*0.001 = 20.3455 -> 2035; storage max 40 GB * 0.25 = 1000; minimum 2000
        # prorated 2000*22/31 = 1419.4 -> 1419, true-up 419. Tax 8.875 % per line:
        # 308.6 -> 309, 236.2 -> 236, 180.6 -> 181, 88.75 -> 89, 37.2 -> 37. Prepaid credit
        # 50.00 drawn, untaxed.
        assert _lines(s, acme.id) == [
            ("proration_charge", 3477, 309), ("proration_charge", 2661, 236),
            ("usage", 2035, 181), ("usage", 1000, 89), ("true_up", 419, 37),
            ("credit", -5000, 0)]
        assert (acme.subtotal_minor, acme.tax_minor, acme.total_minor) == (4592, 852, 5444)
        assert acme.status == "draft" and acme.currency == "USD"
        assert s.get(Customer, acme.customer_id).credit_balance_minor == 0
        usage_line = s.execute(sa.select(InvoiceLine).where(
            InvoiceLine.invoice_id == acme.id, InvoiceLine.kind == "usage")
            .order_by(InvoiceLine.position)).scalars().first()
        assert usage_line.quantity == "12345.5"
        assert usage_line.breakdown == [
            "units 0-1000 at 0.00 = 0.00", "units 1001-10000 at 0.002 = 18.00",
            "units 10001-12345.5 at 0.001 = 2.35"]
        assert usage_line.usage_from.isoformat() == "2026-03-10T09:00:00+00:00"
        assert usage_line.usage_to.isoformat() == "2026-03-31T23:00:00+00:00"

        beta = _invoice(s, "BETA")
        # Upgrade on 16 March (16 of 31 days left): v1 charged in full in advance, its unused
        # part credited (4900*16/31 = 2529.0 -> 2529; 1250*16/31 = 645.2 -> 645), v2 charged
        # for the rest (9900*16/31 = 5109.7 -> 5110; 1500*16/31 = 774.2 -> 774). EMEA has no
        # tax rate: no tax, flagged.
        assert _lines(s, beta.id) == [
            ("recurring", 4900, 0), ("proration_credit", -2529, 0), ("seat", 1250, 0),
            ("proration_credit", -645, 0), ("proration_charge", 5110, 0),
            ("proration_charge", 774, 0)]
        assert beta.total_minor == 8860 and beta.plan_version_id == march["v2"].id
        codes = {f["code"] for f in beta.flags}
        assert {"missing_tax", "first_on_version"} <= codes

        gamma = _invoice(s, "GAMMA")
        # Canceled 20 March (11 unused days): 4900*11/31 = 1738.7 -> 1739 and
        # 2500*11/31 = 887.1 -> 887 credited; 500 API calls are free (line kept, 0); the
        # storage minimum prorated to 20 days 2000*20/31 = 1290.3 -> 1290 is a true-up. Exempt.
        assert _lines(s, gamma.id) == [
            ("recurring", 4900, 0), ("proration_credit", -1739, 0), ("seat", 2500, 0),
            ("proration_credit", -887, 0), ("usage", 0, 0), ("true_up", 1290, 0)]
        assert gamma.total_minor == 6064
        assert "missing_tax" not in {f["code"] for f in gamma.flags}

        delta = _invoice(s, "DELTA")
        # JPY (exponent 0): 5000 yen + 10 % tax; seats and usage have no JPY price: flagged.
        assert _lines(s, delta.id) == [("recurring", 5000, 500)]
        assert (delta.currency, delta.total_minor) == ("JPY", 5500)
        assert "missing_price" in {f["code"] for f in delta.flags}

        for inv in (acme, beta, gamma, delta):
            lines = s.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                              ).scalars().all()
            assert inv.subtotal_minor == sum(x.amount_minor for x in lines)
            assert inv.tax_minor == sum(x.tax_minor for x in lines)
            assert inv.total_minor == inv.subtotal_minor + inv.tax_minor
        drafted = s.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "invoice.draft")).scalar_one()
        assert drafted == 4
        assert verify(s)[1] is None


def test_rerun_creates_nothing_new(engine, march) -> None:
    first = _run(engine)
    assert first.created == 4
    again = _run(engine)
    assert (again.created, again.skipped_existing) == (0, 4)
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Invoice)).scalar_one() == 4
        assert s.execute(sa.select(sa.func.count()).select_from(BillRun)).scalar_one() == 1
        # Credit was drawn once only.
        assert s.get(Customer, march["acme"]).credit_balance_minor == 0


def test_resume_after_crash(engine) -> None:
    with unit_of_work(engine) as s:
        cat = build_catalog(s)
        for i in range(7):
            c = bf.customer(s, f"C{i:02d}")
            bf.subscription(s, c, cat["v1"], started_on=date(2025, 1, 1))
        run_id = billing.start_bill_run(s, period_start=MARCH[0], period_end=MARCH[1],
                                        actor=FIN).id

    class Crash(Exception):
        pass

    def crash(done: int, total: int) -> None:
        raise Crash(f"simulated crash at {done}/{total}")

    with pytest.raises(Crash):
        billing.run_bill_run(engine, bill_run_id=run_id, progress=crash, batch=2)
    with read_session(engine) as s:
        run = s.get(BillRun, run_id)
        assert (run.status, run.processed) == ("failed", 2)
        assert "simulated crash" in run.error
        assert s.execute(sa.select(sa.func.count()).select_from(Invoice)).scalar_one() == 2
    seen: list[tuple[int, int]] = []
    outcome = billing.run_bill_run(engine, bill_run_id=run_id, batch=2,
                                   progress=lambda d, t: seen.append((d, t)))
    assert (outcome.created, outcome.skipped_existing, outcome.status) == (5, 2, "completed")
    assert seen == [(4, 7), (6, 7), (7, 7)]
    with read_session(engine) as s:
        per_sub = s.execute(sa.select(Invoice.subscription_id, sa.func.count())
                            .group_by(Invoice.subscription_id)).all()
        assert len(per_sub) == 7 and all(n == 1 for _, n in per_sub)
        assert s.get(BillRun, run_id).processed == 7
        assert verify(s)[1] is None


def test_waves_release_five_percent_first(engine) -> None:
    with unit_of_work(engine) as s:
        cat = build_catalog(s)
        codes = [f"W{i:03d}" for i in range(200)]
        for code in codes:
            c = bf.customer(s, code)
            bf.subscription(s, c, cat["v1"], started_on=date(2025, 1, 1))
        run_id = billing.start_bill_run(s, period_start=MARCH[0], period_end=MARCH[1],
                                        actor=FIN, wave_percent=5).id
    first_wave = {c for c in codes if released(run_id, c, 5)}
    assert 0 < len(first_wave) < len(codes)
    outcome = billing.run_bill_run(engine, bill_run_id=run_id)
    assert outcome.status == "paused" and outcome.created == len(first_wave)
    with read_session(engine) as s:
        billed = set(s.execute(sa.select(Customer.code).join(
            Invoice, Invoice.customer_id == Customer.id)).scalars())
        assert billed == first_wave
    with unit_of_work(engine) as s:
        billing.release_wave(s, bill_run_id=run_id, percent=100, actor=FIN)
    outcome = billing.run_bill_run(engine, bill_run_id=run_id)
    assert outcome.status == "completed" and outcome.created == len(codes) - len(first_wave)
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Invoice)).scalar_one() == 200
        actions = s.execute(sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "bill_run").order_by(AuditEvent.id)).scalars().all()
        assert actions == ["bill_run.start", "bill_run.paused", "bill_run.release_wave",
                           "bill_run.completed"]


def test_only_billing_roles_start_runs(engine) -> None:
    with unit_of_work(engine) as s:
        users = bf.staff(s)
    with unit_of_work(engine) as s, pytest.raises(NotAllowed):
        billing.start_bill_run(s, period_start=MARCH[0], period_end=MARCH[1],
                               actor=Actor(users["support"], "support"))
    with unit_of_work(engine) as s:
        run = billing.start_bill_run(s, period_start=MARCH[0], period_end=MARCH[1],
                                     actor=Actor(users["finance"], "finance"))
        assert run.status == "pending"
