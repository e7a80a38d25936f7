"""Settings read from the environment (one place, documented in the README)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The checkout (``.data/`` lives here).
REPO = Path(__file__).resolve().parents[2]


def _secret_key() -> str:
    key = os.environ.get("CONSOLE_SECRET_KEY", "").strip()
    if key:
        return key
    # Dev convenience: a per-checkout random key, kept out of git under .data/.
    path = ROOT / ".data" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _role_map(raw: str) -> dict[str, list[str]]:
    """Parse ``CONSOLE_OIDC_ROLE_MAP``: JSON {"group": "role" | ["role", ...]} or "g=r,g2=r2"."""
    raw = raw.strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        parsed = json.loads(raw)
        return {g: [r] if isinstance(r, str) else list(r) for g, r in parsed.items()}
    out: dict[str, list[str]] = {}
    for pair in raw.split(","):
        if "=" in pair:
            group, role = (p.strip() for p in pair.split("=", 1))
            out.setdefault(group, []).append(role)
    return out


@dataclass(frozen=True)
class Settings:
    """The console's runtime settings."""

    env: str = "production"
    auth_mode: str = "local"
    public_url: str = "http://localhost:3000"
    session_hours: int = 12
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_groups_claim: str = "groups"
    oidc_scopes: str = "openid email profile"
    oidc_role_map: dict[str, list[str]] = field(default_factory=dict)
    #: ``on``: the web process runs the job scheduler itself; ``off``: a worker does.
    scheduler: str = "on"
    scheduler_tick_seconds: int = 30
    #: A ``running`` job claim older than this is taken as crashed and may be reclaimed.
    job_lease_minutes: int = 30
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = 8
    metrics_token: str = field(default="", repr=False)
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = "billing@localhost"
    #: ``starttls`` | ``ssl`` | ``off``
    smtp_tls: str = "starttls"
    outbox_dir: str = str(REPO / ".data" / "outbox")

    @property
    def is_dev(self) -> bool:
        """Whether demo accounts exist and are listed on the sign-in page."""
        return self.env == "dev"

    @property
    def secure_cookies(self) -> bool:
        """Cookies get the Secure flag when the console is served over HTTPS."""
        return self.public_url.startswith("https://")


@cache
def settings() -> Settings:
    """Settings from the environment (cached; tests call ``settings.cache_clear()``)."""
    e = os.environ.get
    auth_mode = e("CONSOLE_AUTH", "local").strip().lower()
    if auth_mode not in {"local", "oidc"}:
        raise ValueError("CONSOLE_AUTH must be 'local' or 'oidc'")
    return Settings(
        env=e("CONSOLE_ENV", "production").strip().lower(),
        auth_mode=auth_mode,
        public_url=e("CONSOLE_PUBLIC_URL", "http://localhost:3000").rstrip("/"),
        session_hours=int(e("CONSOLE_SESSION_HOURS", "12")),
        oidc_issuer=e("CONSOLE_OIDC_ISSUER", "").rstrip("/"),
        oidc_client_id=e("CONSOLE_OIDC_CLIENT_ID", ""),
        oidc_client_secret=e("CONSOLE_OIDC_CLIENT_SECRET", ""),
        oidc_groups_claim=e("CONSOLE_OIDC_GROUPS_CLAIM", "groups"),
        oidc_scopes=e("CONSOLE_OIDC_SCOPES", "openid email profile"),
        oidc_role_map=_role_map(e("CONSOLE_OIDC_ROLE_MAP", "")),
        scheduler=_choice("CONSOLE_SCHEDULER", "on", {"on", "off"}),
        scheduler_tick_seconds=_number("CONSOLE_SCHEDULER_TICK_SECONDS", 30, low=1),
        job_lease_minutes=_number("CONSOLE_JOB_LEASE_MINUTES", 30, low=1),
        webhook_timeout_seconds=float(_number("CONSOLE_WEBHOOK_TIMEOUT_SECONDS", 5, low=1)),
        webhook_max_attempts=_number("CONSOLE_WEBHOOK_MAX_ATTEMPTS", 8, low=1),
        metrics_token=e("CONSOLE_METRICS_TOKEN", "").strip(),
        smtp_host=e("CONSOLE_SMTP_HOST", "").strip(),
        smtp_port=_number("CONSOLE_SMTP_PORT", 587, low=1),
        smtp_user=e("CONSOLE_SMTP_USER", ""),
        smtp_password=e("CONSOLE_SMTP_PASSWORD", ""),
        smtp_from=e("CONSOLE_SMTP_FROM", "").strip() or "billing@localhost",
        smtp_tls=_choice("CONSOLE_SMTP_TLS", "starttls", {"starttls", "ssl", "off"}),
        outbox_dir=e("CONSOLE_OUTBOX_DIR", "").strip() or str(REPO / ".data" / "outbox"),
    )


def _choice(name: str, default: str, allowed: set[str]) -> str:
    value = (os.environ.get(name, "") or default).strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(sorted(allowed))}, not {value!r}")
    return value


def _number(name: str, default: int, *, low: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < low:
        raise ValueError(f"{name} must be at least {low}")
    return value


def secret_key() -> str:
    """The key signing the short-lived OIDC handshake cookie (never sent to the browser's JS)."""
    return _secret_key()
