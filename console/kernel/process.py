"""This process's name, for claims and leases (job runs, webhook deliveries, e-mails)."""

from __future__ import annotations

import os
import socket


def worker_name() -> str:
    """``host:pid``: who holds a claim (a crashed holder's claims can be told apart)."""
    return f"{socket.gethostname()}:{os.getpid()}"
