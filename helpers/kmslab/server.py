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
    of the server's time per KMS call. The answer depends on the name alone, so it is remembered.

    Routing: on AWS the host name says which service a request is for; here every service shares
    127.0.0.1, and moto reads the service from the SigV4 credential scope. A request without one
    (unsigned, a scope with no service, a header moto cannot parse) went to S3, even with
    X-Amz-Target: TrentService.* (a ListBuckets answer, or moto's HTTP 500). X-Amz-Target names
    its service exactly, so it routes first; the service then answers the signature problem in
    its own protocol (service/authentication.py). Whatever moto cannot route goes to S3."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from .service.authentication import target_service

    app = DomainDispatcherApplication(create_backend_app)
    lookup, infer = app.get_backend_for_host, app.infer_service_region_host

    @functools.lru_cache(maxsize=1024)
    def backend_for_host(host):
        if host and "amazonaws.com" in host and not any(p.match(f"http://{host}") for _, p in app.backend_url_patterns):
            return None   # no such service (moto would also print a hint for its developers)
        return lookup(host)

    def route(environ, path):
        service = target_service(environ.get("HTTP_X_AMZ_TARGET"))
        if service is not None:
            return f"{service}.us-east-1.amazonaws.com"   # the backend, not the Region, follows from it
        try:
            host = infer(environ, path)
        except Exception:   # moto's parser of a malformed Authorization header (IndexError ...)
            return None     # None: moto's default service, S3
        return host if host is None or backend_for_host(host) else None

    app.get_backend_for_host, app.infer_service_region_host = backend_for_host, route
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
    stop = stop or threading.Event()
    try:  # from here on, Ctrl-C (even while the lines below print) stops the endpoint cleanly
        out(f"kmslab sandbox listening on {endpoint.url}")
        out("In another terminal, paste these lines, then try: aws kms list-keys")
        for line in export_lines(endpoint.url):
            out(f"  {line}")
        out("Any credentials work; these are fake. Press Ctrl-C to stop.")
        if ready is not None:
            ready.set()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        out("stopping")
    finally:
        endpoint.stop()
        guards.unblock_network()
        guards.restore_environment(saved)
