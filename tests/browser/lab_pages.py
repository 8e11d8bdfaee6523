"""What a person does and sees in JupyterLab 4, as Playwright steps (selectors checked against
JupyterLab 4.6). Cells are named by their index in the .ipynb file (JupyterLab's
data-windowed-list-index), so a failure points at the cell to fix."""
from __future__ import annotations

import difflib
import json
import re
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from browser_support import SCREENSHOTS, VIEWPORT, Lab

from kmslab.notebooks import ROOT

RUN_ALL_TIMEOUT_MS = 300_000
OPEN_TIMEOUT_MS = 90_000

# The document behind the current main-area tab.
_CURRENT_PANEL = """() => {
  const tab = document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current');
  return tab ? tab.dataset.id : null;
}"""
_CURRENT_PATH = """() => {
  const tab = document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current');
  const found = tab && /Path: (.*)/.exec(tab.title || '');
  return found ? found[1].trim() : null;
}"""
_CELLS = """(panelId) => [...document.getElementById(panelId).querySelectorAll('.jp-Cell')].map(cell => ({
  index: Number(cell.dataset.windowedListIndex),
  code: cell.classList.contains('jp-CodeCell'),
  prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent || '',
  errors: [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
            .map(e => e.textContent),
  outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(e => e.textContent),
  maths: cell.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
}))"""
_LINKS = """(panelId) => [...document.getElementById(panelId).querySelectorAll('.jp-RenderedMarkdown a[href]')]
  .filter(a => !a.classList.contains('jp-InternalAnchorLink'))
  .map((a, n) => {
    a.dataset.testLink = String(n);
    return {n, cell: Number(a.closest('.jp-Cell').dataset.windowedListIndex),
            inOutput: !!a.closest('.jp-OutputArea'), raw: a.getAttribute('href'), href: a.href,
            text: a.textContent.trim()};
  })"""
_HEADING = """([panelId, id]) => {
  const panel = document.getElementById(panelId);
  const el = panel && [...panel.querySelectorAll('[data-jupyter-id]')].find(e => e.dataset.jupyterId === id);
  if (!el) return null;
  const scroller = panel.querySelector('.jp-WindowedPanel-outer') || panel;
  const view = scroller.getBoundingClientRect(), box = el.getBoundingClientRect();
  return {text: el.textContent.replace(/¶$/, '').trim(), inView: box.top >= view.top - 2 && box.top < view.bottom};
}"""


def new_page(browser: Any, lab: Lab):
    """A fresh browser tab logged in to `lab` (the token sets JupyterLab's cookie)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{lab.url}/api/status?token={lab.token}")
    return page


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("¶", "")).strip().casefold()


@dataclass
class Link:
    n: int
    cell: int
    in_output: bool
    text: str
    target: str | None      # a path under the project root, or None for the notebook itself
    fragment: str | None
    external: bool

    def where(self) -> str:
        return f"{'output of code' if self.in_output else 'Markdown'} cell {self.cell}"

    def named(self) -> str:
        goal = (self.target or "this notebook") + (f"#{self.fragment}" if self.fragment else "")
        return f"{self.where()}: link [{self.text}] -> {goal}"


class NotebookView:
    """One notebook open in JupyterLab, as a learner sees it."""

    def __init__(self, page: Any, lab: Lab, path: str):
        self.page, self.lab, self.path = page, lab, path
        self.file = ROOT / path
        self.source = json.loads(self.file.read_text())
        self.panel_id: str | None = None

    # -- opening, saving, running ------------------------------------------------------------
    def open(self) -> "NotebookView":
        self.page.goto(self.lab.tree_url(self.path))
        return self.wait_until_open()

    def wait_until_open(self) -> "NotebookView":
        """Wait until this notebook is the current tab, all its cells are on the page and its
        kernel is idle."""
        self.page.wait_for_function(f"() => ({_CURRENT_PATH})() === {json.dumps(self.path)}",
                                    timeout=OPEN_TIMEOUT_MS)
        self.panel_id = self.page.evaluate(_CURRENT_PANEL)
        self._wait_for(f"""() => {{
            const panel = document.getElementById({json.dumps(self.panel_id)});
            const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
            return status && status.dataset.status === 'idle'
                && panel.querySelectorAll('.jp-Cell').length >= {len(self.source['cells'])};
        }}""", OPEN_TIMEOUT_MS)
        self._wait_for_kernel_connection()
        time.sleep(0.5)  # let the kernel's language_info and kernelspec reach the model
        return self

    def _wait_for_kernel_connection(self) -> None:
        """Until the server counts the page's websocket to this notebook's kernel. The page can
        show "idle" from the REST model before that; a restart in that gap can leave it waiting
        for a kernel that never reconnects (jupyter_server's "Replacing stale connection" race,
        jupyter-server/jupyter_server#1265, seen once in twenty visits in .ci/run)."""
        deadline = time.monotonic() + OPEN_TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            kernels = [s["kernel"] for s in self.lab.api("GET", "/api/sessions") if s.get("path") == self.path]
            if kernels and self.lab.api("GET", f"/api/kernels/{kernels[0]['id']}").get("connections", 0) >= 1:
                return
            time.sleep(0.2)
        raise AssertionError(f"{self.path}: the page never connected to its kernel")

    def is_modified(self) -> bool:
        return self.page.locator(f'#jp-main-dock-panel .lm-TabBar-tab[data-id="{self.panel_id}"].jp-mod-dirty').count() > 0

    def save(self) -> None:
        """Ctrl+S, as a learner saves, and wait for the server to have written the file."""
        self.page.locator(f"#{self.panel_id} .jp-Notebook").click(position={"x": 3, "y": 3})
        self.page.keyboard.press("Escape")
        with self.page.expect_response(lambda r: r.request.method == "PUT" and "/api/contents/" in r.url):
            self.page.keyboard.press("Control+s")

    def menu(self, menu: str, item: str) -> None:
        self.page.locator(".lm-MenuBar .lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).click()
        self.page.locator(".lm-Menu-content .lm-Menu-itemLabel", has_text=item).first.click()

    def restart_and_run_all(self) -> None:
        self.menu("Run", "Restart Kernel and Run All Cells")
        dialog = self.page.locator(".jp-Dialog")
        dialog.wait_for()
        dialog.locator(".jp-mod-accept").click()
        # Run All queues every code cell at once ([*]); wait to see that, then for none left.
        self._wait_for(f"() => ({_CELLS})({json.dumps(self.panel_id)}).some(c => c.prompt.includes('*'))", 60_000)
        self.wait_until_idle()

    def wait_until_idle(self) -> None:
        try:
            self._wait_for(f"""() => {{
                const panel = document.getElementById({json.dumps(self.panel_id)});
                const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
                return status && status.dataset.status === 'idle'
                    && ![...panel.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
            }}""", RUN_ALL_TIMEOUT_MS)
        except Exception as error:  # say where it stopped, and keep a picture of it
            status = self.page.evaluate(f"""() => {{
                const s = document.getElementById({json.dumps(self.panel_id)})
                    .querySelector('.jp-Notebook-ExecutionIndicator');
                return s ? s.dataset.status : 'no execution indicator'; }}""")
            busy = [c["index"] for c in self.cells() if "*" in c["prompt"]]
            shot = self.screenshot(SCREENSHOTS / "timeouts")
            raise AssertionError(f"{self.path}: not idle after {RUN_ALL_TIMEOUT_MS // 1000} s (kernel status "
                                 f"{status!r}, cells shown running or queued: {busy}); screenshot {shot}") from error

    def _wait_for(self, script: str, timeout: int) -> None:
        self.page.wait_for_function(script, timeout=timeout, polling=100)

    def screenshot(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / (self.path.replace("/", "__").removesuffix(".ipynb") + ".png")
        self.page.screenshot(path=str(target))
        return target

    def cells(self) -> list[dict]:
        return self.page.evaluate(_CELLS, self.panel_id)

    def tags(self, index: int) -> list[str]:
        return self.source["cells"][index].get("metadata", {}).get("tags", [])

    def cell_source(self, index: int) -> str:
        return "".join(self.source["cells"][index]["source"])

    # -- what the checks look for -------------------------------------------------------------
    def untagged_errors(self) -> list[str]:
        problems = []
        for cell in self.cells():
            if not cell["code"]:
                continue
            if cell["errors"] and "raises-exception" not in self.tags(cell["index"]):
                last = [line for line in cell["errors"][-1].splitlines() if line.strip()][-1:] or ["(empty)"]
                problems.append(f"{self.path}: code cell {cell['index']} shows an error and is not tagged "
                                f"raises-exception: {last[0].strip()[:300]}")
            elif not re.fullmatch(r"\[\d+\]:", cell["prompt"].strip()):
                problems.append(f"{self.path}: code cell {cell['index']} did not run (prompt {cell['prompt']!r})")
        return problems

    def maths(self) -> list[str]:
        problems = []
        for cell in self.cells():
            if cell["maths"]:
                text = self.cell_source(cell["index"]) if not cell["code"] else " ".join(cell["outputs"])
                dollars = re.findall(r"(?<!\\)\$[^\s$]{0,14}", text) or ["(no $ found)"]
                where = "Markdown" if not cell["code"] else "output of code"
                problems.append(f"{self.path}: {where} cell {cell['index']} renders {cell['maths']} maths "
                                f"formula(s) (MathJax); unescaped $ in it: " + " ".join(dollars))
        return problems

    def links(self) -> list[Link]:
        found = []
        for item in self.page.evaluate(_LINKS, self.panel_id):
            raw, href = item["raw"] or "", item["href"]
            target = fragment = None
            external = False
            parsed = urllib.parse.urlsplit(href)
            if raw.startswith("#"):
                fragment = urllib.parse.unquote(raw[1:])
            elif href.startswith(self.lab.url + "/"):
                for prefix in ("/files/", "/lab/tree/"):
                    if parsed.path.startswith(prefix):
                        target = urllib.parse.unquote(parsed.path[len(prefix):])
                fragment = urllib.parse.unquote(parsed.fragment) or None
            else:
                external = True
            found.append(Link(item["n"], item["cell"], item["inOutput"], item["text"], target, fragment, external))
        return found

    def broken_links(self) -> list[str]:
        """Follow the links to the course's own files as a learner would, and check that each
        opens what it names: the notebook or file, and the heading it points at. One link per
        target document is clicked (opening it); the others to that document are checked
        against the headings of the opened document. Links within the notebook are all clicked."""
        problems: list[str] = []
        links = [l for l in self.links() if not l.external]
        for link in links:
            if link.target == self.path:
                link.target = None  # a link to this very notebook
        home = self.panel_id
        targets = sorted({link.target for link in links}, key=lambda t: t or "")
        for target in targets:
            group = [link for link in links if link.target == target]
            for link in group if target is None else group[:1]:
                problem = self._follow(link)
                if problem:
                    problems.append(f"{self.path}: {link.named()}: {problem}")
                if target is None:
                    continue
                opened = self.page.evaluate(_CURRENT_PANEL)
                if opened != home:
                    for other in group[1:]:
                        problem = self._check_heading(opened, other, clicked=False)
                        if problem:
                            problems.append(f"{self.path}: {other.named()}: {problem}")
                    self._close_current_tab(problems)
                else:
                    problems += [f"{self.path}: {other.named()}: nothing opened" for other in group[1:]]
                self.page.locator(f'#jp-main-dock-panel .lm-TabBar-tab[data-id="{home}"]').click()
        return problems

    def _follow(self, link: Link) -> str | None:
        """Click `link`; what is wrong with where it went, or None."""
        if link.target is not None:
            try:
                kind = self.lab.api("GET", f"/api/contents/{urllib.parse.quote(link.target)}?content=0")["type"]
            except OSError:
                return "no such file in the project"
            if kind == "directory":
                return None
        anchor = self.page.locator(f'#{self.panel_id} a[data-test-link="{link.n}"]')
        anchor.evaluate("a => { const d = a.closest('details'); if (d && !d.open) d.open = true; }")
        anchor.scroll_into_view_if_needed()
        anchor.click()
        if link.target is not None:
            try:
                self.page.wait_for_function(f"() => ({_CURRENT_PATH})() === {json.dumps(link.target)}",
                                            timeout=20_000, polling=100)
            except Exception:
                return f"nothing opened (the current tab is {self.page.evaluate(_CURRENT_PATH)!r})"
        return self._check_heading(self.page.evaluate(_CURRENT_PANEL), link, clicked=True)

    def _check_heading(self, panel: str, link: Link, clicked: bool) -> str | None:
        """A link with a fragment must name a heading of its target, and land on it (after a
        click) or name that heading in its text (JupyterLab opens another notebook at the top)."""
        if not link.fragment:
            return None
        heading = self._heading(panel, link.fragment, until=lambda h: h is not None, seconds=10)
        if heading is None:
            return "no heading with that anchor"
        if link.target is not None and _norm(heading["text"]) in _norm(link.text):
            return None
        if clicked:
            heading = self._heading(panel, link.fragment, until=lambda h: h and h["inView"], seconds=2)
            if heading and heading["inView"]:
                return None
            return f"opened, but not at the heading [{heading['text']}], and the link text does not name it"
        return f"the heading [{heading['text']}] exists, but the link text does not name it"

    def _heading(self, panel: str, fragment: str, until, seconds: float) -> dict | None:
        """The heading `fragment` in `panel` (None if absent), polled until `until(heading)`."""
        deadline = time.monotonic() + seconds
        while True:
            heading = self.page.evaluate(_HEADING, [panel, fragment])
            if until(heading) or time.monotonic() > deadline:
                return heading
            time.sleep(0.1)

    def _close_current_tab(self, problems: list[str]) -> None:
        tab = self.page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
        path = self.page.evaluate(_CURRENT_PATH)
        tab.locator(".lm-TabBar-tabCloseIcon").click()
        dialog = self.page.locator(".jp-Dialog")
        try:
            dialog.wait_for(timeout=300)
        except Exception:
            return
        problems.append(f"{self.path}: {path}, opened from a link and not edited, asked to be saved on close")
        dialog.get_by_role("button", name=re.compile("Discard|Don't Save", re.I)).click()


def byte_difference(before: bytes, after: bytes, name: str) -> str:
    """A short diff of two versions of a file, for a failure message."""
    diff = difflib.unified_diff(before.decode(errors="replace").splitlines(),
                                after.decode(errors="replace").splitlines(),
                                f"{name} (committed)", f"{name} (saved by JupyterLab)", n=1, lineterm="")
    return "\n".join(list(diff)[:30])


class TerminalView:
    """A JupyterLab terminal (File > New > Terminal). Its text is read from xterm.js's
    screen-reader rows (LAB_TEST_SETTINGS turns that mode on)."""

    def __init__(self, page: Any):
        self.page = page
        page.locator(".lm-MenuBar .lm-MenuBar-itemLabel", has_text=re.compile("^File$")).click()
        page.locator(".lm-Menu-content .lm-Menu-itemLabel", has_text=re.compile("^New$")).first.hover()
        page.locator(".lm-Menu-content .lm-Menu-itemLabel", has_text=re.compile("^Terminal$")).first.click()
        page.wait_for_function(f"() => {{ const id = ({_CURRENT_PANEL})(); const p = id && document.getElementById(id);"
                               " return p && p.querySelector('.xterm-accessibility-tree') "
                               "&& /[$#]\\s*$/.test(p.querySelector('.xterm-accessibility-tree').textContent); }",
                               timeout=60_000, polling=100)
        self.panel_id = page.evaluate(_CURRENT_PANEL)

    def activate(self) -> None:
        self.page.locator(f'#jp-main-dock-panel .lm-TabBar-tab[data-id="{self.panel_id}"]').click()
        self.page.locator(f"#{self.panel_id} .xterm-helper-textarea").focus()

    def text(self) -> str:
        return self.page.evaluate("""(id) => [...document.getElementById(id)
            .querySelectorAll('.xterm-accessibility-tree > div')]
            .map(r => r.textContent.replace(/\\u00a0/g, ' ').trimEnd()).join('\\n')""",
                                  self.panel_id)

    def run(self, command: str) -> None:
        """Type `command` at the prompt (waiting for it, as typed-ahead text garbles the screen)."""
        self.wait_for(r"[$#]\s*$")
        self.activate()
        self.page.keyboard.type(command)
        self.page.keyboard.press("Enter")

    def interrupt(self) -> None:
        """Ctrl-C, as a learner stops a server."""
        self.activate()
        self.page.keyboard.press("Control+c")

    def wait_for(self, pattern: str, seconds: float = 60) -> re.Match:
        """The first match of `pattern` in what the terminal shows, waiting up to `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            found = re.search(pattern, self.text())
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"the terminal never showed /{pattern}/; it shows:\n{self.text()}")
            time.sleep(0.2)


def type_into_cell(view: NotebookView, index: int, text: str) -> None:
    """Replace the code of cell `index` by `text`, typed key by key as a learner types."""
    editor = view.page.locator(f'#{view.panel_id} .jp-Cell[data-windowed-list-index="{index}"] .cm-content')
    editor.scroll_into_view_if_needed()
    editor.click()
    view.page.keyboard.press("Control+a")
    view.page.keyboard.type(text)


def run_cells(view: NotebookView, first: int, last: int) -> None:
    """Select cell `first` and press Shift+Enter until cell `last` has run, as a learner does;
    wait until the last code cell among them shows a new execution count and the kernel is idle."""
    def counts() -> dict[int, int]:
        return {c["index"]: int(m.group(1)) for c in view.cells()
                if c["code"] and (m := re.fullmatch(r"\[(\d+)\]:", c["prompt"].strip()))}

    before = max(counts().values(), default=0)
    last_code = max(i for i in range(first, last + 1) if view.source["cells"][i]["cell_type"] == "code")
    cell = view.page.locator(f'#{view.panel_id} .jp-Cell[data-windowed-list-index="{first}"] .jp-InputPrompt')
    cell.scroll_into_view_if_needed()
    cell.click()
    for index in range(first, last + 1):
        code = view.source["cells"][index]["cell_type"] == "code"
        shown = next(c["prompt"] for c in view.cells() if c["index"] == index) if code else None
        done = f"""() => {{  // the selection moved on, and a code cell was queued or ran
            const panel = document.getElementById({json.dumps(view.panel_id)});
            const active = panel.querySelector('.jp-Cell.jp-mod-active');
            const ran = panel.querySelector('.jp-Cell[data-windowed-list-index="{index}"] .jp-InputPrompt');
            return active && Number(active.dataset.windowedListIndex) > {index}
                && ({json.dumps(not code)} || ran.textContent !== {json.dumps(shown)}
                    || ran.textContent.includes('*'));
        }}"""
        for attempt in range(3):
            # A key pressed while JupyterLab is still busy moving the selection can be lost; a
            # person then presses again. Only pressed again while cell `index` is still active.
            view.page.keyboard.press("Shift+Enter")
            try:
                view._wait_for(done, 10_000)
                break
            except Exception:
                active = view.page.evaluate(f"""() => Number(document.getElementById({json.dumps(view.panel_id)})
                    .querySelector('.jp-Cell.jp-mod-active').dataset.windowedListIndex)""")
                if active > index and code:
                    # The press was taken (the selection moved on); on a busy machine the page can
                    # take longer to show the cell queued. Pressing again would run the next cell.
                    try:
                        view._wait_for(done, 60_000)
                        break
                    except Exception:
                        pass
                if active != index or attempt == 2:
                    raise AssertionError(f"{view.path}: Shift+Enter on cell {index} did not run it "
                                         f"(active cell: {active})") from None
    deadline = time.monotonic() + RUN_ALL_TIMEOUT_MS / 1000
    while counts().get(last_code, 0) <= before:
        if time.monotonic() > deadline:
            raise AssertionError(f"{view.path}: code cell {last_code} never ran")
        time.sleep(0.1)
    view.wait_until_idle()


def output_text(view: NotebookView, index: int) -> str:
    cell = next(c for c in view.cells() if c["index"] == index)
    return "\n".join(cell["outputs"]).strip()
