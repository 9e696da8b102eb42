"""What every fake HTTP server here shares: a free port of 127.0.0.1, served in a thread.

A fake names its request handler (`handler`); the rest (starting, stopping, the address
tests point the product at) is the same for all of them, and lives here once.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LoopbackServer:
    """A fake's listening socket on 127.0.0.1 and the thread that serves it."""

    _server: ThreadingHTTPServer | None = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class, bound to this fake."""
        raise NotImplementedError

    @property
    def origin(self) -> str:
        """http://127.0.0.1:PORT, once started."""
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Listen on a free port of 127.0.0.1, in a daemon thread."""
        self._server = _Server(("127.0.0.1", 0), self.handler())
        threading.Thread(
            target=self._server.serve_forever,
            args=(0.05,),
            name=type(self).__name__,
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a client opening more connections at once
    # (the push sender's threads) lost some, each retried a second later by the kernel.
    request_queue_size = 128
