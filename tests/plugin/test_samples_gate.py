"""Samples travel from where a check ran to the verdict file, with and without xdist,
and ``for`` rows decide on them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.plugin.helpers import by_id, verdict, write_gate

DOCS = Path(__file__).resolve().parents[2] / "docs"
TEAM = """
import pytest

BURST = [(t, 0.30 if 4 <= t < 8 else 0.01) for t in range(20)]
SUSTAINED = [(t, 0.30 if t >= 5 else 0.01) for t in range(20)]

@pytest.mark.postdeploy
@pytest.mark.deploygate(id="burst")
def test_burst(measure):
    measure("errors.rate", 0.30, "ratio", samples=BURST)

@pytest.mark.postdeploy
@pytest.mark.deploygate(id="sustained")
def test_sustained(measure):
    measure("errors.rate", 0.30, "ratio", samples=SUSTAINED)

@pytest.mark.postdeploy
@pytest.mark.deploygate(id="short")
def test_short(measure):
    measure("errors.rate", 0.0, "ratio", samples=[(0, 0.0), (1, 0.0)])
"""
RULES = """
[[decision.rules]]
measurement = "errors.rate"
above = "5%"
for = "10s"
decision = "rollback"
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_for_rows_decide_on_samples_that_reach_the_verdict_file(
    pytester: pytest.Pytester, http_base: str, workers: list[str]
) -> None:
    write_gate(pytester, http_base, extra='paths = ["checks"]\n' + RULES)
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(TEAM)
    result = pytester.runpytest_subprocess("--target=staging", "--verdict-json=v.json", *workers)
    assert result.ret == 1
    doc = verdict(pytester, "v.json")
    jsonschema.validate(doc, json.loads((DOCS / "verdict.schema.json").read_text()))
    checks = by_id(doc)
    assert checks["burst"]["decision"] == "ok"
    assert checks["sustained"]["decision"] == "rollback"
    assert checks["sustained"]["rules"][0]["span"] == [5.0, 19.0]
    assert checks["short"]["decision"] == "investigate"
    assert "could not be judged" in checks["short"]["reason"]
    samples = checks["burst"]["measurements"][0]["samples"]
    assert samples[:2] == [[0.0, 0.01], [1.0, 0.01]] and len(samples) == 20
    result.stdout.fnmatch_lines(["*ROLLBACK*", "*sustained*errors.rate above 5.00% for 14.00s*"])
