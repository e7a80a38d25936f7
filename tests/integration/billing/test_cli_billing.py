"""``python -m console usage import`` and ``python -m console bill-run`` on real databases:
exit codes, printed reports and what the database holds afterwards."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from console.cli import main
from models import AuditEvent, BillRun, Invoice, UsageEvent, UsageImport
from models.db import read_session, unit_of_work
from tests.integration import billing_fixtures as bf

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
HEADER = "customer_code,event_type,quantity,timestamp,idempotency_key,properties\n"


@pytest.fixture
def catalog(engine) -> dict:
    """Four customers on a plan with a per-call price; none billed yet."""
    with unit_of_work(engine) as s:
        cat = bf.simple_catalog(s)
        for code in ("ACME", "GLOBEX", "INITECH", "HOOLI"):
            c = bf.customer(s, code)
            bf.subscription(s, c, cat["version"], started_on=date(2025, 1, 1))
    return cat


def _count(engine, model, *where) -> int:
    with read_session(engine) as s:
        return s.execute(sa.select(sa.func.count()).select_from(model).where(*where)
                         ).scalar_one()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_usage_import_counts_duplicates_and_is_idempotent(engine, catalog, tmp_path,
                                                          capsys) -> None:
    path = _write(tmp_path, "march.csv", HEADER
                  + "ACME,calls,10,2026-03-02T10:00:00Z,k-1,\n"
                  + "ACME,calls,10,2026-03-02T10:00:00Z,k-1,\n"  # repeated key in the file
                  + 'GLOBEX,calls,2.5,2026-03-03T10:00:00+01:00,k-2,"{""region"": ""eu""}"\n')
    assert main(["usage", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "accepted: 3 received, 2 inserted, 1 duplicates, 0 rejected" in out
    assert _count(engine, UsageEvent) == 2
    assert main(["usage", "import", str(path)]) == 0  # again: everything is a duplicate
    assert "0 inserted, 3 duplicates" in capsys.readouterr().out
    assert _count(engine, UsageEvent) == 2
    assert _count(engine, UsageImport, UsageImport.status == "accepted") == 2


def test_usage_import_with_a_bad_row_writes_nothing_and_exits_1(engine, catalog, tmp_path,
                                                                capsys) -> None:
    path = _write(tmp_path, "bad.csv", HEADER
                  + "ACME,calls,10,2026-03-02T10:00:00Z,b-1,\n"
                  + "NOBODY,calls,10,2026-03-02T10:00:00Z,b-2,\n"
                  + "ACME,calls,1.1234567,2026-03-02T10:00:00Z,b-3,\n")
    assert main(["usage", "import", str(path)]) == 1
    out = capsys.readouterr().out
    assert "rejected: 3 received, 0 inserted, 0 duplicates, 2 rejected" in out
    assert "line 3: unknown customer 'NOBODY'" in out
    assert "line 4: bad quantity '1.1234567': more than 6 decimals" in out
    assert _count(engine, UsageEvent) == 0
    assert _count(engine, UsageImport, UsageImport.status == "rejected") == 1


def test_usage_import_jsonl_and_unusable_files(engine, catalog, tmp_path, capsys) -> None:
    path = _write(tmp_path, "events.jsonl",
                  '{"customer": "HOOLI", "meter": "calls", "quantity": 3, '
                  '"occurred_at": "2026-03-05T00:00:00Z", "key": "j-1"}\n\n')
    assert main(["usage", "import", str(path)]) == 0
    assert "1 inserted" in capsys.readouterr().out
    assert main(["usage", "import", str(tmp_path / "missing.csv")]) == 2
    assert "No such file" in capsys.readouterr().err
    assert main(["usage", "import", str(_write(tmp_path, "x.txt", "hi"))]) == 2
    assert ".csv or .jsonl" in capsys.readouterr().err


def test_bill_run_waves_progress_and_rerun(engine, catalog, capsys) -> None:
    march = Invoice.period_start == date(2026, 3, 1)
    assert main(["bill-run", "--period", "2026-03", "--wave-percent", "20", "--batch",
                 "1"]) == 0
    out = capsys.readouterr().out
    assert "releasing 20% of customers" in out and "subscriptions drafted" in out
    first = _count(engine, Invoice, march)
    with read_session(engine) as s:
        run = s.execute(sa.select(BillRun)).scalar_one()
        assert run.released_percent == 20
        assert run.status == "paused"  # below 100 % released
    assert first == 2  # run #1 hashes GLOBEX and HOOLI below 20 %
    assert "not released yet" in out and "--wave-percent 100" in out
    assert main(["bill-run", "--period", "2026-03", "--wave-percent", "100"]) == 0
    out = capsys.readouterr().out
    assert "exists (paused, 20% released)" in out and "released 100% of customers" in out
    assert f"{4 - first} invoices created, {first} already existed" in out
    assert _count(engine, Invoice, march) == 4
    audits = _count(engine, AuditEvent, AuditEvent.action == "invoice.draft")
    assert main(["bill-run", "--period", "2026-03"]) == 0  # nothing new, nothing duplicated
    out = capsys.readouterr().out
    assert "nothing new: 4 invoices of this period already exist" in out
    assert "completed: 0 invoices created, 4 already existed" in out
    assert _count(engine, Invoice, march) == 4
    assert _count(engine, BillRun) == 1
    assert _count(engine, AuditEvent, AuditEvent.action == "invoice.draft") == audits


@pytest.mark.parametrize("args, message", [
    (["bill-run"], "--period"),
    (["bill-run", "--period", "2026-3"], "not a month like 2026-12"),
    (["bill-run", "--period", "2026-13"], "not a month like 2026-12"),
    (["bill-run", "--period", "2026-03", "--wave-percent", "0"], "between 1 and 100"),
    (["bill-run", "--period", "2026-03", "--wave-percent", "x"], "not a whole percentage"),
    (["bill-run", "--period", "2026-03", "--batch", "0"], "between 1 and 100000"),
    (["usage"], "usage_command"),
])
def test_bad_flags_are_refused_with_a_clear_message(engine, args, message, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert _count(engine, BillRun) == 0


def test_exit_codes_through_python_m_console(engine, db_url, catalog, tmp_path) -> None:
    env = {**os.environ, "CONSOLE_DATABASE_URL": db_url}
    bad = _write(tmp_path, "bad.jsonl", '{"customer": "ACME"}\n')

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "console", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    rejected = run("usage", "import", str(bad))
    assert rejected.returncode == 1 and "missing idempotency key" in rejected.stdout
    billed = run("bill-run", "--period", "2026-03")
    assert billed.returncode == 0 and "4 invoices created" in billed.stdout
    assert run("bill-run", "--period", "March").returncode == 2
