"""The DVA-C02 question bank: load and check it, show questions, answer them, map coverage.

    from kmslab.teach import quiz
    bank = quiz.load()                       # validated; QuizError says which question is wrong
    quiz.show("rot-01")                      # markdown; the answer is in a <details> block
    quiz.ask("rot-01", "B")                  # shows right/wrong, the explanation and the lesson

The bank is data (kmslab/data/questions.json) so lessons, labs and tests share it; its texts
are Markdown. Answering is plain Python (`ask`), not a widget: it needs no extra package and
works in JupyterLab (feedback rendered as Markdown, so its lesson link can be clicked), in a
terminal (plain text) or a lab check. It shows the same text every time, which is what
strict nbval compares. Rendered pages reveal answers with HTML <details>.

Command line:
    python -m kmslab.teach.quiz coverage docs/coverage.md
    python -m kmslab.teach.quiz build-notebook notebooks/11_exam_review.ipynb
"""
from __future__ import annotations

import argparse
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..data_files import read_json
from .checks import MARKS, OK, TODO, WRONG
from .markdown import DOLLAR, escape, plain  # noqa: F401  (quiz.DOLLAR and quiz.plain are used by lessons and tests)

ROOT = Path(__file__).resolve().parents[3]
BANK = "questions.json"
LETTERS = string.ascii_uppercase


@dataclass(frozen=True)
class Topic:
    title: str
    lessons: tuple[str, ...]   # lesson numbers (notebooks/NN_*.ipynb) that teach it
    labs: tuple[str, ...]      # lab numbers (labs/NN_*.ipynb) that practise it


# The one place that maps DVA-C02 topics (Domain 2, Security: task 2.2 "encryption
# by using AWS services" and 2.3 "sensitive data") to this suite's lessons and labs.
TOPICS: dict[str, Topic] = {
    "encryption-types": Topic("Encryption in transit and at rest; client-side vs server-side", ("01",), ("01",)),
    "kms-basics": Topic("KMS keys, aliases, Regions, key types, lifecycle, audit", ("00", "02"), ()),
    "symmetric": Topic("Symmetric keys, Encrypt/Decrypt, encryption context", ("03",), ()),
    "envelope": Topic("Envelope encryption, data keys, Encryption SDK", ("04",), ("02",)),
    "asymmetric": Topic("Asymmetric and HMAC keys: encrypt outside AWS, sign and verify, MACs, key agreement",
                        ("05",), ("03",)),
    "rotation": Topic("Key rotation: automatic, on demand, manual, imported material", ("06",), ("04",)),
    "access-control": Topic("Key policies, IAM policies, grants, conditions", ("07",), ("05",)),
    "cross-region-account": Topic("Across Regions and accounts: MRKs, snapshots, sharing", ("08",), ()),
    "quotas": Topic("Request quotas, throttling, retries and backoff", ("09",), ("06",)),
    "services": Topic("KMS inside AWS services: S3, SSM Parameter Store, Secrets Manager", ("10",), ()),
    "pricing": Topic("KMS pricing", ("02",), ()),
    "secure-coding": Topic("Misuse: nonces, logged keys, wrong context or Region", ("03", "04"), ("07",)),
}

REVIEW_LESSON = "11_exam_review.ipynb"
# The bank's texts are Markdown, with every dollar sign written DOLLAR (tests/test_no_maths.py says why).
_FIELDS = {"id", "topic", "lesson", "section", "question", "choices", "answer", "explanation"}
# "sources" lists ids in kmslab/data/sources.json the answer rests on (tests check its numbers against them);
# and "scenario_numbers" the numbers the question's own scenario brings in, which are not facts.
_OPTIONAL = {"sources", "scenario_numbers"}
_ID = re.compile(r"^[a-z]+(-[a-z]+)*-\d{2}$")


class QuizError(ValueError):
    """The bank is not valid; the message names the question and the problem."""


class UnknownQuestion(QuizError, KeyError):
    """No question has this id; the message says which ids exist."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    lesson: str        # notebook file name, e.g. "06_key_rotation.ipynb"
    section: str       # a heading of that notebook, without the leading #s
    question: str
    choices: tuple[str, ...]
    answer: tuple[int, ...]
    explanation: str
    sources: tuple[str, ...] = ()
    scenario_numbers: tuple[float, ...] = ()

    @property
    def letters(self) -> str:
        return "".join(LETTERS[i] for i in self.answer)

    @property
    def link(self) -> str:
        """A markdown link to the lesson section, naming the section in its text.

        The anchor is the heading's id as JupyterLab renders it (markdown.heading_id).
        JupyterLab 4 scrolls to it only when the lesson is already open, so the text
        says where to look."""
        from .markdown import heading_id

        return f"[lesson {self.lesson[:2]}, section “{self.section}”]({self.lesson}#{heading_id(self.section)})"

    @property
    def how_many(self) -> str:
        """What to answer: "one of A, B, C, D" or "two of A, B, C, D"."""
        count = _NUMBER.get(len(self.answer), str(len(self.answer)))
        return f"{count} of {', '.join(LETTERS[:len(self.choices)])}"


def heading_anchor(heading: str) -> str:
    """The id JupyterLab gives a notebook heading (markdown.heading_id)."""
    from .markdown import heading_id

    return heading_id(heading)


# -- loading and validation ---------------------------------------------------------------

def validate(data: Any) -> list[Question]:
    """Check the bank's shape and return its questions; raise QuizError naming the problem."""
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QuizError('the bank must be a JSON object with a "questions" list')
    questions, seen = [], set()
    for n, q in enumerate(data["questions"], 1):
        label = f"question {n}" + (f" ({q.get('id')})" if isinstance(q, dict) and q.get("id") else "")

        def wrong(problem: str) -> QuizError:
            return QuizError(f"{label}: {problem}")

        if not isinstance(q, dict):
            raise wrong("must be a JSON object")
        missing, extra = _FIELDS - set(q), set(q) - _FIELDS - _OPTIONAL
        if missing:
            raise wrong(f"missing field(s) {sorted(missing)}")
        if extra:
            raise wrong(f"unknown field(s) {sorted(extra)}")
        if not isinstance(q["id"], str) or not _ID.match(q["id"]):
            raise wrong('id must look like "topic-01" (lowercase words, a dash, two digits)')
        if q["id"] in seen:
            raise wrong("duplicate id")
        seen.add(q["id"])
        if q["topic"] not in TOPICS:
            raise wrong(f"unknown topic {q['topic']!r}; known: {', '.join(TOPICS)}")
        if not re.match(r"^\d{2}_[a-z0-9_]+\.ipynb$", str(q["lesson"])):
            raise wrong('lesson must be a notebook file name such as "06_key_rotation.ipynb"')
        for name in ("section", "question", "explanation"):
            if not isinstance(q[name], str) or not q[name].strip():
                raise wrong(f"{name} must be a non-empty string")
        choices = q["choices"]
        if not isinstance(choices, list) or not 3 <= len(choices) <= 6 or \
                not all(isinstance(c, str) and c.strip() for c in choices):
            raise wrong("choices must be a list of 3 to 6 non-empty strings")
        if len(set(choices)) != len(choices):
            raise wrong("two choices are the same")
        answer = q["answer"]
        if not isinstance(answer, list) or not answer or \
                not all(isinstance(i, int) and not isinstance(i, bool) for i in answer):
            raise wrong("answer must be a non-empty list of choice indexes (0 = first)")
        if any(not 0 <= i < len(choices) for i in answer):
            raise wrong(f"answer {answer} out of range for {len(choices)} choices")
        if len(set(answer)) != len(answer):
            raise wrong("answer repeats an index")
        if len(answer) > 1 and f"choose {_NUMBER.get(len(answer), len(answer))}" not in q["question"].lower():
            raise wrong(f'a question with {len(answer)} answers must say "Choose {_NUMBER.get(len(answer))}."')
        cited = q.get("sources", [])
        if not isinstance(cited, list) or not all(isinstance(s, str) for s in cited):
            raise wrong("sources must be a list of ids from kmslab/data/sources.json")
        unknown = [s for s in cited if s not in _sources()]
        if unknown:
            raise wrong(f"unknown source id(s) {unknown}; see docs/sources.md")
        scenario = q.get("scenario_numbers", [])
        if not isinstance(scenario, list) or not all(isinstance(n, (int, float)) for n in scenario):
            raise wrong("scenario_numbers must be a list of numbers")
        questions.append(Question(q["id"], q["topic"], q["lesson"], q["section"], q["question"],
                                  tuple(choices), tuple(sorted(answer)), q["explanation"],
                                  tuple(cited), tuple(scenario)))
    return questions


_NUMBER = {1: "one", 2: "two", 3: "three"}


def _sources():
    from kmslab import sources

    return sources.load()


def load(path: str | Path | None = None) -> list[Question]:
    """The validated bank (the package's questions.json unless `path` is given)."""
    return validate(read_json(BANK, path))


def by_id(question_id: str, bank: list[Question] | None = None) -> Question:
    """The question with this id; UnknownQuestion says which ids exist."""
    bank = bank or load()
    for q in bank:
        if q.id == question_id:
            return q
    raise UnknownQuestion(_unknown(question_id, bank))


def _unknown(question_id: Any, bank: list[Question]) -> str:
    """There is no such question: the nearest id, and every id, grouped by topic."""
    import difflib

    ids = [q.id for q in bank]
    near = difflib.get_close_matches(str(question_id), ids, n=1)
    groups: dict[str, list[str]] = {}
    for qid in ids:
        groups.setdefault(qid.rsplit("-", 1)[0], []).append(qid.rsplit("-", 1)[1])
    listed = ", ".join(f"{prefix}-{min(n)}" + (f" to -{max(n)}" if len(n) > 1 else "") for prefix, n in groups.items())
    guess = f" Did you mean {near[0]!r}?" if near else ""
    return f"There is no question {question_id!r}.{guess} The ids are: {listed}."


# -- showing and answering ------------------------------------------------------------------

def markdown(q: Question, number: int | None = None, reveal: bool = True) -> str:
    """A question as markdown; with `reveal`, the answer sits in a closed <details> block.

    Dollar signs are escaped so that JupyterLab does not typeset prices as maths. Sources link
    to docs/sources.md from a notebook folder (notebooks/ or labs/)."""
    from kmslab.sources import link

    title = f"**Q{number}** " if number is not None else ""
    lines = [f"{title}`{q.id}` · {q.question}", ""]
    lines += [f"- **{LETTERS[i]}.** {c}" for i, c in enumerate(q.choices)]
    if reveal:
        lines += ["", "<details><summary>Show the answer</summary>", "",
                  f"**Answer: {', '.join(q.letters)}.** {q.explanation}", "",
                  f"Lesson: {q.link}"]
        if q.sources:
            lines += ["", "Sources: " + ", ".join(link(s) for s in q.sources)]
        lines += ["", "</details>"]
    return escape("\n".join(lines))


class Shown:
    """Markdown for JupyterLab (links can be clicked), plain text everywhere else."""

    def __init__(self, markdown_text: str):
        self.markdown = markdown_text

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __repr__(self) -> str:
        return plain(self.markdown)

    __str__ = __repr__


def show(question_id: str) -> Shown:
    """One question (markdown, answer hidden in <details>)."""
    try:
        return Shown(markdown(by_id(question_id)))
    except UnknownQuestion as unknown:
        return Shown(f"{MARKS[WRONG]} {unknown}")


def _parse_answer(q: Question, answer: Any) -> tuple[int, ...] | None:
    if isinstance(answer, int) and not isinstance(answer, bool):
        answer = [answer]
    if isinstance(answer, str):
        letters = [c for c in answer.upper() if c.isalpha()]
        if not letters or any(c not in LETTERS[:len(q.choices)] for c in letters):
            return None
        return tuple(sorted({LETTERS.index(c) for c in letters}))
    if isinstance(answer, (list, tuple)) and answer and \
            all(isinstance(i, int) and 0 <= i < len(q.choices) for i in answer):
        return tuple(sorted(set(answer)))
    return None


def feedback(question_id: str, answer: Any = None, bank: list[Question] | None = None) -> str:
    """What `ask` shows, as Markdown: not answered yet, not a valid choice, right or wrong.

    It starts with the same marks as the lab checks: [ok], [wrong] or [todo]."""
    try:
        q = by_id(question_id, bank)
    except UnknownQuestion as unknown:
        return f"{MARKS[WRONG]} {unknown}"
    n = len(q.answer)
    example = "" if n == 1 else f' ({_NUMBER.get(n, n)} letters, e.g. "{"".join(LETTERS[i] for i in (0, 2, 3, 4, 5)[:n])}")'
    if answer is None or answer == "":
        return f"{MARKS[TODO]} {q.id}: not answered yet. Set your answer to {q.how_many}{example}, then run the cell."
    picked = _parse_answer(q, answer)
    if picked is None:
        return f"{MARKS[WRONG]} {q.id}: {answer!r} is not a choice here. Answer with {q.how_many}{example}."
    letters = "".join(LETTERS[i] for i in picked)
    if picked == q.answer:
        return f"{MARKS[OK]} {q.id}: {letters} is right. {q.explanation}"
    if len(picked) != len(q.answer):
        return f"{MARKS[WRONG]} {q.id}: {letters} is not it. This question wants {q.how_many}. Read again: {q.link}"
    return f"{MARKS[WRONG]} {q.id}: {letters} is not it. Try again, or read {q.link}"


def ask(question_id: str, answer: Any = None) -> None:
    """Answer a question with letters ("B", "AC") or indexes; shows the feedback.

    In JupyterLab the feedback is Markdown, so the lesson link can be clicked;
    elsewhere it is printed as plain text."""
    from IPython.display import display

    display(Shown(feedback(question_id, answer)))


# -- lesson references ------------------------------------------------------------------------

def headings(notebook: Path) -> list[str]:
    """The markdown headings of a notebook, without the leading #s."""
    from .markdown import notebook_headings

    return notebook_headings(notebook)


def reference_problem(q: Question, root: Path = ROOT) -> str | None:
    """None if the question's lesson and section exist, else what is wrong."""
    path = root / "notebooks" / q.lesson
    if not path.exists():
        return f"{q.id}: lesson {q.lesson} does not exist"
    if q.section not in headings(path):
        return f"{q.id}: {q.lesson} has no heading {q.section!r}"
    return None


# -- coverage ---------------------------------------------------------------------------------

def _present(folder: Path, numbers: Iterable[str]) -> list[str]:
    return [n for n in numbers if any(folder.glob(f"{n}_*.ipynb"))]


def coverage_rows(bank: list[Question] | None = None, root: Path = ROOT) -> list[tuple[str, ...]]:
    """(topic, title, lessons, labs, questions) per topic; lessons and labs are those on disk."""
    bank = bank if bank is not None else load()
    rows = []
    for tag, topic in TOPICS.items():
        lessons = _present(root / "notebooks", topic.lessons)
        labs = _present(root / "labs", topic.labs)
        count = sum(q.topic == tag for q in bank)
        rows.append((tag, topic.title, ", ".join(lessons) or "—", ", ".join(labs) or "—", str(count)))
    return rows


COVERAGE_COLUMNS = ("topic", "DVA-C02 subject", "lessons", "labs", "questions")


def coverage_table(bank: list[Question] | None = None, root: Path = ROOT) -> str:
    """The coverage as a fixed-width text table (what lesson 11 prints)."""
    rows = coverage_rows(bank, root)
    widths = [max(len(r[i]) for r in [COVERAGE_COLUMNS, *rows]) for i in range(len(COVERAGE_COLUMNS))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()
                     for r in [COVERAGE_COLUMNS, *rows])


def coverage_markdown(bank: list[Question] | None = None, root: Path = ROOT) -> str:
    """docs/coverage.md: which topics have lessons, labs and questions."""
    rows = coverage_rows(bank, root)
    lines = ["# Coverage of the DVA-C02 encryption topics", "",
             "Generated by `python -m kmslab.teach.quiz coverage docs/coverage.md`; do not edit.",
             "Lessons are `notebooks/NN_*.ipynb`, labs `labs/NN_*.ipynb`, questions come from",
             "`helpers/kmslab/data/questions.json`. The topic map is `TOPICS` in",
             "`helpers/kmslab/teach/quiz.py`.", "",
             "| " + " | ".join(COVERAGE_COLUMNS) + " |", "|" + "---|" * len(COVERAGE_COLUMNS)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    total = len(bank if bank is not None else load())
    return "\n".join(lines + ["", f"{total} questions in all.", ""])


def plot_questions_per_topic(bank: list[Question] | None = None):
    """A bar chart: questions per topic, with marks for topics that have a lab."""
    import matplotlib.pyplot as plt

    rows = coverage_rows(bank)
    fig, ax = plt.subplots(figsize=(9, 4))
    counts = [int(r[4]) for r in rows]
    colors = ["#5b8e7d" if r[3] != "—" else "#f4a259" for r in rows]
    ax.barh([r[0] for r in rows][::-1], counts[::-1], color=colors[::-1])
    ax.set_xlabel("questions in the bank")
    ax.set_title("Questions per DVA-C02 topic (green: the topic also has a lab)")
    fig.tight_layout()
    plt.close(fig)
    return fig


def write_atomically(path: Path, text: str) -> None:
    from kmslab.notebooks import write_atomically as _write

    _write(Path(path), text)


# -- the generated exam-review notebook ---------------------------------------------------------

def build_notebook(bank: list[Question] | None = None):
    """Lesson 11 as an nbformat notebook (unexecuted), built from the bank."""
    from . import review

    return review.build(bank if bank is not None else load())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kmslab.teach.quiz")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="validate the bank and its lesson references")
    cov = sub.add_parser("coverage", help="write the coverage table (markdown)")
    cov.add_argument("path")
    nb = sub.add_parser("build-notebook", help="generate the exam-review lesson (unexecuted)")
    nb.add_argument("path")
    args = parser.parse_args(argv)
    bank = load()
    if args.command == "check":
        problems = [p for p in (reference_problem(q) for q in bank) if p]
        print("\n".join(problems) or f"{len(bank)} questions, all valid")
        return 1 if problems else 0
    if args.command == "coverage":
        write_atomically(Path(args.path), coverage_markdown(bank))
    else:
        import nbformat

        write_atomically(Path(args.path), nbformat.writes(build_notebook(bank)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
