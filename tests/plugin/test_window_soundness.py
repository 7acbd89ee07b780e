"""A window's GO covers only what it observed: probes that errored, scrapes that are
missing, are never read as a pass (red-team review of the gate)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.plugin.helpers import by_id, http_check, verdict, write_gate
from tests.support.scripted import Script, Scripted, Step, scripted_server

# The health endpoint hangs past the check's timeout for the first second: those probes
# error (timeout), the later ones answer.
SCRIPTS: dict[str, Script] = {
    "stall": (Step(delay=1.5), Step(1.2)),
    # Slow (bad) for the first 0.9 s, then hung past the timeout until 3 s, then fast.
    "gap": (Step(delay=0.3), Step(0.9, delay=3.0), Step(3.0)),
}


@pytest.fixture(scope="module")
def service() -> Iterator[Scripted]:
    with scripted_server(SCRIPTS) as running:
        yield running


def stalled(check_id: str, service: Scripted, **keys: str) -> str:
    keys = {
        "window": "3s",
        "interval": "300ms",
        "timeout": "250ms",
        "on_fail": "ok",
        "url": f"{service.base('stall')}/health",
        **keys,
    }
    return http_check(check_id, None, **keys)


def test_errored_probes_in_a_window_are_never_a_go(
    pytester: pytest.Pytester, service: Scripted
) -> None:
    write_gate(pytester, service.url, stalled("stall", service))
    result = pytester.runpytest("--target=staging", "--verdict-json=v.json")
    assert result.ret == 10, result.stdout.str()
    check = by_id(verdict(pytester, "v.json"))["stall"]
    assert check["decision"] == "investigate"
    assert "probes errored" in check["reason"]
    assert "not verified at 0ms" in check["reason"]
    result.stdout.fnmatch_lines(["*probes errored*not verified at*"])


def test_an_explicit_on_error_ok_is_respected(pytester: pytest.Pytester, service: Scripted) -> None:
    write_gate(pytester, service.url, stalled("stall", service, on_error="ok"))
    result = pytester.runpytest("--target=staging", "--verdict-json=v.json")
    assert result.ret == 0, result.stdout.str()
    assert by_id(verdict(pytester, "v.json"))["stall"]["decision"] == "ok"


SLOW_FOR_2S = """
[[decision.rules]]
measurement = "http.latency"
above = "150ms"
for = "2s"
decision = "rollback"
"""


def test_a_for_row_across_samples_nobody_took_could_not_be_judged(
    pytester: pytest.Pytester, service: Scripted
) -> None:
    """Slow from the start, then no answer for two seconds, then fast: the latency may
    have stayed high across the for, so the row is not a pass (it was GO when the samples
    on either side of the gap were read as if nothing lay between them)."""
    gap = stalled(
        "gap",
        service,
        window="4s",
        interval="400ms",
        timeout="800ms",
        on_error="ok",
        url=f"{service.base('gap')}/health",
    )
    write_gate(pytester, service.url, gap, extra=SLOW_FOR_2S)
    result = pytester.runpytest("--target=staging", "--verdict-json=v.json")
    assert result.ret == 10, result.stdout.str()
    check = by_id(verdict(pytester, "v.json"))["gap"]
    assert check["decision"] == "investigate"
    assert "could not be judged" in check["reason"]
    assert "no samples" in check["reason"]
