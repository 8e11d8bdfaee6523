"""One import gives a lesson a ready AWS sandbox.

    from kmslab import sandbox
    sb = sandbox.start()          # moto in-process: nothing to install or start
    kms = sb.client("kms")

Modes
- "inprocess" (default): moto's in-process mock, with the sandbox rules.
- "endpoint": a local server on 127.0.0.1 (started here, or the one named by
  endpoint_url / KMSLAB_ENDPOINT, e.g. from `python -m kmslab serve`).
- "aws": a real AWS account. Only with KMSLAB_ALLOW_REAL_AWS=1 in the
  environment *and* a typed confirmation. Costs money; see lesson 00.

In both mock modes credentials are forced to fake ones, ~/.aws is ignored,
and only loopback can be reached. Ids are seeded and the clock is frozen, so
a notebook prints the same text every time it runs.
"""
from __future__ import annotations

import datetime as _dt
import os
from typing import Any, Callable

from . import clock as _clock
from . import guards

MODES = ("inprocess", "endpoint", "aws")
DEFAULT_REGION = "us-east-1"
DEFAULT_SEED = 42
DEFAULT_ACCOUNT = "123456789012"
REAL_AWS_SWITCH = "KMSLAB_ALLOW_REAL_AWS"
#: Tag put on everything a lesson creates in a real account.
TAGS = [{"TagKey": "created-by", "TagValue": "kmslab"}]


class SandboxError(RuntimeError):
    """A sandbox could not start as asked; the message says what to do."""


class SandboxStopped(SandboxError):
    """A client of a stopped sandbox was called. Nothing was sent: with the mock and its
    network guard gone, the request would otherwise go to real AWS."""


class Sandbox:
    """A ready AWS: clients, a clock, and a way to start over."""

    def __init__(self, mode: str, region: str, seed: int, clock: _clock.Clock,
                 endpoint_url: str | None = None):
        self.mode, self.region, self.seed, self.clock = mode, region, seed, clock
        self.endpoint_url = endpoint_url
        self.account_id = DEFAULT_ACCOUNT
        self._start_time = clock.now()
        self._mock: Any = None
        self._loader: Any = None
        self._endpoint: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._previous_clock: _clock.Clock | None = None
        self.running = False

    # -- clients --------------------------------------------------------------
    def session(self, access_key: str | None = None, secret_key: str | None = None,
                session_token: str | None = None, region: str | None = None):
        """A boto3 Session for this sandbox. Without keys: the default (admin) identity."""
        import boto3

        if self.mode == "aws" and access_key is None:
            return boto3.Session(region_name=region or self.region,
                                 botocore_session=self._botocore_session())
        return boto3.Session(
            aws_access_key_id=access_key or guards.FAKE_ACCESS_KEY,
            aws_secret_access_key=secret_key or guards.FAKE_SECRET_KEY,
            aws_session_token=session_token,
            region_name=region or self.region,
            botocore_session=self._botocore_session(),
        )

    def _botocore_session(self):
        """A new botocore session that shares one data loader, so service models and
        endpoint data are read from disk once per sandbox, not once per client."""
        import botocore.session

        session = botocore.session.Session()
        # Every client and session of this sandbox checks, before it builds a request, that
        # the sandbox still runs (clients copy their session's handlers when created).
        session.register("provide-client-params", self._refuse_when_stopped)
        if self._loader is None:
            self._loader = session.get_component("data_loader")
        else:
            session.register_component("data_loader", self._loader)
        return session

    def _refuse_when_stopped(self, model: Any = None, **_: Any) -> None:
        if not self.running:
            operation = getattr(model, "name", "a request")
            raise SandboxStopped(f"{operation}: this sandbox is stopped: run the setup cell again "
                                 "(it starts a new sandbox and new clients). Nothing was sent.")

    def client(self, service: str, region: str | None = None, *, config: Any = None,
               access_key: str | None = None, secret_key: str | None = None,
               session_token: str | None = None):
        """A boto3 client for `service`, pointed at this sandbox."""
        session = self.session(access_key, secret_key, session_token, region)
        kwargs: dict[str, Any] = {}
        if config is not None:
            if self.mode != "aws" and (getattr(config, "use_fips_endpoint", None)
                                       or getattr(config, "use_dualstack_endpoint", None)):
                raise SandboxError("The sandbox has no FIPS and dual-stack endpoints: drop "
                                   "use_fips_endpoint / use_dualstack_endpoint from the Config "
                                   "(they choose real AWS host names, which mock mode never reaches).")
            kwargs["config"] = config
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        client = session.client(service, **kwargs)
        if self.mode == "aws":
            _tag_what_lessons_create(client)
        return client

    # -- lifecycle --------------------------------------------------------------
    def reset(self) -> None:
        """Start over: no keys, no buckets, the same seed and the starting time."""
        if self.mode == "aws":
            raise SandboxError("reset() is for the mock sandbox; a real account is never wiped.")
        if self._endpoint is not None:
            self._endpoint.reset()
            self._endpoint.seed(self.seed)
        elif self.mode == "endpoint":
            _post(self.endpoint_url, "/moto-api/reset")
            _post(self.endpoint_url, f"/moto-api/seed?a={self.seed}")
        else:
            from moto.core.base_backend import BackendDict

            BackendDict.reset()
            _seed_inprocess(self.seed)
        if self.clock.frozen:
            self.clock.freeze(self._start_time)

    def stop(self) -> None:
        """Stop the sandbox and give the process its environment back."""
        if not self.running:
            return
        if self._mock is not None:
            self._mock.stop()
        if self._endpoint is not None:
            self._endpoint.stop()
        if self.mode != "aws":
            guards.unblock_network()
            guards.restore_environment(self._saved_env)
            _tzset()
        if self._previous_clock is not None:
            _clock.use(self._previous_clock)
        self.running = False

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"<Sandbox {self.mode}{where} region={self.region} account={self.account_id}>"

    def describe(self) -> str:
        """One line that says where requests go (safe to print in a lesson)."""
        where = {"inprocess": "moto in this Python process",
                 "endpoint": "a local endpoint on 127.0.0.1",
                 "aws": "a REAL AWS account"}[self.mode]
        return f"mode={self.mode} ({where}), region={self.region}, account={self.account_id}"


def start(mode: str | None = None, *, region: str = DEFAULT_REGION, seed: int = DEFAULT_SEED,
          frozen: bool = True, start_time: _dt.datetime | None = None,
          endpoint_url: str | None = None,
          confirm: Callable[[str], str] | None = None) -> Sandbox:
    """Start a sandbox. The mode comes from `mode`, else KMSLAB_MODE, else "inprocess"."""
    mode = (mode or os.environ.get("KMSLAB_MODE") or "inprocess").lower()
    if mode not in MODES:
        raise SandboxError(f"Unknown sandbox mode {mode!r}; choose one of {', '.join(MODES)}.")
    if mode == "aws":
        return _start_real_aws(region, confirm)

    endpoint_url = endpoint_url or (os.environ.get("KMSLAB_ENDPOINT") if mode == "endpoint" else None)
    if endpoint_url and not guards.is_loopback(_host_of(endpoint_url)):
        raise SandboxError(f"The endpoint {endpoint_url} is not on loopback; the mock sandbox "
                           "only talks to 127.0.0.1.")
    from . import service
    from .server import quiet_loggers

    clock = _clock.Clock(start=start_time, frozen=frozen)
    sb = Sandbox(mode, region, seed, clock, endpoint_url)
    sb._saved_env = guards.fake_environment(region)
    _use_utc()  # botocore prints dates in local time; UTC makes outputs the same everywhere
    guards.block_network()
    sb._previous_clock = _clock.use(clock)
    service.install()
    quiet_loggers()
    try:
        if mode == "inprocess":
            from moto import mock_aws

            sb._mock = mock_aws()
            sb._mock.start()
            _seed_inprocess(seed)
        elif endpoint_url:
            _post(endpoint_url, f"/moto-api/seed?a={seed}")
        else:
            from .server import LocalEndpoint

            sb._endpoint = LocalEndpoint(seed=seed)
            sb.endpoint_url = sb._endpoint.url
        if sb.endpoint_url:   # child processes (the AWS CLI) reach the sandbox too; restored by stop()
            os.environ["AWS_ENDPOINT_URL"] = sb.endpoint_url
    except Exception:
        guards.unblock_network()
        guards.restore_environment(sb._saved_env)
        _clock.use(sb._previous_clock)
        raise
    sb.running = True
    return sb


def _tzset() -> None:
    import time

    if hasattr(time, "tzset"):
        time.tzset()


def _use_utc() -> None:
    os.environ["TZ"] = "UTC"
    _tzset()


def _seed_inprocess(seed: int) -> None:
    from moto.moto_api._internal import mock_random

    mock_random.seed(seed)


def _post(url: str | None, path: str) -> None:
    import urllib.request

    request = urllib.request.Request(f"{url}{path}", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def _host_of(url: str) -> str:
    from urllib.parse import urlparse

    return urlparse(url).hostname or ""


# Operations that create billed resources, and how each takes tags. In a real account every
# one of them is tagged created-by=kmslab, so a learner can find and remove what lessons made.
_TAGGED_CREATES = {
    ("kms", "CreateKey"): ("Tags", "TagKey", "TagValue"),
    ("kms", "ReplicateKey"): ("Tags", "TagKey", "TagValue"),
    ("secretsmanager", "CreateSecret"): ("Tags", "Key", "Value"),
    ("ssm", "PutParameter"): ("Tags", "Key", "Value"),
}


def _tag_what_lessons_create(client: Any) -> None:
    service = client.meta.service_model.service_name

    def add_tag(params: dict, model: Any, **_: Any) -> None:
        shape = _TAGGED_CREATES.get((service, model.name))
        if shape is None:
            return
        field, key, value = shape
        if service == "ssm" and params.get("Overwrite"):
            return  # SSM refuses Tags together with Overwrite
        tags = params.setdefault(field, [])
        if not any(t.get(key) == TAGS[0]["TagKey"] for t in tags):
            tags.append({key: TAGS[0]["TagKey"], value: TAGS[0]["TagValue"]})

    client.meta.events.register("provide-client-params", add_tag)


def _caller_account(region: str) -> str:
    """The real account the default credentials belong to (STS GetCallerIdentity is free)."""
    import boto3

    return boto3.client("sts", region_name=region).get_caller_identity()["Account"]


def _start_real_aws(region: str, confirm: Callable[[str], str] | None) -> Sandbox:
    if os.environ.get(REAL_AWS_SWITCH) != "1":
        raise SandboxError(
            f"Real AWS is off. To use a real account, set {REAL_AWS_SWITCH}=1 in the environment "
            "before starting Jupyter, then call sandbox.start('aws') and confirm. Lessons create "
            "KMS keys (about $1 per key per month, prorated hourly, plus requests) tagged "
            "created-by=kmslab; schedule them for deletion when you finish."
        )
    account = _caller_account(region)
    prompt = (f"This will create real, billed resources in AWS account {account} ({region}), "
              f"tagged created-by=kmslab. Type the account id to continue: ")
    answer = (confirm or input)(prompt)
    if answer.strip() != account:
        raise SandboxError("Not confirmed; nothing was created. The mock sandbox is the default.")
    sb = Sandbox("aws", region, DEFAULT_SEED, _clock.Clock(frozen=False))
    sb.account_id = account
    sb.running = True
    return sb
