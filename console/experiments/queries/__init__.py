"""Queries (reads) of the experiments area for pages, exports and APIs."""
