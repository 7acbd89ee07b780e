"""A failing host command's reason keeps the END of its output: the last line of a
traceback says what went wrong, its first lines only where."""

from __future__ import annotations

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.host import CommandCheck, CommandObservation
from pytest_deploygate.expect.base import tail_snippet
from pytest_deploygate.expect.host import judge_command

TRACEBACK = "Traceback (most recent call last):\n" + "".join(
    f'  File "/srv/app/module{i}.py", line {i}, in step{i}\n    call_{i}()\n' for i in range(40)
)
SPEC = CommandCheck.model_validate(
    {
        "id": "migrate",
        "type": "host",
        "phases": ["smoke"],
        "check": "command",
        "command": "python manage.py check",
    }
)


def test_a_traceback_is_summed_up_by_its_last_line() -> None:
    stderr = TRACEBACK + "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is empty\n"
    failures, _ = judge_command(SPEC, Target(), CommandObservation(1, "", stderr))
    (reason,) = failures
    assert reason.startswith("`python manage.py check` exited 1, expected 0: … ")
    assert reason.endswith("ImproperlyConfigured: SECRET_KEY is empty")
    assert "Traceback" not in reason and len(reason) < 250


def test_short_output_is_kept_whole_on_one_line() -> None:
    assert tail_snippet("first\n\n  second  line\n", 80) == "first second line"
    assert tail_snippet("", 80) == ""


def test_whole_lines_are_kept_from_the_end_while_they_fit() -> None:
    assert tail_snippet("aaaa\nbbbb\ncccc\n", 12) == "… bbbb cccc"


def test_a_last_line_longer_than_the_limit_is_shown_from_its_start() -> None:
    assert tail_snippet("early\nValueError: " + "x" * 50, 20) == "ValueError: xxxxxxx…"
