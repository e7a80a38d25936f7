"""Revenue-impact simulation: re-rate a draft and the published version over real usage.

For the customers currently subscribed to the plan (``subscription.plan_id``, status active or
past_due; one row per customer, their latest subscription), both rate cards are applied to each
of the last ``months`` complete calendar months before ``as_of`` (default: today):

* recurring fees and seats: :func:`console.catalog.subscription_mrr_minor` (yearly rows count
  1/12 a month, rounded once) times the months of the window since the subscription started;
  the *current* seat count is used for every month;
* usage: each usage row is rated per customer and month with the pricing engine and rounded
  like an invoice line, raised to the row's per-period minimum (``minimum_minor``) when set.
  Months without usage are rated at zero units (so flat fees and minimums still count).
  Monthly units are read by :mod:`console.catalog.queries.simulation_usage`.
  Percentage charges see each month's total as one transaction (per-event fixed fees and
  per-transaction limits are therefore approximate). ``commit_minor`` is not simulated.

Each distinct (price terms, currency, units) combination is rated once and joined back, so
the cost grows with the number of distinct monthly usage figures, not with rows x prices.
Rows whose charge model and properties are equal in both versions are rated once for both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from console.catalog.domain.impact import usage_window
from console.catalog.domain.mrr import subscription_mrr_minor
from console.catalog.domain.ratecard import PriceKind, PriceSpec, select_prices
from console.catalog.queries.loaders import get_version, load_policy, published_version
from console.catalog.queries.rate_cards import price_specs
from console.catalog.queries.simulation_result import (
    SimulationResult,
    SimulationView,
    simulation_view,
    summarize,
)
from console.catalog.queries.simulation_usage import month_index, monthly_usage, subscriber_frame
from console.kernel.errors import InvalidInput
from console.kernel.months import add_months
from console.money import round_minor
from console.pricing import PricingValidationError, rate_many
from console.reference import fx_rates
from models.db import read_session

Progress = Callable[[int], None]


class _Terms:
    """Distinct (charge model, properties, currency) of the rows being rated."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str, str], int] = {}
        self.specs: list[PriceSpec] = []

    def of(self, price: PriceSpec) -> int:
        key = (*price.terms_key, price.currency)
        if key not in self.index:
            self.index[key] = len(self.specs)
            self.specs.append(price)
        return self.index[key]


def _charges(spec: PriceSpec, units_micro: Sequence[int]) -> list[int]:
    """Rounded charges of one row's terms at each number of units (in millionths).

    The hot loop of the simulation: ``rate_many`` parses the properties once per row.
    """
    model, props, currency = spec.charge_model, spec.properties, spec.currency
    try:
        amounts = rate_many(model, props, [Decimal(u).scaleb(-6) for u in units_micro])
        return [round_minor(a, currency) for a in amounts]
    except PricingValidationError as exc:
        raise InvalidInput(f"Price {spec.name!r}: {exc}") from None


def _rate_combos(combos: pl.DataFrame, terms: _Terms, report: Progress) -> pl.DataFrame:
    """Rate each distinct (terms, units) pair once with the pricing engine."""
    total = max(1, combos.height)
    done = 0
    parts = []
    for (terms_idx,), group in combos.sort("terms_idx", "units_micro").group_by(
            "terms_idx", maintain_order=True):
        units = group["units_micro"].to_list()
        charges: list[int] = []
        for start in range(0, len(units), 20_000):
            charges += _charges(terms.specs[terms_idx], units[start:start + 20_000])
            done += min(20_000, len(units) - start)
            report(40 + 50 * done // total)
        parts.append(group.with_columns(charge_minor=pl.Series(charges, dtype=pl.Int64)))
    if not parts:
        return combos.with_columns(charge_minor=pl.lit(0, dtype=pl.Int64))
    return pl.concat(parts)


def rate_plan(
    conn: sa.Connection,
    *,
    plan_id: int,
    old_prices: Sequence[PriceSpec],
    new_prices: Sequence[PriceSpec],
    months: int,
    as_of: date | None = None,
    rates: Mapping[str, Decimal] | None = None,
    reporting_currency: str = "USD",
    progress: Progress | None = None,
    version_id: int | None = None,
    baseline_version_id: int | None = None,
) -> SimulationResult:
    """Re-rate the plan's current subscribers under two rate cards (the simulation core).

    Args:
        conn: an open connection (reads customers, subscriptions and usage).
        plan_id: the plan whose subscribers are simulated.
        old_prices: the published rate card (empty when nothing is published).
        new_prices: the proposed rate card.
        months: window length in complete calendar months (3, 6 or 12 in the UI).
        as_of: the window ends with the month before this date's month (default today, UTC).
        rates: reporting-currency units per currency unit, for ranking and the policy total.
        reporting_currency: the currency of ``rates``.
        progress: called with 0-100 as the work advances.
        version_id: the proposed version's id (for the result only).
        baseline_version_id: the published version's id (for the result only).

    Returns:
        The revenue of each subscriber over the window under both rate cards, summarized.

    Raises:
        ValueError: for a window length outside 1-24 months.
        InvalidInput: for a price the pricing engine refuses, or an unusable meter.
    """
    started_at = time.perf_counter()
    report = progress or (lambda _pct: None)
    report(0)
    rates = dict(rates or {reporting_currency: Decimal(1)})
    window = usage_window(as_of=as_of or datetime.now(UTC).date(), months=months)
    first_idx, last_idx = month_index(window[0]), month_index(window[-1])
    end = add_months(window[-1], 1)
    notes = [f"{months} complete month(s): {window[0]:%b %Y} - {window[-1]:%b %Y}."]
    if not old_prices:
        notes.append("The plan has no published version: current revenue counts as zero.")

    customers = subscriber_frame(conn, plan_id)
    report(10)
    profiles = (customers.select("currency", "region", "segment", "interval")
                .unique(maintain_order=True).with_row_index("profile_id"))
    customers = customers.join(profiles, on=["currency", "region", "segment", "interval"],
                               how="left", nulls_equal=True)

    terms = _Terms()
    line_rows: list[tuple[int, int, int, int, int | None]] = []
    chosen: dict[tuple[int, int], list[PriceSpec]] = {}
    for prof in profiles.iter_rows(named=True):
        for side, specs in ((0, old_prices), (1, new_prices)):
            picked = select_prices(specs, currency=prof["currency"], region=prof["region"],
                                   segment=prof["segment"], interval=prof["interval"])
            chosen[(prof["profile_id"], side)] = picked
            for p in picked:
                if p.kind == PriceKind.USAGE and p.meter_id is not None:
                    line_rows.append((prof["profile_id"], side, p.meter_id, terms.of(p),
                                      p.minimum_minor))

    recurring_rows = []
    for pid, seats in customers.select("profile_id", "seats").unique().iter_rows():
        prof = profiles.row(pid, named=True)
        recurring_rows.append((pid, seats, *(
            subscription_mrr_minor(chosen[(pid, side)], seats=seats, currency=prof["currency"],
                                   interval=prof["interval"], region=prof["region"],
                                   segment=prof["segment"])
            for side in (0, 1))))
    recurring = pl.DataFrame(recurring_rows, orient="row", schema={
        "profile_id": pl.UInt32, "seats": pl.Int64, "old_mrr": pl.Int64, "new_mrr": pl.Int64})

    usage, from_events = monthly_usage(conn, plan_id=plan_id,
                                       meter_ids=sorted({row[2] for row in line_rows}),
                                       start=window[0], end=end)
    if from_events:
        notes.append("unique_count and latest meters are read from raw usage events.")
    if any(s.charge_model == "percentage" for s in terms.specs):
        notes.append("Percentage charges treat each month's total as one transaction.")
    report(35)

    lines_def = pl.DataFrame(line_rows, orient="row", schema={
        "profile_id": pl.UInt32, "side": pl.Int8, "meter_id": pl.Int64, "terms_idx": pl.Int64,
        "minimum_minor": pl.Int64})
    months_df = pl.DataFrame({"month_idx": list(range(first_idx, last_idx + 1))},
                             schema={"month_idx": pl.Int32})
    lines = (
        customers.select("customer_id", "profile_id", "start_idx")
        .join(months_df, how="cross")
        .filter(pl.col("month_idx") >= pl.col("start_idx"))
        .join(lines_def, on="profile_id", how="inner")
        .join(usage, on=["customer_id", "meter_id", "month_idx"], how="left")
        .with_columns(pl.col("units_micro").fill_null(0))
    )
    combos = lines.select("terms_idx", "units_micro").unique()
    report(40)
    rated = _rate_combos(combos, terms, report)
    lines = lines.join(rated, on=["terms_idx", "units_micro"], how="left").with_columns(
        line_minor=pl.max_horizontal("charge_minor", pl.col("minimum_minor").fill_null(0)))
    usage_totals = lines.group_by("customer_id").agg(
        old_usage=pl.col("line_minor").filter(pl.col("side") == 0).sum(),
        new_usage=pl.col("line_minor").filter(pl.col("side") == 1).sum(),
    )
    active = (pl.lit(last_idx) - pl.max_horizontal(pl.col("start_idx"), pl.lit(first_idx)) + 1
              ).clip(0, months)
    per = (
        customers.join(recurring, on=["profile_id", "seats"], how="left")
        .join(usage_totals, on="customer_id", how="left")
        .with_columns(pl.col("old_usage", "new_usage").fill_null(0), active=active)
        .with_columns(
            old_minor=pl.col("old_mrr") * pl.col("active") + pl.col("old_usage"),
            new_minor=pl.col("new_mrr") * pl.col("active") + pl.col("new_usage"),
        )
        .with_columns(change_minor=pl.col("new_minor") - pl.col("old_minor"))
        .sort("customer_id")
    )
    report(92)
    result = summarize(
        per, plan_id=plan_id, version_id=version_id, baseline_version_id=baseline_version_id,
        months=months, window=(window[0], date.fromordinal(end.toordinal() - 1)), rates=rates,
        reporting_currency=reporting_currency, notes=notes,
        rated_combinations=combos.height, rated_lines=lines.height, started_at=started_at,
    )
    report(100)
    return result


def simulate_in(session: Session, *, version_id: int, months: int,
                progress: Progress | None = None, as_of: date | None = None
                ) -> SimulationResult:
    """Simulate a version against the plan's published version inside an open session."""
    version = get_version(session, version_id)
    baseline = published_version(session, version.plan_id)
    policy = load_policy(session)
    try:
        return rate_plan(
            session.connection(),
            plan_id=version.plan_id,
            old_prices=price_specs(session, baseline.id if baseline else None),
            new_prices=price_specs(session, version.id),
            months=months,
            as_of=as_of,
            rates=fx_rates(session, policy.reporting_currency),
            reporting_currency=policy.reporting_currency,
            progress=progress,
            version_id=version.id,
            baseline_version_id=baseline.id if baseline else None,
        )
    except ValueError as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(str(exc)) from None


def simulate(engine: sa.Engine | None = None, *, version_id: int, months: int,
             progress: Progress | None = None, as_of: date | None = None) -> SimulationResult:
    """Simulate a version's revenue impact (read-only; run it off the event loop).

    Args:
        engine: the database (default: the configured one).
        version_id: the proposed version (usually a draft).
        months: 3, 6 or 12 (1-24 accepted).
        progress: called with 0-100.
        as_of: the window ends with the month before this date's month (default today).
    """
    with read_session(engine) as session:
        return simulate_in(session, version_id=version_id, months=months, progress=progress,
                           as_of=as_of)


# --- page-facing


def run_simulation(*, version_id: int, months: int,
                   progress: Progress | None = None) -> SimulationView:
    """Simulate a version against the published one for a page (run it in a background task).

    Args:
        version_id: the proposed version.
        months: the window's length (3, 6 or 12).
        progress: called with 0-100.

    Returns:
        The simulation as view rows.

    Raises:
        InvalidInput: for a window length outside 1-24 months or a price that cannot be rated.
        NotFound: when there is no such version.
    """
    try:
        result = simulate(version_id=version_id, months=months, progress=progress)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    view = simulation_view(result.to_json())
    assert view is not None
    return view
