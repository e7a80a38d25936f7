"""Unit tests of the catalog area (pure domain)."""
