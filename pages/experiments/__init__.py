"""Pricing experiments and staged rollouts (issue 7)."""
