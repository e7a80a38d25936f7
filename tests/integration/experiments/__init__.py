"""Integration tests of the experiments area (SQLite and PostgreSQL)."""
