"""The one parser of customers' billing details: every bad field named at once."""

import pytest

from console.customers.domain.details import check_tax_id, parse_code, parse_details
from console.kernel.errors import FieldErrors, InvalidInput

GOOD = {"name": " Acme  Inc ", "email": "Billing@Acme.TEST", "address_line1": "1 Main St",
        "city": "Springfield", "postal_code": "12345", "country": "us", "tax_id": "",
        "currency": "usd", "payment_terms_days": "30", "region": "na", "segment": "smb"}


def test_good_details_are_trimmed_and_normalised() -> None:
    d = parse_details(GOOD)
    assert (d.name, d.legal_name, d.email, d.country, d.currency, d.payment_terms_days) == (
        "Acme Inc", "Acme Inc", "billing@acme.test", "US", "USD", 30)


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("email", "acme"), ("country", "XX"), ("country", "USA"),
    ("currency", "ABC"), ("payment_terms_days", "31"), ("region", "mars"),
    ("segment", "giant"), ("postal_code", "12$45"), ("tax_id", "x"), ("name", "n" * 201)])
def test_each_bad_field_is_named(field: str, value: str) -> None:
    with pytest.raises(FieldErrors) as err:
        parse_details({**GOOD, field: value})
    assert list(err.value.errors) == [field]
    assert field in str(err.value)


def test_every_bad_field_at_once() -> None:
    with pytest.raises(FieldErrors) as err:
        parse_details({"name": "", "email": "", "country": ""})
    assert {"name", "email", "country", "currency", "region", "segment",
            "payment_terms_days"} <= set(err.value.errors)


def test_tax_ids_by_country() -> None:
    assert check_tax_id("DE 136 695 976", "DE") == "DE136695976"
    assert check_tax_id("136695976", "DE") == "DE136695976"
    with pytest.raises(InvalidInput):
        check_tax_id("DE136695977", "DE")  # check digit wrong
    assert check_tax_id("ABC-123", "ZZ") == "ABC-123"  # no known format: characters only


def test_codes() -> None:
    assert parse_code(" cus_ABC.1 ") == "cus_ABC.1"
    with pytest.raises(FieldErrors):
        parse_code("bad code")
