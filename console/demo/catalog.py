"""The demo catalog (product, meters, features, plans, versioned rate cards) and reference data.

Prices follow Lago's charge-model schema; amounts are decimal strings in major units. Fixed
fees are computed with :func:`console.pricing.rate` and rounded once with
:func:`console.money.round_minor`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from console.demo.calendar import Calendar, at
from console.demo.writer import BulkWriter
from console.money import round_minor, to_major
from console.pricing import rate

CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP")
PLAN_ORDER: tuple[str, ...] = ("free", "team", "business", "enterprise")

TAX_RATES: tuple[tuple[str, str, str], ...] = (
    ("na", "US sales tax (blended)", "7.25"),
    ("emea", "VAT", "20"),
    ("apac", "GST", "10"),
    ("latam", "IVA", "16"),
)
FX_TO_USD: dict[str, str] = {"USD": "1", "EUR": "1.08", "GBP": "1.27"}

DISPUTE_SLA_HOURS: dict[str, int] = {
    "usage_disagreement": 72,
    "price_plan_mismatch": 48,
    "duplicate_charge": 24,
    "service_issue": 72,
    "cancellation_not_honoured": 48,
    "other": 120,
}
DUNNING_DAYS: tuple[int, ...] = (1, 3, 5, 7)
CREDIT_NOTE_THRESHOLD_MINOR = 50_000
POLICY: dict[str, Any] = {
    "approval_thresholds": {
        "catalog_revenue_change_minor": 500_000,
        "credit_note_minor": CREDIT_NOTE_THRESHOLD_MINOR,
    },
    "dispute_sla_hours": DISPUTE_SLA_HOURS,
    "dunning_schedule_days": list(DUNNING_DAYS),
    "anomaly": {"change_pct": 30, "spike_factor": 3},
}

METERS: tuple[tuple[str, str, str, str], ...] = (
    ("api_calls", "API calls", "api_call", "call"),
    ("ai_tokens", "AI tokens", "ai_token_usage", "token"),
    ("compute_hours", "Compute hours", "compute_usage", "hour"),
)

FEATURES: tuple[tuple[str, str, str, str | None], ...] = (
    ("sso", "Single sign-on", "boolean", None),
    ("audit_log", "Audit log", "boolean", None),
    ("priority_support", "Priority support", "boolean", None),
    ("seats", "Seats", "limit", None),
    ("projects", "Projects", "limit", None),
    ("api_calls", "API calls", "metered", "api_calls"),
    ("ai_tokens", "AI tokens", "metered", "ai_tokens"),
    ("compute_hours", "Compute hours", "metered", "compute_hours"),
)

#: plan -> feature -> False (off), True (on, unlimited) or an int limit.
ENTITLEMENTS: dict[str, dict[str, bool | int]] = {
    "free": {"sso": False, "audit_log": False, "priority_support": False, "seats": 3,
             "projects": 2, "api_calls": 100_000, "ai_tokens": False, "compute_hours": False},
    "team": {"sso": False, "audit_log": False, "priority_support": False, "seats": 50,
             "projects": 20, "api_calls": True, "ai_tokens": True, "compute_hours": True},
    "business": {"sso": True, "audit_log": True, "priority_support": False, "seats": 250,
                 "projects": 100, "api_calls": True, "ai_tokens": True, "compute_hours": True},
    "enterprise": {"sso": True, "audit_log": True, "priority_support": True, "seats": True,
                   "projects": True, "api_calls": True, "ai_tokens": True,
                   "compute_hours": True},
}

PLANS: tuple[tuple[str, str, str, str], ...] = (
    ("free", "Free", "Explore the platform with a small team, no card needed.", "month"),
    ("team", "Team", "For growing teams: platform fee, per-seat pricing and metered usage.",
     "month"),
    ("business", "Business", "SSO, audit log and volume usage pricing for larger companies.",
     "month"),
    ("enterprise", "Enterprise", "Annual contract with a committed spend and priority support.",
     "year"),
)

_C = dict[str, str]


def _cur(usd: str, eur: str, gbp: str) -> _C:
    return {"USD": usd, "EUR": eur, "GBP": gbp}


#: (plan, version number) -> (platform fee, seat price) per currency, major units.
FIXED: dict[tuple[str, int], tuple[_C, _C | None]] = {
    ("free", 1): (_cur("0", "0", "0"), None),
    ("free", 2): (_cur("0", "0", "0"), None),
    ("team", 1): (_cur("39", "36", "32"), _cur("10", "9", "8")),
    ("team", 2): (_cur("49", "45", "39"), _cur("12", "11", "10")),
    ("team", 3): (_cur("59", "55", "47"), _cur("9", "8", "7")),
    ("team", 4): (_cur("55", "51", "44"), _cur("13", "12", "11")),
    ("business", 1): (_cur("249", "229", "199"), _cur("22", "20", "18")),
    ("business", 2): (_cur("299", "275", "239"), _cur("25", "23", "20")),
    ("business", 3): (_cur("329", "299", "259"), _cur("25", "23", "20")),
    ("enterprise", 1): (_cur("21600", "19900", "17100"), _cur("288", "265", "228")),
    ("enterprise", 2): (_cur("24000", "22100", "19000"), _cur("300", "276", "237")),
}
#: Annual commit (minor units) on the enterprise recurring price.
COMMIT_MINOR: dict[tuple[str, int], dict[str, int]] = {
    ("enterprise", 2): {"USD": 3_600_000, "EUR": 3_310_000, "GBP": 2_840_000},
}


def _ranges(key: str, tiers: list[tuple[int | None, str]], *, adjacent: bool = False) -> dict:
    rows: list[dict[str, Any]] = []
    lower = 0
    for i, (to_value, unit) in enumerate(tiers):
        start = 0 if i == 0 else (lower if adjacent else lower + 1)
        rows.append({"from_value": start, "to_value": to_value, "per_unit_amount": unit,
                     "flat_amount": "0"})
        lower = to_value or 0
    return {key: rows}


def _grad(tiers: list[tuple[int | None, str]]) -> tuple[str, dict]:
    return "graduated", _ranges("graduated_ranges", tiers)


def _vol(tiers: list[tuple[int | None, str]], *, adjacent: bool = False) -> tuple[str, dict]:
    return "volume", _ranges("volume_ranges", tiers, adjacent=adjacent)


_M = 1_000_000
_TOKENS_VOL = _vol([(10 * _M, "0.000002"), (100 * _M, "0.0000016"), (None, "0.0000012")])
_ENT_TOKENS = _vol([(100 * _M, "0.0000015"), (None, "0.000001")])

#: (plan, version) -> meter -> (charge model, properties).
USAGE: dict[tuple[str, int], dict[str, tuple[str, dict]]] = {
    ("free", 1): {"api_calls": _grad([(100_000, "0"), (None, "0.0001")])},
    ("free", 2): {"api_calls": _grad([(100_000, "0"), (None, "0.0001")])},
    ("team", 1): {
        "api_calls": _grad([(500_000, "0"), (None, "0.00004")]),
        "ai_tokens": ("package", {"amount": "2", "package_size": _M, "free_units": 500_000}),
        "compute_hours": ("standard", {"amount": "0.12"}),
    },
    ("team", 2): {
        "api_calls": _grad([(_M, "0"), (10 * _M, "0.00005"), (None, "0.00003")]),
        "ai_tokens": ("package", {"amount": "2", "package_size": _M, "free_units": _M}),
        "compute_hours": ("standard", {"amount": "0.12"}),
    },
    ("team", 3): {
        "api_calls": _grad([(2 * _M, "0"), (10 * _M, "0.00005"), (None, "0.00003")]),
        "ai_tokens": ("package", {"amount": "2", "package_size": _M, "free_units": _M}),
        "compute_hours": ("standard", {"amount": "0.12"}),
    },
    ("team", 4): {
        "api_calls": _grad([(_M, "0"), (10 * _M, "0.00006"), (None, "0.000035")]),
        "ai_tokens": ("package", {"amount": "2.5", "package_size": _M, "free_units": _M}),
        "compute_hours": ("standard", {"amount": "0.12"}),
    },
    ("business", 1): {
        "api_calls": _grad([(5 * _M, "0"), (None, "0.00003")]),
        "ai_tokens": _TOKENS_VOL,
        "compute_hours": ("standard", {"amount": "0.10"}),
    },
    ("business", 2): {
        "api_calls": _grad([(5 * _M, "0"), (50 * _M, "0.00004"), (None, "0.000025")]),
        "ai_tokens": _TOKENS_VOL,
        "compute_hours": ("standard", {"amount": "0.10"}),
    },
    ("business", 3): {
        "api_calls": _grad([(10 * _M, "0"), (50 * _M, "0.00004"), (None, "0.000025")]),
        "ai_tokens": _TOKENS_VOL,
        "compute_hours": _vol([(500, "0.10"), (None, "0.08")], adjacent=True),
    },
    ("enterprise", 1): {
        "api_calls": _grad([(50 * _M, "0.000015"), (None, "0.00001")]),
        "ai_tokens": _ENT_TOKENS,
        "compute_hours": ("standard", {"amount": "0.08"}),
    },
    ("enterprise", 2): {
        "api_calls": _grad([(50 * _M, "0.000012"), (500 * _M, "0.000009"), (None, "0.000006")]),
        "ai_tokens": _ENT_TOKENS,
        "compute_hours": ("package", {"amount": "8", "package_size": 100, "free_units": 0}),
    },
}


@dataclass(frozen=True, slots=True)
class PriceDef:
    """One rate-card row as the generator needs it."""

    id: int
    version_id: int
    kind: str
    model: str
    properties: dict
    currency: str
    name: str
    meter: str | None = None
    meter_id: int | None = None


@dataclass(slots=True)
class VersionDef:
    """A plan version with its rate card per currency."""

    id: int
    plan: str
    plan_id: int
    plan_name: str
    number: int
    status: str
    interval: str
    effective_from: date | None
    effective_to: date | None
    created_at: datetime
    published_at: datetime | None
    fee: dict[str, PriceDef] = field(default_factory=dict)
    seat: dict[str, PriceDef] = field(default_factory=dict)
    usage: dict[str, list[PriceDef]] = field(default_factory=dict)


@dataclass(slots=True)
class Timeline:
    """Dates of the catalog's history inside (and before) the data window."""

    v1_from: date
    effective: dict[str, date]
    exp_start: date
    exp2_start: date
    exp2_end: date
    rollout_k: int


class Catalog:
    """Ids and lookups of the generated catalog, plus fixed-fee arithmetic (cached)."""

    def __init__(self) -> None:
        self.product_id = 0
        self.meter_ids: dict[str, int] = {}
        self.plan_ids: dict[str, int] = {}
        self.versions: dict[int, VersionDef] = {}
        self.vid: dict[tuple[str, int], int] = {}
        self.timeline: Timeline
        self._fee: dict[tuple[int, str], int] = {}
        self._seat: dict[tuple[int, str, int], int] = {}
        self._mrr: dict[tuple[int, str, int], int] = {}

    def version_for(self, plan: str, day: date) -> int:
        """The version a new subscriber of ``plan`` gets on ``day`` (outside experiments)."""
        if day >= self.timeline.effective[plan]:
            return self.vid[(plan, 2)]
        return self.vid[(plan, 1)]

    def fee_minor(self, vid: int, currency: str) -> int:
        """Platform fee of one full billing period (month or year) in minor units."""
        key = (vid, currency)
        value = self._fee.get(key)
        if value is None:
            price = self.versions[vid].fee[currency]
            value = round_minor(rate(price.model, price.properties, Decimal(1)), currency)
            self._fee[key] = value
        return value

    def seat_minor(self, vid: int, currency: str, seats: int) -> int:
        """Seat charge of one full billing period for ``seats`` seats, in minor units."""
        key = (vid, currency, seats)
        value = self._seat.get(key)
        if value is None:
            price = self.versions[vid].seat.get(currency)
            value = 0 if price is None else round_minor(
                rate(price.model, price.properties, Decimal(seats)), currency)
            self._seat[key] = value
        return value

    def fixed_minor(self, vid: int, currency: str, seats: int) -> int:
        """Platform fee plus seats for one full billing period, in minor units."""
        return self.fee_minor(vid, currency) + self.seat_minor(vid, currency, seats)

    def mrr(self, vid: int, currency: str, seats: int) -> int:
        """Normalized monthly recurring revenue (annual / 12) in minor units."""
        key = (vid, currency, seats)
        value = self._mrr.get(key)
        if value is None:
            fixed = self.fixed_minor(vid, currency, seats)
            if self.versions[vid].interval == "year":
                value = round_minor(to_major(fixed, currency) / 12, currency)
            else:
                value = fixed
            self._mrr[key] = value
        return value


def _entitlement_rows(writer: BulkWriter, vid: int, plan: str, feature_ids: dict[str, int]) -> None:
    for key, value in ENTITLEMENTS[plan].items():
        writer.add("entitlement", {
            "id": writer.new_id("entitlement"),
            "plan_version_id": vid,
            "feature_id": feature_ids[key],
            "enabled": value is not False,
            "limit_value": value if isinstance(value, int) and not isinstance(value, bool)
            else None,
        })


def build_reference(writer: BulkWriter, *, existing: dict[str, set[str]], admin: int,
                    now: datetime) -> None:
    """Buffer tax rates, FX rates and policy settings that are not stored yet."""
    for region, name, pct in TAX_RATES:
        if region not in existing["tax_rate"]:
            writer.add("tax_rate", {"id": writer.new_id("tax_rate"), "region": region,
                                    "name": name, "rate": pct})
    for currency, value in FX_TO_USD.items():
        if currency not in existing["fx_rate"]:
            writer.add("fx_rate", {"currency": currency, "reporting_currency": "USD",
                                   "rate": value, "updated_at": now})
    for key, value in POLICY.items():
        if key not in existing["policy_setting"]:
            writer.add("policy_setting", {"key": key, "value": value, "updated_by": admin,
                                          "updated_at": now, "version": 1})


def build_catalog(writer: BulkWriter, cal: Calendar, actors: dict[str, int]) -> Catalog:
    """Buffer the product, meters, features, plans, versions, prices and entitlements.

    Args:
        writer: the bulk writer (ids are taken from it).
        cal: the data window.
        actors: role key -> user id.

    Returns:
        The catalog's ids and lookups.
    """
    cat = Catalog()
    k_max = cal.months
    start = cal.ms(0)
    v1_from = date(start.year - 3, start.month, 1)
    effective = {
        "free": cal.ms(k_max // 4),
        "team": cal.ms(k_max // 3),
        "business": cal.ms(k_max // 2),
        "enterprise": cal.ms((2 * k_max) // 3),
    }
    as_of = cal.as_of
    exp_start = min(max(effective["team"] + timedelta(days=14), as_of - timedelta(days=45)),
                    as_of - timedelta(days=3))
    exp2_end = effective["business"] - timedelta(days=1)
    cat.timeline = Timeline(
        v1_from=v1_from,
        effective=effective,
        exp_start=exp_start,
        exp2_start=effective["business"] - timedelta(days=56),
        exp2_end=exp2_end,
        rollout_k=cal.current,
    )
    lead, lead2 = actors["monetization_lead"], actors["monetization_lead2"]
    origin = at(v1_from - timedelta(days=30), 9)
    cat.product_id = writer.new_id("product")
    writer.add("product", {
        "id": cat.product_id, "code": "lumen", "name": "Lumen Platform",
        "description": "API, AI and compute platform sold per seat with metered usage.",
        "created_at": origin,
    })
    for code, name, event_type, unit in METERS:
        mid = cat.meter_ids[code] = writer.new_id("meter")
        writer.add("meter", {"id": mid, "code": code, "name": name, "event_type": event_type,
                             "aggregation": "sum", "field_name": None, "unit": unit,
                             "created_at": origin})
    feature_ids: dict[str, int] = {}
    for key, name, kind, meter in FEATURES:
        fid = feature_ids[key] = writer.new_id("feature")
        writer.add("feature", {"id": fid, "product_id": cat.product_id, "key": key,
                               "name": name, "kind": kind,
                               "meter_id": cat.meter_ids[meter] if meter else None})
    for position, (code, name, description, interval) in enumerate(PLANS):
        pid = cat.plan_ids[code] = writer.new_id("plan")
        writer.add("plan", {"id": pid, "product_id": cat.product_id, "code": code, "name": name,
                            "description": description, "interval": interval,
                            "position": position, "created_at": origin})

    day = timedelta(days=1)
    # (plan, number, status, effective_from, effective_to, created, published, author, notes)
    specs: list[tuple[str, int, str, date | None, date | None, datetime, datetime | None,
                      int, str]] = []
    for plan in PLAN_ORDER:
        eff = effective[plan]
        specs.append((plan, 1, "retired", v1_from, eff - day, at(v1_from - 10 * day, 10),
                      at(v1_from - 3 * day, 15), lead2, "Launch price list."))
        published = at(eff - 2 * day, 15)
        if plan == "business":
            published = at(cat.timeline.exp2_start - 2 * day, 15)
        specs.append((plan, 2, "published", eff, None, at(eff - 20 * day, 11), published,
                      lead if plan in {"team", "business"} else lead2,
                      "Annual price review: new platform fee and seat prices."))
    specs.append(("team", 3, "published", exp_start, None, at(exp_start - 12 * day, 10),
                  at(exp_start - day, 16), lead,
                  "Experiment variant: higher platform fee, cheaper seats, 2M free API calls."))
    specs.append(("team", 4, "pending_approval", None, None, at(as_of - 4 * day, 11), None,
                  lead, "Raise platform fee to 55 and re-tier API calls."))
    specs.append(("business", 3, "draft", None, None, at(as_of - 9 * day, 14), None, lead2,
                  "Draft: 10M free API calls, volume-priced compute."))
    for plan, number, status, eff_from, eff_to, created, published, author, notes in specs:
        vid = writer.new_id("plan_version")
        cat.vid[(plan, number)] = vid
        interval = "year" if plan == "enterprise" else "month"
        based_on = cat.vid.get((plan, 2 if number > 2 else 1)) if number > 1 else None
        version = VersionDef(
            id=vid, plan=plan, plan_id=cat.plan_ids[plan], plan_name=plan.capitalize(),
            number=number, status=status, interval=interval, effective_from=eff_from,
            effective_to=eff_to, created_at=created, published_at=published,
        )
        cat.versions[vid] = version
        writer.add("plan_version", {
            "id": vid, "plan_id": cat.plan_ids[plan], "number": number, "status": status,
            "based_on_id": based_on, "effective_from": eff_from, "effective_to": eff_to,
            "notes": notes, "created_by": author, "created_at": created,
            "published_at": published,
            "published_by": (lead2 if author == lead else lead) if published else None,
            "version": 1 if status in {"draft"} else 2,
        })
        _price_rows(writer, cat, version)
        _entitlement_rows(writer, vid, plan, feature_ids)
    return cat


def _price_rows(writer: BulkWriter, cat: Catalog, version: VersionDef) -> None:
    fee, seat = FIXED[(version.plan, version.number)]
    commit = COMMIT_MINOR.get((version.plan, version.number), {})
    name = version.plan_name
    for currency in CURRENCIES:
        position = 0
        rows: list[tuple[str, str, dict, str | None, str, bool, int | None]] = [
            ("recurring", "standard", {"amount": fee[currency]}, None,
             f"{name} platform fee", True, commit.get(currency)),
        ]
        if seat is not None:
            rows.append(("seat", "standard", {"amount": seat[currency]}, None, f"{name} seats",
                         True, None))
        for meter, (model, props) in USAGE[(version.plan, version.number)].items():
            rows.append(("usage", model, props, meter, dict(
                (m[0], m[1]) for m in METERS)[meter], False, None))
        version.usage[currency] = []
        for kind, model, props, meter, label, advance, commit_minor in rows:
            pid = writer.new_id("price")
            price = PriceDef(id=pid, version_id=version.id, kind=kind, model=model,
                             properties=props, currency=currency, name=label, meter=meter,
                             meter_id=cat.meter_ids[meter] if meter else None)
            if kind == "recurring":
                version.fee[currency] = price
            elif kind == "seat":
                version.seat[currency] = price
            else:
                version.usage[currency].append(price)
            writer.add("price", {
                "id": pid, "plan_version_id": version.id, "meter_id": price.meter_id,
                "name": label, "kind": kind, "charge_model": model, "properties": props,
                "currency": currency, "region": None, "segment": None,
                "billing_interval": version.interval if kind != "usage" else "month",
                "pay_in_advance": advance, "minimum_minor": None,
                "commit_minor": commit_minor, "position": position,
            })
            position += 1
