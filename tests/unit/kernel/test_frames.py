"""connectorx URIs from SQLAlchemy URLs."""

from pathlib import Path

import pytest

from console.kernel.frames import connectorx_uri


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:54329/console_test",
         "postgresql://postgres@127.0.0.1:54329/console_test"),
        ("postgresql+psycopg://u:p%40ss@db:5432/c?sslmode=require",
         "postgresql://u:p%40ss@db:5432/c?sslmode=require"),
        ("sqlite:////tmp/x/console.db", "sqlite:///tmp/x/console.db"),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("mysql://u@h/db", None),
    ],
)
def test_connectorx_uri(url, expected):
    assert connectorx_uri(url) == expected


def test_relative_sqlite_paths_become_absolute():
    uri = connectorx_uri("sqlite:///.data/console.db")
    assert uri == f"sqlite://{Path('.data/console.db').resolve()}"
