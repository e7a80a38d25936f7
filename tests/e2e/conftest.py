"""Browser tests against the real prod build (``reflex run --env prod --single-port``).

One server runs at a time (they share .web/); each test module gets its own seeded database
and server, and ``servers.get(mode)`` restarts it when a test needs the other sign-in mode.
Chromium is Debian's, driven by pytest-playwright.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect

# CI machines are shared and loaded: give the UI time before an assertion fails.
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENS = ARTIFACTS / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
AS_OF = "2026-11-20"

pytestmark = pytest.mark.e2e


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"app did not answer {url} in {timeout}s:\n{log.read_text()[-4000:]}")


@dataclass
class Server:
    """A running console: its URL, database and settings."""

    mode: str
    url: str
    db_url: str
    env: dict[str, str]
    proc: subprocess.Popen
    extra: dict[str, object] = field(default_factory=dict)


class Servers:
    """Starts the console in a sign-in mode on demand, one at a time."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.current: Server | None = None
        self.db_url = f"sqlite:///{workdir / 'e2e.db'}"
        self._seeded = False

    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONSOLE_")}
        venv_bin = str(Path(sys.executable).parent)
        env.update(PATH=f"{venv_bin}:{env.get('PATH', '')}", REFLEX_USE_NPM="1",
                   REFLEX_TELEMETRY_ENABLED="false", CONSOLE_DATABASE_URL=self.db_url,
                   CONSOLE_ENV="dev", CONSOLE_SECRET_KEY="e2e-secret",
                   # Journeys assert exact rows: no job may change them in the background
                   # (tests/e2e/test_jobs.py turns the scheduler on for itself).
                   CONSOLE_SCHEDULER="off")
        return env

    def _seed(self) -> None:
        if self._seeded:
            return
        subprocess.run([sys.executable, "-m", "console", "seed", "--customers", "60",
                        "--months", "4", "--seed", "3", "--as-of", AS_OF], cwd=ROOT,
                       env=self._base_env(), check=True, capture_output=True)
        self._seeded = True

    def get(self, mode: str, **settings: str) -> Server:
        """A server in ``mode`` ("local" or "oidc"), started if needed."""
        if self.current and self.current.mode == mode:
            return self.current
        self.stop()
        self._seed()
        port = free_port()
        env = self._base_env()
        env.update(CONSOLE_AUTH=mode, CONSOLE_PUBLIC_URL=f"http://localhost:{port}", **settings)
        log = ARTIFACTS / f"app-{mode}.log"
        ARTIFACTS.mkdir(exist_ok=True)
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "reflex"), "run", "--env", "prod",
             "--single-port", "--backend-port", str(port), "--frontend-port", str(port)],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        url = f"http://localhost:{port}"
        _wait(f"{url}/ping", 600, proc, log)
        _wait(f"{url}/signin/", 120, proc, log)
        self.current = Server(mode, url, self.db_url, env, proc)
        return self.current

    def stop(self) -> None:
        """Stop the running server (its whole process group)."""
        if self.current is None:
            return
        try:
            os.killpg(self.current.proc.pid, signal.SIGTERM)
            self.current.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.current.proc.pid, signal.SIGKILL)
        self.current = None


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """A fresh seeded database and server per test module, so journeys cannot leak state
    (sessions, locks, changed rows) into each other."""
    pool = Servers(tmp_path_factory.mktemp("e2e"))
    yield pool
    pool.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's chromium with the flags this machine needs."""
    return {**browser_type_launch_args,
            "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A desktop-sized window."""
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}}


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
