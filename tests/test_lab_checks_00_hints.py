"""Every lesson section a lab names (in a check's hint or a starter's text) is a real heading of that lesson."""
from __future__ import annotations

import json
import re

import pytest

from kmslab.notebooks import ROOT

CHECKS = sorted((ROOT / "helpers" / "kmslab" / "teach" / "lab_checks").glob("lab*.py"))
STARTERS = sorted((ROOT / "labs").glob("*.ipynb"))
# "lesson 06, '3. On-demand rotation'" and any further 'sub-section' quoted after it
REFERENCE = re.compile(r"lesson (\d\d), ((?:'[^']+(?:'s [^']+)?'(?:, )?)+)")


def headings(number: str) -> set[str]:
    [path] = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    found = set()
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    found.add(line.lstrip("#").strip().replace("`", ""))
    return found


def references() -> list[tuple[str, str, str]]:
    found = []
    for path in CHECKS + STARTERS:
        for number, quoted in REFERENCE.findall(path.read_text()):
            for title in re.findall(r"'([^']+(?:'s [^']+)?)'", quoted):
                found.append((path.name, number, title))
    return found


def test_labs_name_lesson_sections():
    assert len(references()) >= 20


@pytest.mark.parametrize("source, number, title", references())
def test_named_section_exists(source, number, title):
    assert title.replace("`", "") in headings(number), f"{source}: lesson {number} has no section {title!r}"
