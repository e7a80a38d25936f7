"""Queries (reads) of the billing area for pages, exports and APIs."""
