"""Integration tests of the catalog area (SQLite and PostgreSQL)."""
