"""Drafts: copying a published version, immutability, validation at save time."""

import pytest
import sqlalchemy as sa

from console.catalog.usecases.drafts import create_draft_from, discard_draft
from console.catalog.usecases.price_input import PriceInput
from console.catalog.usecases.rate_card_edits import (
    add_price,
    remove_price,
    set_entitlement,
    update_price,
)
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from models import AuditEvent, Entitlement, PlanVersion, Price
from models.db import read_session, unit_of_work
from tests.integration.catalog_fixtures import (
    actor,
    build_catalog,
    edit_input,
    make_v2,
    price_id,
)

pytestmark = pytest.mark.integration


def _prices(engine, version_id):
    with read_session(engine) as s:
        return [(p.name, p.currency, p.properties) for p in s.execute(
            sa.select(Price).where(Price.plan_version_id == version_id)
            .order_by(Price.position)).scalars()]


def test_draft_from_published_copies_prices_and_entitlements(engine, users):
    cat = build_catalog(engine)
    with unit_of_work(engine) as s:
        draft = create_draft_from(s, version_id=cat.v1_id,
                                  actor=actor(users, "monetization_lead"))
        draft_id = draft.id
    with read_session(engine) as s:
        draft = s.get(PlanVersion, draft_id)
        assert (draft.number, draft.status, draft.based_on_id) == (2, "draft", cat.v1_id)
        assert draft.created_by == users["monetization_lead"]
        ents = s.execute(sa.select(Entitlement).where(Entitlement.plan_version_id == draft_id)
                         ).scalars().all()
        assert {(e.feature_id, e.limit_value) for e in ents} == {
            (cat.features["sso"], None), (cat.features["projects"], 10)}
        event = s.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "catalog.version.create_draft")).scalar_one()
        assert event.object_id == str(draft_id)
    assert _prices(engine, draft_id) == _prices(engine, cat.v1_id)


def test_only_one_open_draft_per_plan(engine, users):
    cat = build_catalog(engine)
    lead = actor(users, "monetization_lead")
    with unit_of_work(engine) as s:
        create_draft_from(s, version_id=cat.v1_id, actor=lead)
    with pytest.raises(Conflict, match="already has an open version v2"), \
            unit_of_work(engine) as s:
        create_draft_from(s, version_id=cat.v1_id, actor=actor(users, "monetization_lead2"))


def test_editing_a_published_version_is_refused(engine, users):
    cat = build_catalog(engine)
    pid = price_id(engine, cat.v1_id, "Platform fee", "USD")
    inp = edit_input(engine, pid, properties={"amount": "1"})
    with pytest.raises(NotAllowed, match="create a draft"), unit_of_work(engine) as s:
        update_price(s, price_id=pid, price=inp, actor=actor(users, "monetization_lead"))
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        remove_price(s, price_id=pid, actor=actor(users, "monetization_lead"))
    assert _prices(engine, cat.v1_id)[0][2] == {"amount": "100"}


def test_invalid_properties_are_refused_with_the_field_and_nothing_saved(engine, users):
    cat = build_catalog(engine)
    draft_id = make_v2(engine, cat, users)
    before = _prices(engine, draft_id)
    with read_session(engine) as s:
        events_before = s.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar()
    pid = price_id(engine, draft_id, "API calls", "USD")
    bad = {"graduated_ranges": [
        {"from_value": 0, "to_value": 1000, "per_unit_amount": "0"},
        {"from_value": 500, "to_value": None, "per_unit_amount": "0.02"},
    ]}
    with pytest.raises(InvalidInput) as info, unit_of_work(engine) as s:
        update_price(s, price_id=pid, price=edit_input(engine, pid, properties=bad),
                     actor=actor(users, "monetization_lead"))
    assert info.value.field == "properties.graduated_ranges[1].from_value"
    assert "overlap" in str(info.value)
    with pytest.raises(InvalidInput, match=r"properties\.amount"), unit_of_work(engine) as s:
        add_price(s, version_id=draft_id, actor=actor(users, "monetization_lead"),
                  price=PriceInput(name="Support", kind="recurring", charge_model="standard",
                                   properties='{"amount": ""}', currency="USD"))
    assert _prices(engine, draft_id) == before
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                         ).scalar() == events_before


def test_add_price_accepts_json_text_and_minimum(engine, users):
    cat = build_catalog(engine)
    draft_id = make_v2(engine, cat, users)
    with unit_of_work(engine) as s:
        row = add_price(s, version_id=draft_id, actor=actor(users, "monetization_lead"),
                        price=PriceInput(name="Exports", kind="usage", charge_model="package",
                                         properties='{"amount": "5", "package_size": 10}',
                                         currency="USD", meter_id=cat.meters["exports"],
                                         minimum="2.50"))
        assert row.minimum_minor == 250 and row.properties["package_size"] == 10
    with pytest.raises(InvalidInput, match="meter"), unit_of_work(engine) as s:
        add_price(s, version_id=draft_id, actor=actor(users, "monetization_lead"),
                  price=PriceInput(name="X", kind="usage", charge_model="standard",
                                   properties={"amount": "1"}, currency="USD"))
    with pytest.raises(InvalidInput, match="already has a price"), unit_of_work(engine) as s:
        add_price(s, version_id=draft_id, actor=actor(users, "monetization_lead"),
                  price=PriceInput(name="Exports", kind="usage", charge_model="standard",
                                   properties={"amount": "1"}, currency="USD",
                                   meter_id=cat.meters["exports"]))


def test_entitlements_and_permissions(engine, users):
    cat = build_catalog(engine)
    draft_id = make_v2(engine, cat, users)
    with unit_of_work(engine) as s:
        set_entitlement(s, version_id=draft_id, feature_id=cat.features["projects"],
                        enabled=True, limit_value=25, actor=actor(users, "monetization_lead"))
    with pytest.raises(InvalidInput, match="limit_value"), unit_of_work(engine) as s:
        set_entitlement(s, version_id=draft_id, feature_id=cat.features["sso"], enabled=True,
                        limit_value=3, actor=actor(users, "monetization_lead"))
    for key in ("support", "viewer", "finance"):
        with pytest.raises(NotAllowed), unit_of_work(engine) as s:
            set_entitlement(s, version_id=draft_id, feature_id=cat.features["sso"],
                            enabled=False, actor=actor(users, key))
    with read_session(engine) as s:
        ent = s.execute(sa.select(Entitlement).where(
            Entitlement.plan_version_id == draft_id,
            Entitlement.feature_id == cat.features["projects"])).scalar_one()
        assert ent.limit_value == 25


def test_stale_expected_version_is_refused_and_discard(engine, users):
    cat = build_catalog(engine)
    draft_id = make_v2(engine, cat, users)
    with read_session(engine) as s:
        seen = s.get(PlanVersion, draft_id).version
    pid = price_id(engine, draft_id, "Seats", "USD")
    inp = edit_input(engine, pid, properties={"amount": "11"})
    with unit_of_work(engine) as s:
        update_price(s, price_id=pid, price=inp, actor=actor(users, "monetization_lead"),
                     expected_version=seen)
    with pytest.raises(Conflict), unit_of_work(engine) as s:
        update_price(s, price_id=pid, price=edit_input(engine, pid, properties={"amount": "12"}),
                     actor=actor(users, "monetization_lead2"), expected_version=seen)
    with unit_of_work(engine) as s:
        discard_draft(s, version_id=draft_id, actor=actor(users, "monetization_lead"))
    with read_session(engine) as s:
        assert s.get(PlanVersion, draft_id).status == "retired"
    with unit_of_work(engine) as s:  # a new draft may start now
        assert create_draft_from(s, version_id=cat.v1_id,
                                 actor=actor(users, "monetization_lead")).number == 3
