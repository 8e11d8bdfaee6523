"""What a web page may do to the local endpoint: nothing, unless the learner says so.

A small WSGI middleware in front of moto's server, independent of the WSGI server that runs it.
Any page the learner opens in a browser can send requests to 127.0.0.1; this decides which
requests the sandbox answers.

- Host: only loopback names (127.0.0.1, [::1], localhost, *.localhost; any port). A page on
  evil.example whose DNS later points at 127.0.0.1 (DNS rebinding) sends Host: evil.example
  and is refused, whatever its Origin.
- Cross-origin requests are refused before they reach moto, preflighted or not. Browsers send
  Origin on every cross-origin request that could change anything (including "simple" form
  and text/plain POSTs that skip the preflight), and Sec-Fetch-Site on every request, even
  no-cors GETs. The only CORS headers the endpoint ever sends are for the origins named with
  `python -m kmslab serve --allow-origin` (moto's own allow-every-origin headers are removed).
- Control routes (/moto-api/...: reset, seed, data.json with every key and secret, quotas)
  answer same-origin and non-browser clients only, even for allowed origins. Only the routes
  the sandbox uses are served; moto's others (the request recorder, passthrough, reset-auth,
  state manager ...) answer 404. The seed is checked here; quotas.py checks its own body.

CORS: https://fetch.spec.whatwg.org/#http-cors-protocol; Sec-Fetch-Site:
https://www.w3.org/TR/fetch-metadata/.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from .guards import is_loopback

CONTROL_PREFIX = "/moto-api/"
#: The control routes served, and their methods. Everything else under /moto-api/ is 404.
CONTROL_ROUTES = {
    "/moto-api/": ("GET", "HEAD"),
    "/moto-api/lib.js": ("GET", "HEAD"),
    "/moto-api/data.json": ("GET", "HEAD"),
    "/moto-api/reset": ("POST",),
    "/moto-api/seed": ("POST",),
    "/moto-api/kmslab/quotas": ("GET", "POST"),
}
#: Response headers a page allowed by --allow-origin may read (what AWS SDKs for JavaScript use).
EXPOSED = "x-amzn-RequestId, x-amzn-ErrorType, x-amz-request-id, x-amz-id-2, ETag, Date"
_SEED = re.compile(r"-?\d{1,20}")
_SAFE_FETCH_SITES = ("same-origin", "none")


def normalize_origin(origin: str) -> str:
    """`http://localhost:8888/` -> `http://localhost:8888` (an origin has no path)."""
    origin = origin.strip().rstrip("/")
    if origin != "null" and not re.fullmatch(r"https?://[^/\s]+", origin):
        raise ValueError(f"{origin!r} is not an origin: write scheme://host[:port], e.g. http://localhost:8888")
    return origin.lower()


def loopback_host(host: str) -> bool:
    """Is an HTTP Host header a loopback name (with or without a port)?"""
    host = host.strip().lower()
    if host.startswith("["):                      # [::1]:port
        name = host[1:].split("]", 1)[0]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return is_loopback(name) or name.endswith(".localhost")


class HttpGuard:
    """WSGI middleware: `HttpGuard(app, allowed_origins=["http://localhost:8888"])`."""

    def __init__(self, app: Callable, allowed_origins: Iterable[str] = ()):
        self.app = app
        self.allowed = frozenset(normalize_origin(o) for o in allowed_origins)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST", "")
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        origin = environ.get("HTTP_ORIGIN")
        site = environ.get("HTTP_SEC_FETCH_SITE", "").lower()
        if host and not loopback_host(host):
            return _refuse(start_response, 403, f"Host {host!r} is not this machine's loopback: refused "
                                                "(the endpoint answers http://127.0.0.1 and localhost only).")
        same_origin = origin is not None and origin.lower() in (f"http://{host}".lower(), f"https://{host}".lower())
        from_browser_page = (origin is not None and not same_origin) or (site and site not in _SAFE_FETCH_SITES)
        control = path.startswith(CONTROL_PREFIX)
        if control:
            if from_browser_page:
                return _refuse(start_response, 403, "The sandbox's control routes answer no other origin.")
            return self._control(environ, start_response, path, method)
        allowed_origin = origin is not None and origin.lower() in self.allowed
        if from_browser_page and not allowed_origin:
            return _refuse(start_response, 403, "Cross-origin request refused. To let a page of your own "
                                                "use the sandbox, start it with --allow-origin ORIGIN.")
        if allowed_origin and method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            return _preflight(environ, start_response, origin)
        return self._pass(environ, start_response, origin if allowed_origin else None)

    def _control(self, environ, start_response, path: str, method: str):
        methods = CONTROL_ROUTES.get(path)
        if methods is None:
            return _refuse(start_response, 404, f"The sandbox does not serve {path}.")
        if method not in methods:
            return _refuse(start_response, 405, f"{path} answers {' or '.join(methods)}, not {method}.")
        if path == "/moto-api/seed":
            seed = parse_qs(environ.get("QUERY_STRING", "")).get("a", [""])
            if len(seed) != 1 or not _SEED.fullmatch(seed[0]):
                return _refuse(start_response, 400, "The seed must be one whole number: /moto-api/seed?a=42")
        return self._pass(environ, start_response, None)

    def _pass(self, environ, start_response, cors_origin: str | None):
        def start(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            if cors_origin is not None:
                headers += [("Access-Control-Allow-Origin", cors_origin),
                            ("Access-Control-Expose-Headers", EXPOSED), ("Vary", "Origin")]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, start)


def _preflight(environ, start_response, origin: str):
    headers = [("Access-Control-Allow-Origin", origin),
               ("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE"),
               ("Access-Control-Allow-Headers", environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")),
               ("Access-Control-Max-Age", "600"), ("Vary", "Origin"), ("Content-Length", "0")]
    start_response("204 No Content", headers)
    return [b""]


_REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}
#: The error code an AWS SDK shows for each refusal (a JSON error body, as AWS's JSON services send).
_CODES = {400: "ValidationException", 403: "AccessDeniedException", 404: "NotFoundException",
          405: "MethodNotAllowedException"}


def _refuse(start_response, status: int, message: str):
    body = json.dumps({"__type": _CODES[status], "message": message}).encode()
    start_response(f"{status} {_REASONS[status]}", [("Content-Type", "application/json"),
                                                    ("X-Amzn-ErrorType", _CODES[status]),
                                                    ("Content-Length", str(len(body)))])
    return [body]
