"""One Alembic migration creates the whole model; it goes up, down and up again cleanly."""

from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import models  # noqa: F401
from models.db import make_engine
from tests.integration.conftest import PG_URL, alembic_config

pytestmark = pytest.mark.integration


def _urls(tmp_path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'm.db'}"]
    if PG_URL:
        eng = make_engine(PG_URL.rsplit("/", 1)[0] + "/postgres")
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("DROP DATABASE IF EXISTS console_migrations"))
            c.execute(sa.text("CREATE DATABASE console_migrations"))
        eng.dispose()
        urls.append(PG_URL.rsplit("/", 1)[0] + "/console_migrations")
    return urls


def test_upgrade_downgrade_upgrade_matches_the_models(tmp_path) -> None:
    for url in _urls(tmp_path):
        cfg = alembic_config(url)
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
        eng = make_engine(url)
        with eng.connect() as c:
            left = set(sa.inspect(c).get_table_names()) - {"alembic_version"}
        assert left == set(), f"{url}: downgrade left {left}"
        command.upgrade(cfg, "head")
        with eng.connect() as c:
            tables = set(sa.inspect(c).get_table_names())
            diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}),
                                    SQLModel.metadata)
        eng.dispose()
        assert set(SQLModel.metadata.tables) <= tables
        assert diff == [], f"{url}: models and migration differ: {diff}"


def test_0003_marks_the_existing_ledger(tmp_path) -> None:
    """Rows equal to their customer's month before come out marked ``unchanged``."""
    for url in _urls(tmp_path):
        cfg = alembic_config(url)
        command.upgrade(cfg, "0002")
        eng = make_engine(url)
        # Plain SQL: the model has columns that revision 0002 does not have yet.
        with eng.begin() as conn:
            cid = conn.execute(sa.text(
                "INSERT INTO customer (code, name, email, segment, region, country, currency, "
                "payment_terms_days, status, credit_balance_minor, mrr_minor, tax_exempt, "
                "created_at, version) VALUES ('M1', 'M1', 'm1@x.test', 'smb', 'na', 'US', "
                "'USD', 30, 'active', 0, 0, false, '2026-01-01 00:00:00', 1) RETURNING id"
            )).scalar_one()
        rows = [("2026-01-01", 100, "USD"), ("2026-02-01", 100, "USD"),
                ("2026-03-01", 100, "EUR"), ("2026-05-01", 100, "EUR"),
                ("2026-06-01", 100, "EUR"), ("2026-07-01", 200, "EUR")]
        with eng.begin() as conn:
            for month, mrr, cur in rows:
                conn.execute(sa.text(
                    "INSERT INTO mrr_monthly (customer_id, month, mrr_minor, currency) "
                    "VALUES (:c, :m, :v, :cur)"),
                    {"c": cid, "m": date.fromisoformat(month), "v": mrr, "cur": cur})
        command.upgrade(cfg, "head")
        with eng.connect() as conn:
            marks = conn.execute(sa.text(
                "SELECT month, unchanged FROM mrr_monthly ORDER BY month")).all()
        eng.dispose()
        assert [bool(u) for _, u in marks] == [False, True, False, False, True, False], url
