"""Queries (reads) of the billing area for pages, exports and APIs.

* ``review_queue``: the invoice review queue and its filter options.
* ``invoice_detail``: the invoice page (lines, usage behind them, history, credit notes).
* ``credit_notes``: what is credited per line, the caps and threshold, pending credits.
* ``bill_runs``: bill runs for display.
* ``usage_aggregates``: usage per customer and meter over a period (the bill run's input).
* ``usage_events``: a meter's daily series and events; ``usage_imports``: the import history.
* ``exports``: an invoice as CSV or PDF.
"""
