"""Shared widgets: the app shell, tables, pagination, cards."""
