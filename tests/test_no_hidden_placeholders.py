"""No placeholder a learner reads may vanish as an HTML tag.

JupyterLab and the docs site (MyST) pass raw HTML in Markdown through: `arn:aws:kms:<region>:...`
renders as `arn:aws:kms::...`, because `<region>` is taken for an unknown tag and hidden, and
`<plaintext>` swallows the rest of the page. The course writes such a `<` as `&lt;` outside code
(`kmslab.teach.markdown.escape`, which every generated page and lesson 11 go through), and uses
raw HTML only on purpose: link anchors, the dollar sign's span, `<details>`, `<br>`, images.
"""
from __future__ import annotations

import pytest

from kmslab.notebooks import ROOT
from kmslab.teach import markdown

PAGES = sorted(p.relative_to(ROOT).as_posix() for pattern in (
    "notebooks/*.ipynb", "labs/*.ipynb", "labs/solutions/*.ipynb", "docs/*.md") for p in ROOT.glob(pattern)) \
    + ["README.md"]


def hidden_placeholders(text: str) -> list[str]:
    """The lines of Markdown `text` with a `<` outside code that opens none of the course's HTML."""
    return [line.strip() for line in markdown.prose(text).splitlines() if markdown.STRAY_LT.search(line)]


@pytest.mark.parametrize("page", PAGES)
def test_no_placeholder_is_taken_for_a_tag(page):
    found = [(n, line) for n, cell in enumerate(markdown.markdown_cells(ROOT / page))
             for line in hidden_placeholders(cell)]
    assert not found, f"{page}: write `<` as &lt; (or put it in code):\n" + "\n".join(
        f"  Markdown cell {n}: {line}" for n, line in found)


def test_the_rule_finds_placeholders_and_spares_the_course_html():
    assert hidden_placeholders("arn:aws:kms:<region>:<account>:key/<key-id>")
    assert hidden_placeholders("stores kms:<id>:<plaintext>")
    assert not hidden_placeholders('costs <span>\\$</span>1 <a id="x"></a> <br> <details><summary>A</summary>')
    assert not hidden_placeholders("`arn:aws:kms:<region>` and ```\n<any>\n```")
    assert not hidden_placeholders(markdown.escape("arn:aws:kms:<region>:x costs $1"))
    assert markdown.escape(markdown.escape("<x> $1")) == markdown.escape("<x> $1")
