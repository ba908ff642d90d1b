"""A webhook receiver on 127.0.0.1 for tests: records every request (headers, raw body) and
answers from a script of status codes (the last one repeats)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .local_server import LocalServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver(LocalServer):
    answers: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"{super().url}/hooks"

    def start(self) -> Receiver:
        return self.serve()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        self.received.append(Received(handler.path, dict(handler.headers), body))
        status = self.answers[min(len(self.received), len(self.answers)) - 1]
        payload = b'{"ok": true}' if status < 300 else b"receiver error"
        self.reply(handler, status, payload)
