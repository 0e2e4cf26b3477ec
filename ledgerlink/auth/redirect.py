"""Receiving the browser's OAuth redirect on this machine, for a plain-http loopback redirect URI.

The provider sends the browser to the app's registered redirect URI with `?code=...&state=...`.
Only a plain `http://` URI on a loopback host reaches a listener in this process: an `https://`
URI would need a certificate the browser trusts, and another host is another machine.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def loopback_address(redirect_uri: str) -> tuple[str, int] | None:
    """Where a listener here receives `redirect_uri`, or None when it cannot."""
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
        return None
    return parts.hostname, parts.port or 80


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], path: str) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.redirect_path = path
        self.received: str | None = None
        self.arrived = threading.Event()
        self.lock = threading.Lock()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a browser's idle pre-connection must not hold a thread forever

    def do_GET(self) -> None:
        # Browsers also ask for /favicon.ico and the like: only the redirect path counts, once.
        with self.server.lock:
            first = (
                urlsplit(self.path).path == self.server.redirect_path and not self.server.received
            )
            if first:
                self.server.received = self.path
        if not first:
            self.send_error(404)
            return
        body = b"ledgerlink has the answer; return to the terminal. You can close this tab.\n"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            self.server.arrived.set()  # after the reply, so the tab shows it before we stop

    def log_message(self, *args: object) -> None:  # the request line carries the code
        pass


class RedirectListener:
    """Listens on the redirect URI's loopback address until the browser arrives there.

    Binding happens on construction, so a taken or privileged port fails before anyone is sent
    to sign in (`OSError`).
    """

    def __init__(self, redirect_uri: str) -> None:
        address = loopback_address(redirect_uri)
        if address is None:
            raise ValueError(f"{redirect_uri} is not a plain-http loopback address")
        self.redirect_uri = redirect_uri
        self._server = _Server(address, urlsplit(redirect_uri).path or "/")
        self.address: tuple[str, int] = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RedirectListener:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def wait(self, timeout: float) -> str | None:
        """The address the browser was sent to (with its query), or None after `timeout` s."""
        if not self._server.arrived.wait(timeout):
            return None
        parts = urlsplit(self.redirect_uri)
        return f"{parts.scheme}://{parts.netloc}{self._server.received}"

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
