"""Queries (reads) of the disputes area for pages, exports and APIs."""
