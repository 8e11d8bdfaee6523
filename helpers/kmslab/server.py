"""The sandbox as a local endpoint: moto's WSGI app with the sandbox rules, served on 127.0.0.1
by `kmslab.wsgi_server`."""
from __future__ import annotations

import functools
import logging
import threading
import urllib.request

from . import clock as _clock
from . import service

DEFAULT_SEED = 42


def quiet_loggers() -> None:
    """Loggers that would write to stderr (and so into notebook outputs)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("kmslab.endpoint").setLevel(logging.ERROR)  # a client that hangs up is no news
    logging.getLogger("aws_encryption_sdk").setLevel(logging.CRITICAL)


def moto_app():
    """moto's WSGI app: every mocked service, routed by request, and moto's /moto-api controls.

    moto finds a request's service from a host name it derives from the request, by listing its
    own package folder and trying one pattern per service, under a lock: that was about a third
    of the server's time per KMS call. The answer depends on the name alone, so it is remembered."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app = DomainDispatcherApplication(create_backend_app)
    app.get_backend_for_host = functools.lru_cache(maxsize=1024)(app.get_backend_for_host)
    return app


class LocalEndpoint:
    """A running sandbox server on 127.0.0.1."""

    def __init__(self, port: int = 0, seed: int | None = DEFAULT_SEED):
        from .wsgi_server import LoopbackServer

        service.install()
        quiet_loggers()
        self._server = LoopbackServer(moto_app(), port).start()
        self.url, self.port = self._server.url, self._server.port
        if seed is not None:
            self.seed(seed)

    def post(self, path: str) -> bytes:
        request = urllib.request.Request(self.url + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.read()

    def seed(self, seed: int) -> None:
        self.post(f"/moto-api/seed?a={int(seed)}")

    def reset(self) -> None:
        self.post("/moto-api/reset")

    def stop(self) -> None:
        self._server.stop()


def serve(port: int = 0, seed: int | None = DEFAULT_SEED, ready: threading.Event | None = None,
          stop: threading.Event | None = None, out=print) -> None:
    """Run the sandbox endpoint until Ctrl-C (or until `stop` is set)."""
    _clock.use(_clock.Clock(frozen=False))
    endpoint = LocalEndpoint(port=port, seed=seed)
    out(f"kmslab sandbox listening on {endpoint.url}")
    out(f"  aws --endpoint-url {endpoint.url} --region us-east-1 kms list-keys")
    out("  Any credentials work (for example AWS_ACCESS_KEY_ID=testing). Press Ctrl-C to stop.")
    if ready is not None:
        ready.set()
    stop = stop or threading.Event()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        out("stopping")
    finally:
        endpoint.stop()
