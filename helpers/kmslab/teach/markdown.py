"""The Markdown the course is written in, as JupyterLab reads it: headings and their ids,
and the relative links of a notebook or a Markdown file.

    heading_id("2. What `arn:aws:iam::ACCOUNT:root` really means")
    # '2.-What-arn:aws:iam::ACCOUNT:root-really-means'

JupyterLab 4 gives each rendered heading an id made of its text, as the page shows it (so
without inline-code backticks), with every space turned into a dash; nbconvert does the same.
A link `other.ipynb#that-id` opens the notebook; JupyterLab scrolls to the heading when the
notebook is already open (checked in JupyterLab 4.6), so a link also names its section.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# [text](target) with a target that has no spaces (the course writes no titles in links).
_LINK = re.compile(r"(?<!\!)\[(?P<text>(?:[^\[\]]|\[[^\]]*\])*)\]\((?P<target>[^()\s]+(?:\([^()\s]*\)[^()\s]*)*)\)")
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)


#: How this course writes a dollar sign in Markdown. JupyterLab 4 typesets "$1 ... $3", and even
#: "\\$1 ... \\$3", as maths (its Markdown step drops the backslash before MathJax runs); MathJax never
#: pairs dollar signs across HTML tags, and CommonMark renderers show "<span>\\$</span>" as "$".
DOLLAR = "<span>\\$</span>"


def escape(text: str) -> str:
    """Prose made safe to render, code left alone (idempotent): every `$` written DOLLAR, and every
    `<` that does not open the course's own HTML written `&lt;`. A placeholder such as
    arn:aws:kms:<region>:... is text: JupyterLab and the docs site would take `<region>` for an
    unknown tag and hide it (and `<plaintext>` swallows the rest of a page)."""
    pieces = re.split(r"(```.*?```|`[^`\n]*`)", text, flags=re.DOTALL)
    return "".join(p if p.startswith("`") else STRAY_LT.sub("&lt;", _dollars(p)) for p in pieces)


#: A `<` that opens none of the HTML the course writes on purpose (links' anchors, DOLLAR's span,
#: line breaks, images, comments).
STRAY_LT = re.compile(r"<(?!/?(?:a|span|br|img|sub|sup|kbd|details|summary|div)\b|!--)", re.IGNORECASE)


def _dollars(prose: str) -> str:
    return prose.replace(DOLLAR, "$").replace("\\$", "$").replace("$", DOLLAR)


def plain(text: str) -> str:
    """Markdown written with DOLLAR, as plain text: a plain `$`."""
    return text.replace(DOLLAR, "$")


def heading_id(heading: str) -> str:
    """The id JupyterLab gives a heading: its text without backticks, spaces as dashes."""
    return heading.replace("`", "").strip().replace(" ", "-")


def without_code(text: str) -> str:
    """Markdown without fenced code blocks (a `#` line there is not a heading)."""
    return _FENCE.sub("", text)


def prose(text: str) -> str:
    """Markdown without code: fenced blocks removed, each inline code span replaced by `code`."""
    return _CODE_SPAN.sub("`code`", without_code(text))


def headings(text: str) -> list[str]:
    """The ATX headings of Markdown `text`, without the leading #s."""
    return [m.group(2).strip() for m in _HEADING.finditer(without_code(text))]


def links(text: str) -> list[tuple[str, str]]:
    """(text, target) of every inline link in Markdown `text`, outside code blocks."""
    text = _CODE_SPAN.sub(lambda m: "`code`" if "](" in m.group(0) else m.group(0), without_code(text))
    return [(m.group("text"), m.group("target")) for m in _LINK.finditer(text)]


def markdown_cells(path: Path) -> list[str]:
    """The Markdown of a notebook's cells, or of a Markdown file as one piece."""
    path = Path(path)
    if path.suffix != ".ipynb":
        return [path.read_text(encoding="utf-8")]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "markdown"]


def notebook_headings(path: Path) -> list[str]:
    """Every heading of a notebook (or Markdown file), in order."""
    return [h for cell in markdown_cells(path) for h in headings(cell)]


_HTML_ID = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")


def anchor_ids(path: Path) -> set[str]:
    """Every id a link's #anchor can name in a notebook or Markdown file: its headings' ids and
    explicit `<a id="...">` anchors (generated pages such as docs/sources.md use those)."""
    cells = markdown_cells(path)
    return ({heading_id(h) for cell in cells for h in headings(cell)}
            | {i for cell in cells for i in _HTML_ID.findall(without_code(cell))})
