"""The local HTTP server behind every fake the integration tests talk to (CRMs, webhook
receivers): each request goes to the fake's `_handle(handler)`; optional TLS; a short poll
interval, since `stop()` waits for it once per test (0.5 s by default)."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer:
    """A fake's base: `serve()` starts it on a free port of 127.0.0.1, `stop()` ends it."""

    server: ThreadingHTTPServer | None = None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, tls: ssl.SSLContext | None = None):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                fake._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 (http.server's)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        return self

    @staticmethod
    def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers=None) -> None:
        """Answer `status` with `body`, its Content-Length and these headers."""
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
