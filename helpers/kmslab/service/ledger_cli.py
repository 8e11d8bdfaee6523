"""The AWS CLI as a client for the fidelity ledger's probes.

A probe calls `c("kms").encrypt(KeyId=..., Plaintext=b"...")`, as it would a boto3 client.
`CliClient` turns that into the AWS CLI command a learner would type,

    aws kms encrypt --cli-input-json '{"KeyId": "..."}' --plaintext fileb://<file>
        --endpoint-url http://127.0.0.1:<port> --region us-east-1 --output json

runs it with awscli's own driver (the code behind `aws`, in this process so that a few
hundred commands take seconds, not minutes), and hands back what the CLI printed, with
binary members decoded as boto3 would. An AWS error becomes botocore's ClientError, built
from the response the CLI itself parsed. Only `python -m kmslab.service.ledger --cli`
uses it; nothing in the sandbox imports it.
"""
from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import tempfile
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError


#: The CLI's name for a service's API commands, where it differs ("aws s3" is the file tool).
_COMMANDS = {"s3": "s3api"}


class CliError(Exception):
    """The CLI failed before it got an answer from the endpoint (it printed why)."""


class CliRunner:
    """One awscli driver per identity, pointed at one endpoint."""

    def __init__(self, endpoint_url: str, workdir: str):
        self.endpoint_url, self.workdir = endpoint_url, workdir
        self._drivers: dict[tuple, Any] = {}
        self._files = 0
        config = os.path.join(workdir, "config")
        with open(config, "w", encoding="utf-8") as out:
            # As for the boto3 clients: the probes send some invalid requests on purpose.
            out.write("[default]\nparameter_validation = false\n")
        self._env = {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                     "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": ""}

    def client(self, service: str, region: str, access_key: str | None = None,
               secret_key: str | None = None) -> "CliClient":
        return CliClient(self, service, region, access_key or "testing", secret_key or "testing")

    def file(self, data: bytes | str) -> str:
        self._files += 1
        path = os.path.join(self.workdir, f"arg{self._files}")
        with open(path, "wb") as out:
            out.write(data.encode() if isinstance(data, str) else data)
        return path

    def run(self, args: list[str], access_key: str, secret_key: str) -> tuple[int, str, list[dict]]:
        """Run `aws <args>`; return (exit code, stdout, the parsed responses the CLI saw)."""
        from awscli.clidriver import create_clidriver

        env = {**self._env, "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key}
        saved = {name: os.environ.get(name) for name in [*env, "AWS_SESSION_TOKEN", "AWS_PROFILE"]}
        os.environ.update(env)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
        self._seen: list[dict] = []
        try:
            driver = self._drivers.get((access_key, secret_key))
            if driver is None:
                driver = self._drivers[(access_key, secret_key)] = create_clidriver()
                driver.session.register("after-call", lambda parsed, **_: self._seen.append(parsed),
                                        unique_id="kmslab-ledger")
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = driver.main(["--endpoint-url", self.endpoint_url, "--output", "json", *args])
                except SystemExit as exc:  # argparse refuses the command line
                    code = exc.code if isinstance(exc.code, int) else 2
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        self._last_stderr = err.getvalue()
        return code, out.getvalue(), self._seen


class CliClient:
    """Looks like a boto3 client to the probes; every call is an `aws` command."""

    def __init__(self, runner: CliRunner, service: str, region: str, access_key: str, secret_key: str):
        self._runner, self._service, self._region = runner, service, region
        self._keys = (access_key, secret_key)
        self._model = _service_model(service)
        self._names = {xform_name(op): op for op in self._model.operation_names}

    def __getattr__(self, name: str):
        if name not in self._names:
            raise AttributeError(name)
        operation = self._model.operation_model(self._names[name])
        return lambda **params: self._call(operation, params)

    def _call(self, operation, params: dict) -> dict:
        command = [_COMMANDS.get(self._service, self._service), xform_name(operation.name, "-"),
                   "--region", self._region]
        members = operation.input_shape.members if operation.input_shape else {}
        plain: dict[str, Any] = {}
        for name, value in params.items():
            shape = members.get(name)
            if isinstance(value, bytes) or (shape is not None and shape.type_name == "blob"):
                # Binary arguments are files: fileb:// (or a path, for a streaming body).
                path = self._runner.file(value)
                streaming = shape is not None and shape.type_name == "blob" and (
                    shape.serialization.get("streaming") or operation.has_streaming_input)
                command += [f"--{xform_name(name, '-')}", path if streaming else f"fileb://{path}"]
            elif operation.has_streaming_output and isinstance(value, str):
                # these commands (s3api get-object) take their outfile as the last word and
                # refuse --cli-input-json beside it
                command += [f"--{xform_name(name, '-')}", value]
            else:
                plain[name] = value
        if plain:
            command += ["--cli-input-json", json.dumps(plain, default=str)]
        outfile = None
        if operation.has_streaming_output:
            outfile = self._runner.file(b"")
            command.append(outfile)
        code, stdout, seen = self._runner.run(command, *self._keys)
        if code != 0:
            failed = next((p for p in reversed(seen) if "Error" in p), None)
            if failed is not None:
                raise ClientError(failed, operation.name)
            raise CliError(self._runner._last_stderr.strip() or f"aws exited with {code}")
        result = json.loads(stdout) if stdout.strip() else {}
        result = _decode(result, operation.output_shape)
        if outfile is not None:
            with open(outfile, "rb") as answer:
                result["Body"] = io.BytesIO(answer.read())
        return result


def _service_model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def _decode(value: Any, shape) -> Any:
    """The CLI prints binary members in base64; boto3 hands back bytes."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if kind == "structure" and isinstance(value, dict):
        return {k: _decode(v, shape.members.get(k)) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_decode(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _decode(v, shape.value) for k, v in value.items()}
    return value


def runner(endpoint_url: str) -> CliRunner:
    return CliRunner(endpoint_url, tempfile.mkdtemp(prefix="kmslab-ledger-cli-"))
