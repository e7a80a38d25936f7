"""Settings read their defaults relative to the checkout, wherever the module lives."""

from console.kernel import settings


def test_root_is_the_checkout():
    assert (settings.ROOT / "pyproject.toml").is_file()
    assert (settings.ROOT / "console" / "kernel" / "settings.py").is_file()
