"""A customer's billing details and the one parser that checks them (pure).

Every field a form, an import file or an API sends goes through :func:`parse_details`; it
reports every bad field at once (:class:`~console.kernel.errors.FieldErrors`), each with a
message naming the field, so nothing half-checked is ever written.

* Countries are ISO 3166-1 alpha-2 codes (pycountry's list); currencies those
  :mod:`console.money` knows; tax ids are checked with python-stdnum where it knows the
  country's VAT/tax number format, and for plain characters everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pycountry
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from console.identity.domain.emails import normalize_email
from console.kernel.errors import FieldErrors, InvalidInput
from console.money import CURRENCY_EXPONENTS

SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
REGIONS: tuple[str, ...] = ("na", "emea", "apac", "latam")
SEGMENT_LABELS = {"smb": "SMB", "mid_market": "Mid-market", "enterprise": "Enterprise"}
REGION_LABELS = {"na": "North America", "emea": "EMEA", "apac": "APAC", "latam": "LATAM"}
#: The payment terms (days) a customer may have.
ALLOWED_TERMS: tuple[int, ...] = (0, 7, 15, 30, 45, 60, 90)

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_POSTAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{0,19}$")
_TAX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{1,31}$")
_LIMITS = {"name": 200, "legal_name": 200, "address_line1": 200, "address_line2": 200,
           "city": 100}


@dataclass(frozen=True)
class CustomerDetails:
    """A customer's checked billing details.

    Attributes:
        name: the name people know the customer by.
        legal_name: the name invoices are addressed to (defaults to ``name``).
        email: the billing e-mail (invoices, reminders and notices).
        address_line1: street and number.
        address_line2: more address (suite, floor), may be empty.
        postal_code: may be empty (some countries have none).
        city: the city.
        country: ISO 3166-1 alpha-2 code, e.g. ``DE``.
        tax_id: VAT or tax number, may be empty.
        currency: the invoice currency (ISO 4217).
        payment_terms_days: one of :data:`ALLOWED_TERMS`.
        region: one of :data:`REGIONS` (tax rate and price dimension).
        segment: one of :data:`SEGMENTS` (price dimension, KPIs).
    """

    name: str
    legal_name: str
    email: str
    address_line1: str
    address_line2: str
    postal_code: str
    city: str
    country: str
    tax_id: str
    currency: str
    payment_terms_days: int
    region: str
    segment: str

    def as_dict(self) -> dict[str, Any]:
        """The details as plain values (audit events, forms)."""
        return asdict(self)


#: The fields of :class:`CustomerDetails`, in form order.
FIELDS: tuple[str, ...] = tuple(CustomerDetails.__dataclass_fields__)


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return "" if value is None else " ".join(str(value).split())


def country_name(code: str) -> str:
    """``DE`` -> ``Germany`` (the code itself when unknown)."""
    found = pycountry.countries.get(alpha_2=code)
    return found.name if found is not None else code


def check_tax_id(tax_id: str, country: str) -> str:
    """The tax id in its compact form, checked against the country's format when known.

    Args:
        tax_id: as typed (spaces, dots and dashes are allowed).
        country: the customer's ISO country code.

    Returns:
        The compact tax id (empty stays empty).

    Raises:
        InvalidInput: when it has characters a tax id never has, or fails the country's check.
    """
    if not tax_id:
        return ""
    if not _TAX_ID.match(tax_id):
        raise InvalidInput("use letters, digits, spaces, dots, dashes or slashes (2-32).")
    vat_cc = "el" if country.lower() == "gr" else country.lower()
    if vat_cc in eu_vat.MEMBER_STATES:
        number = tax_id if tax_id[:2].lower() == vat_cc else vat_cc.upper() + tax_id
        try:
            return eu_vat.validate(number)
        except ValidationError:
            raise InvalidInput(f"{tax_id!r} is not a valid {country_name(country)} VAT "
                               "number.") from None
    module = get_cc_module(country.lower(), "vat") or get_cc_module(country.lower(), "tin")
    if module is not None:
        try:
            return module.validate(tax_id)
        except ValidationError:
            raise InvalidInput(f"{tax_id!r} is not a valid {country_name(country)} tax number.") \
                from None
    return tax_id


def parse_details(raw: Mapping[str, Any]) -> CustomerDetails:
    """Check every billing detail of a form or import row.

    Args:
        raw: field -> value as typed (strings; ``payment_terms_days`` may be an int).

    Returns:
        The checked details (trimmed, upper-cased codes, compact tax id).

    Raises:
        FieldErrors: naming every field that is missing or wrong (nothing is kept).
    """
    errors: dict[str, str] = {}
    values = {key: _text(raw, key) for key in FIELDS}
    for key, limit in _LIMITS.items():
        if len(values[key]) > limit:
            errors[key] = f"at most {limit} characters."
    if not values["name"]:
        errors["name"] = "is required."
    values["legal_name"] = values["legal_name"] or values["name"]
    try:
        values["email"] = normalize_email(values["email"])
        if len(values["email"]) > 320:
            errors["email"] = "at most 320 characters."
    except InvalidInput:
        errors["email"] = "enter a valid e-mail address, e.g. billing@example.com."
    if values["postal_code"] and not _POSTAL.match(values["postal_code"]):
        errors["postal_code"] = "use letters, digits, spaces or dashes (up to 20)."
    country = values["country"].upper()
    values["country"] = country
    known = len(country) == 2 and pycountry.countries.get(alpha_2=country) is not None
    if not known:
        errors["country"] = "choose a country (two-letter ISO code, e.g. US, DE, GB)."
    else:
        try:
            values["tax_id"] = check_tax_id(values["tax_id"], country)
        except InvalidInput as exc:
            errors["tax_id"] = str(exc)
    values["currency"] = values["currency"].upper()
    if values["currency"] not in CURRENCY_EXPONENTS:
        errors["currency"] = f"choose one of {', '.join(sorted(CURRENCY_EXPONENTS))}."
    terms = values["payment_terms_days"]
    if not terms.isdigit() or int(terms) not in ALLOWED_TERMS:
        errors["payment_terms_days"] = (f"choose one of {', '.join(map(str, ALLOWED_TERMS))} "
                                        "days.")
    if values["region"] not in REGIONS:
        errors["region"] = f"choose one of {', '.join(REGIONS)}."
    if values["segment"] not in SEGMENTS:
        errors["segment"] = f"choose one of {', '.join(SEGMENTS)}."
    if errors:
        raise FieldErrors({k: errors[k] for k in FIELDS if k in errors})
    return CustomerDetails(**{**values, "payment_terms_days": int(terms)})


def parse_code(code: str) -> str:
    """A customer code as typed: 1-32 letters, digits, dots, dashes or underscores.

    Raises:
        FieldErrors: on ``code`` otherwise.
    """
    code = (code or "").strip()
    if not _CODE.match(code):
        raise FieldErrors({"code": "use 1-32 letters, digits, dots, dashes or underscores."})
    return code
