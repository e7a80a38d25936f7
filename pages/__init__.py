"""Reflex UI: one package per area (page, state, views); shared widgets in components/."""
