"""Every link a learner can click leads somewhere, and clicking alone reaches the whole course.

- Every relative link in a Markdown cell (lessons, lab starters, solutions), in docs/*.md and in
  the README opens a file that exists, and its `#anchor`, if any, is the id JupyterLab gives one
  of that file's headings (kmslab.teach.markdown.heading_id). The quiz bank's links too.
- A link to a heading of another notebook names that heading in its text: JupyterLab 4 opens a
  notebook that is not open yet at its top, so the learner must know which section to find.
- "Next" follows the README's course table: a lesson links its lab, the lab links the next
  lesson, and a lesson without a lab links the next lesson.
- From lesson 00, following links reaches every lesson, lab, solution and docs/*.md file.
"""
from __future__ import annotations

import posixpath
import re
from collections import deque
from pathlib import Path
from urllib.parse import unquote

import pytest

from kmslab.notebooks import ROOT
from kmslab.teach import markdown, quiz

START = "notebooks/00_start_here.ipynb"


def course_files(root: Path = ROOT) -> list[str]:
    """What a learner must be able to reach: every notebook and every docs/*.md, root-relative."""
    found = []
    for pattern in ("notebooks/*.ipynb", "labs/*.ipynb", "labs/solutions/*.ipynb", "docs/*.md"):
        found += sorted(p.relative_to(root).as_posix() for p in root.glob(pattern))
    return found


SOURCES = course_files() + ["README.md"]


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target))


def resolve(source: str, target: str) -> tuple[str, str]:
    """(root-relative file, anchor) that `target`, written in `source`, opens."""
    file, _, anchor = target.partition("#")
    path = posixpath.normpath(posixpath.join(posixpath.dirname(source), unquote(file))) if file else source
    return path, unquote(anchor)


def link_problem(source: str, target: str, root: Path = ROOT) -> str | None:
    """None if the link opens what it names, else what is wrong."""
    path, anchor = resolve(source, target)
    if path.startswith("../"):
        return f"{target} points outside the project"
    if not (root / path).exists():
        return f"{target}: {path} does not exist"
    if anchor and (root / path).suffix in (".ipynb", ".md"):
        if anchor not in markdown.anchor_ids(root / path):
            return f"{target}: {path} has no heading with the id {anchor!r}"
    return None


def relative_links(source: str, root: Path = ROOT) -> list[str]:
    return [target for _, target in relative_links_with_text(source, root)]


def relative_links_with_text(source: str, root: Path = ROOT) -> list[tuple[str, str]]:
    return [(text, target) for cell in markdown.markdown_cells(root / source)
            for text, target in markdown.links(cell) if not is_external(target)]


def _norm(text: str) -> str:
    return " ".join(markdown.plain(text).replace("“", '"').replace("”", '"').split()).casefold()


def unnamed_heading(source: str, text: str, target: str, root: Path = ROOT) -> str | None:
    """What is wrong when a link into another notebook does not name the heading it opens."""
    path, anchor = resolve(source, target)
    if not anchor or path == source or not path.endswith(".ipynb") or not (root / path).exists():
        return None
    named = {markdown.heading_id(h): h for h in markdown.notebook_headings(root / path)}.get(anchor)
    if named is None or _norm(named) in _norm(text):
        return None
    return f"[{' '.join(text.split())}]({target}): the text does not name the heading {named!r}"


def reachable(start: str = START, root: Path = ROOT) -> set[str]:
    """Every file reached from `start` by following relative links in notebooks and Markdown files."""
    seen, queue = {start}, deque([start])
    while queue:
        source = queue.popleft()
        if Path(source).suffix not in (".ipynb", ".md"):
            continue
        for target in relative_links(source, root):
            path, _ = resolve(source, target)
            if path not in seen and (root / path).exists():
                seen.add(path)
                queue.append(path)
    return seen


def course_table(root: Path = ROOT) -> list[tuple[str, str | None]]:
    """(lesson, lab or None) in the order of the README's course table."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    rows = []
    for line in readme[readme.index("| Lesson | Topic | Lab |"):].splitlines()[2:]:
        if not line.startswith("|"):
            break
        lesson, _, lab = [c.strip() for c in line.strip("|").split("|")]
        lab_link = markdown.links(lab)
        rows.append((markdown.links(lesson)[0][1], lab_link[0][1] if lab_link else None))
    return rows


def next_links(path: str, root: Path = ROOT) -> list[str]:
    """Root-relative files the notebook's "**Next:**" line links, in order."""
    lines = [line for cell in markdown.markdown_cells(root / path) for line in cell.splitlines()
             if line.startswith("**Next:**")]
    assert len(lines) == 1, f"{path}: expected one line starting with **Next:**, found {len(lines)}"
    return [resolve(path, target)[0] for _, target in markdown.links(lines[0])]


# -- the course as it is ------------------------------------------------------------------------

@pytest.mark.parametrize("source", SOURCES)
def test_every_relative_link_opens_what_it_names(source):
    problems = [p for p in (link_problem(source, t) for t in relative_links(source)) if p]
    assert not problems, f"{source}:\n" + "\n".join(problems)


@pytest.mark.parametrize("source", [s for s in SOURCES if s.endswith(".ipynb")])
def test_a_link_to_a_heading_in_another_notebook_names_it(source):
    problems = [p for p in (unnamed_heading(source, text, t) for text, t in relative_links_with_text(source)) if p]
    assert not problems, f"{source}:\n" + "\n".join(problems)


def test_quiz_links_open_the_lesson_section():
    """Quiz answers and feedback link lesson sections, relative to notebooks/ (lesson 11)."""
    for q in quiz.load():
        for _, target in markdown.links(q.link) + markdown.links(quiz.markdown(q)):
            assert link_problem(f"notebooks/{quiz.REVIEW_LESSON}", target) is None, (q.id, target)


def test_the_course_table_names_real_lessons_and_labs():
    table = course_table()
    assert [lesson for lesson, _ in table] == sorted(course_files() and
                                                      [f for f in course_files() if f.startswith("notebooks/")])
    assert sorted(lab for _, lab in table if lab) == [f for f in course_files() if re.match(r"labs/\d", f)]


@pytest.mark.parametrize("index", range(len(course_table()) - 1))
def test_next_goes_lesson_then_its_lab_then_the_next_lesson(index):
    table = course_table()
    (lesson, lab), (following, _) = table[index], table[index + 1]
    if lab:
        assert next_links(lesson) == [lab, following], f"{lesson}: Next must link {lab}, then {following}"
        assert next_links(lab) == [following], f"{lab}: Next must link {following}"
        solution = f"labs/solutions/{Path(lab).stem}_solution.ipynb"
        assert next_links(solution) == [following], f"{solution}: Next must link {following}"
    else:
        assert next_links(lesson) == [following], f"{lesson}: Next must link {following}"


def test_every_lesson_lab_solution_and_doc_is_reachable_from_lesson_00():
    missing = sorted(set(course_files()) - reachable())
    assert not missing, "not reachable by clicking links from lesson 00:\n" + "\n".join(missing)


# -- the checks above can fail ------------------------------------------------------------------

def _notebook(path: Path, *cells: str) -> None:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(c) for c in cells]), path)


def test_link_problems_are_found(tmp_path):
    _notebook(tmp_path / "notebooks" / "01_a.ipynb", "# 01 · A\n## 2. What `x` means")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("# Notes\n\n## Two words\n")
    source = "labs/solutions/01_a_solution.ipynb"
    assert link_problem(source, "../../notebooks/01_a.ipynb#2.-What-x-means", tmp_path) is None
    assert link_problem(source, "../../docs/notes.md#Two-words", tmp_path) is None
    assert "does not exist" in link_problem(source, "../notebooks/01_a.ipynb", tmp_path)   # one ../ short
    assert "no heading" in link_problem(source, "../../notebooks/01_a.ipynb#2.-What-`x`-means", tmp_path)
    assert "no heading" in link_problem(source, "../../docs/notes.md#two-words", tmp_path)
    assert "outside the project" in link_problem("notebooks/x.ipynb", "../../etc/passwd", tmp_path)


def test_unreachable_files_are_found(tmp_path):
    _notebook(tmp_path / "notebooks" / "00_start_here.ipynb", "[lab](../labs/01_a.ipynb) [doc](../docs/a.md)")
    _notebook(tmp_path / "labs" / "01_a.ipynb", "[solution](solutions/01_a_solution.ipynb)")
    _notebook(tmp_path / "labs" / "solutions" / "01_a_solution.ipynb", "no links")
    _notebook(tmp_path / "notebooks" / "01_orphan.ipynb", "nobody links me")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("[b](b.md)")
    (tmp_path / "docs" / "b.md").write_text("end")
    (tmp_path / "docs" / "c.md").write_text("orphan")
    assert set(course_files(tmp_path)) - reachable(root=tmp_path) == {"notebooks/01_orphan.ipynb", "docs/c.md"}
