"""The project's own sources (helpers/kmslab/data/sources.json), docs/sources.md generated from it,
and the number checks that hold other texts to it."""
from __future__ import annotations

import copy
import re

import pytest

from kmslab import sources
from kmslab.data_files import read_json
from kmslab.teach.markdown import escape
from kmslab.notebooks import ROOT

DATA = sources.load()
RAW = read_json(sources.DATA)
PAGE = ROOT / sources.PAGE


# -- the data ---------------------------------------------------------------------------------

def test_every_topic_has_entries_and_every_entry_a_source():
    for topic in DATA.topics:
        assert any(e.topic == topic for e in DATA.entries.values()), topic
    for entry in DATA.entries.values():
        assert entry.urls and entry.fact.strip() and entry.title.strip(), entry.id


def test_sources_are_aws_documentation_or_the_standards_it_follows():
    allowed = ("https://docs.aws.amazon.com/", "https://aws.amazon.com/", "https://boto3.amazonaws.com/",
               "https://github.com/boto/botocore/", "https://github.com/aws-samples/",
               "https://www.rfc-editor.org/rfc/", "https://csrc.nist.gov/")
    for entry in DATA.entries.values():
        for url in entry.urls:
            assert url.startswith(allowed), f"{entry.id}: {url}"
        assert any(u.startswith(allowed[:3]) for u in entry.urls) or entry.topic == "tls" or \
            entry.id == "gcm-nonce", f"{entry.id}: rests on no AWS page"


@pytest.mark.parametrize("entry", DATA.entries.values(), ids=lambda e: e.id)
def test_entry_text_states_only_its_own_values(entry):
    """The words and the numbers of an entry agree: every number in its text is one of its values."""
    texts = [entry.fact] + [c.change for c in entry.history]
    texts += [entry.older_notes["say"]] if entry.older_notes else []
    for text in texts:
        assert sources.check_numbers(text, [entry.id], data=DATA) == []


def broken(change) -> str:
    data = copy.deepcopy(RAW)
    change(data)
    with pytest.raises(sources.SourcesError) as info:
        sources.validate(data)
    return str(info.value)


def test_validation_names_the_entry_and_the_problem():
    def duplicate(d):
        d["sources"][1]["id"] = d["sources"][0]["id"]
    assert "duplicate id" in broken(duplicate)

    def topic(d):
        d["sources"][0]["topic"] = "nowhere"
    assert broken(topic).startswith(f"entry 1 ({RAW['sources'][0]['id']}): unknown topic")

    def plain_http(d):
        d["sources"][0]["urls"] = ["http://example.com/"]
    assert "https://" in broken(plain_http)

    def bad_value(d):
        d["sources"][0]["values"] = {"limit": "25"}
    assert "number" in broken(bad_value)

    def bad_date(d):
        d["sources"][0]["history"] = [{"when": "April 2024", "change": "x"}]
    assert "YYYY" in broken(bad_date)

    def row(d):
        d["numbers_to_know"][0]["sources"] = ["no-such-entry"]
    assert "no-such-entry" in broken(row)


# -- numbers in text ----------------------------------------------------------------------------

def test_mentions_read_numbers_money_ranges_and_dates():
    said = [m.text for m in sources.mentions(
        "Since 5 January 2023, $0.03 per 10,000 (7-30 days, 90–2560), TLS 1.2, up to 99%, April 2024.")]
    assert said == ["5 January 2023", "$0.03", "10,000", "7", "30", "90", "2560", "1.2", "99", "April 2024"]


def test_mentions_leave_identifiers_alone():
    text = ("RSA_2048 with SHA-256 in us-east-1, ECC_NIST_P256, AES-256, RFC 8446, NIST SP 800-38D, "
            "FIPS 140-3, arn:aws:iam::111122223333:root, \"Version\": \"2012-10-17\", 0-RTT, "
            "rand(0,1) x 2^(attempt-1), HMAC_SHA_384, aws:kms:dsse")
    assert [m.text for m in sources.mentions(text)] == ["2"]     # the base of 2^(attempt-1)


def test_a_wrong_number_or_date_is_caught():
    assert sources.check_numbers("at most 25 on-demand rotations", ["on-demand-rotation"]) == []
    assert sources.check_numbers("at most 26 on-demand rotations", ["on-demand-rotation"]) == [
        "'26' is not a value of ['on-demand-rotation']"]
    assert sources.check_numbers("$0.04 per 10,000 requests", ["request-prices"]) == [
        "'$0.04' is not a value of ['request-prices']"]
    assert sources.check_numbers("launched in May 2024", ["on-demand-rotation"]) == [
        "date 'May 2024' is not a change recorded in ['on-demand-rotation']"]


def test_history_is_allowed_in_explanations_but_not_in_answers():
    stale = "10 on-demand rotations per key (it was 10 at launch in April 2024)"
    assert sources.check_numbers(stale, ["on-demand-rotation"]) == []
    assert sources.check_numbers("10 per key", ["on-demand-rotation"], current_only=True) == [
        "'10' is not a value of ['on-demand-rotation']"]


def test_scenario_numbers_are_allowed_when_named():
    assert sources.check_numbers("3 retries means 4 attempts", ["max-attempts-meaning"]) != []
    assert sources.check_numbers("3 retries means 4 attempts", ["max-attempts-meaning"], also=[3, 4]) == []


def test_unknown_source_ids_are_a_problem():
    assert sources.check_numbers("25", ["no-such-entry"]) == ["unknown source id(s) ['no-such-entry']"]


# -- the page ----------------------------------------------------------------------------------

def test_sources_page_is_current():
    assert PAGE.read_text(encoding="utf-8") == sources.render(DATA), (
        f"{sources.PAGE} is stale: run python -m kmslab.sources --render {sources.PAGE}")


def test_render_cli_writes_the_page(tmp_path):
    out = tmp_path / "sources.md"
    assert sources.main(["--render", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == sources.render(DATA)


def _github_anchor(heading: str) -> str:
    """GitHub's heading id: lowercase, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_entry_and_topic_has_exactly_one_anchor():
    """Links such as docs/sources.md#grants land: an explicit <a id> per entry (JupyterLab turns ids
    into data-jupyter-id and scrolls to it; GitHub keeps it as user-content-<id>), and no generated
    heading id of another entry competes with it."""
    page = PAGE.read_text(encoding="utf-8")
    anchors = re.findall(r'<a id="([^"]+)"></a>', page)
    assert sorted(anchors) == sorted([*DATA.entries, *DATA.topics])
    assert len(anchors) == len(set(anchors))
    headings = re.findall(r"^#{2,3} (.+)$", page, flags=re.M)
    titles = {e.title: e.id for e in DATA.entries.values()} | {t: i for i, t in DATA.topics.items()}
    for heading in headings:
        generated = _github_anchor(heading)
        assert generated not in anchors or titles[heading] == generated, (
            f"the heading {heading!r} makes the id {generated!r}, another entry's anchor")


def test_dollars_are_escaped_for_jupyterlab_and_github():
    page = PAGE.read_text(encoding="utf-8")
    assert "<span>\\$</span>0.03 per 10,000" in page
    assert "$" not in re.sub(r"`[^`]*`", "", page).replace("<span>\\$</span>", "")
    escaped = "costs <span>\\$</span>1 (`$HOME` stays)"
    assert escape("costs $1 (`$HOME` stays)") == escaped
    assert escape(escaped) == escaped, "escaping twice changes nothing"


def test_links_and_labels():
    assert sources.link("grants") == "[grants](../docs/sources.md#grants)"
    assert sources.link("grants", "") == "[grants](docs/sources.md#grants)"
    assert sources.url_label("https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html") == \
        "AWS KMS Developer Guide: rotate-keys"
    assert sources.url_label("https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html") == \
        "AWS KMS API Reference: Sign"
    assert sources.url_label("https://www.rfc-editor.org/rfc/rfc5280#section-6") == "IETF: RFC 5280 § 6"


# -- what holds other texts to the sources ------------------------------------------------------

from kmslab.teach import quiz  # noqa: E402

BANK = quiz.load()


@pytest.mark.parametrize("q", BANK, ids=lambda q: q.id)
def test_quiz_answers_and_explanations_agree_with_their_sources(q):
    """Every number and date in a question's right answer is a current value of the entries it names;
    its explanation may also tell their history. Questions name their sources in questions.json."""
    assert q.sources, f"{q.id}: name the entries of data/sources.json this answer rests on"
    assert sources.question_problems(q, DATA) == []


def test_numbers_to_know_agree_with_the_sources():
    assert DATA.numbers_to_know, "lesson 11's table comes from numbers_to_know"
    assert sources.table_problems(DATA) == []


def test_a_wrong_number_in_the_quiz_or_the_table_fails():
    import dataclasses

    q = quiz.by_id("rotation-03", BANK)
    wrong_answer = dataclasses.replace(q, choices=tuple(c.replace("25", "10") for c in q.choices))
    assert sources.question_problems(wrong_answer, DATA) == [
        "rotation-03, answer: '10' is not a value of ['on-demand-rotation']"]
    wrong_explanation = dataclasses.replace(q, explanation=q.explanation.replace("April 2024", "May 2024"))
    assert sources.question_problems(wrong_explanation, DATA) == [
        "rotation-03, explanation: date 'May 2024' is not a change recorded in ['on-demand-rotation']"]

    data = copy.deepcopy(RAW)
    entry = next(e for e in data["sources"] if e["id"] == "on-demand-rotation")
    entry["values"]["max_per_key"] = 30            # AWS raised the limit, the table was not updated
    assert sources.table_problems(sources.validate(data)) == [
        "numbers to know, 'on-demand rotations per key': '25' is not a value of ['on-demand-rotation']"]


def test_the_fidelity_ledger_cites_real_entries():
    from kmslab.service.ledger_rules import MOTO_MATCHES, NOT_MODELLED, RULES

    for item in [*RULES, *MOTO_MATCHES, *NOT_MODELLED]:
        ids = [i.strip() for i in item["facts"].split(",")]
        # an entry of the sources page, or a link to the AWS documentation page itself
        aws_page = re.compile(r"^\[[^\]]+\]\(https://docs\.aws\.amazon\.com/[^)\s]+\)$")
        assert ids and all(i in DATA or aws_page.match(i) for i in ids), f"ledger rule {item['id']}: {ids}"


def _tracked() -> list:
    import subprocess

    try:
        names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.splitlines()
        return [ROOT / n for n in names if (ROOT / n).is_file()]
    except (OSError, subprocess.CalledProcessError):      # not a git checkout: every file but the venv
        return [p for p in ROOT.rglob("*") if p.is_file() and not {".git", ".venv"} & set(p.parts)]


TRACKED = _tracked()
SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"


def test_every_citation_in_the_repository_names_a_real_entry():
    """Code says 'sources: <id>, <id>', Markdown and hints 'sources.md#<id>': a typo, or an id
    that a merge brought back from an older tree, fails here."""
    wrong = []
    for path in TRACKED:
        if path.suffix not in (".py", ".md", ".ipynb", ".json", ".txt", ".cfg", ".toml"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        cited = re.findall(rf"sources\.md#({SLUG})", text)
        for group in re.findall(rf"\bsources: (?!tuple\b)({SLUG}(?:, {SLUG})*)", text):
            cited += group.split(", ")
        wrong += [f"{path.relative_to(ROOT)}: {i}" for i in cited if i not in DATA]
    assert wrong == []


def test_the_research_notes_are_named_nowhere():
    """The team's notes are not part of the project: every fact cites the AWS page or
    docs/sources.md (the migration that replaced the old citations lives outside the repository)."""
    name = ("kms" + "-facts").encode()
    found = [str(p.relative_to(ROOT)) for p in TRACKED if name in p.read_bytes()]
    assert found == [], f"cite docs/sources.md or the AWS page instead: {found}"
