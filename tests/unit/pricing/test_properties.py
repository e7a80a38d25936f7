"""Property-based tests of the charge models over generated, valid rate cards."""

from __future__ import annotations

from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from console.money import exponent, round_minor, to_major
from console.pricing import breakdown, rate, sample_prices

D = Decimal
RANGE_KEYS = {
    "graduated": ("graduated_ranges", "per_unit_amount"),
    "volume": ("volume_ranges", "per_unit_amount"),
    "graduated_percentage": ("graduated_percentage_ranges", "rate"),
}
CURRENCIES = st.sampled_from(["USD", "JPY", "KWD"])


def _decimals(max_value: int, places: int) -> st.SearchStrategy[Decimal]:
    """Non-negative decimals up to ``max_value`` with at most ``places`` decimals."""
    return st.integers(min_value=0, max_value=max_value * 10**places).map(
        lambda i: D(i).scaleb(-places)
    )


UNITS = _decimals(500, 3)


@st.composite
def tier_cards(draw: st.DrawFn, model: str, *, non_decreasing: bool = False) -> dict:
    """A valid range card in Lago's schema: integer-style (0-10, 11-20) or adjacent decimals.

    With ``non_decreasing`` the per-unit prices and flat fees never fall from one range to
    the next.
    """
    key, price_key = RANGE_KEYS[model]
    integer_style = draw(st.booleans())
    count = draw(st.integers(min_value=1, max_value=5))
    if integer_style:
        steps = draw(st.lists(st.integers(1, 60), min_size=count - 1, max_size=count - 1))
    else:
        steps = draw(
            st.lists(_decimals(30, 2).filter(bool), min_size=count - 1, max_size=count - 1)
        )
    prices = draw(st.lists(_decimals(20, 4), min_size=count, max_size=count))
    flats = draw(st.lists(_decimals(50, 2), min_size=count, max_size=count))
    if non_decreasing:
        prices, flats = sorted(prices), sorted(flats)
    ranges, previous_to = [], D(0)
    for index in range(count):
        if index == 0:
            from_value = D(0)
        else:
            from_value = previous_to + 1 if integer_style else previous_to
        to_value = previous_to + steps[index] if index < count - 1 else None
        if integer_style and index > 0 and to_value is not None:
            to_value += 1  # from_value is previous_to + 1, so keep to_value above it
        ranges.append(
            {
                "from_value": str(from_value),
                "to_value": None if to_value is None else str(to_value),
                price_key: str(prices[index]),
                "flat_amount": str(flats[index]),
            }
        )
        previous_to = to_value if to_value is not None else previous_to
    return {key: ranges}


@st.composite
def percentage_cards(draw: st.DrawFn) -> dict:
    """A valid percentage card with any mix of optional properties."""
    card: dict = {"rate": str(draw(_decimals(10, 3)))}
    if draw(st.booleans()):
        card["fixed_amount"] = str(draw(_decimals(2, 2)))
    if draw(st.booleans()):
        card["free_units_per_events"] = draw(st.integers(0, 4))
    if draw(st.booleans()):
        card["free_units_per_total_aggregation"] = str(draw(_decimals(300, 2)))
    minimum = draw(st.none() | _decimals(2, 2))
    maximum = draw(st.none() | _decimals(5, 2))
    if minimum is not None:
        card["per_transaction_min_amount"] = str(minimum)
    if maximum is not None:
        card["per_transaction_max_amount"] = str(max(maximum, minimum or D(0)))
    return card


@st.composite
def package_cards(draw: st.DrawFn) -> dict:
    return {
        "amount": str(draw(_decimals(100, 2))),
        "package_size": str(draw(_decimals(50, 1).filter(bool))),
        "free_units": str(draw(_decimals(20, 1))),
    }


@st.composite
def any_card(draw: st.DrawFn) -> tuple[str, dict, Decimal, list[Decimal] | None]:
    """Any model with a valid card, units and (for percentage) the events."""
    model = draw(
        st.sampled_from(
            ["standard", "graduated", "volume", "package", "percentage", "graduated_percentage"]
        )
    )
    if model == "standard":
        return model, {"amount": str(draw(_decimals(20, 4)))}, draw(UNITS), None
    if model == "package":
        return model, draw(package_cards()), draw(UNITS), None
    if model == "percentage":
        events = draw(st.lists(_decimals(200, 2), max_size=6))
        return model, draw(percentage_cards()), sum(events, D(0)), events
    return model, draw(tier_cards(model)), draw(UNITS), None


@settings(deadline=None)
@given(model=st.sampled_from(["graduated", "graduated_percentage"]), data=st.data())
def test_graduated_is_non_decreasing_in_units(model: str, data: st.DataObject) -> None:
    """Graduated pricing never charges less for more units, for any valid card."""
    card = data.draw(tier_cards(model))
    low, high = sorted([data.draw(UNITS), data.draw(UNITS)])
    assert rate(model, card, low) <= rate(model, card, high)


@settings(deadline=None)
@given(card=tier_cards("volume", non_decreasing=True), a=UNITS, b=UNITS)
def test_volume_is_non_decreasing_when_prices_never_fall(
    card: dict, a: Decimal, b: Decimal
) -> None:
    """Volume pricing is non-decreasing in units on cards whose per-unit amounts and flat fees
    never fall from one range to the next.

    That restriction is needed: in general volume pricing is not monotone, since a cheaper
    higher range can make a bigger volume cost less in total.
    """
    low, high = sorted([a, b])
    assert rate("volume", card, low) <= rate("volume", card, high)


def test_volume_is_not_monotone_in_general() -> None:
    card = {
        "volume_ranges": [
            {"from_value": 0, "to_value": 10, "per_unit_amount": "2", "flat_amount": "0"},
            {"from_value": 11, "to_value": None, "per_unit_amount": "1", "flat_amount": "0"},
        ]
    }
    # 10*2 = 20 but 11*1 = 11
    assert rate("volume", card, D(10)) > rate("volume", card, D(11))


@settings(deadline=None)
@given(model=st.sampled_from(sorted(RANGE_KEYS)), data=st.data())
def test_zero_units_cost_the_first_flat_fee(model: str, data: st.DataObject) -> None:
    card = data.draw(tier_cards(model))
    first = next(iter(card.values()))[0]
    assert rate(model, card, D(0)) == D(first["flat_amount"])


@settings(deadline=None)
@given(
    amount=_decimals(20, 4),
    package=package_cards(),
    percentage=percentage_cards(),
    zero_events=st.integers(0, 3),
)
def test_zero_units_cost_nothing_without_ranges(
    amount: Decimal, package: dict, percentage: dict, zero_events: int
) -> None:
    """Standard, package and percentage charge nothing for nothing (no fixed fee at zero)."""
    assert rate("standard", {"amount": str(amount)}, D(0)) == 0
    assert rate("package", package, D(0)) == 0
    assert rate("percentage", percentage, D(0)) == 0
    assert rate("percentage", percentage, D(0), event_units=[D(0)] * zero_events) == 0


@settings(deadline=None)
@given(case=any_card(), currency=CURRENCIES)
def test_breakdown_adds_up_to_rate(
    case: tuple[str, dict, Decimal, list[Decimal] | None], currency: str
) -> None:
    model, card, units, events = case
    total = rate(model, card, units, event_units=events)
    rows = breakdown(model, card, units, event_units=events, currency=currency)
    assert isinstance(total, Decimal)
    assert rows
    with localcontext(prec=120):
        assert sum((row.amount for row in rows), D(0)) == total
        for row in rows:
            assert row.amount == row.units * row.unit_amount + row.flat_amount
            assert all(isinstance(v, Decimal) for v in (row.units, row.unit_amount, row.amount))
            shown = to_major(round_minor(row.amount, currency), currency)
            assert row.label.endswith(f" = {shown:.{exponent(currency)}f}")


@settings(deadline=None)
@given(case=any_card(), currency=CURRENCIES)
def test_sample_prices_round_the_rated_charge_once(
    case: tuple[str, dict, Decimal, list[Decimal] | None], currency: str
) -> None:
    model, card, units, _ = case
    [(level, minor)] = sample_prices(model, card, [units], currency)
    assert level == units
    assert minor == round_minor(rate(model, card, units), currency)


@settings(deadline=None)
@given(card=tier_cards("graduated"), units=UNITS)
def test_single_open_range_graduated_equals_volume(card: dict, units: Decimal) -> None:
    first = dict(card["graduated_ranges"][0], to_value=None)
    one_range = [first]
    assert rate("graduated", {"graduated_ranges": one_range}, units) == rate(
        "volume", {"volume_ranges": one_range}, units
    )


@settings(deadline=None)
@given(
    percent=_decimals(10, 3),
    fixed=_decimals(2, 2),
    events=st.lists(_decimals(200, 2), min_size=1, max_size=6).filter(any),
)
def test_percentage_without_free_units_or_limits(
    percent: Decimal, fixed: Decimal, events: list[Decimal]
) -> None:
    """Without free units or limits: total * rate% + fixed per event."""
    total = sum(events, D(0))
    card = {"rate": str(percent), "fixed_amount": str(fixed)}
    expected = total * percent / 100 + len(events) * fixed
    assert rate("percentage", card, total, event_units=events) == expected


@settings(deadline=None)
@given(card=percentage_cards(), events=st.lists(_decimals(200, 2), max_size=6))
def test_percentage_never_exceeds_uncapped_cost_without_min(
    card: dict, events: list[Decimal]
) -> None:
    """Free units only ever lower the charge when no per-transaction minimum applies."""
    card.pop("per_transaction_min_amount", None)
    total = sum(events, D(0))
    paid = {k: v for k, v in card.items() if not k.startswith("free_units")}
    assert rate("percentage", card, total, event_units=events) <= rate(
        "percentage", paid, total, event_units=events
    )


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=20))
def test_rate_many_equals_rate_one_by_one(levels: list[int]) -> None:
    from console.pricing import rate_many

    props = {"graduated_ranges": [
        {"from_value": 0, "to_value": 100, "per_unit_amount": "0.5", "flat_amount": "3"},
        {"from_value": 101, "to_value": None, "per_unit_amount": "0.25", "flat_amount": "1"}]}
    units = [Decimal(n) for n in levels]
    assert rate_many("graduated", props, units) == [rate("graduated", props, u) for u in units]
