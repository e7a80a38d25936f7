"""Queries (reads) of the customers area for pages, exports and APIs."""
