"""KMS calls per second through `python -m kmslab serve` vs `moto_server`, side by side.

    .venv/bin/python benchmarks/endpoint_calls.py [--rounds 6] [--seconds 3] [--clients 8]
    .venv/bin/python benchmarks/endpoint_calls.py --baseline /path/to/another/kmslab/checkout

Each round starts every server as a subprocess on 127.0.0.1 (the ready time is from launch to
the first HTTP answer), then times
  1. one boto3 client process doing encrypt+decrypt pairs of 64 bytes for --seconds, then
  2. --clients client processes doing the same at once (total calls/s of all of them),
and stops the server. The servers take turns, in an order that changes from round to round,
so that load from elsewhere on a shared machine falls on all of them alike; the summary gives
the median of the rounds and each server's ratio to moto_server. Clients set up (import boto3,
create their key, warm up) before the timed window, which they all enter at the same moment.
Clients do not retry (max_attempts=1), so any error is counted, not hidden. On Linux it also
prints the server's CPU milliseconds per call with one client, which noise disturbs far less.

--baseline DIR adds a third server: `python -m kmslab serve` from another checkout (its
`helpers/` first on PYTHONPATH), for before/after figures measured in one run.
Goals (issue 17): one client >= 1.24 x moto_server (LocalStack's margin), ready < 1 s, and with
8 clients a total >= 1.5 x what one client got before.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

PLAINTEXT = b"x" * 64
WARMUP_PAIRS = 20


# -- the client (runs in its own process) ------------------------------------------------

def client_main(url: str) -> None:
    """Set up, say "ready", wait for "go START SECONDS" on stdin, then count calls."""
    import boto3
    from botocore.config import Config

    kms = boto3.client("kms", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing",
                       config=Config(retries={"mode": "standard", "max_attempts": 1}))
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(WARMUP_PAIRS):
        kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key, Plaintext=PLAINTEXT)["CiphertextBlob"])
    print("ready", flush=True)
    _, start, seconds = sys.stdin.readline().split()
    start, end = float(start), float(start) + float(seconds)
    time.sleep(max(0.0, start - time.time()))
    calls, errors = 0, {}
    while time.time() < end:
        try:
            blob = kms.encrypt(KeyId=key, Plaintext=PLAINTEXT)["CiphertextBlob"]
            calls += 1
            assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == PLAINTEXT
            calls += 1
        except Exception as exc:  # counted, reported by the harness
            name = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
            errors[name] = errors.get(name, 0) + 1
    print(json.dumps({"calls": calls, "errors": errors, "elapsed": time.time() - start}), flush=True)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_clients(url: str, count: int, seconds: float, server_pid: int) -> tuple[float, float | None, dict]:
    """Total calls/s of `count` client processes over the same `seconds` window, and the
    server's CPU milliseconds per call in that window (less noisy than calls/s)."""
    procs = [subprocess.Popen([sys.executable, __file__, "--client", url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(count)]
    try:
        for p in procs:
            line = p.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"a client failed to start: {line!r}")
        start = time.time() + 0.2
        cpu_before = cpu_seconds(server_pid)
        for p in procs:
            p.stdin.write(f"go {start} {seconds}\n")
            p.stdin.flush()
        results = [json.loads(p.stdout.readline()) for p in procs]
        cpu_after = cpu_seconds(server_pid)
    finally:
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    errors: dict = {}
    for r in results:
        for code, n in r["errors"].items():
            errors[code] = errors.get(code, 0) + n
    window = max(r["elapsed"] for r in results)
    calls = sum(r["calls"] for r in results)
    cpu_ms = None if cpu_before is None or not calls else (cpu_after - cpu_before) * 1000 / calls
    return calls / window, cpu_ms, errors


# -- the servers -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(name: str, port: int, baseline: str | None) -> tuple[list[str], dict]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    if name == "moto_server":
        exe = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
        return [exe, "-H", "127.0.0.1", "-p", str(port)], env
    if name == "baseline":
        env["PYTHONPATH"] = str(Path(baseline) / "helpers")
    return [sys.executable, "-m", "kmslab", "serve", "--port", str(port)], env


def answers_http(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/")
        conn.getresponse().read()
        conn.close()
        return True
    except OSError:
        return False


def start_server(name: str, baseline: str | None) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    cmd, env = server_command(name, port, baseline)
    launched = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not answers_http(port):
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}: {' '.join(cmd)}")
        if time.perf_counter() - launched > 30:
            proc.kill()
            raise RuntimeError(f"{name} did not answer within 30 s")
        time.sleep(0.01)
    return proc, f"http://127.0.0.1:{port}", time.perf_counter() - launched


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- the harness -------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="a multiple of 6 gives every server every place")
    parser.add_argument("--seconds", type=float, default=3.0, help="timed window per measurement")
    parser.add_argument("--clients", type=int, default=8, help="client processes in the many-client run")
    parser.add_argument("--baseline", metavar="DIR", help="another kmslab checkout to run beside")
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client)
        return

    names = ["kmslab", "moto_server"] + (["baseline"] if args.baseline else [])
    figures = {n: {"ready": [], "one": [], "many": [], "cpu": []} for n in names}
    errors: dict = {}
    print(f"{args.rounds} rounds; {args.seconds:g} s per measurement; "
          f"1 client, then {args.clients} client processes; {os.cpu_count()} CPUs")
    for r in range(args.rounds):
        # Each server takes each place in the order equally often (the first of a round starts
        # while the machine is still settling from the last round's clients).
        order = names[r % len(names):] + names[:r % len(names)]
        if (r // len(names)) % 2:
            order.reverse()
        for name in order:
            time.sleep(0.5)
            proc, url, ready = start_server(name, args.baseline)
            try:
                one, cpu, e1 = run_clients(url, 1, args.seconds, proc.pid)
                many, _, e2 = run_clients(url, args.clients, args.seconds, proc.pid)
            finally:
                stop_server(proc)
            for code, n in {**e1, **e2}.items():
                errors[(name, code)] = errors.get((name, code), 0) + n
            f = figures[name]
            f["ready"].append(ready)
            f["one"].append(one)
            f["many"].append(many)
            f["cpu"].append(cpu if cpu is not None else float("nan"))
            print(f"  round {r + 1} {name:<12} ready {ready:5.2f} s   1 client {one:6.0f} calls/s "
                  f"({f['cpu'][-1]:.2f} ms server CPU per call)   {args.clients} clients {many:6.0f} calls/s",
                  flush=True)

    med = {n: {k: statistics.median(v) for k, v in f.items()} for n, f in figures.items()}
    moto = med["moto_server"]
    print(f"\nmedians of {args.rounds} rounds   ready   1 client  server CPU  {args.clients} clients   "
          f"ratio to moto_server (1 / {args.clients} clients)")
    for n in names:
        m = med[n]
        print(f"  {n:<20} {m['ready']:5.2f} s  {m['one']:7.0f}   {m['cpu']:5.2f} ms  {m['many']:9.0f}      "
              f"{m['one'] / moto['one']:.2f} / {m['many'] / moto['many']:.2f}")
    k = med["kmslab"]
    print(f"kmslab, {args.clients} clients / 1 client: {k['many'] / k['one']:.2f}")
    if args.baseline:
        b = med["baseline"]
        print(f"kmslab vs baseline: 1 client {k['one'] / b['one']:.2f}, {args.clients} clients "
              f"{k['many'] / b['many']:.2f}; {args.clients} clients / baseline's 1 client "
              f"{k['many'] / b['one']:.2f}")
    print("errors: " + (", ".join(f"{n} {c}: {v}" for (n, c), v in sorted(errors.items())) or "none"))


if __name__ == "__main__":
    main()
