"""The DVA-C02 question bank, its checks, its feedback, lesson 11 and docs/coverage.md."""
from __future__ import annotations

import copy
import dataclasses
import json
import re

import nbformat
import pytest

from kmslab.data_files import read_json
from kmslab.notebooks import ROOT
from kmslab.teach import quiz

BANK = quiz.load()
RAW = read_json(quiz.BANK)


def test_bank_is_big_enough_and_covers_every_topic():
    assert len(BANK) >= 40
    for tag in quiz.TOPICS:
        assert sum(q.topic == tag for q in BANK) >= 2, tag


def test_ids_are_unique_and_answers_in_range():
    assert len({q.id for q in BANK}) == len(BANK)
    for q in BANK:
        assert q.answer and all(0 <= i < len(q.choices) for i in q.answer), q.id


def test_question_lesson_is_one_the_topic_map_names():
    for q in BANK:
        assert q.lesson[:2] in quiz.TOPICS[q.topic].lessons, (
            f"{q.id}: lesson {q.lesson} is not among the lessons of topic {q.topic}")


@pytest.mark.parametrize("q", BANK, ids=lambda q: q.id)
def test_lesson_reference_exists(q):
    if not (ROOT / "notebooks" / q.lesson).exists():
        pytest.skip(f"{q.lesson} is not written yet")
    assert quiz.reference_problem(q) is None, quiz.reference_problem(q)


def test_reference_problem_reports_a_missing_heading(tmp_path):
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 06 · X\n## 1. Real")])
    nbformat.write(nb, tmp_path / "notebooks" / "06_key_rotation.ipynb")
    q = quiz.by_id("rotation-01", BANK)
    assert "has no heading" in quiz.reference_problem(q, tmp_path)
    assert "does not exist" in quiz.reference_problem(quiz.by_id("services-01", BANK), tmp_path)


# -- validation names the question and the problem ------------------------------------------

def broken(change) -> str:
    data = copy.deepcopy(RAW)
    change(data["questions"])
    with pytest.raises(quiz.QuizError) as info:
        quiz.validate(data)
    return str(info.value)


def test_validation_duplicate_id():
    def dup(qs):
        qs[1]["id"] = qs[0]["id"]
    assert broken(dup) == f"question 2 ({RAW['questions'][0]['id']}): duplicate id"


def test_validation_answer_out_of_range():
    def bad(qs):
        qs[0]["answer"] = [7]
    message = broken(bad)
    assert message.startswith(f"question 1 ({RAW['questions'][0]['id']}): answer [7] out of range")


def test_validation_unknown_topic_missing_field_and_multi_answer_wording():
    def topic(qs):
        qs[2]["topic"] = "crypto"
    assert "unknown topic 'crypto'" in broken(topic)

    def missing(qs):
        del qs[3]["explanation"]
    assert broken(missing).endswith("missing field(s) ['explanation']")

    def two(qs):
        qs[0]["answer"] = [0, 1]
    assert 'must say "Choose two."' in broken(two)


# -- answering -------------------------------------------------------------------------------

def test_feedback_right_wrong_unanswered_and_invalid():
    q = quiz.by_id("rotation-03", BANK)
    assert quiz.feedback(q.id, "C", BANK).startswith("[ok] rotation-03: C is right. ")
    assert quiz.feedback(q.id, 2, BANK).startswith("[ok] rotation-03: C is right. ")
    wrong = quiz.feedback(q.id, "b", BANK)
    assert wrong.startswith("[wrong] rotation-03: B is not it.") and "06_key_rotation.ipynb#" in wrong
    assert q.explanation not in wrong     # a wrong answer does not give the answer away
    assert quiz.feedback(q.id, "", BANK).startswith("[todo] rotation-03: not answered yet. Set your answer "
                                                    "to one of A, B, C, D, then")
    assert "'Z' is not a choice" in quiz.feedback(q.id, "Z", BANK)


def test_feedback_for_choose_two():
    q = quiz.by_id("enc-types-03", BANK)
    assert quiz.feedback(q.id, "CA", BANK).startswith("[ok] enc-types-03: AC is right.")
    assert "wants two of A, B, C, D" in quiz.feedback(q.id, "A", BANK)
    assert 'Set your answer to two of A, B, C, D (two letters, e.g. "AC")' in quiz.feedback(q.id, "", BANK)
    assert "Answer with two of A, B, C, D" in quiz.feedback(q.id, "Z", BANK)


def test_every_multi_answer_prompt_says_how_many():
    for q in BANK:
        prompt = quiz.feedback(q.id, "", BANK)
        assert f"Set your answer to {q.how_many}" in prompt, q.id
        assert ("one of" in prompt) == (len(q.answer) == 1), q.id


def test_a_mistyped_id_says_which_ids_exist(capsys):
    text = quiz.feedback("rotaton-03", "B", BANK)
    assert text.startswith("[wrong] There is no question 'rotaton-03'. Did you mean 'rotation-03'?")
    assert "rotation-01 to -07" in text and "pricing-01 to -04" in text and "services-01 to -14" in text
    quiz.ask("no-such-99", "A")            # no KeyError traceback
    assert capsys.readouterr().out.startswith("[wrong] There is no question 'no-such-99'.")
    assert "There is no question" in repr(quiz.show("nope"))
    with pytest.raises(KeyError):          # by_id still raises, for code that wants to catch it
        quiz.by_id("nope", BANK)


def test_ask_shows_markdown_in_jupyterlab_and_plain_text_elsewhere(capsys):
    """The feedback is a Markdown display object (its link can be clicked in JupyterLab);
    its plain-text form is what a terminal prints and what nbval compares."""
    shown = quiz.Shown(quiz.feedback("pricing-01", "A", BANK))
    assert shown._repr_markdown_().startswith("[wrong] pricing-01: A is not it. Try again, or read [lesson 02,")
    assert "](02_kms_fundamentals.ipynb#7.-What-it-costs)" in shown._repr_markdown_()
    right = quiz.Shown(quiz.feedback("pricing-01", "B", BANK))
    assert quiz.DOLLAR in right._repr_markdown_() and "$0.03 per 10,000" in repr(right)
    assert quiz.DOLLAR not in repr(right)
    quiz.ask("pricing-01", "B")
    assert capsys.readouterr().out == repr(right) + "\n"


def test_ask_displays_markdown_in_a_kernel():
    """In a kernel, ask() sends text/markdown (rendered, links clickable) and text/plain."""
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(quiz.Shown(quiz.feedback("rotation-03", "B", BANK)))
    assert data["text/markdown"].startswith("[wrong] rotation-03: B is not it.")
    assert data["text/plain"] == data["text/markdown"]


def test_markdown_hides_the_answer_in_details():
    text = quiz.markdown(quiz.by_id("pricing-01", BANK), 7)
    assert text.startswith("**Q7** `pricing-01` · ")
    assert "<details><summary>Show the answer</summary>" in text
    assert "**Answer: B.** " in text and f"{quiz.DOLLAR}0.03 per 10,000 requests" in text
    assert "[lesson 02, section “7. What it costs”](02_kms_fundamentals.ipynb#7.-What-it-costs)" in text


def test_markdown_escapes_every_dollar_so_jupyterlab_shows_no_maths():
    """Two unescaped $ in one Markdown cell would be typeset as LaTeX between them."""
    for q in BANK:
        assert re.search(r"(?<!\\)\$", quiz.markdown(q)) is None, q.id
    assert "$0.03" in quiz.plain(quiz.feedback("pricing-01", "B", BANK))      # printed text is plain


def test_markdown_links_the_sources_of_the_answer():
    q = dataclasses.replace(quiz.by_id("pricing-01", BANK), sources=("request-prices",))
    assert "Sources: [request-prices](../docs/sources.md#request-prices)" in quiz.markdown(q)
    assert "Sources:" not in quiz.markdown(q, reveal=False)


def test_validation_unknown_source_and_scenario_numbers():
    def unknown(qs):
        qs[0]["sources"] = ["no-such-entry"]
    assert "unknown source id(s) ['no-such-entry']" in broken(unknown)

    def scenario(qs):
        qs[0]["scenario_numbers"] = ["four"]
    assert "scenario_numbers must be a list of numbers" in broken(scenario)


def test_corrected_study_note_facts():
    """docs/sources.md: the corrected versions of what older notes get wrong."""
    def answer_text(qid):
        q = quiz.by_id(qid, BANK)
        return quiz.plain(" ".join(q.choices[i] for i in q.answer))
    assert answer_text("pricing-01") == "$0.03 per 10,000 requests"
    assert "25" in answer_text("rotation-03")
    assert "NEW_KEY_MATERIAL" in answer_text("rotation-04")
    assert answer_text("quotas-02") == "100,000 requests per second"


# -- generated files are current -------------------------------------------------------------

def test_coverage_doc_is_current():
    committed = (ROOT / "docs" / "coverage.md").read_text()
    assert committed == quiz.coverage_markdown(BANK), (
        "docs/coverage.md is stale: run `python -m kmslab.teach.quiz coverage docs/coverage.md`")


def test_coverage_cli_writes_the_file(tmp_path):
    out = tmp_path / "coverage.md"
    assert quiz.main(["coverage", str(out)]) == 0
    assert out.read_text() == quiz.coverage_markdown(BANK)


def _sources(nb) -> list[tuple[str, str]]:
    return [(c["cell_type"], c["source"]) for c in nb["cells"]]


def test_notebook_generation_is_deterministic(tmp_path):
    a, b = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    quiz.main(["build-notebook", str(a)])
    quiz.main(["build-notebook", str(b)])
    assert a.read_bytes() == b.read_bytes()
    ids = [c["id"] for c in json.loads(a.read_text())["cells"]]
    assert ids[:2] == ["cell-000", "cell-001"]


def test_committed_lesson_11_matches_the_bank():
    committed = nbformat.read(ROOT / "notebooks" / quiz.REVIEW_LESSON, as_version=4)
    assert _sources(committed) == _sources(quiz.build_notebook(BANK)), (
        "notebooks/11_exam_review.ipynb is stale: run `python -m kmslab.teach.quiz build-notebook "
        "notebooks/11_exam_review.ipynb` and `python -m kmslab.notebooks run notebooks/11_exam_review.ipynb`")


def test_every_question_is_in_lesson_11_with_an_answer_cell():
    text = (ROOT / "notebooks" / quiz.REVIEW_LESSON).read_text()
    for q in BANK:
        assert f'quiz.ask(\\"{q.id}\\", \\"\\")' in text, q.id


def test_links_use_the_heading_id_jupyterlab_renders():
    """A heading's id is its rendered text (no inline-code backticks), spaces turned into dashes."""
    q = quiz.by_id("access-01", BANK)
    assert "`" in q.section
    assert q.link.endswith("(07_key_policies_iam_grants.ipynb#2.-What-arn:aws:iam::ACCOUNT:root-really-means)")


def test_quota_chart_names_the_stale_figure_in_its_legend_not_over_the_title():
    from kmslab.teach import review

    ax = review.plot_symmetric_quotas().axes[0]
    assert "5,500" in ax.get_legend().get_texts()[0].get_text()
    assert not any("5,500" in t.get_text() for t in ax.texts)
    assert quiz.heading_anchor("3. `GetPublicKey`: outside AWS") == "3.-GetPublicKey:-outside-AWS"


def test_lesson_11_numbers_table_comes_from_the_sources():
    """The table is data/sources.json's numbers_to_know (tests/test_sources.py checks its numbers);
    no Markdown cell of lesson 11 leaves a $ for JupyterLab to typeset as maths."""
    from kmslab import sources
    from kmslab.teach import review

    cells = [c.source for c in quiz.build_notebook(BANK).cells if c.cell_type == "markdown"]
    assert review.numbers_markdown() in cells
    for source in cells:
        assert "$" not in re.sub(r"`[^`]*`", "", source).replace(quiz.DOLLAR, ""), source[:80]
        for entry in re.findall(r"\.\./docs/sources\.md#([\w-]+)", source):
            assert entry in sources.load(), entry
