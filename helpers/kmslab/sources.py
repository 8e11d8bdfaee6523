"""The course's sources, that is every fact a reader might doubt, with the AWS pages it rests on.

The data is `kmslab/data/sources.json`; this module loads and checks it, renders
`docs/sources.md`, and checks the numbers other texts state against it:

    from kmslab import sources
    entries = sources.load()                         # validated; SourcesError names the problem
    sources.check_numbers("at most 25 rotations", ["on-demand-rotation"])   # [] when they agree
    sources.link("grants", "..")                     # '[grants](../docs/sources.md#grants)'

Code cites an entry as `sources: <id>`; Markdown links to `docs/sources.md#<id>`.

Command line:
    python -m kmslab.sources --render docs/sources.md
    python -m kmslab.sources --check          # the quiz and lesson 11's numbers table
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from kmslab.data_files import read_json
from kmslab.teach.markdown import escape

DATA = "sources.json"
PAGE = "docs/sources.md"
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_WHEN = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


class SourcesError(ValueError):
    """sources.json is not valid; the message names the entry and the problem."""


@dataclass(frozen=True)
class Change:
    when: str                         # "2024", "2024-04" or "2024-04-15"
    change: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    title: str
    fact: str
    urls: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)
    history: tuple[Change, ...] = ()
    older_notes: dict[str, Any] | None = None
    caveat: str | None = None

    def numbers(self, current_only: bool = False) -> set[Decimal]:
        """The entry's values; with history and older notes unless `current_only`."""
        found = set(_flatten(self.values))
        if not current_only:
            for change in self.history:
                found |= set(_flatten(change.values))
            if self.older_notes:
                found |= set(_flatten(self.older_notes.get("values", {})))
        return found

    def dates(self) -> list[tuple[int, ...]]:
        return [tuple(int(part) for part in change.when.split("-")) for change in self.history]


@dataclass(frozen=True)
class Row:
    """One row of lesson 11's "Numbers to know" table."""
    what: str
    number: str
    older: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Sources:
    topics: dict[str, str]            # id -> title, in page order
    entries: dict[str, Entry]         # id -> entry, in page order
    numbers_to_know: tuple[Row, ...]

    def __getitem__(self, entry_id: str) -> Entry:
        return self.entries[entry_id]

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self.entries or entry_id in self.topics


def _flatten(values: dict[str, Any]) -> Iterable[Decimal]:
    for value in values.values():
        for number in value if isinstance(value, list) else [value]:
            yield Decimal(str(number))


# -- loading and validation -------------------------------------------------------------------

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_values(values: Any, wrong) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise wrong("values must be an object of name: number")
    for name, value in values.items():
        numbers = value if isinstance(value, list) else [value]
        if not re.match(r"^[a-z][a-z0-9_]*$", name) or not numbers or not all(map(_is_number, numbers)):
            raise wrong(f"value {name!r} must be a snake_case name with a number or a list of numbers")
    return values


def validate(data: Any) -> Sources:
    """Check the file's shape and return it; raise SourcesError naming the problem."""
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list)
                                             for k in ("topics", "sources", "numbers_to_know")):
        raise SourcesError('sources.json must be an object with "topics", "sources" and "numbers_to_know" lists')
    topics = {}
    for topic in data["topics"]:
        if not _ID.match(str(topic.get("id"))) or not topic.get("title"):
            raise SourcesError(f"topic {topic!r}: needs a slug id and a title")
        topics[topic["id"]] = topic["title"]
    entries: dict[str, Entry] = {}
    for n, raw in enumerate(data["sources"], 1):
        label = f"entry {n}" + (f" ({raw.get('id')})" if isinstance(raw, dict) and raw.get("id") else "")

        def wrong(problem: str) -> SourcesError:
            return SourcesError(f"{label}: {problem}")

        allowed = {"id", "topic", "title", "fact", "urls", "values", "history", "older_notes", "caveat"}
        if not isinstance(raw, dict) or set(raw) - allowed or {"id", "topic", "title", "fact", "urls"} - set(raw):
            raise wrong(f"needs id, topic, title, fact and urls, and nothing but {sorted(allowed)}")
        if not _ID.match(raw["id"]):
            raise wrong("id must be a slug: lowercase words and digits joined by dashes")
        if raw["id"] in entries or raw["id"] in topics:
            raise wrong("duplicate id (entry and topic ids share one namespace: they are page anchors)")
        if raw["topic"] not in topics:
            raise wrong(f"unknown topic {raw['topic']!r}")
        if not raw["urls"] or not all(isinstance(u, str) and u.startswith("https://") for u in raw["urls"]):
            raise wrong("urls must be a non-empty list of https:// addresses")
        history = []
        for change in raw.get("history", []):
            if not _WHEN.match(str(change.get("when"))) or not change.get("change"):
                raise wrong(f"history item {change!r} needs when (YYYY, YYYY-MM or YYYY-MM-DD) and change")
            history.append(Change(change["when"], change["change"],
                                  _check_values(change.get("values", {}), wrong)))
        older = raw.get("older_notes")
        if older is not None and (not isinstance(older, dict) or not older.get("say")):
            raise wrong('older_notes needs "say" (what older notes claim) and optional values')
        if older is not None:
            _check_values(older.get("values", {}), wrong)
        entries[raw["id"]] = Entry(raw["id"], raw["topic"], raw["title"], raw["fact"], tuple(raw["urls"]),
                                   _check_values(raw.get("values", {}), wrong), tuple(history), older,
                                   raw.get("caveat"))
    rows = []
    for row in data["numbers_to_know"]:
        missing = [s for s in row.get("sources", []) if s not in entries]
        if not row.get("sources") or missing or not all(row.get(k) for k in ("what", "number", "older")):
            raise SourcesError(f"numbers_to_know row {row.get('what')!r}: needs what, number, older and "
                               f"known sources (unknown: {missing})")
        rows.append(Row(row["what"], row["number"], row["older"], tuple(row["sources"])))
    return Sources(topics, entries, tuple(rows))


@lru_cache(maxsize=1)
def _packaged() -> Sources:
    return validate(read_json(DATA))


def load(path: str | Path | None = None) -> Sources:
    """The validated sources (the package's sources.json unless `path` is given)."""
    return validate(read_json(DATA, path)) if path else _packaged()


# -- numbers in text --------------------------------------------------------------------------

# Things that look like numbers but name something: RFC 8446, SP 800-38D, FIPS 140-3, the IAM policy
# language version, 12-digit account ids, rand(0,1), exponents (2^(n-1): the base is checked, the
# exponent is notation), 0-RTT.
_NOTATION = re.compile(r"\bRFC\s?\d+|\bSP\s?800-\w+|\bFIPS\s?140-\d|\b2012-10-17\b|\b\d{12}\b"
                       r"|\brand(?:om)?\(\s*0\s*,(?:\s*1\s*\))?|(?:\^|\*\*)\s*(?:\([^()]*\)|[\w−-]+)|\b0-RTT\b")
_MONTHS = ("January February March April May June July August September October November December").split()
_MONTH = "(" + "|".join(_MONTHS) + ")"
_DATES = [
    (re.compile(rf"\b(\d{{1,2}}) {_MONTH} (\d{{4}})\b"), lambda m: (int(m[3]), _MONTHS.index(m[2]) + 1, int(m[1]))),
    (re.compile(rf"\b{_MONTH} (\d{{1,2}}), (\d{{4}})\b"), lambda m: (int(m[3]), _MONTHS.index(m[1]) + 1, int(m[2]))),
    (re.compile(rf"\b{_MONTH} (\d{{4}})\b"), lambda m: (int(m[2]), _MONTHS.index(m[1]) + 1)),
    (re.compile(r"\b(\d{4})-(0[1-9]|1[0-2])-(\d{2})\b"), lambda m: (int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"\b(\d{4})-(0[1-9]|1[0-2])\b"), lambda m: (int(m[1]), int(m[2]))),
]
_RANGE = re.compile(r"(?<![\w.\-])(\d+)-(\d+)(?![\w.\-])")
_NUMBER = re.compile(r"(?<![\w.\-/:#^*])(\$?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w]|[.\-]\d)")


@dataclass(frozen=True)
class Mention:
    text: str                          # as written, e.g. "$0.03" or "5 January 2023"
    number: Decimal | None = None
    date: tuple[int, ...] | None = None

    @property
    def maybe_year(self) -> bool:
        return self.number is not None and self.number == self.number.to_integral() and \
            1990 <= self.number <= 2039 and "," not in self.text and "$" not in self.text


def mentions(text: str) -> list[Mention]:
    """The numbers and dates a text states, in order (notation and identifiers left out)."""
    text = _NOTATION.sub(" ", text)
    found: list[tuple[int, Mention]] = []
    for pattern, parse in _DATES:
        def take(match, parse=parse):
            found.append((match.start(), Mention(match[0], date=parse(match))))
            return " " * len(match[0])
        text = pattern.sub(take, text)
    text = _RANGE.sub(lambda m: f"{m[1]} – {m[2]}", text)
    for match in _NUMBER.finditer(text):
        found.append((match.start(), Mention(match[0], number=Decimal(match[2].replace(",", "") + (match[3] or "")))))
    return [m for _, m in sorted(found, key=lambda item: item[0])]


def _date_agrees(said: tuple[int, ...], known: tuple[int, ...]) -> bool:
    return all(a == b for a, b in zip(said, known))


def check_numbers(text: str, source_ids: Iterable[str], *, current_only: bool = False,
                  also: Iterable[Any] = (), data: Sources | None = None) -> list[str]:
    """What in `text` disagrees with the entries `source_ids`: [] when every number is one of
    their values and every date one of their changes.

    `current_only` leaves out history and older notes (for an answer, which must state today's
    value); `also` are numbers the text may state that are not facts (a scenario's own numbers)."""
    data = data or load()
    ids = list(source_ids)
    unknown = [i for i in ids if i not in data.entries]
    if unknown:
        return [f"unknown source id(s) {unknown}"]
    allowed = {Decimal(str(n)) for n in also}
    dates: list[tuple[int, ...]] = []
    for entry_id in ids:
        allowed |= data[entry_id].numbers(current_only)
        dates += data[entry_id].dates()
    problems = []
    for mention in mentions(text):
        if mention.date is not None:
            if not any(_date_agrees(mention.date, known) for known in dates):
                problems.append(f"date {mention.text!r} is not a change recorded in {ids}")
        elif mention.number not in allowed and not (
                mention.maybe_year and any(known[0] == mention.number for known in dates)):
            problems.append(f"{mention.text!r} is not a value of {ids}")
    return problems


# -- links and the page -----------------------------------------------------------------------

def link(entry_id: str, up: str = "..", text: str | None = None) -> str:
    """A Markdown link to an entry on the sources page, from a folder `up` levels below the root."""
    prefix = f"{up}/docs/sources.md" if up else PAGE
    return f"[{text or entry_id}]({prefix}#{entry_id})"


_DOC_NAMES = [
    ("https://docs.aws.amazon.com/kms/latest/developerguide/", "AWS KMS Developer Guide"),
    ("https://docs.aws.amazon.com/kms/latest/APIReference/API_", "AWS KMS API Reference"),
    ("https://docs.aws.amazon.com/AmazonS3/latest/userguide/", "Amazon S3 User Guide"),
    ("https://docs.aws.amazon.com/AmazonS3/latest/API/API_", "Amazon S3 API Reference"),
    ("https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_", "Amazon EC2 API Reference"),
    ("https://docs.aws.amazon.com/ebs/latest/userguide/", "Amazon EBS User Guide"),
    ("https://docs.aws.amazon.com/cloudhsm/latest/userguide/", "AWS CloudHSM User Guide"),
    ("https://docs.aws.amazon.com/encryption-sdk/latest/developer-guide/", "AWS Encryption SDK Developer Guide"),
    ("https://docs.aws.amazon.com/secretsmanager/latest/userguide/", "AWS Secrets Manager User Guide"),
    ("https://docs.aws.amazon.com/systems-manager/latest/userguide/", "AWS Systems Manager User Guide"),
    ("https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/", "Amazon DynamoDB Developer Guide"),
    ("https://docs.aws.amazon.com/prescriptive-guidance/latest/aws-kms-best-practices/", "AWS Prescriptive Guidance, KMS best practices"),
    ("https://boto3.amazonaws.com/v1/documentation/api/latest/guide/", "boto3 guide"),
    ("https://github.com/boto/botocore/blob/develop/botocore/", "botocore source"),
    ("https://aws.amazon.com/blogs/", "AWS Blog"),
    ("https://www.rfc-editor.org/rfc/", "IETF"),
    ("https://csrc.nist.gov/", "NIST"),
    ("https://github.com/aws-samples/", "aws-samples"),
]


def url_label(url: str) -> str:
    """A short readable name for a source address: 'AWS KMS Developer Guide: rotate-keys'."""
    if url == "https://aws.amazon.com/kms/pricing/":
        return "AWS KMS pricing"
    for prefix, name in _DOC_NAMES:
        if url.startswith(prefix):
            page = url[len(prefix):].rstrip("/")
            page = re.sub(r"\.html(?=$|#)", "", page).replace("#", " § ")
            if name == "AWS Blog":
                page = page.split("/")[-1]
            elif name == "IETF":
                page = page.upper().replace("RFC", "RFC ", 1).replace(" § SECTION-", " § ")
            return f"{name}: {page}"
    return url.split("://", 1)[1]


def _values_line(values: dict[str, Any]) -> str:
    def show(v):
        return ", ".join(map(_plain, v)) if isinstance(v, list) else _plain(v)
    return " · ".join(f"`{name}` {show(value)}" for name, value in values.items())


def _plain(number: Any) -> str:
    text = format(Decimal(str(number)), "f")
    return text


def render(data: Sources | None = None) -> str:
    """docs/sources.md: one section per topic, one anchored heading per entry."""
    data = data or load()
    lines = [
        "# Sources",
        "",
        f"<!-- Generated by `python -m kmslab.sources --render {PAGE}` from helpers/kmslab/data/sources.json.",
        "     Do not edit by hand. -->",
        "",
        "Every fact this course teaches that you might want to check (limits, quotas, prices, periods,",
        "dates, error codes, behaviours), in our words, with the AWS documentation it rests on. Where a fact",
        "changed over time, the entry says when; **Caveat** marks what the pages checked do not settle.",
        "",
        "Each entry has an id. The code cites it as `sources: <id>`, lessons and labs link to",
        "`docs/sources.md#<id>`, and the ids in the last column of [moto vs AWS](moto-vs-aws.md) are the",
        "same. **Values** are the numbers the entry states; tests check the quiz and lesson 11's numbers",
        "table against them.",
        "",
        "Topics: " + " · ".join(f"[{title}](#{tid})" for tid, title in data.topics.items()),
        "",
    ]
    for tid, title in data.topics.items():
        lines += [f'<a id="{tid}"></a>', "", f"## {title}", ""]
        for entry in (e for e in data.entries.values() if e.topic == tid):
            lines += [f'<a id="{entry.id}"></a>', "", f"### {entry.title}", "",
                      f"`{entry.id}` · {escape(entry.fact)}", ""]
            if entry.values:
                lines.append(f"- **Values:** {_values_line(entry.values)}")
            for change in entry.history:
                extra = f" ({_values_line(change.values)})" if change.values else ""
                lines.append(f"- **Changed, {change.when}:** {escape(change.change)}{extra}")
            if entry.older_notes:
                lines.append(f"- **Older notes say:** {escape(entry.older_notes['say'])}")
            if entry.caveat:
                lines.append(f"- **Caveat:** {escape(entry.caveat)}")
            lines.append("- **AWS:** " + " · ".join(f"[{url_label(u)}]({u})" for u in entry.urls))
            lines.append("")
    return "\n".join(lines)


def write_atomically(path: Path, text: str) -> None:
    from kmslab.notebooks import write_atomically as _write

    _write(Path(path), text)


# -- checks of other texts --------------------------------------------------------------------

def table_problems(data: Sources | None = None) -> list[str]:
    """Numbers in lesson 11's table that disagree with the entries each row names."""
    data = data or load()
    problems = []
    for row in data.numbers_to_know:
        problems += [f"numbers to know, {row.what!r}: {p}"
                     for p in check_numbers(row.number, row.sources, current_only=True, data=data)]
        problems += [f"numbers to know, {row.what!r}, older notes: {p}"
                     for p in check_numbers(row.older, row.sources, data=data)]
    return problems


def question_problems(question, data: Sources | None = None) -> list[str]:
    """Numbers in a quiz question's answer and explanation that disagree with its sources.

    The right choices must state current values; the explanation may also tell the history."""
    data = data or load()
    also = question.scenario_numbers
    answers = " ".join(question.choices[i] for i in question.answer)
    problems = [f"{question.id}, answer: {p}" for p in
                check_numbers(answers, question.sources, current_only=True, also=also, data=data)]
    problems += [f"{question.id}, explanation: {p}" for p in
                 check_numbers(question.explanation, question.sources, also=also, data=data)]
    if not question.sources and mentions(answers + " " + question.explanation):
        problems.insert(0, f"{question.id}: states numbers or dates but names no sources")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kmslab.sources")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--render", metavar="PATH", help=f"write the sources page ({PAGE})")
    group.add_argument("--check", action="store_true", help="check the quiz and lesson 11's table")
    args = parser.parse_args(argv)
    if args.render:
        write_atomically(Path(args.render), render())
        return 0
    from kmslab.teach import quiz

    problems = table_problems() + [p for q in quiz.load() for p in question_problems(q)]
    print("\n".join(problems) or "every number agrees with sources.json")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
