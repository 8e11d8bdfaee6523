"""`kmslab-quiz`: the question bank (kmslab/data/questions.json) as a page a reader answers.

Each question is a small HTML form; site/_static/kmslab-quiz.js checks the answer in the
browser (no server), then shows the explanation and a link to the lesson section. The link is
an ordinary cross-reference, so a question that names a missing heading fails the build.

Why not jupyterquiz: it names its elements with random ids (outputs differ on every run),
reads `$...$` as maths and falls back to MathJax from a CDN, and wants its own question format.
"""
from __future__ import annotations

import html
import re
from importlib import resources

from docutils import nodes
from markdown_it import MarkdownIt
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util.docutils import SphinxDirective

from kmslab.teach import quiz

# Question text is Markdown for `code` and escapes (`\$` is a dollar sign); raw HTML stays text.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
QUIZ = "site/quiz"
_LINK_TARGET = re.compile(r"\]\((?P<notebook>[^)#]+)\.ipynb#(?P<anchor>.*)\)$")


def inline(text: str) -> str:
    """Inline Markdown as HTML: `code`, *emphasis* and backslash escapes; no raw HTML, no maths."""
    return _MARKDOWN.renderInline(text)


def lesson_target(q: quiz.Question) -> tuple[str, str]:
    """(docname, JupyterLab anchor) of the question's lesson section, from Question.link."""
    match = _LINK_TARGET.search(q.link)
    return "notebooks/" + match["notebook"], match["anchor"]


def form_html(q: quiz.Question, number: int) -> str:
    kind = "checkbox" if len(q.answer) > 1 else "radio"
    choices = "\n".join(
        f'<li><label><input type="{kind}" name="{q.id}" value="{i}"> '
        f'<strong>{quiz.LETTERS[i]}.</strong> {inline(choice)}</label></li>'
        for i, choice in enumerate(q.choices))
    return (
        f'<form class="kmslab-quiz-form" data-answer="{",".join(map(str, q.answer))}">\n'
        f'<p class="kmslab-quiz-question"><strong>Q{number}</strong> '
        f'<code class="kmslab-quiz-id">{html.escape(q.id)}</code> {inline(q.question)}</p>\n'
        f'<ul class="kmslab-quiz-choices">\n{choices}\n</ul>\n'
        '<p class="kmslab-quiz-buttons"><button type="submit">Check</button> '
        '<button type="button" class="kmslab-quiz-reveal">Show the answer</button></p>\n'
        '<p class="kmslab-quiz-verdict" aria-live="polite"></p>\n</form>')


class Quiz(SphinxDirective):
    """Every question of the bank, grouped by DVA-C02 topic (one section each)."""

    def run(self) -> list[nodes.Node]:
        bank = quiz.load()
        self.env.note_dependency(str(resources.files("kmslab").joinpath("data", quiz.BANK)))
        sections, number = [], 0
        for tag, topic in quiz.TOPICS.items():
            questions = [q for q in bank if q.topic == tag]
            if not questions:
                continue
            section = nodes.section(ids=[f"quiz-{tag}"], names=[nodes.fully_normalize_name(topic.title)])
            section += nodes.title(topic.title, topic.title)
            for q in questions:
                number += 1
                section += self.question(q, number)
            sections.append(section)
        score = nodes.raw("", '<p class="kmslab-quiz-score" aria-live="polite"></p>', format="html")
        return [score, *sections]

    def question(self, q: quiz.Question, number: int) -> nodes.Node:
        docname, anchor = lesson_target(q)
        link = addnodes.pending_xref(
            "", nodes.inline("", f"lesson {q.lesson[:2]} › {q.section}"), refdomain="doc", reftype="myst",
            reftarget=docname, reftargetid=anchor, refdoc=self.env.docname, refexplicit=True)
        self.set_source_info(link)
        box = nodes.container(classes=["kmslab-quiz-q"], ids=[f"q-{q.id}"])
        box += nodes.raw("", form_html(q, number), format="html")
        box += nodes.raw("", f'<p class="kmslab-quiz-explanation"><strong>Answer: {", ".join(q.letters)}.</strong> '
                             f'{inline(q.explanation)}</p>', format="html")
        box += nodes.paragraph("", "Read: ", link, classes=["kmslab-quiz-lesson"])
        return box


class ReviewNote(SphinxTransform):
    """The exam-review lesson asks its questions in code cells, which do not run on a web page:
    it points at the quiz page, where they can be answered."""

    default_priority = 500

    def apply(self, **kwargs) -> None:
        if self.env.docname != "notebooks/" + quiz.REVIEW_LESSON[:-len(".ipynb")] or QUIZ not in self.env.found_docs:
            return
        section = next(iter(self.document.findall(nodes.section)), None)
        if section is None:
            return
        ref = addnodes.pending_xref("", nodes.inline("", "the quiz page"), refdomain="std", reftype="doc",
                                    reftarget="/" + QUIZ, refexplicit=True, refwarn=True,
                                    refdoc=self.env.docname)
        para = nodes.paragraph("", "On this site the code cells do not run: answer the questions on ",
                               ref, nodes.Text(", which checks them in your browser."))
        section.insert(1, nodes.admonition("", nodes.title("", "Quiz"), para, classes=["tip", "kmslab-quiz-note"]))


def setup(app: Sphinx) -> dict:
    app.add_directive("kmslab-quiz", Quiz)
    app.add_transform(ReviewNote)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
