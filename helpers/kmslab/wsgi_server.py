"""The HTTP server of the local endpoint: cheroot, a production WSGI server, on 127.0.0.1.

It serves whatever WSGI app `kmslab.server` assembles, in this process: the sandbox's state is
this process's memory, so there is one process, with a pool of threads. Why not moto's own
server (werkzeug's development server): it opens a new connection and a new thread for every
request, while cheroot keeps connections alive and reuses its threads (benchmarks/endpoint_calls.py).

What moto's server did with headers is kept: a header whose name has an underscore is dropped
(it would otherwise stand in for the dashed one: `X_Amz_Date` for `X-Amz-Date`), except S3
user metadata (`x-amz-meta-my_key`), whose spelling moto reads from the environ; PATH_INFO is
fully unquoted, and the raw request target is in RAW_URI, where moto looks for S3 keys with
encoded slashes.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

from cheroot import errors as _errors, server as _cheroot, wsgi as _wsgi
from cheroot.workers import threadpool as _threadpool

HOST = "127.0.0.1"  # loopback only: the sandbox is never reachable from another machine
THREADS = 10
#: Idle keep-alive connections kept open (cheroot's default of 10 is below one boto3 client's pool).
KEEP_ALIVE_CONNECTIONS = 100

#: The largest request body read: S3's largest single PUT (5 GiB,
#: https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html); larger is 413.
MAX_REQUEST_BODY = 5 * 1024**3

_log = logging.getLogger("kmslab.endpoint")
_META = b"x-amz-meta-"
_DIGITS = re.compile(rb"\d+")
#: cheroot's HTTP-level answers, as AWS's common errors name them
#: (https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html).
_HTTP_ERRORS = {"400": "MalformedHttpRequestException", "408": "RequestTimeoutException",
                "413": "RequestEntityTooLargeException"}


class _HeaderReader(_cheroot.HeaderReader):
    def _allow_header(self, key_name: bytes) -> bool:
        return b"_" not in key_name or key_name.lower().startswith(_META)


class _Request(_cheroot.HTTPRequest):
    header_reader = _HeaderReader()

    def read_request_headers(self) -> bool:
        if not super().read_request_headers():
            return False
        length = self.inheaders.get(b"Content-Length")
        if length is not None and not _DIGITS.fullmatch(length.strip()):   # "-1", "+2", "2_0" pass int()
            self.simple_response("400 Bad Request", "Malformed Content-Length Header.")
            return False
        return True

    def simple_response(self, status, msg: str = "") -> None:
        """cheroot's own answers (a malformed or oversized request, before the app sees it): in the
        JSON protocol's shape for a request that names an X-Amz-Target, as AWS answers it there."""
        code = _HTTP_ERRORS.get(str(status)[:3])
        if code is None or not self.inheaders.get(b"X-Amz-Target"):
            return super().simple_response(status, msg)
        body = json.dumps({"__type": code, "message": msg}).encode()
        head = (f"{self.server.protocol} {status}\r\nContent-Type: application/x-amz-json-1.1\r\n"
                f"X-Amzn-ErrorType: {code}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        self.close_connection = True   # what follows on the connection cannot be trusted
        try:
            self.conn.wfile.write(head.encode("latin-1") + body)
        except OSError as exc:
            if exc.args and exc.args[0] not in _errors.socket_errors_to_ignore:
                raise


class _Connection(_cheroot.HTTPConnection):
    RequestHandlerClass = _Request


class _Gateway(_wsgi.Gateway_10):
    def get_environ(self) -> dict[str, Any]:
        from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY, environ_key_for_header

        env = super().get_environ()
        env["RAW_URI"] = env["REQUEST_URI"]
        # PEP 3333's PATH_INFO, fully unquoted as werkzeug does (cheroot leaves %2F quoted).
        target = self.req.uri.split(b"?", 1)[0]
        if b"://" in target:  # absolute form: drop scheme and authority
            target = b"/" + target.split(b"://", 1)[1].partition(b"/")[2]
        env["PATH_INFO"] = unquote_to_bytes(target).decode("latin-1")
        preserved: dict[str, str] = {}
        names = {name.decode("latin-1"): value for name, value in self.req.inheaders.items()}
        for name in names:
            if "_" not in name:
                continue
            key, dashed = environ_key_for_header(name), name.replace("_", "-")
            twin = next((n for n in names if n.lower() == dashed.lower()), None)
            if twin is not None:  # never let the underscored header stand in for the dashed one
                env[key] = names[twin].decode("latin-1")
            else:
                preserved.setdefault(key, name)
        env[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
        return env


class _ThreadPool(_threadpool.ThreadPool):
    def _spawn_worker(self) -> _threadpool.WorkerThread:
        worker = _threadpool.WorkerThread(self.server)
        worker.name = f"kmslab-endpoint-{worker.name}"
        worker.daemon = True  # as with moto's server, a forgotten endpoint never keeps Python alive
        worker.start()
        while not worker.ready:  # cheroot waits for each new thread in steps of 0.1 s
            time.sleep(0.001)
        return worker


class _Server(_wsgi.Server):
    ConnectionClass = _Connection
    keep_alive_conn_limit = KEEP_ALIVE_CONNECTIONS
    max_request_body_size = MAX_REQUEST_BODY

    def __init__(self, bind_addr: tuple[str, int], app: Callable, threads: int):
        super().__init__(bind_addr, app, numthreads=threads, max=threads, server_name=HOST)
        self.requests = _ThreadPool(self, min=threads, max=threads)

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        _log.log(level, msg, exc_info=traceback)


def _reason(exc: OSError) -> str:
    """The system's words for why a bind failed (cheroot wraps them in a longer message)."""
    found = re.search(r"\[Errno \d+\] ([^)]*)", str(exc))
    return found.group(1) if found else str(exc)


class LoopbackServer:
    """Serve `app` on 127.0.0.1:`port` (0: any free port) from a background thread."""

    def __init__(self, app: Callable, port: int = 0, threads: int = THREADS):
        self._server = _Server((HOST, port), app, threads)
        self._server.gateway = _Gateway
        try:
            self._server.prepare()  # binds, so the port is known (and taken) before start() returns
        except OSError as exc:
            raise OSError(f"cannot listen on {HOST}:{port}: {_reason(exc)}") from None
        self.port: int = self._server.bind_addr[1]
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve, name="kmslab-endpoint", daemon=True)

    def start(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self._thread.join(timeout=10)
