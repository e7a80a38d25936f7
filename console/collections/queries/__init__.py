"""Queries (reads) of the collections area for pages, exports and APIs."""
