"""Real databases for integration tests: a migrated SQLite file per test, and PostgreSQL.

PostgreSQL runs when ``CONSOLE_TEST_DATABASE_URL`` is set (``.ci/run`` and ``make test`` start
one on loopback); each test starts from empty tables (TRUNCATE skips the audit trail's
append-only row triggers, which only guard UPDATE/DELETE).
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from models.db import make_engine, reset_engine

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("CONSOLE_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at ``url``."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test session (copied for each test)."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "head")
    return path


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    """The PostgreSQL test database, migrated from scratch once per session."""
    cfg = alembic_config(PG_URL)
    eng = make_engine(PG_URL)
    with eng.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    eng.dispose()
    command.upgrade(cfg, "head")
    return PG_URL


def _truncate_all(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        tables = conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' "
            "AND tablename <> 'alembic_version'")).scalars().all()
        if tables:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[str]:
    """A migrated, empty database URL (SQLite, and PostgreSQL when configured).

    The process-wide engine (``models.db.get_engine``) points at it for the test.
    """
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "console.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_migrated")
        eng = make_engine(url)
        _truncate_all(eng)
        eng.dispose()
    monkeypatch.setenv("CONSOLE_DATABASE_URL", url)
    reset_engine()
    yield url
    reset_engine()


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """The process-wide engine for the test database."""
    from models.db import get_engine

    yield get_engine()


@pytest.fixture
def users(engine: sa.Engine) -> dict[str, int]:
    """The demo accounts (admin, monetization_lead(2), finance(2), support(2), viewer) by key."""
    from console.identity.usecases.accounts import ensure_demo_users
    from models.db import unit_of_work

    with unit_of_work(engine) as s:
        return ensure_demo_users(s)
