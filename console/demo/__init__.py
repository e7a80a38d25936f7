"""Deterministic demo-company generator (seeded; ``customers`` scales it).

:func:`seed_demo` fills an empty database with the monetization history of "Lumen Platform"
and returns a :class:`SeedReport`. The same ``(customers, months, seed, as_of)`` always give
the same rows, on SQLite and PostgreSQL alike.

What the data looks like (so pages, services and KPIs can rely on it):

* Catalog: plans free/team/business/enterprise (enterprise yearly, with ``commit_minor`` on
  its recurring price), each with a retired v1 (grandfathered subscribers), a published v2;
  team v3 is the published variant of the running experiment, team v4 is pending approval
  (pending change request), business v3 is a draft whose change request got "changes
  requested". Prices per currency (USD, EUR, GBP) in Lago's charge-model schema.
* Subscriptions: events (new, upgrade, downgrade, seat_change, renewal, migrate, cancel,
  lapse, reactivate) whose ``mrr_delta_minor`` replay exactly to ``mrr_monthly`` (MRR after
  the last day of each month; ``as_of`` for the current one); ``canceled_on`` is the last
  active day, the cancel/lapse event falls on the first day without MRR.
* Invoices follow :mod:`console.billing.domain.charges`: one per subscription and month, made when
the
  month ends (issued on the 1st of the next month, numbered gap-free and chronologically per
  year), with the month's fees in advance and its usage in arrears, prorations, tax per line,
  prepaid credit drawn like the bill run, and flags from
  :func:`console.billing.domain.anomalies.flag_invoice` (``[{"code", "detail"}]``). Line
  ``breakdown`` is a list of label strings, like the bill run stores it. The current month's
  invoices are drafts (``draft``, ``in_review`` held with a reason, ``approved``) of a
  completed bill run; their usage is month-to-date.
* Usage: ``usage_daily`` per customer, meter and day (all months while it fits the row
  budget, else the last full month and the current one); raw ``usage_event`` rows for a
  subset of customers in the previous and current month, adding up to their daily rows.
"""

from console.demo.seed import ACTOR_ROLES, DemoSeedError, SeedReport, seed_demo

__all__ = ["ACTOR_ROLES", "DemoSeedError", "SeedReport", "seed_demo"]
