"""Signed webhook delivery against a real receiver on loopback, on SQLite and PostgreSQL:
signatures verify, failures are retried with the same webhook-id and processed once, events
of one key arrive in order, dead deliveries are replayed (audited), and two deliverers at
once deliver each delivery once."""

import json
import socket
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from console import delivery
from console.kernel.errors import FieldError, NotAllowed
from console.kernel.settings import settings
from models import AuditEvent, WebhookDelivery, WebhookEndpoint, WebhookEvent
from models.db import read_session, unit_of_work
from models.types import utcnow
from tests.integration.delivery.receiver import receiver
from tests.integration.jobs.fixtures import people

pytestmark = pytest.mark.integration


@pytest.fixture
def who(engine):
    return people(engine)


@pytest.fixture
def fast(monkeypatch):
    """Short timeouts and few attempts, from the environment as in production."""
    monkeypatch.setenv("CONSOLE_WEBHOOK_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("CONSOLE_WEBHOOK_MAX_ATTEMPTS", "3")
    settings.cache_clear()
    yield
    settings.cache_clear()


def _endpoint(who, url: str, types: str = "") -> delivery.NewEndpoint:
    with unit_of_work() as s:
        return delivery.create_endpoint(s, actor=who["admin"], url=url, description="tests",
                                        event_types=types)


def _event(topic: str, key: str, payload: dict) -> str:
    with unit_of_work() as s:
        return delivery.enqueue(s, topic=topic, ordering_key=key, payload=payload).uid


def _deliveries() -> list[tuple]:
    with read_session() as s:
        return [tuple(r) for r in s.execute(
            sa.select(WebhookEvent.uid, WebhookDelivery.status, WebhookDelivery.attempts,
                      WebhookDelivery.last_status_code, WebhookDelivery.last_error)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .order_by(WebhookDelivery.id)).all()]


def test_a_signed_event_reaches_the_receiver_and_verifies(engine, who) -> None:
    with receiver() as r:
        ep = _endpoint(who, r.url)
        r.secret = ep.secret
        payload = {"customer": "ACME", "feature": "api_calls", "limit": "1000"}
        uid = _event("entitlements.changed", "customer:1", payload)
        report = delivery.deliver_due()
        assert (report.delivered, report.failed, report.dead) == (1, 0, 0)
        [req] = r.requests
        assert req.verified and req.msg_id == uid and uid.startswith("msg_")
        assert req.signature.startswith("v1,")
        doc = req.json
        assert doc["type"] == "entitlements.changed" and doc["data"] == payload
        assert delivery.deliver_due().summary() == "nothing to deliver"
    assert _deliveries() == [(uid, "delivered", 1, 200, None)]


def test_a_receiver_failing_twice_gets_the_same_event_again_and_processes_it_once(
        engine, who, fast) -> None:
    with receiver() as r:
        r.secret = _endpoint(who, r.url).secret
        r.answer(500, times=2)
        uid = _event("entitlements.changed", "customer:7", {"n": 1})
        t0 = utcnow()
        assert delivery.deliver_due(now=t0).failed == 1
        [row] = delivery.deliveries_view().rows
        assert row.status == "Failed, will retry"
        assert row.result == "HTTP 500: receiver is down for maintenance"
        assert row.replayable and row.next_attempt
        assert delivery.deliver_due(now=t0 + timedelta(seconds=30)).summary() == (
            "nothing to deliver")  # the first retry waits about a minute
        assert delivery.deliver_due(now=t0 + timedelta(seconds=70)).failed == 1
        assert delivery.deliver_due(now=t0 + timedelta(minutes=7)).delivered == 1
        assert r.ids() == [uid, uid, uid]
        assert [q.answered for q in r.requests] == [500, 500, 200]
        assert all(q.verified for q in r.requests)
        assert r.processed == [uid]
    assert _deliveries() == [(uid, "delivered", 3, 200, None)]


def test_events_of_one_key_arrive_in_order(engine, who, fast) -> None:
    with receiver() as r:
        r.secret = _endpoint(who, r.url).secret
        r.answer(500)
        first = _event("entitlements.changed", "customer:1", {"seq": 1})
        second = _event("entitlements.changed", "customer:1", {"seq": 2})
        other = _event("entitlements.changed", "customer:2", {"seq": 1})
        t0 = utcnow()
        delivery.deliver_due(now=t0)
        assert r.ids() == [first, other]  # the second waits behind the failed first
        delivery.deliver_due(now=t0 + timedelta(minutes=2))
        assert r.ids() == [first, other, first, second]
    assert [d[1] for d in _deliveries()] == ["delivered"] * 3


def test_a_dead_delivery_unblocks_its_key_and_replay_is_audited(engine, who, fast) -> None:
    with receiver() as r:
        r.secret = _endpoint(who, r.url).secret
        r.answer(503, times=3)
        dead = _event("slo.alert", "slo:ingestion", {"state": "breached"})
        after = _event("slo.alert", "slo:ingestion", {"state": "resolved"})
        t0 = utcnow()
        for minutes in (0, 2, 10):
            delivery.deliver_due(now=t0 + timedelta(minutes=minutes))
        assert r.ids() == [dead, dead, dead, after]
        rows = {d[0]: d for d in _deliveries()}
        assert rows[dead][1:3] == ("dead", 3) and rows[after][1] == "delivered"
        delivery_id = delivery.deliveries_view(status="dead").rows[0].id
        with pytest.raises(NotAllowed), unit_of_work() as s:
            delivery.replay(s, actor=who["finance"], delivery_id=delivery_id)
        outcome = delivery.replay_delivery(who["admin"].user_id, delivery_id)
        assert outcome.ok and outcome.message == "Replayed delivery delivered."
        assert r.ids()[-1] == dead and r.processed == [after, dead]
        again = delivery.replay_delivery(who["admin"].user_id, delivery_id)
        assert not again.ok and "Only failed or dead deliveries" in again.message
    with read_session() as s:
        [event] = s.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "webhook.delivery_replayed")).scalars()
    assert event.actor_id == who["admin"].user_id
    assert event.before["status"] == "dead" and event.after["event"] == dead


def test_timeouts_and_unreachable_receivers_are_failed_attempts(engine, who, fast) -> None:
    with receiver() as r:
        r.secret = _endpoint(who, r.url).secret
        r.delay = 2.0
        _event("slo.alert", "slo:a", {})
        assert delivery.deliver_due().failed == 1
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/hooks"
    with unit_of_work() as s:
        s.execute(sa.update(WebhookEndpoint).values(enabled=False))
    _endpoint(who, closed)
    _event("slo.alert", "slo:b", {})
    assert delivery.deliver_due().failed == 1
    errors = [d[4] for d in _deliveries()]
    assert errors[0] == "no answer within 1 s"
    assert errors[1].startswith("could not reach the receiver (ConnectError")


def test_enqueue_writes_in_the_callers_transaction_for_matching_enabled_endpoints(
        engine, who) -> None:
    every = _endpoint(who, "https://a.example/hooks")
    ents = _endpoint(who, "https://b.example/hooks", "entitlements.*")
    off = _endpoint(who, "https://c.example/hooks")
    with unit_of_work() as s:
        delivery.set_enabled(s, actor=who["admin"], endpoint_id=off.id, enabled=False)
    with pytest.raises(RuntimeError), unit_of_work() as s:
        delivery.enqueue(s, topic="entitlements.changed", ordering_key="customer:1",
                         payload={"x": 1})
        raise RuntimeError("the change failed")
    with read_session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(WebhookEvent)).scalar_one() == 0
    with unit_of_work() as s:
        a = delivery.enqueue(s, topic="slo.alert", ordering_key="slo:x", payload={})
        b = delivery.enqueue(s, topic="entitlements.changed", ordering_key="customer:1",
                             payload={"x": 1})
        a_id, b_id = a.id, b.id
    with read_session() as s:
        got = set(s.execute(sa.select(WebhookDelivery.event_id, WebhookDelivery.endpoint_id)))
    assert got == {(a_id, every.id), (b_id, every.id), (b_id, ents.id)}
    for bad in ({"topic": "Not A Topic"}, {"ordering_key": ""}, {"payload": {"x": object()}}):
        args = {"topic": "slo.alert", "ordering_key": "k", "payload": {}} | bad
        with pytest.raises(FieldError), unit_of_work() as s:
            delivery.enqueue(s, **args)


def test_two_deliverers_at_once_deliver_each_delivery_once(engine, who) -> None:
    with receiver() as r:
        r.secret = _endpoint(who, r.url).secret
        r.delay = 0.01
        uids = [_event("entitlements.changed", f"customer:{i % 5}", {"i": i}) for i in range(30)]
        barrier = threading.Barrier(3)
        errors: list[BaseException] = []

        def run(n: int) -> None:
            try:
                barrier.wait()
                delivery.deliver_due(worker=f"deliverer-{n}")
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        assert sorted(r.ids()) == sorted(uids)  # each exactly once
        by_key: dict[int, list[int]] = {}
        for q in r.requests:
            data = q.json["data"]
            by_key.setdefault(data["i"] % 5, []).append(data["i"])
        assert all(seq == sorted(seq) for seq in by_key.values())
    assert {(d[1], d[2]) for d in _deliveries()} == {("delivered", 1)}


def test_endpoints_are_checked_audited_and_keep_their_secret(engine, who) -> None:
    for url in ("ftp://example.com/x", "example.com/hooks", "javascript:alert(1)", ""):
        outcome, secret = delivery.add_endpoint(who["admin"].user_id, url=url)
        assert not outcome.ok and outcome.message.startswith("url: ") and secret == ""
    outcome, secret = delivery.add_endpoint(who["finance"].user_id, url="https://x.example/h")
    assert not outcome.ok and "manage webhook endpoints" in outcome.message
    with read_session() as s:
        assert s.execute(sa.select(WebhookEndpoint)).first() is None
    outcome, secret = delivery.add_endpoint(who["admin"].user_id, url="https://x.example/h",
                                            description="provisioning",
                                            event_types="entitlements.*")
    assert outcome.ok and secret.startswith("whsec_")
    [row] = delivery.endpoints_view()
    assert secret not in repr(row) and row.event_types == "entitlements.*"
    assert row.created.endswith("by admin@platform.test")
    assert delivery.disable_endpoint(who["admin"].user_id, row.id, row.version).ok
    stale = delivery.enable_endpoint(who["admin"].user_id, row.id, row.version)
    assert not stale.ok and "changed by someone else" in stale.message
    test = delivery.send_test_event(who["admin"].user_id, row.id)
    assert not test.ok and "disabled" in test.message
    with read_session() as s:
        audit = s.execute(sa.select(AuditEvent.action, AuditEvent.before, AuditEvent.after)
                          .order_by(AuditEvent.id)).all()
    assert [a[0] for a in audit] == ["webhook.endpoint_created", "webhook.endpoint_disabled"]
    assert secret not in json.dumps([list(a) for a in audit], default=str)


def test_a_test_event_from_the_page_reports_how_it_went(engine, who, fast) -> None:
    with receiver() as r:
        outcome, secret = delivery.add_endpoint(who["admin"].user_id, url=r.url)
        r.secret = secret
        ok = delivery.send_test_event(who["admin"].user_id, outcome.object_id)
        assert ok.ok and ok.message == "Test event delivered."
        r.answer(500)
        failed = delivery.send_test_event(who["admin"].user_id, outcome.object_id)
        assert not failed.ok
        assert failed.message == ("Test event not delivered: HTTP 500: receiver is down for "
                                   "maintenance; it will be retried.")
        assert [q.json["type"] for q in r.requests] == ["webhook.test", "webhook.test"]
        assert all(q.verified for q in r.requests)
