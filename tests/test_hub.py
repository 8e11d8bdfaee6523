"""The course on a real JupyterHub, on loopback: three learners log in, get their own server with
their own copy of the course, run lesson 00 and a lab check through the Jupyter REST and kernel
(websocket) APIs, and see neither each other's keys nor each other's files. The instructor then
reads the class's progress.

The hub is configured by classroom/jupyterhub_config.py plus what a hub operator would add here:
a login for three learners, a local process spawner with a home folder per learner, and the proxy
from npm (classroom/proxy, which .ci/run installs). Memory and start time per learner are printed
for the README's sizing table (`pytest tests/test_hub.py -s`).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from kernel_client import execute

from kmslab.notebooks import ROOT


PROXY = ROOT / "classroom" / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
LEARNERS = {"alice": "alice-pw-4821", "bob": "bob-pw-1937", "carol": "carol-pw-5560"}
TIMEOUT = 120  # seconds for any one step: a start, a lesson, a shutdown

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not PROXY.exists() or shutil.which("node") is None,
    reason="JupyterHub's proxy is not installed: npm ci --prefix classroom/proxy (.ci/run does)")]

HUB_CONFIG = """
from jupyterhub.auth import Authenticator

c = get_config()
load_subconfig({course_config!r})

class ClassList(Authenticator):
    \"\"\"Three learners, each with their own password.\"\"\"
    passwords = {passwords!r}

    async def authenticate(self, handler, data):
        if self.passwords.get(data["username"]) == data["password"]:
            return data["username"]

c.JupyterHub.authenticator_class = ClassList
c.Authenticator.allowed_users = set(ClassList.passwords)
c.JupyterHub.spawner_class = "simple"   # one OS user; a home folder per learner
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.ip = "127.0.0.1"
c.Spawner.args = {args!r}
c.Spawner.start_timeout = c.Spawner.http_timeout = {timeout}
c.JupyterHub.bind_url = "http://127.0.0.1:{public}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {state!r} + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + {state!r} + "/hub.sqlite"
c.JupyterHub.cookie_secret_file = {state!r} + "/cookie_secret"
"""


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Hub:
    """A JupyterHub process and the way a learner's browser talks to it."""

    def __init__(self, tmp: Path):
        import psutil

        self.homes, state = tmp / "homes", tmp / "hub"
        self.homes.mkdir()
        state.mkdir()
        public, hub, api = _free_ports(3)
        self.url = f"http://127.0.0.1:{public}"
        config = state / "jupyterhub_config.py"
        config.write_text(HUB_CONFIG.format(
            course_config=str(ROOT / "classroom" / "jupyterhub_config.py"), passwords=LEARNERS,
            homes=str(self.homes), args=["--allow-root"] if os.geteuid() == 0 else [], timeout=TIMEOUT,
            public=public, hub=hub, api=api, proxy=str(PROXY), state=str(state)))
        env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
               "CONFIGPROXY_AUTH_TOKEN": uuid.uuid4().hex}
        self.log = open(state / "hub.log", "w")
        self.process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=state,
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.process.pid)
        self.started: dict[str, str] = {}

    def wait_until_up(self) -> None:
        import requests

        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the hub exited:\n{self.logs()}"
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        pytest.fail(f"the hub did not answer in {TIMEOUT} s:\n{self.logs()}")

    def logs(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()[-4000:]

    def stop(self) -> None:
        """Stop the hub (which stops the learners' servers and the proxy); kill what is left."""
        import psutil

        family = [self.ps, *self.ps.children(recursive=True)]
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
        _, alive = psutil.wait_procs([p for p in family if p.is_running()], timeout=30)
        for leftover in alive:
            leftover.kill()
        self.log.close()


class Learner:
    """One learner's browser session: logs in, gets a token and a server, runs code in kernels."""

    def __init__(self, hub: Hub, name: str):
        import requests

        self.hub, self.name, self.http = hub, name, requests.Session()
        self.server = f"{hub.url}/user/{name}"

    def log_in(self, password: str) -> bool:
        page = self.http.get(f"{self.hub.url}/hub/login", timeout=30).text
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
        answer = self.http.post(f"{self.hub.url}/hub/login", data={
            "username": self.name, "password": password, "_xsrf": xsrf}, allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            return False
        # a token for the REST and kernel APIs, made as the hub's token page makes one
        page = self.http.get(f"{self.hub.url}/hub/token", timeout=30).text
        xsrf = re.search(r'xsrf_token: "([^"]+)"', page).group(1)  # signed for the logged-in learner
        token = self.http.post(f"{self.hub.url}/hub/api/users/{self.name}/tokens", timeout=30,
                               headers={"X-XSRFToken": xsrf}, json={"note": "test", "expires_in": 3600})
        token.raise_for_status()
        self.http.headers["Authorization"] = f"token {token.json()['token']}"
        return True

    def start_server(self) -> float:
        """Ask the hub for this learner's server; returns the seconds until it is ready."""
        begin = time.monotonic()
        self.http.post(f"{self.hub.url}/hub/api/users/{self.name}/server", timeout=30).raise_for_status()
        while time.monotonic() - begin < TIMEOUT:
            model = self.http.get(f"{self.hub.url}/hub/api/users/{self.name}", timeout=30).json()
            if model["servers"].get("", {}).get("ready"):
                return time.monotonic() - begin
            time.sleep(0.2)
        pytest.fail(f"{self.name}'s server did not start:\n{self.hub.logs()}")

    def api(self, method: str, path: str, **kwargs):
        return self.http.request(method, f"{self.server}/api/{path}", timeout=60, **kwargs)

    def open_notebook(self, path: str) -> str:
        """A kernel for `path`, as JupyterLab opens one (name: the file's); returns the kernel id."""
        session = self.api("POST", "sessions", json={
            "path": path, "type": "notebook", "name": path.rsplit("/", 1)[-1], "kernel": {"name": "python3"}})
        session.raise_for_status()
        return session.json()["kernel"]["id"]

    def run(self, kernel_id: str, code: str) -> tuple[str, str | None]:
        """Run `code` over the kernel's websocket; returns (stdout, error name or None)."""
        ws_url = self.server.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        return execute(ws_url, code, headers=[f"Authorization: {self.http.headers['Authorization']}"],
                       timeout=TIMEOUT)

    def notebook_cells(self, path: str) -> list[dict]:
        """The code cells of the learner's own copy of a notebook."""
        model = self.api("GET", f"contents/{path}").json()
        return [cell for cell in model["content"]["cells"] if cell["cell_type"] == "code"]

    def processes(self) -> list:
        """This learner's server (it runs in their course folder) and its kernels."""
        home = str(self.hub.homes / self.name)
        for proc in self.hub.ps.children():
            if proc.cwd().startswith(home):
                return [proc, *proc.children(recursive=True)]
        raise AssertionError(f"no server process for {self.name}")

    def memory(self) -> str:
        return _memory(self.processes())


def _memory(processes) -> str:
    rss = pss = 0
    for proc in processes:
        info = proc.memory_full_info()
        rss, pss = rss + info.rss, pss + getattr(info, "pss", info.rss)
    return f"{rss / 2**20:.0f} MB RSS, {pss / 2**20:.0f} MB PSS in {len(processes)} processes"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    running = Hub(tmp_path_factory.mktemp("hub"))
    try:
        running.wait_until_up()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def learners(hub):
    """Each learner logs in (a wrong password first) and gets their server."""
    logged_in = {}
    for name, password in LEARNERS.items():
        learner = Learner(hub, name)
        other = next(p for n, p in LEARNERS.items() if n != name)
        assert not learner.log_in(other), f"{name} logged in with another learner's password"
        assert learner.log_in(password)
        seconds = learner.start_server()
        cpu = sum(sum(p.cpu_times()[:2]) for p in learner.processes())
        hub.started[name] = f"{seconds:.1f} s ({cpu:.1f} CPU s)"
        logged_in[name] = learner
    return logged_in


def test_each_learner_gets_their_own_copy_of_the_course_opened_on_lesson_00(learners, hub):
    for name, learner in learners.items():
        home = hub.homes / name / "kmslab"
        assert (home / "notebooks" / "00_start_here.ipynb").exists()
        assert (home / "labs" / "solutions" / "04_key_rotation_solution.ipynb").exists()
        listed = {item["name"] for item in learner.api("GET", "contents").json()["content"]}
        assert {"notebooks", "labs", "docs", "README.md"} <= listed
        assert "--MappingKernelManager.cull_idle_timeout=3600" in learner.processes()[0].cmdline()
        landing = learner.http.get(f"{learner.server}/", allow_redirects=False, timeout=30)
        assert urlsplit(landing.headers["Location"]).path == f"/user/{name}/lab/tree/notebooks/00_start_here.ipynb"


def _recorded_checks(hub: Hub, name: str) -> dict:
    progress_file = hub.homes / name / ".local" / "share" / "jupyter" / "kmslab" / "progress.json"
    return json.loads(progress_file.read_text())["checks"] if progress_file.exists() else {}


DESCRIPTIONS = """
def descriptions(box):
    kms = box.client("kms")
    return sorted(kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["Description"] for k in kms.list_keys()["Keys"])
"""


def test_lesson_00_runs_for_every_learner_and_their_keys_stay_their_own(learners, hub):
    for name, learner in learners.items():
        checks_before = _recorded_checks(hub, name)
        kernel = learner.open_notebook("notebooks/00_start_here.ipynb")
        for cell in learner.notebook_cells("notebooks/00_start_here.ipynb"):
            _, error = learner.run(kernel, "".join(cell["source"]))
            expected = "raises-exception" in cell["metadata"].get("tags", [])
            assert (error is not None) == expected, f"{name}: {error} in\n{''.join(cell['source'])}"
        print(f"\n{name}: server ready in {hub.started[name]}; server + lesson 00's kernel: {learner.memory()}")
        # lesson 00 runs a lab 04 check as an example: that is not the learner's lab work
        assert _recorded_checks(hub, name) == checks_before
        # the cell each lesson will end with (kmslab.progress)
        out, _ = learner.run(kernel, 'from kmslab import progress\nprogress.lesson_done("00")')
        assert "Lesson 00 is recorded as done" in out
        # a key of their own in an in-process sandbox, then in an endpoint that keeps running
        out, error = learner.run(kernel, DESCRIPTIONS + f"""
import json
sb = sandbox.start()
sb.client("kms").create_key(Description="{name}'s key")
print(json.dumps(descriptions(sb)))
sb.stop()
ep = sandbox.start("endpoint")
ep.client("kms").create_key(Description="{name}'s endpoint key")
print(ep.endpoint_url)""")
        assert error is None, out
        keys, learner.endpoint = out.strip().splitlines()
        assert json.loads(keys) == [f"{name}'s key"]
        learner.kernel = kernel
    # three endpoints at once, on ports the system chose: no collision, each learner sees their own key
    assert len({learner.endpoint for learner in learners.values()}) == len(learners)
    for name, learner in learners.items():
        out, _ = learner.run(learner.kernel, "print(json.dumps(descriptions(ep)))\nep.stop()")
        assert json.loads(out) == [f"{name}'s endpoint key"]


def test_a_lab_check_runs_and_records_progress_in_the_learners_own_home(learners, hub):
    for name, learner in learners.items():
        notebook = "labs/solutions/04_key_rotation_solution.ipynb" if name != "bob" else "labs/04_key_rotation.ipynb"
        kernel = learner.open_notebook(notebook)
        cells = learner.notebook_cells(notebook)
        for cell in cells[:3]:  # setup, task 1, the check of task 1
            out, error = learner.run(kernel, "".join(cell["source"]))
            assert error is None, f"{name}: {error}"
        assert ("Task 1: automatic rotation every 180 days" in out
                and ("not done yet" in out) == (name == "bob")), out
        mine, _ = learner.run(kernel, "import subprocess, sys\nprint(subprocess.run([sys.executable, '-m', "
                                      "'kmslab', 'progress'], capture_output=True, text=True).stdout)")
        task1 = next(line for line in mine.splitlines() if "Task 1: automatic rotation" in line).split()
        assert task1[:2] == (["not", "done"] if name == "bob" else ["right", "Task"]), mine
        assert str(hub.homes / name) in mine  # their own progress file, in their own home
        print(f"\n{name}: server + lesson 00's and lab 04's kernels: {learner.memory()}")
    hub_and_proxy = [hub.ps, *(p for p in hub.ps.children() if not p.cwd().startswith(str(hub.homes)))]
    print(f"\nhub and proxy: {_memory(hub_and_proxy)}")

    shown = subprocess.run([sys.executable, "-m", "kmslab", "progress", "--class", str(hub.homes),
                            "--figure", str(hub.homes.parent / "class.png")],
                           capture_output=True, text=True, timeout=TIMEOUT)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Class: 3 learners with progress, 0 without")
    row = next(line for line in shown.stdout.splitlines() if "lab 04 · Task 1: automatic rotation" in line)
    assert row.split()[-4:] == ["2", "0", "1", "0"]  # right, wrong, not done, not checked
    assert (hub.homes.parent / "class.png").stat().st_size > 0


def test_learners_do_not_see_each_others_files_or_servers(learners):
    alice, bob = learners["alice"], learners["bob"]
    alice.api("PUT", "contents/alice-notes.txt", json={"type": "file", "format": "text", "content": "mine"})
    assert "alice-notes.txt" in {i["name"] for i in alice.api("GET", "contents").json()["content"]}
    assert "alice-notes.txt" not in {i["name"] for i in bob.api("GET", "contents").json()["content"]}
    # bob's token does not open alice's server
    peek = bob.http.get(f"{alice.server}/api/contents/alice-notes.txt", allow_redirects=False, timeout=30)
    assert peek.status_code in (302, 403), peek.status_code


def test_a_restart_keeps_the_learners_work_and_brings_back_what_they_deleted(learners, hub):
    carol = learners["carol"]
    lesson = hub.homes / "carol" / "kmslab" / "notebooks" / "03_symmetric_keys.ipynb"
    lab = hub.homes / "carol" / "kmslab" / "labs" / "04_key_rotation.ipynb"
    lesson.write_text(lesson.read_text().replace("Symmetric keys", "Symmetric keys (my notes)", 1))
    lab.unlink()
    carol.http.delete(f"{hub.url}/hub/api/users/carol/server", timeout=TIMEOUT).raise_for_status()
    deadline = time.monotonic() + TIMEOUT
    while carol.http.get(f"{hub.url}/hub/api/users/carol", timeout=30).json()["servers"]:
        assert time.monotonic() < deadline, "carol's server did not stop"
        time.sleep(0.2)
    carol.start_server()
    assert "(my notes)" in lesson.read_text() and lab.exists()
