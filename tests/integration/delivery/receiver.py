"""A real webhook receiver on loopback (http.server in a thread) for the delivery tests.

It verifies each request's Standard Webhooks signature with the endpoint's secret, answers
with the next scripted status (then 200), and processes each ``webhook-id`` once, as a
receiver following the spec would.
"""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from console.delivery import verify


@dataclass
class Received:
    """One request as the receiver saw it."""

    msg_id: str
    timestamp: str
    signature: str
    body: bytes
    verified: bool
    answered: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the receiver got, and how it should answer."""

    url: str = ""
    secret: str = ""
    script: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, status: int, *, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status``."""
        with self.lock:
            self.script.extend([status] * times)

    def ids(self) -> list[str]:
        with self.lock:
            return [r.msg_id for r in self.requests]


@contextmanager
def receiver(path: str = "/hooks") -> Iterator[Receiver]:
    """A receiver serving on 127.0.0.1 (a free port) while the block runs."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if state.delay:
                time.sleep(state.delay)
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok = bool(state.secret) and verify(state.secret, headers, body,
                                               now=int(time.time()))
            with state.lock:
                status = state.script.pop(0) if state.script else 200
                if not ok:
                    status = 401
                msg_id = headers.get("webhook-id", "")
                state.requests.append(Received(msg_id, headers.get("webhook-timestamp", ""),
                                               headers.get("webhook-signature", ""), body, ok,
                                               status))
                if 200 <= status < 300 and msg_id not in state.processed:
                    state.processed.append(msg_id)
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"receiver is down for maintenance")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
