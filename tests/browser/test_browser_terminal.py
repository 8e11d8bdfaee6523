"""Lesson 00's terminal demo, typed into JupyterLab terminals as a learner types it: the
sandbox endpoint in one terminal, the AWS CLI against it in another. The server was started
with a PATH that lacks the course's Python (as from a learner's own shell), and terminals run
the login set-up, so finding `python -m kmslab` and `aws` is kmslab.lab's doing."""
from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest
from browser_support import SCREENSHOTS
from lab_pages import TerminalView

pytestmark = pytest.mark.browser


def test_serve_and_the_aws_cli_in_jupyterlab_terminals(page, lab):
    page.goto(f"{lab.url}/lab?reset")
    server = TerminalView(page)
    server.run("python -m kmslab serve")
    url = server.wait_for(r"listening on (http://127\.0\.0\.1:\d+)").group(1)

    cli = TerminalView(page)
    scripts = Path(sysconfig.get_path("scripts"))
    cli.run("command -v python aws")
    cli.wait_for(rf"{scripts / 'python'}\s*\n\s*{scripts / 'aws'}")
    cli.run("export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1")
    cli.run(f'aws --endpoint-url {url} kms create-key --description "from the CLI" '
            "--query KeyMetadata.[Description,KeyState] --output text")
    cli.wait_for(r"from the CLI\s+Enabled")
    cli.run(f"echo \"keys: $(aws --endpoint-url {url} kms list-keys --query 'length(Keys)')\"")
    cli.wait_for(r"keys: 1\b")
    page.screenshot(path=str(SCREENSHOTS / "terminal__aws_cli.png"))

    server.interrupt()  # Ctrl-C stops the endpoint, as lesson 00 says
    server.wait_for(r"stopping")
