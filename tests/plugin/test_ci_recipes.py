"""The CI recipes in docs/ci.md: valid workflow files (check-jsonschema's vendored GitHub
workflow and GitLab CI schemas), every job output they read is declared, and their gate
scripts, run against a real gate, go on only on a verdict file that says GO."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from tests.plugin.helpers import write_gate

DOC = Path(__file__).resolve().parents[2] / "docs" / "ci.md"
NEEDS_OUTPUT = re.compile(r"needs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")


def recipe(section: str) -> tuple[str, dict[str, Any]]:
    """The YAML block under ``## section`` in docs/ci.md: its text and its data."""
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1]
    block = body.split("```yaml\n", 1)[1].split("```", 1)[0]
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(block)
    return block, data


def vendored_schema(name: str) -> dict[str, Any]:
    files = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads((files / name).read_text(encoding="utf-8"))
    return schema


@pytest.mark.parametrize(
    ("section", "schema"),
    [("GitHub Actions", "github-workflows.json"), ("GitLab CI", "gitlab-ci.json")],
)
def test_the_recipe_is_a_valid_workflow(section: str, schema: str) -> None:
    _, data = recipe(section)
    jsonschema.validate(data, vendored_schema(schema))


def test_every_job_output_a_recipe_reads_is_declared_by_a_job_it_needs() -> None:
    _, workflow = recipe("GitHub Actions")
    jobs = workflow["jobs"]
    read = 0
    for name, job in jobs.items():
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        for other, output in NEEDS_OUTPUT.findall(json.dumps(job)):
            read += 1
            assert other in needs, f"{name} reads needs.{other} but does not need it"
            assert output in jobs[other].get("outputs", {}), (
                f"{name} reads needs.{other}.outputs.{output}, which {other} never declares"
            )
    assert read, "the recipe gates its deploy job on the gate's output"


def gate_step() -> str:
    _, workflow = recipe("GitHub Actions")
    steps = workflow["jobs"]["predeploy"]["steps"]
    script: str = next(s["run"] for s in steps if s.get("id") == "gate")
    return script


def gitlab_script(job: str) -> str:
    _, pipeline = recipe("GitLab CI")
    lines = [line for line in pipeline[job]["script"] if not line.startswith("pip install")]
    return "\n".join(lines).replace("./scripts/rollback.sh", "echo rolling back")


GITHUB_BASH = ("--noprofile", "--norc", "-eo", "pipefail")  # GitHub's default for run:
GITLAB_BASH = ("-e",)


def run_script(
    pytester: pytest.Pytester, script: str, flags: tuple[str, ...]
) -> tuple[int, str, str]:
    """Run a recipe's script as its CI would (``bash -e``), with the test's Python and
    pytest first on PATH; returns the exit code, the output and what went to
    $GITHUB_OUTPUT."""
    outputs = pytester.path / "github-output"
    outputs.write_text("")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(outputs),
    }
    done = subprocess.run(
        ["bash", *flags, "-c", script],
        cwd=pytester.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr, outputs.read_text()


def predeploy_gate(pytester: pytest.Pytester, base_url: str, team_check: str = "") -> None:
    check = (
        '[[checks]]\nid = "health"\ntype = "http"\nphases = ["predeploy", "smoke"]\n'
        'path = "/health"\ntimeout = "5s"\n'
    )
    write_gate(pytester, base_url, check, extra='paths = ["team"]\n' if team_check else "")
    if team_check:
        pytester.mkpydir("team").joinpath("test_team.py").write_text(team_check)


EXITS_0_WITHOUT_A_VERDICT = """
import os
import pytest

@pytest.mark.predeploy
@pytest.mark.smoke
def test_exits_early():
    os._exit(0)
"""


def test_the_github_gate_step_goes_on_only_on_a_go(
    pytester: pytest.Pytester, http_base: str
) -> None:
    predeploy_gate(pytester, http_base)
    code, output, outputs = run_script(pytester, gate_step(), GITHUB_BASH)
    assert code == 0, output
    assert "verdict=GO" in outputs


def test_the_github_gate_step_stops_when_pytest_exits_0_without_a_verdict(
    pytester: pytest.Pytester, http_base: str
) -> None:
    predeploy_gate(pytester, http_base, EXITS_0_WITHOUT_A_VERDICT)
    code, output, outputs = run_script(pytester, gate_step(), GITHUB_BASH)
    assert code == 1, output
    assert "gate incomplete or misconfigured (exit 0, verdict none)" in output
    assert "verdict=NONE" in outputs


@pytest.mark.parametrize("job", ["predeploy-gate", "smoke-gate"])
def test_the_gitlab_gate_scripts_stop_when_pytest_exits_0_without_a_verdict(
    pytester: pytest.Pytester, http_base: str, job: str
) -> None:
    predeploy_gate(pytester, http_base)
    code, output, _ = run_script(pytester, gitlab_script(job), GITLAB_BASH)
    assert (code, "GO") == (0, output.strip().splitlines()[-1]), output
    predeploy_gate(pytester, http_base, EXITS_0_WITHOUT_A_VERDICT)
    code, output, _ = run_script(pytester, gitlab_script(job), GITLAB_BASH)
    assert code == 1, output
    assert "(exit 0, verdict none)" in output
