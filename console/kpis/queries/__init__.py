"""Queries (reads) of the kpis area for pages, exports and APIs."""
