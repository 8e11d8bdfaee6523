"""Command line: `python -m kmslab lab`, `serve`, `tls serve`, `progress`, and the classroom commands."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["hub-singleuser"]:  # every argument after it is the hub spawner's, passed on as is
        from .classroom import singleuser

        return singleuser(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m kmslab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser(
        "lab", help="open the course in JupyterLab (what `make lab` runs); other options go to jupyter lab",
        description="Open the course in JupyterLab on lesson 00, rooted at the project. Any other "
                    "option is passed to jupyter lab, e.g. --port 8899 --no-browser.")

    serve = commands.add_parser("serve", help="run the AWS sandbox as a local endpoint on 127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    serve.add_argument("--seed", type=int, default=42, help="seed for moto's ids (default 42)")
    serve.add_argument("--quotas", action="store_true",
                       help="enforce KMS request quotas (AWS's documented defaults); off unless given")
    serve.add_argument("--quota-scale", type=float, default=None, metavar="X",
                       help="enforce quotas, every default multiplied by X (e.g. 0.0002)")
    serve.add_argument("--quota", action="append", default=[], metavar="NAME=RATE",
                       help="enforce quotas, NAME at RATE per second (e.g. symmetric=20, CreateKey=50); repeatable")
    serve.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                       help="let web pages from ORIGIN (e.g. http://localhost:8888) call the AWS API "
                            "through the endpoint (CORS); none may by default; repeatable")

    tls = commands.add_parser("tls", help="the in-flight encryption demo")
    tls_commands = tls.add_subparsers(dest="tls_command", required=True)
    tls_serve = tls_commands.add_parser("serve", help="run the demo HTTPS server on 127.0.0.1")
    tls_serve.add_argument("--port", type=int, default=0)
    tls_serve.add_argument("--dir", default=None,
                           help="folder for the CA and server certificate (default: a new temporary folder)")

    from .progress import cli as progress_cli

    progress_cli.add_parser(commands)
    copy = commands.add_parser("copy-course", help="copy the lessons and labs you do not have yet into DIR")
    copy.add_argument("dir", nargs="?", type=Path, help="default: ~/kmslab (or KMSLAB_COURSE_DIR)")
    commands.add_parser("hub-singleuser", help="on a JupyterHub: copy-course, then jupyterhub-singleuser ARGS")

    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":
        from .lab import main as lab

        return lab(extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "progress":
        return progress_cli.run(args)
    if args.command == "copy-course":
        from .classroom import copy_course, course_folder

        folder = args.dir or course_folder()
        copied = copy_course(folder)
        print(f"{len(copied)} course files copied into {folder}; files already there were kept.")
        return 0
    if args.command in ("serve", "tls"):
        _stop_on_interrupt()
    if args.command == "serve":
        from .server import serve as run

        if args.quotas or args.quota_scale is not None or args.quota:
            from .service import quotas

            overrides = dict(_name_rate(item) for item in args.quota)
            quotas.configure(scale=args.quota_scale, overrides=overrides)
            print(f"KMS request quotas on: {quotas.settings()}", file=sys.stderr, flush=True)
        from .http_guard import normalize_origin

        try:
            origins = [normalize_origin(o) for o in args.allow_origin]
        except ValueError as exc:
            raise SystemExit(f"--allow-origin: {exc}") from None
        try:
            run(port=args.port, seed=args.seed, out=lambda line: print(line, flush=True), allowed_origins=origins)
        except OSError as exc:  # the port is taken, most likely
            print(f"python -m kmslab serve: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.command == "tls":
        from .teach.tls import serve_cli

        return serve_cli(port=args.port, directory=args.dir)
    return 2


def _stop_on_interrupt() -> None:
    """Ctrl-C, `kill -INT` and `kill` stop a server cleanly. A shell that starts a command in the
    background (`... &` in a script) makes it ignore SIGINT, and Python then leaves it ignored."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _name_rate(item: str) -> tuple[str, float]:
    name, _, rate = item.partition("=")
    if not name or not rate:
        raise SystemExit(f"--quota wants NAME=RATE, got {item!r}")
    return name.strip(), float(rate)


if __name__ == "__main__":
    sys.exit(main())
