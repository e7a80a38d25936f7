"""Benchmarks for `python -m console bench` (speed and memory figures; the product never imports
this package)."""
