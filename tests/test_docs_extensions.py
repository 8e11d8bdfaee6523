"""The site's Sphinx extensions (site/_ext), on a small project built with the real site/conf.py:
links written the JupyterLab way resolve, a missing heading fails, files that are not pages go to
the repository, the course order comes from the README. Run by `make docs-test`."""
from __future__ import annotations

import io
import shutil
import sys

import nbformat
import pytest

from kmslab.notebooks import ROOT

pytestmark = pytest.mark.docs

README = """# A course

<!-- site:intro:start -->
Intro, linking [the design](docs/design.md).
<!-- site:intro:end -->

<!-- site:course-table:start -->
| Lesson | Topic | Lab |
|---|---|---|
| [01](notebooks/01_one.ipynb) | One | [lab 01](labs/01_one.ipynb) |
| [02](notebooks/02_two.ipynb) | Two | |
<!-- site:course-table:end -->
"""


def _notebook(path, *markdown):
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown])
    path.write_text(nbformat.writes(nb))


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "site" / "_ext"))
    shutil.copytree(ROOT / "site", tmp_path / "site", ignore=shutil.ignore_patterns("*.md"))
    (tmp_path / "site" / "index.md").write_text(
        "# A course\n\n```{include} ../README.md\n:start-after: <!-- site:intro:start -->\n"
        ":end-before: <!-- site:intro:end -->\n```\n\n```{kmslab-toctrees}\n```\n")
    (tmp_path / "README.md").write_text(README)
    (tmp_path / "Makefile").write_text("all:\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "design.md").write_text(
        '# Design\n\n<a id="one-rule"></a>\n\n**One rule, one place.** [Back](#one-rule)\n')
    _notebook(tmp_path / "notebooks" / "01_one.ipynb",
              "# 01 · One\n\n## 2. `GenerateDataKey`, step by step\n\nText.",
              "## Summary\n\n[Next](02_two.ipynb)")
    _notebook(tmp_path / "notebooks" / "02_two.ipynb",
              "# 02 · Two\n\n"
              "- [JupyterLab anchor](01_one.ipynb#2.-GenerateDataKey,-step-by-step)\n"
              "- [MyST slug](01_one.ipynb#2-generatedatakey-step-by-step)\n"
              "- [an HTML anchor](../docs/design.md#one-rule)\n"
              "- [the Makefile](../Makefile) and [the labs folder](../labs/)\n")
    lab = ("# Lab 01 · One\n\nFollows [lesson 01](../notebooks/01_one.ipynb#Summary).",)
    _notebook(tmp_path / "labs" / "01_one.ipynb", *lab)
    _notebook(tmp_path / "labs" / "solutions" / "01_one_solution.ipynb",
              "# Lab 01 solution · One\n\nFollows [lesson 01](../../notebooks/01_one.ipynb#Summary).")
    return tmp_path


def _build(root, **overrides):
    from sphinx.application import Sphinx
    from sphinx.util.console import nocolor

    nocolor()
    warnings = io.StringIO()
    app = Sphinx(str(root), str(root / "site"), str(root / "build" / "site"), str(root / "build" / "doctrees"),
                 "html", confoverrides=overrides, status=None, warning=warnings, freshenv=True)
    app.build()
    for module in ("kmslab_site", "kmslab_quiz"):
        sys.modules.pop(module, None)
    return app, warnings.getvalue()


def _html(root, page):
    return (root / "build" / "site" / page).read_text()


def test_links_resolve_the_way_jupyterlab_and_github_write_them(project):
    app, warnings = _build(project)
    assert warnings == ""
    assert 'href="../docs/design.html"' in _html(project, "site/index.html"), "README links, read from README"
    two = _html(project, "notebooks/02_two.html")
    assert two.count('href="01_one.html#generatedatakey-step-by-step"') == 2
    assert 'href="../docs/design.html#one-rule"' in two
    assert '<a class="reference internal" href="#one-rule">' in _html(project, "docs/design.html")
    # Files that are not pages: plain text without a repository URL, and nothing copied.
    assert "the Makefile" in two and "Makefile" not in "".join(p.name for p in (project / "build" / "site").rglob("*"))
    assert 'href="../Makefile"' not in two
    # A solution's link reaches the lesson; labs and solutions link each other.
    solved = _html(project, "labs/solutions/01_one_solution.html")
    assert 'href="../../notebooks/01_one.html#summary"' in solved
    assert 'href="../01_one.html"' in solved and 'href="solutions/01_one_solution.html"' in _html(project, "labs/01_one.html")


def test_the_course_order_comes_from_the_readme_with_each_lab_after_its_lesson(project):
    app, _ = _build(project)
    relations = app.env.collect_relations()
    order, doc = [], "site/index"
    while doc:
        order.append(doc)
        doc = relations[doc][2]
    assert order[:4] == ["site/index", "notebooks/01_one", "labs/01_one", "notebooks/02_two"]
    assert order[4:] == ["labs/solutions/01_one_solution", "docs/design"]
    assert relations["labs/01_one"][0] == "notebooks/01_one", "the lab is nested under its lesson"


def test_links_to_files_go_to_the_repository_when_it_is_known(project):
    _build(project, kmslab_repository_url="https://github.com/example/kmslab")
    two = _html(project, "notebooks/02_two.html")
    assert 'href="https://github.com/example/kmslab/blob/main/Makefile"' in two
    assert 'href="https://github.com/example/kmslab/tree/main/labs"' in two


def test_a_link_to_a_missing_heading_fails_the_build(project):
    path = project / "notebooks" / "02_two.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("[gone](01_one.ipynb#3.-No-such-section)"))
    nbformat.write(nb, path)
    _, warnings = _build(project)
    assert "local id not found in doc 'notebooks/01_one': '3.-No-such-section'" in warnings


def test_the_readme_course_table_is_read_in_order(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "site" / "_ext"))
    from kmslab_site import course

    rows = course((ROOT / "README.md").read_text())
    assert [lesson for lesson, _ in rows] == sorted(f"notebooks/{p.stem}" for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert [lab for _, lab in rows if lab] == sorted(f"labs/{p.stem}" for p in (ROOT / "labs").glob("*.ipynb"))
    assert dict(rows)["notebooks/04_envelope_encryption"] == "labs/02_envelope_encryption"


def test_quiz_text_is_markdown_without_maths_or_raw_html(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "site" / "_ext"))
    from kmslab_quiz import inline

    assert inline(r"costs \$1 a month, \$3 at most") == "costs $1 a month, $3 at most"
    assert inline("alias aws/<service>, `kms:ViaService`") == \
        "alias aws/&lt;service&gt;, <code>kms:ViaService</code>"
    assert inline("Create*, Describe*, Enable*") == "Create*, Describe*, Enable*"
