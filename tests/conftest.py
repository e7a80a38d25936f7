"""Test-wide settings: tests never touch the developer's .data/ database."""

import os

os.environ.setdefault("CONSOLE_ENV", "test")
os.environ.setdefault("CONSOLE_SECRET_KEY", "test-secret-key-not-for-production")
