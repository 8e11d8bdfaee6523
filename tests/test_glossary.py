"""The glossary: helpers/kmslab/data/glossary.json and docs/glossary.md generated from it. Every
term links the lesson section that teaches it, and every link lands on a real heading."""
from __future__ import annotations

import re

import pytest

from kmslab import glossary, sources
from kmslab.notebooks import ROOT
from kmslab.teach import quiz

TERMS = glossary.load()
PAGE = ROOT / glossary.PAGE


def test_the_terms_the_issue_names_are_there():
    names = " | ".join(t.term for t in TERMS)
    for term in ("KMS key", "CMK", "Data key", "Envelope encryption", "AAD", "Encryption context",
                 "Key material", "Origin", "Grant", "Grant token", "Multi-Region key (MRK)", "Key spec",
                 "Key usage", "Alias", "Key policy"):
        assert term in names, term


def test_glossary_page_is_current():
    assert PAGE.read_text(encoding="utf-8") == glossary.render(TERMS), (
        f"{glossary.PAGE} is stale: run python -m kmslab.glossary --render {glossary.PAGE}")


@pytest.mark.parametrize("term", TERMS, ids=lambda t: t.anchor)
def test_every_term_names_a_real_lesson_section(term):
    notebook = ROOT / "notebooks" / term.lesson
    assert notebook.exists(), f"{term.term}: no lesson {term.lesson}"
    assert term.section in quiz.headings(notebook), f"{term.term}: {term.lesson} has no heading {term.section!r}"


def test_every_link_on_the_page_lands_on_a_heading():
    """The page's links are what a reader clicks: ../notebooks/NN_x.ipynb#<the id JupyterLab gives
    the heading> (spaces to dashes, inline code unwrapped)."""
    links = re.findall(r"\]\(\.\./notebooks/([\w.]+\.ipynb)#([^)]+)\)", PAGE.read_text(encoding="utf-8"))
    assert len(links) == len(TERMS)
    for notebook, anchor in links:
        anchors = {quiz.heading_anchor(h) for h in quiz.headings(ROOT / "notebooks" / notebook)}
        assert anchor in anchors, f"{notebook}#{anchor}"


@pytest.mark.parametrize("term", TERMS, ids=lambda t: t.anchor)
def test_numbers_in_a_definition_agree_with_its_sources(term):
    assert all(s in sources.load() for s in term.sources), term.sources
    if sources.mentions(term.definition):
        assert term.sources, f"{term.term}: states numbers; name its entries of data/sources.json"
        assert sources.check_numbers(term.definition, term.sources, current_only=True) == []


def test_validation_names_the_problem():
    data = {"terms": [{"term": "B", "definition": "x", "lesson": "02_kms_fundamentals.ipynb", "section": "s"},
                      {"term": "A", "definition": "y", "lesson": "02_kms_fundamentals.ipynb", "section": "s"}]}
    with pytest.raises(glossary.GlossaryError, match="alphabetical"):
        glossary.validate(data)
    data["terms"][0]["definition"] = "two\nlines"
    with pytest.raises(glossary.GlossaryError, match="one line"):
        glossary.validate(data)


def test_links_need_no_escaping():
    """A browser percent-encodes non-ASCII characters in a URL fragment and JupyterLab compares the
    fragment with the heading id as it is, so the glossary links only to ASCII headings (titles with
    '·' are out), and to none with parentheses, which end a Markdown link in some renderers."""
    for term in TERMS:
        anchor = quiz.heading_anchor(term.section)
        assert anchor.isascii() and "(" not in anchor and ")" not in anchor, f"{term.term}: {anchor}"
