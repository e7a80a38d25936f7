"""Catalog and pricing pages: plans, versions, the draft editor and change requests."""
