"""A threaded static file server for the web/ folder, bound to 127.0.0.1.

It serves /config.js from memory with the script of its own stack, so a test
stack and `make run` can serve the same folder at the same time while each
page talks to its own API. Every response carries `Cache-Control: no-store`
because the API's port, and so config.js, can change between runs.
"""
from __future__ import annotations

import functools
import logging
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

CONFIG_SCRIPT_PATH = "/config.js"


class _Handler(SimpleHTTPRequestHandler):
    config_script: bytes = b""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def _send_config_script(self, with_body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript; charset=utf-8")
        self.send_header("Content-Length", str(len(self.config_script)))
        self.end_headers()
        if with_body:
            self.wfile.write(self.config_script)

    def do_GET(self) -> None:
        if urlsplit(self.path).path == CONFIG_SCRIPT_PATH:
            self._send_config_script(with_body=True)
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        if urlsplit(self.path).path == CONFIG_SCRIPT_PATH:
            self._send_config_script(with_body=False)
        else:
            super().do_HEAD()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class names it so
        logger.debug("web: " + format, *args)


class WebServer:
    """The static server of one stack; port 0 binds a free port."""

    def __init__(self, directory: Path, port: int, config_script: str) -> None:
        handler = type("StackHandler", (_Handler,), {"config_script": config_script.encode("utf-8")})
        self._server = ThreadingHTTPServer(("127.0.0.1", port),
                                           functools.partial(handler, directory=str(directory)))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="web-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()
