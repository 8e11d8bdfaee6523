"""The check core: three kinds of answer, and never a traceback."""
from __future__ import annotations

from botocore.exceptions import ClientError

from kmslab.teach.checks import MARKS, OK, TODO, WRONG, Wrong, check, expect, require


@check("Task 1: a number", hint="lesson 00")
def check_even(n):
    require(n, "n")
    expect(isinstance(n, int), "type", f"n is a {type(n).__name__}, not an int")
    expect(n % 2 == 0, "parity", f"{n} is odd")
    return f"{n} is even"


def test_ok_todo_wrong():
    assert check_even(4).status == OK and check_even(4).text == "[ok] Task 1: a number: 4 is even"
    todo = check_even(...)
    assert todo.status == TODO and "not done yet" in todo.text and "n" in todo.text
    wrong = check_even(3)
    assert wrong.status == WRONG and wrong.part == "parity" and "Hint: lesson 00" in wrong.text
    assert check_even("4").part == "type"


def test_unexpected_errors_become_feedback_not_tracebacks():
    @check("Task 2")
    def boom(x):
        raise ClientError({"Error": {"Code": "DisabledException", "Message": "key is disabled"}}, "Encrypt")

    fb = boom(1)
    assert fb.status == WRONG and "DisabledException" in fb.message and "Traceback" not in fb.text

    @check("Task 3")
    def raises_wrong(x):
        raise Wrong("policy", "admins can decrypt", hint="lesson 07")

    assert raises_wrong(1).hint == "lesson 07"


def test_notebook_display_prints_the_text(capsys):
    check_even(4)._ipython_display_()
    assert capsys.readouterr().out == "[ok] Task 1: a number: 4 is even\n"


def test_marks_are_words_not_emoji():
    """Stock Debian Chromium has no emoji font: the marks must read without one."""
    assert MARKS == {OK: "[ok]", WRONG: "[wrong]", TODO: "[todo]"}
    for fb in (check_even(4), check_even(3), check_even(...)):
        assert fb.text.isascii(), fb.text
        assert fb.text.startswith(MARKS[fb.status] + " ")
    assert "not done yet" in check_even(...).text and "Hint:" in check_even(3).text
