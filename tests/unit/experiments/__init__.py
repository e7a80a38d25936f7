"""Unit tests of the experiments area (pure domain, no database)."""
