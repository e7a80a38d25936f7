"""Queries (reads) of the catalog area for pages, exports and APIs."""
