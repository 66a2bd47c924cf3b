"""moto's server with one request at a time, for the local stack.

moto 5.2.5 handles each request in its own thread and applies a DynamoDB
transaction without a lock, so two concurrent transactions can both pass
their conditions, which DynamoDB never allows. This server takes a lock
around every request, except the recorder's replay request, which sends the
recorded requests back to this same server and must not hold the lock
while they wait for it.

    python scripts/moto_server.py -H 127.0.0.1 -p 5000
"""
from __future__ import annotations

import argparse
import os
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

UNLOCKED_PATHS = ("/moto-api/recorder/replay-recording",)


class SerializedApplication:
    """A WSGI application that runs the wrapped one for one request at a time."""

    def __init__(self, application):
        self._application = application
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(UNLOCKED_PATHS):
            return self._application(environ, start_response)
        with self._lock:
            # The body is read inside the lock, because a WSGI response may be lazy.
            return list(self._application(environ, start_response))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/moto_server.py", description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("-p", "--port", type=int, default=5000, help="port to listen on (default 5000)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))

    application = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, SerializedApplication(application), threaded=True,
               request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
