"""Lesson 11 (exam review), generated from the question bank: a one-page summary of the
suite, the coverage table, and every question with a cell to answer it.

Built by `python -m kmslab.teach.quiz build-notebook notebooks/11_exam_review.ipynb`,
then executed with `python -m kmslab.notebooks run notebooks/11_exam_review.ipynb`.
The "Numbers to know" table is generated from data/sources.json (`numbers_to_know`), each row
linking its entry on docs/sources.md; tests check its numbers against the entries' values.
Dollar signs in every Markdown cell are escaped so JupyterLab does not typeset them as maths.
"""
from __future__ import annotations

from kmslab import sources

from .markdown import escape
from .quiz import TOPICS, Question, markdown

INTRO = """# 11 · Exam review

The whole suite on one page, then a bank of DVA-C02-style questions on every topic. Each
answer explains itself and links back to the lesson section that teaches it.

**What you'll learn**
- The numbers and rules the exam asks about, in two tables.
- Which topics you have practised, and where to go back to.

**What you'll need**
- Lessons 00–10 (or the courage to guess first and read after).

**How to use it.** In JupyterLab, put your answer in the cell under a question and run it.
On a rendered page (GitHub, a static site), open **Show the answer**."""

# One line per lesson: what to remember.
LESSONS = """## 1. The suite on one page

| lesson | remember |
|---|---|
| 01 Three kinds of encryption | In flight = TLS (KMS needs TLS 1.2+, recommends 1.3). At rest = server-side (SSE-S3, SSE-KMS) or client-side (you encrypt before sending). |
| 02 KMS fundamentals | Keys are Regional; `mrk-` keys share material across Regions. An alias points at one key of its own Region; deleting it leaves the key and its ciphertexts alone. Deletion waits 7–30 days (default 30); disable first. Customer managed, AWS managed (`aws/s3`…), AWS owned (DynamoDB's default). Custom key stores keep material in your CloudHSM cluster. CloudTrail logs every call. |
| 03 Symmetric keys | AES-256-GCM; `Encrypt` takes at most 4096 bytes. The encryption context must match exactly and is visible in CloudTrail. |
| 04 Envelope encryption | `GenerateDataKey` → encrypt locally → erase the plaintext key → store the encrypted data key with the data. Never reuse a GCM nonce; never log a data key. |
| 05 Asymmetric and HMAC keys | One key usage per key. `GetPublicKey` lets others encrypt or verify outside AWS. RSA_2048 OAEP-SHA-256 holds 190 bytes. AWS services use symmetric keys only. HMAC keys: `GenerateMac`/`VerifyMac` (tokens, integrity), at most 4096 bytes, no encryption, no rotation. `DeriveSharedSecret`: ECDH key agreement. |
| 06 Key rotation | Automatic: off by default, 90–2560 days (default 365). On demand: 25 per key. Same key id; old ciphertext still decrypts. Imported symmetric keys rotate on demand with `NEW_KEY_MATERIAL`. |
| 07 Key policies, IAM and grants | One key policy per key. `…:root` = the account, which lets IAM policies grant access. Cross-account needs the key policy **and** an IAM policy. Grant tokens work at once. |
| 08 Across Regions and accounts | Copy snapshots in the destination Region with a key there. `aws/ebs` snapshots can't be shared: re-encrypt with a customer managed key first. |
| 09 Quotas and throttling | `ThrottlingException` → backoff with jitter, then caching / Bucket Keys, then a quota increase. Requests made for you by AWS services count. botocore's standard mode: 3 attempts, 1 s base after throttling, 0.05 s otherwise, 20 s cap, a retry quota. |
| 10 KMS in AWS services | SSE-S3 by default since 2023; SSE-KMS, Bucket Keys (up to 99% fewer calls, one per requester), DSSE-KMS, SSE-C (HTTPS, blocked by default since April 2026). SecureString (`aws/ssm`; standard 4 KB, advanced 8 KB; needs `kms:Decrypt`), Secrets Manager (`aws/secretsmanager`; across accounts: customer managed key, resource policy, IAM policy). |"""

NUMBERS_INTRO = """### Numbers to know

Each row links to its entry on the [sources page](../docs/sources.md), which names the AWS pages."""


def numbers_markdown(data: sources.Sources | None = None) -> str:
    """The "Numbers to know" table, from data/sources.json."""
    data = data or sources.load()
    lines = [NUMBERS_INTRO, "", "| what | number | older notes say |", "|---|---|---|"]
    lines += [f"| {sources.link(row.sources[0], text=row.what)} | {row.number} | {row.older} |"
              for row in data.numbers_to_know]
    return escape("\n".join(lines))


COVERAGE = """## 2. Coverage: topics, lessons, labs and questions

Which DVA-C02 encryption topics the suite teaches (lessons), lets you practise (labs) and
asks about (questions). The same table is in [docs/coverage.md](../docs/coverage.md)."""

HOW = """## 3. How to answer

Call `quiz.ask(question_id, answer)` with letters (`"B"`, or `"AC"` when a question says
*Choose two*). A wrong answer tells you where to read again, without giving the answer away."""

SUMMARY = """## Summary

- The exam's encryption questions are mostly about **which KMS feature fits a need**: envelope
  encryption for data over 4 KB, `GetPublicKey` for parties outside AWS, grants for services,
  `kms:ViaService` for "only through S3", Bucket Keys or caching for throttling and cost.
- Learn the current numbers, not the old ones: **<span>\\$</span>0.03 per 10,000 requests**, **25** on-demand
  rotations, symmetric quotas **10,000 / 20,000 / 100,000** requests per second.
- Every answer above links back to the lesson section that shows it in the sandbox.

## What to read next

- Exam guide: [AWS Certified Developer – Associate (DVA-C02)](https://docs.aws.amazon.com/aws-certification/latest/developer-associate-02/developer-associate-02.html)
- [AWS KMS concepts](https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html)
- [AWS KMS quotas](https://docs.aws.amazon.com/kms/latest/developerguide/limits.html)
- [AWS KMS pricing](https://aws.amazon.com/kms/pricing/)

That is the whole course. The [lesson 00 section "The map"](00_start_here.ipynb#The-map) lists every lesson and lab,
to go back to any of them."""


# The shared symmetric quota, by Region group (requests per second), from data/sources.json.
_QUOTA = sources.load()["symmetric-request-quota"].values
SYMMETRIC_QUOTAS = (
    ("most Regions", _QUOTA["default_rps"]),
    ("us-east-2, ap-southeast-1, ap-southeast-2,\nap-northeast-1, eu-central-1, eu-west-2", _QUOTA["larger_rps"]),
    ("us-east-1, us-west-2, eu-west-1", _QUOTA["largest_rps"]),
)


def plot_symmetric_quotas():
    """Bars: the symmetric request quota by Region group, with the stale 5,500 marked."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, ax = plt.subplots(figsize=(9, 3.4))
    names = [n for n, _ in SYMMETRIC_QUOTAS][::-1]
    values = [v for _, v in SYMMETRIC_QUOTAS][::-1]
    ax.barh(names, values, color="#5b8e7d")
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:,}", va="center")
    # The stale figure goes in the legend, in the empty space beside the short bars (not over the title).
    ax.axvline(5_500, color="#c0504d", linestyle="--", label="5,500: the out-of-date figure older notes quote")
    ax.legend(loc="upper right", fontsize=9, frameon=False)
    ax.set_xlim(0, 125_000)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.set_xlabel("symmetric cryptographic requests per second, shared per account and Region")
    ax.set_title("KMS symmetric request quotas today")
    fig.tight_layout()
    plt.close(fig)
    return fig


def build(bank: list[Question]):
    """The lesson as an unexecuted nbformat notebook; the same bank gives the same notebook."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from kmslab.notebooks import STANDARD_METADATA

    cells = [
        new_markdown_cell(INTRO),
        new_code_cell('%xmode Minimal\nfrom kmslab import sandbox\nsb = sandbox.start()\n\n'
                      'from kmslab.teach import quiz, review\nbank = quiz.load()\n'
                      'print(f"{len(bank)} questions on {len(quiz.TOPICS)} topics")'),
        new_markdown_cell(LESSONS),
        new_markdown_cell(numbers_markdown()),
        new_markdown_cell("The quotas, as a picture: where you are decides how fast you may call KMS."),
        new_code_cell("review.plot_symmetric_quotas()"),
        new_markdown_cell(COVERAGE),
        new_code_cell("print(quiz.coverage_table(bank))"),
        new_code_cell("quiz.plot_questions_per_topic(bank)"),
        new_markdown_cell(HOW),
        new_code_cell('quiz.ask("rotation-03", "B")   # a wrong answer points to the lesson\n'
                      'quiz.ask("rotation-03", "C")   # a right one explains why'),
    ]
    number = 0
    for section, (tag, topic) in enumerate(TOPICS.items(), start=4):
        questions = [q for q in bank if q.topic == tag]
        if not questions:
            continue
        cells.append(new_markdown_cell(f"## {section}. {topic.title}"))
        for q in questions:
            number += 1
            cells.append(new_markdown_cell(markdown(q, number)))
            example = '"B"' if len(q.answer) == 1 else '"AC" (choose two)' if len(q.answer) == 2 else '"ACD"'
            cells.append(new_code_cell(f'quiz.ask("{q.id}", "")   # your answer, e.g. {example}'))
    cells.append(new_markdown_cell(SUMMARY))
    # The last cell of every lesson records that it ran to the end (python -m kmslab progress).
    cells.append(new_code_cell('from kmslab import progress\n\nprogress.lesson_done("11")'))
    for cell in cells:
        if cell.cell_type == "markdown":
            cell.source = escape(cell.source)
    nb = new_notebook(cells=cells, metadata=dict(STANDARD_METADATA))
    # Stable cell ids (nbformat would draw random ones): derived from the position.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    nbformat.validate(nb)
    return nb
