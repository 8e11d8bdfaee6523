"""The sandbox as a local endpoint: moto's WSGI app with the sandbox rules, behind HttpGuard,
served on 127.0.0.1 by `kmslab.wsgi_server`."""
from __future__ import annotations

import functools
import logging
import threading
import urllib.request
from typing import Iterable

from . import clock as _clock
from . import guards, service
from .http_guard import HttpGuard

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
    """A running sandbox server on 127.0.0.1. Web pages of `allowed_origins` may call the AWS
    API through it (CORS); no other origin may, and none may reach its control routes."""

    def __init__(self, port: int = 0, seed: int | None = DEFAULT_SEED, allowed_origins: Iterable[str] = ()):
        from .wsgi_server import LoopbackServer

        service.install()
        quiet_loggers()
        self._server = LoopbackServer(HttpGuard(moto_app(), allowed_origins), port).start()
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


def environment(url: str, region: str = "us-east-1") -> dict[str, str]:
    """What a terminal needs for `aws kms list-keys` to reach the sandbox at `url`: the endpoint,
    fake credentials and a Region (AWS_ENDPOINT_URL: AWS SDKs and CLI v1.29+/v2.13+,
    https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html)."""
    return {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": guards.FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": guards.FAKE_SECRET_KEY, "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region}


def export_lines(url: str, region: str = "us-east-1") -> list[str]:
    """Lines to paste into a bash/zsh terminal (a profile or session token there would win)."""
    env = environment(url, region)
    return ([f"export {name}={value}" for name, value in env.items()]
            + ["unset AWS_PROFILE AWS_SESSION_TOKEN"])


def serve(port: int = 0, seed: int | None = DEFAULT_SEED, ready: threading.Event | None = None,
          stop: threading.Event | None = None, out=print, allowed_origins: Iterable[str] = ()) -> None:
    """Run the sandbox endpoint until Ctrl-C (or until `stop` is set). The process gets the
    same guards as an in-process sandbox: fake credentials, loopback-only network (so an SNS
    HTTP subscription, say, can never make it send a request elsewhere)."""
    _clock.use(_clock.Clock(frozen=False))
    saved = guards.fake_environment("us-east-1")
    guards.block_network()
    try:
        endpoint = LocalEndpoint(port=port, seed=seed, allowed_origins=allowed_origins)
    except BaseException:
        guards.unblock_network()
        guards.restore_environment(saved)
        raise
    out(f"kmslab sandbox listening on {endpoint.url}")
    out("In another terminal, paste these lines, then try: aws kms list-keys")
    for line in export_lines(endpoint.url):
        out(f"  {line}")
    out("Any credentials work; these are fake. Press Ctrl-C to stop.")
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
        guards.unblock_network()
        guards.restore_environment(saved)
