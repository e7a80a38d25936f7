"""The page-facing catalog API: own transactions, server-side role checks, view dataclasses."""

import dataclasses
from datetime import date

import pytest

from console import catalog
from console.catalog import PriceInput
from console.catalog.usecases.migrations import run_migrations
from console.kernel.errors import InvalidInput, NotAllowed
from tests.integration.catalog_fixtures import build_catalog, make_v2, price_id

pytestmark = pytest.mark.integration


def _plain(value):
    """Every field of a view is a str/int/bool or a list/dataclass of them (no ORM, no money)."""
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _plain(getattr(value, f.name))
    elif isinstance(value, list | tuple):
        for v in value:
            _plain(v)
    else:
        assert value is None or isinstance(value, str | int | bool), type(value)


def test_read_views(engine, users):
    cat = build_catalog(engine)
    rows = catalog.plans()
    assert [(r.code, r.published, r.subscribers, r.open_version) for r in rows] == [
        ("pro", "v1", 4, "")]
    ref = catalog.catalog_reference()
    assert [m.code for m in ref.meters] == ["api_calls", "exports", "storage_gb"]
    detail = catalog.plan(cat.plan_id, user_id=users["monetization_lead"])
    assert detail.can_start_draft and [v.label for v in detail.versions] == ["v1"]
    assert not catalog.plan(cat.plan_id, user_id=users["finance"]).can_edit
    version = catalog.version(cat.v1_id, user_id=users["monetization_lead"])
    assert not version.editable and version.status_label == "Published"
    api = next(p for p in version.prices if p.name == "API calls" and p.currency == "USD")
    assert (api.meter, api.timing, api.region) == ("API calls", "in arrears", "All regions")
    assert "graduated" in api.summary
    assert [e.value for e in version.entitlements] == ["limit 10", "on"]
    _plain(rows)
    _plain(version)
    _plain(ref)


def test_edit_submit_review_publish_through_the_page_api(engine, users):
    cat = build_catalog(engine)
    lead, lead2 = users["monetization_lead"], users["monetization_lead2"]
    with pytest.raises(NotAllowed):
        catalog.start_draft(user_id=users["support"], version_id=cat.v1_id)
    draft = catalog.start_draft(user_id=lead, version_id=cat.v1_id)
    view = catalog.version(draft, user_id=lead)
    assert view.editable and view.based_on == "v1"
    fee = next(p for p in view.prices if p.name == "Platform fee" and p.currency == "USD")
    catalog.save_price(user_id=lead, price_id=fee.id, expected_version=view.row_version,
                       price=PriceInput(name=fee.name, kind=fee.kind,
                                        charge_model=fee.charge_model,
                                        properties='{"amount": "120"}', currency=fee.currency,
                                        minimum="", billing_interval=fee.billing_interval))
    new_id = catalog.add_price_row(user_id=lead, version_id=draft, price=PriceInput(
        name="Support", kind="recurring", charge_model="standard",
        properties={"amount": "25"}, currency="USD"))
    catalog.delete_price(user_id=lead, price_id=new_id)
    catalog.save_entitlement(user_id=lead, version_id=draft, feature_id=cat.features["projects"],
                             enabled=True, limit="1,000")
    with pytest.raises(InvalidInput, match="whole number"):
        catalog.save_entitlement(user_id=lead, version_id=draft,
                                 feature_id=cat.features["projects"], enabled=True, limit="lots")
    sim = catalog.run_simulation(version_id=draft, months=3)
    _plain(sim)
    assert sim.customers == 4 and sim.histogram[0].label == "below -50%"
    cr_id = catalog.submit(user_id=lead, version_id=draft, reason="New pricing")
    detail = catalog.change_request(cr_id, user_id=lead)
    _plain(detail)
    assert not detail.can_approve and "someone else" in detail.approve_blocked
    assert detail.can_withdraw and not detail.can_review
    assert detail.baseline == "v1" and detail.prices[0].change_label == "Changed"
    reviewer = catalog.change_request(cr_id, user_id=lead2)
    assert reviewer.can_approve and reviewer.can_review and not reviewer.can_withdraw
    assert [r.id for r in catalog.change_requests(status="pending")] == [cr_id]
    assert catalog.approve_change(user_id=lead2, change_request_id=cr_id) == "Approved"
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        catalog.publish_change(user_id=lead, change_request_id=cr_id, effective_from="soon")
    catalog.publish_change(user_id=lead, change_request_id=cr_id,
                           effective_from=date.today().isoformat())
    assert catalog.plans()[0].published == "v2"
    preview = catalog.migration_preview(from_version_id=cat.v1_id, to_version_id=draft,
                                        customer_filter={"customer_ids": [cat.customers["c1"]]})
    assert [ln.change for ln in preview.lines] == ["+$20.00"]
    mig = catalog.schedule(user_id=lead, from_version_id=cat.v1_id, to_version_id=draft,
                           customer_filter={"customer_ids": [cat.customers["c1"]]})
    rows = catalog.migrations(cat.plan_id)
    assert [(m.id, m.subscriptions, m.mrr_change) for m in rows] == [(mig, 1, "USD +$20.00")]
    catalog.cancel_scheduled_migration(user_id=lead, migration_id=mig)
    assert catalog.migrations(cat.plan_id)[0].status == "canceled"
    assert run_migrations().moved == 0


def test_editor_helpers_and_import_preview(engine, users):
    cat = build_catalog(engine)
    samples = catalog.price_preview("package", '{"amount": "5", "package_size": "100"}', "USD",
                                    [0, 100, 101, "1,000"])
    assert [(s.units, s.amount) for s in samples] == [
        ("0", "$0.00"), ("100", "$5.00"), ("101", "$10.00"), ("1,000", "$50.00")]
    assert catalog.price_problem("standard", {"amount": "1"}) == ""
    assert catalog.price_problem("volume", "{}") == "properties.volume_ranges: at least one " \
        "range is required"
    assert catalog.price_problem("standard", "{oops").startswith("properties: is not valid")
    with pytest.raises(InvalidInput, match="currency"):
        catalog.price_preview("standard", {"amount": "1"}, "XYZ")
    v2 = make_v2(engine, cat, users)
    text = catalog.export_json(v2)
    preview = catalog.import_preview(text)
    assert preview.plan_code == "pro" and preview.summary.startswith("3 price(s) changed")
    assert preview.charges == 6
    catalog.discard(user_id=users["monetization_lead"], version_id=v2)
    cr_id = catalog.import_json(user_id=users["monetization_lead"], text=text,
                                reason="from staging")
    assert catalog.change_request(cr_id).row.kind_label == "Import"
    assert price_id(engine, v2, "Seats", "USD")  # the discarded draft keeps its rows
    assert catalog.plan(cat.plan_id).versions[1].status_label == "Discarded"
