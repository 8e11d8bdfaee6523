"""Nothing a learner reads may render as maths.

JupyterLab typesets `$...$` in Markdown (cells and Markdown outputs) with MathJax, so two
dollar amounts in one paragraph ("$1 ... $3") become one italic formula and the text between
them disappears. The usual escape is not enough there: JupyterLab 4's Markdown step turns
`\\$` into a bare `$` before MathJax reads the page, so `\\$1 ... \\$3` is still a formula
(seen in JupyterLab 4.6 in Chromium; jupyterlab/jupyterlab#8645). MathJax never pairs dollar
signs across HTML tags, so this course writes every `$` outside code as

    <span>\\$</span>

which JupyterLab renders as a plain `$`, and so do CommonMark renderers (GitHub, MyST/Sphinx,
nbconvert), where `<span>` is an invisible inline tag and `\\$` the standard escape.
The course has no formulas, so any other `$` in prose is a mistake.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kmslab.notebooks import ROOT
from kmslab.teach import markdown, quiz

NOTEBOOKS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("labs/*.ipynb")) \
    + sorted(ROOT.glob("labs/solutions/*.ipynb"))
BANK = quiz.load()

DOLLAR = quiz.DOLLAR   # "<span>\\$</span>": the one way to write a dollar sign in Markdown here


def unescaped_dollars(text: str) -> list[str]:
    """The lines of `markdown` with a `$` outside code that is not written <span>\\$</span>."""
    return [line.strip() for line in markdown.prose(text).splitlines() if "$" in line.replace(DOLLAR, "")]


def _markdown_cells(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_cells_have_no_maths(path):
    found = [f"cell {i}: {line}" for i, source in _markdown_cells(path) for line in unescaped_dollars(source)]
    assert not found, (f"{path.relative_to(ROOT)}: a `$` renders as maths in JupyterLab; write {DOLLAR}:\n"
                       + "\n".join(found))


@pytest.mark.parametrize("q", BANK, ids=lambda q: q.id)
def test_quiz_text_has_no_maths(q):
    texts = {"question": q.question, "explanation": q.explanation, "section": q.section,
             **{f"choice {quiz.LETTERS[i]}": c for i, c in enumerate(q.choices)}}
    found = [f"{field}: {line}" for field, text in texts.items() for line in unescaped_dollars(text)]
    assert not found, f"{q.id}: a `$` renders as maths in JupyterLab; write {DOLLAR} (<span>\\\\$</span> in JSON):\n" + "\n".join(found)


def test_quiz_feedback_has_no_maths():
    """What quiz.ask shows as Markdown: the bank's text plus the quiz's own words."""
    for q in BANK:
        for answer in ("", q.letters, "Z", "A" if q.letters != "A" else "B"):
            text = quiz.feedback(q.id, answer, BANK)
            assert not unescaped_dollars(text), f"{q.id} answered {answer!r}: {text}"
        assert not unescaped_dollars(quiz.markdown(q, 1)), q.id


def test_the_rule_catches_dollar_amounts_and_spares_code():
    assert unescaped_dollars("costs $1 a month, at most $3") == ["costs $1 a month, at most $3"]
    assert unescaped_dollars("| fee | $0.03 per 10,000 |") == ["| fee | $0.03 per 10,000 |"]
    assert unescaped_dollars("costs <span>\\$</span>1 a month, at most <span>\\$</span>3") == []
    assert unescaped_dollars("costs \\$1 a month, at most \\$3") != []   # maths in JupyterLab 4
    assert unescaped_dollars("costs <span>$</span>1") != []
    assert unescaped_dollars("run `echo $HOME` or ``a `$` b``") == []
    assert unescaped_dollars("```bash\nexport X=$HOME\n```\ntext") == []
    assert unescaped_dollars("```bash\nexport X=$HOME\n```\nand $5") == ["and $5"]
