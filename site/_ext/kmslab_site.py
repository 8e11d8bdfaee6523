"""The site's structure and links, read from the project's own files (make docs).

- `kmslab-toctrees` (site/index.md) builds the sidebar and prev/next in course order from the
  README's course table: each lesson, then its lab (nested under the lesson), then the quiz,
  the lab solutions and docs/*.md.
- Links written the JupyterLab way, `03_symmetric_keys.ipynb#The-4096-byte-limit` (heading text,
  spaces as dashes, case kept), resolve like MyST's own heading anchors; one that matches no
  heading fails the build, like any other broken link.
- A link to a repository file that is not a page (`../Makefile`, `../helpers/...py`) goes to the
  repository (`kmslab_repository_url`), or stays plain text when none is set.
- Lab starters link their solved copy, and solutions link back.
"""
from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

COURSE_TABLE = ("<!-- site:course-table:start -->", "<!-- site:course-table:end -->")
_NOTEBOOK_LINK = re.compile(r"\]\(((?:notebooks|labs)/[^)#\s]+)\.ipynb\)")
QUIZ = "site/quiz"
# docs/*.md in this order; any other docs/*.md follow, by name.
REFERENCE = ("docs/design", "docs/moto-vs-aws", "docs/coverage", "docs/glossary", "docs/sources")


def course(readme: str) -> list[tuple[str, str | None]]:
    """(lesson, lab or None) for each row of the README's course table, as docnames."""
    start, end = COURSE_TABLE
    if start not in readme or end not in readme:
        raise ValueError(f"README.md must mark its course table with {start} and {end}")
    rows = []
    for line in readme.split(start, 1)[1].split(end, 1)[0].splitlines():
        links = _NOTEBOOK_LINK.findall(line)
        lessons = [d for d in links if d.startswith("notebooks/")]
        labs = [d for d in links if d.startswith("labs/")]
        if lessons:
            rows.append((lessons[0], labs[0] if labs else None))
    return rows


def solution_of(lab: str) -> str:
    """labs/01_x -> labs/solutions/01_x_solution"""
    return "labs/solutions/" + lab.split("/", 1)[1] + "_solution"


def lab_of(solution: str) -> str:
    """labs/solutions/01_x_solution -> labs/01_x"""
    return "labs/" + solution.rsplit("/", 1)[1].removesuffix("_solution")


def jupyterlab_anchor(heading_text: str) -> str:
    """The id JupyterLab gives a heading: its text, with spaces as dashes, case kept."""
    return heading_text.replace(" ", "-")


def _readme(app: Sphinx) -> Path:
    return Path(app.srcdir) / "README.md"


def _course(app: Sphinx) -> list[tuple[str, str | None]]:
    if not hasattr(app, "kmslab_course"):
        try:
            app.kmslab_course = course(_readme(app).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            logger.warning("no course order for the site: %s", error)
            app.kmslab_course = []
    return app.kmslab_course


def _toctree(docname: str, caption: str | None, entries: list[tuple[str | None, str]]) -> nodes.Node:
    node = addnodes.toctree()
    node.update_all_atts({
        "parent": docname, "entries": entries, "includefiles": [doc for _, doc in entries],
        "maxdepth": -1, "caption": caption, "glob": False, "hidden": True, "includehidden": False,
        "numbered": 0, "titlesonly": True, "rawentries": [],
    })
    return nodes.compound("", node, classes=["toctree-wrapper"])


def _notebook_title(path: Path) -> str | None:
    import json

    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


class CourseToctrees(SphinxDirective):
    """The site's hidden toctrees, in course order (see the module docstring)."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(_readme(self.env.app)))
        rows = _course(self.env.app)
        found = self.env.found_docs
        missing = [d for row in rows for d in row if d and d not in found]
        if missing:
            logger.warning("the README's course table links notebooks that are not pages: %s",
                           ", ".join(missing), location=self.get_location())
        solutions = []
        for _, lab in rows:
            if lab and solution_of(lab) in found:
                title = _notebook_title(Path(self.env.srcdir) / (solution_of(lab) + ".ipynb")) or lab
                solutions.append((f"{title} (solved)", solution_of(lab)))
        reference = [d for d in REFERENCE if d in found]
        reference += sorted(d for d in found if d.startswith("docs/") and d not in reference)
        me = self.env.docname
        return [
            _toctree(me, "Course", [(None, lesson) for lesson, _ in rows if lesson in found]),
            _toctree(me, "Practice", [(None, QUIZ)] if QUIZ in found else []),
            _toctree(me, "Lab solutions", solutions),
            _toctree(me, "Reference", [(None, d) for d in reference]),
        ]


def nest_labs(app: Sphinx, doctree: nodes.document) -> None:
    """A lesson lists its lab in a hidden toctree: the sidebar nests it, prev/next visit it next.

    Runs before Sphinx's toctree collector reads the doctree (doctree-read, priority 400)."""
    docname = app.env.docname
    labs = [lab for lesson, lab in _course(app) if lesson == docname and lab]
    if not labs:
        return
    app.env.note_dependency(str(_readme(app)))
    section = next(iter(doctree.findall(nodes.section)), doctree)
    section += _toctree(docname, None, [(None, lab) for lab in labs])


class JupyterLabAnchors(SphinxTransform):
    """Anchors as JupyterLab and GitHub see them: every MyST heading slug gets a twin in
    JupyterLab's form, and an HTML anchor in Markdown (`<a id="alias"></a>`) becomes a target.

    MyST keeps a document's slugs as {slug: (line, id, text)} on the document and in
    env.metadata; its resolver (and ResolveAnchorIds, priority 879, for same-page links) reads them."""

    default_priority = 870
    _HTML_ID = re.compile(r"""<a\s[^>]*\bid=["']([^"']+)["']""")

    def apply(self, **kwargs) -> None:
        slugs = getattr(self.document, "myst_slugs", None) or {}
        for line, section_id, text in list(slugs.values()):
            slugs.setdefault(jupyterlab_anchor(text), (line, section_id, text))
        for raw in self.document.findall(nodes.raw):
            if "html" in raw.get("format", "").split():
                for html_id in self._HTML_ID.findall(raw.astext()):
                    slugs.setdefault(html_id, (raw.line or 0, html_id, html_id))
        if slugs:
            self.document.myst_slugs = slugs
            self.env.metadata[self.env.docname]["myst_slugs"] = slugs


class RepositoryLinks(SphinxTransform):
    """Links to repository files that are not pages."""

    default_priority = 500

    def apply(self, **kwargs) -> None:
        for node in list(self.document.findall(addnodes.download_reference)):
            if node.get("reftype") == "myst":
                self._to_repository(node, node["reftarget"])
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst" or node.get("refdomain") is not None:
                continue
            path, _, anchor = node["reftarget"].partition("#")
            if self._included_link(node, path, anchor):
                continue
            _, absolute = self.env.relfn2path(path, self.env.docname)
            if Path(absolute).is_dir():
                self._to_repository(node, path)

    def _repository_path(self, path: str) -> str | None:
        _, absolute = self.env.relfn2path(path, self.env.docname)
        try:
            return Path(absolute).resolve().relative_to(Path(self.env.srcdir).resolve()).as_posix()
        except ValueError:
            return None

    def _to_repository(self, node: nodes.Element, path: str) -> None:
        repo_path = self._repository_path(path)
        if repo_path is None:
            return
        base = self.config.kmslab_repository_url.rstrip("/")
        children = [child.deepcopy() for child in node.children] or [nodes.literal(path, path)]
        if base:
            kind = "tree" if (Path(self.env.srcdir) / repo_path).is_dir() else "blob"
            url = f"{base}/{kind}/{self.config.kmslab_repository_branch}/{repo_path}"
            new = nodes.reference("", "", *children, refuri=url, classes=["external"])
        else:
            new = nodes.inline("", "", *children)
        node.replace_self(new)

    def _resolve_from(self, node: nodes.Element, path: str, anchor: str, base_doc: str) -> bool:
        _, absolute = self.env.relfn2path(path, base_doc)
        target = self.env.path2doc(absolute)
        if target is None:
            return False
        node["refdomain"], node["reftarget"], node["reftargetid"] = "doc", target, anchor or None
        return True

    def _included_link(self, node: nodes.Element, path: str, anchor: str) -> bool:
        """A link in an included file ({include} of README.md) is relative to that file, as on GitHub."""
        source = node.source and Path(node.source)
        if not source or source == Path(self.env.doc2path(self.env.docname)) or not source.is_file():
            return False
        try:
            base = source.resolve().relative_to(Path(self.env.srcdir).resolve()).with_suffix("").as_posix()
        except ValueError:                                     # included from outside the project
            return False
        return self._resolve_from(node, path, anchor, base)


class LabNotes(SphinxTransform):
    """A lab starter links its solved copy; a solution links back to its lab."""

    default_priority = 500

    def apply(self, **kwargs) -> None:
        docname = self.env.docname
        if docname.startswith("labs/solutions/"):
            other, before, link, after = (lab_of(docname), "The solved copy of the ", "lab",
                                          ": only the cells tagged `learner` differ.")
        elif docname.startswith("labs/"):
            other, before, link, after = (solution_of(docname), "Run this lab in JupyterLab (`make lab`) to use "
                                          "its checks. Stuck? Read the ", "solved copy", ".")
        else:
            return
        if other not in self.env.found_docs:
            return
        ref = addnodes.pending_xref("", nodes.inline("", link), refdomain="std", reftype="doc",
                                    reftarget="/" + other, refexplicit=True, refwarn=True,
                                    refdoc=docname)
        para = nodes.paragraph("", "", *_inline_code(before), ref, *_inline_code(after))
        note = nodes.admonition("", nodes.title("", "Lab and solution"), para,
                                classes=["tip", "kmslab-lab-note"])
        section = next(iter(self.document.findall(nodes.section)), None)
        if section is not None:
            section.insert(1, note)


def _inline_code(text: str) -> list[nodes.Node]:
    parts = text.split("`")
    return [nodes.literal(p, p) if i % 2 else nodes.Text(p) for i, p in enumerate(parts) if p]


def setup(app: Sphinx) -> dict:
    app.add_config_value("kmslab_repository_url", "", "env", [str])
    app.add_config_value("kmslab_repository_branch", "main", "env", [str])
    app.add_directive("kmslab-toctrees", CourseToctrees)
    app.connect("doctree-read", nest_labs, priority=400)
    app.add_transform(JupyterLabAnchors)
    app.add_transform(RepositoryLinks)
    app.add_transform(LabNotes)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
