"""The built docs site (build/site, from `make docs`), opened as a reader opens it: in Chromium,
from a static web server and from file://. Run by `make docs-test`; `make test` skips these."""
from __future__ import annotations

import functools
import importlib.util
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from browser_support import SCREENSHOTS, Watch, launch
from kmslab.notebooks import ROOT

pytestmark = pytest.mark.docs


def site_extension():
    """site/_ext/kmslab_site.py, which Sphinx loads from conf.py's folder."""
    spec = importlib.util.spec_from_file_location("kmslab_site", ROOT / "site" / "_ext" / "kmslab_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

SITE = ROOT / "build" / "site"
LANDING = "site/index.html"
LAST_LESSON = "notebooks/11_exam_review.html"
SHOTS = SCREENSHOTS / "docs"


def _pages() -> list[str]:
    """Every page (the theme also leaves two template fragments in _static/)."""
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html") if "_static" not in p.parts)


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / LANDING).exists():
        pytest.fail("no site in build/site: run `make docs` first")
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SITE


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def http_base(site):
    """build/site on a static file server on loopback, as GitHub Pages would serve it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(params=["http", "file"])
def base(request, site):
    """Each browser test runs against the static server and against file:// pages."""
    return request.getfixturevalue("http_base") if request.param == "http" else site.as_uri() + "/"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.watch = Watch(tab)
    yield tab
    context.close()


def _broken_images(page) -> list[str]:
    return page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")


# -- every page -------------------------------------------------------------------------------

def test_every_page_loads_with_its_images_and_nothing_from_another_host(page, base, site):
    pages = _pages()
    assert len(pages) >= 31, pages
    problems = []
    for name in pages:
        page.goto(base + name, wait_until="load")
        if name == "index.html":                      # forwards to the landing page
            page.wait_for_url(base + LANDING, wait_until="load")
        problems += [f"{name}: {p}" for p in page.watch.take()]
        problems += [f"{name}: image did not load: {src}" for src in _broken_images(page)]
        problems += [f"{name}: {p}" for p in _cut_off(page)]
    assert not problems, "\n".join(problems)


def _cut_off(page) -> list[str]:
    """What a reader cannot see whole at the test's width: a page's table of contents wider than
    its column (a long API name), or a table that scrolls sideways (the ledger's five columns)."""
    return page.evaluate("""() => {
        const found = [];
        const toc = document.querySelector('.bd-sidebar-secondary');
        if (toc && toc.scrollWidth > toc.clientWidth + 1) found.push('the page contents are cut off on the right');
        document.querySelectorAll('.pst-scrollable-table-container').forEach(c => {
            if (c.scrollWidth > c.clientWidth + 1) found.push('a table scrolls sideways: ' + c.querySelector('tr').textContent.trim().slice(0, 60));
        });
        return found;
    }""")


def test_the_pages_look_right(page, base):
    """Screenshots for a maintainer to look at (build/screenshots/docs/), and the basics of a page."""
    kind = "http" if base.startswith("http") else "file"
    for name, shot in [(LANDING, "landing"), ("notebooks/04_envelope_encryption.html", "lesson-04"),
                       ("labs/02_envelope_encryption.html", "lab-02"), ("docs/moto-vs-aws.html", "moto-vs-aws")]:
        page.goto(base + name, wait_until="load")
        page.screenshot(path=SHOTS / f"{kind}-{shot}.png")
        assert page.locator("nav.bd-docs-nav").count() == 1, f"{name}: no sidebar"
    page.goto(base + "notebooks/04_envelope_encryption.html", wait_until="load")
    assert page.locator(".highlight button.copybtn").count() > 3, "code cells have copy buttons"
    page.locator("img").first.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / f"{kind}-lesson-04-figure.png")
    assert not page.watch.take()


# -- navigation ---------------------------------------------------------------------------------

def _course_pages() -> list[str]:
    rows = site_extension().course((ROOT / "README.md").read_text(encoding="utf-8"))
    return [f"{doc}.html" for row in rows for doc in row if doc]


def test_next_from_the_landing_page_walks_the_course_to_the_last_lesson(page, base):
    page.goto(base + LANDING, wait_until="load")
    visited = []
    while not page.url.endswith(LAST_LESSON) and len(visited) < 40:
        page.locator("a.right-next").first.click()
        page.wait_for_load_state("load")
        visited.append(page.url[len(base):].split("#")[0])
    assert visited == _course_pages()
    assert visited[:4] == ["notebooks/00_start_here.html", "notebooks/01_three_kinds_of_encryption.html",
                           "labs/01_three_kinds_of_encryption.html", "notebooks/02_kms_fundamentals.html"]
    assert not page.watch.take()


def test_the_sidebar_nests_each_lab_under_its_lesson(page, base):
    page.goto(base + LANDING, wait_until="load")
    nav = page.locator("nav.bd-docs-nav")
    captions = nav.locator("p.caption").all_inner_texts()
    assert captions[:4] == ["Course", "Practice", "Lab solutions", "Reference"], captions
    lesson = nav.locator("li.toctree-l1", has=page.locator("a", has_text="04 · Envelope encryption"))
    assert lesson.locator("li.toctree-l2 a").all_inner_texts() == ["Lab 02 · Envelope encryption"]


def test_labs_link_their_solution_and_back(page, base):
    page.goto(base + "labs/02_envelope_encryption.html", wait_until="load")
    page.locator(".kmslab-lab-note a").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("labs/solutions/02_envelope_encryption_solution.html")
    page.locator(".kmslab-lab-note a").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("labs/02_envelope_encryption.html")


def test_the_review_lesson_points_at_the_quiz(page, base):
    page.goto(base + LAST_LESSON, wait_until="load")
    page.locator(".kmslab-quiz-note a").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("site/quiz.html")


def test_a_jupyterlab_heading_link_lands_on_the_heading(page, base):
    """Lesson 11 links lesson sections the JupyterLab way (`04_envelope_encryption.ipynb#1.-Generate...`)."""
    page.goto(base + LAST_LESSON, wait_until="load")
    answer = page.locator("details", has=page.locator("a[href*='04_envelope_encryption.html#']")).first
    answer.locator("summary").click()                 # the link is in a question's answer
    link = answer.locator("a[href*='04_envelope_encryption.html#']").first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_load_state("load")
    fragment = href.split("#", 1)[1]
    assert page.url.split("#")[0].endswith("notebooks/04_envelope_encryption.html")
    heading = page.locator(f"section[id='{fragment}'] > :is(h1, h2, h3, h4)").first
    assert heading.inner_text().startswith("1. GenerateDataKey")


# -- search and quiz -------------------------------------------------------------------------

def test_search_for_generatedatakey_lists_the_envelope_lesson(page, base):
    page.goto(base + "search.html?q=GenerateDataKey", wait_until="load")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=15_000)
    titles = results.locator("a").all_inner_texts()
    page.screenshot(path=SHOTS / f"{base.split(':')[0]}-search.png")
    assert any(t.startswith("04 · Envelope encryption") for t in titles), titles
    assert not page.watch.take()


def _answer(page, question_id: str, *choices: int) -> str:
    box = page.locator(f"#q-{question_id}")
    for choice in choices:
        box.locator(f"input[value='{choice}']").check()
    box.locator("button[type=submit]").click()
    return box.locator(".kmslab-quiz-verdict").inner_text()


def test_the_quiz_marks_right_and_wrong_answers(page, base):
    page.goto(base + "site/quiz.html", wait_until="load")
    right = page.locator("#q-enc-types-01")
    assert _answer(page, "enc-types-01", 2).startswith("Right")
    assert right.locator(".kmslab-quiz-explanation").is_visible()
    assert "encrypt the data before you send it" in right.locator(".kmslab-quiz-explanation").inner_text()

    wrong = page.locator("#q-enc-types-02")
    assert not wrong.locator(".kmslab-quiz-lesson").is_visible()
    assert _answer(page, "enc-types-02", 0).startswith("Wrong")
    assert not wrong.locator(".kmslab-quiz-explanation").is_visible(), "a wrong answer keeps the answer hidden"
    assert wrong.locator(".kmslab-quiz-lesson").is_visible()

    # "Choose two": one pick is not enough, the right pair is right.
    assert _answer(page, "enc-types-03", 0) == "This question wants 2 answers, then press Check."
    assert _answer(page, "enc-types-03", 2).startswith("Right")
    assert page.locator(".kmslab-quiz-score").inner_text() == f"Answered right: 2 of {_bank_size()}."
    page.screenshot(path=SHOTS / f"{base.split(':')[0]}-quiz.png")

    wrong.locator(".kmslab-quiz-lesson a").click()
    page.wait_for_load_state("load")
    fragment = unquote(urlsplit(page.url).fragment)
    assert page.url.split("#")[0].endswith("notebooks/01_three_kinds_of_encryption.html")
    assert page.locator(f"section[id='{fragment}'] h2").inner_text().startswith("2. What an eavesdropper sees")
    assert not page.watch.take()


def _bank_size() -> int:
    from kmslab.teach import quiz

    return len(quiz.load())


# -- without a browser: the files themselves --------------------------------------------------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.resources = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag in {"script", "img", "iframe", "source"} and attrs.get("src"):
            self.resources.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.resources.append(attrs["href"])


def test_every_internal_link_and_anchor_exists(site):
    parsed = {}
    for name in _pages():
        links = _Links()
        links.feed((site / name).read_text(encoding="utf-8"))
        parsed[name] = links
    broken = []
    for name, links in parsed.items():
        for href in links.hrefs:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//"):
                continue
            target = (site / name).parent / unquote(parts.path) if parts.path else site / name
            target_name = target.resolve().relative_to(site.resolve()).as_posix()
            if not target.exists():
                broken.append(f"{name}: {href} (no such file)")
            elif parts.fragment and target_name in parsed and unquote(parts.fragment) not in parsed[target_name].ids:
                broken.append(f"{name}: {href} (no such anchor)")
        external = [r for r in links.resources if urlsplit(r).scheme in {"http", "https"} or r.startswith("//")]
        broken += [f"{name}: loads {r}" for r in external]
    assert not broken, "\n".join(broken)


def test_the_site_is_small(site):
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    assert size <= 30 * 2**20, f"the site is {size / 2**20:.1f} MiB"
