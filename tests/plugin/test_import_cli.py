"""`deploygate import`: the console script writes a draft that a gate run can load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_deploygate.cli import EXIT_USAGE, main
from tests.support.seeds import seeds, variable_values


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("deploygate")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pytest_deploygate.cli"]
    return subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("path", seeds(), ids=[p.name[:3] for p in seeds()])
def test_each_seed_draft_collects_with_its_variables_set(
    pytester: pytest.Pytester, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checklist = pytester.path / "CHECKLIST.md"
    checklist.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["import", str(checklist), "-o", str(pytester.path / "deploygate.toml")]) == 0
    draft = (pytester.path / "deploygate.toml").read_text(encoding="utf-8")
    for name, value in variable_values(draft).items():
        monkeypatch.setenv(name, value)
    result = pytester.runpytest("--collect-only", "-q", "--target", "production")
    assert result.ret == 0, result.stdout.str()
    drafted = draft.count("[[checks]]")
    result.stdout.fnmatch_lines([f"{drafted} tests collected*"])


def test_the_console_script_prints_a_summary(tmp_path: Path) -> None:
    (tmp_path / "CHECKLIST.md").write_text(
        "## Smoke\n- [ ] `curl -f https://shop.example.com/health`\n- [ ] Tell the team\n"
    )
    done = run_cli("import", "CHECKLIST.md", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 items: 1 became checks, 0 became rules, 1 stay manual" in done.stdout
    assert "Set BASE_URL" in done.stdout
    text = (tmp_path / "deploygate.toml").read_text()
    assert 'base_url = "${BASE_URL}"' in text and "[targets.production]" in text


def test_an_existing_file_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "CHECKLIST.md").write_text("- [ ] GET /health\n")
    (tmp_path / "deploygate.toml").write_text("# mine\n")
    done = run_cli("import", "CHECKLIST.md", cwd=tmp_path)
    assert done.returncode == EXIT_USAGE
    assert "deploygate.toml exists" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "deploygate.toml").read_text() == "# mine\n"


def test_a_missing_checklist_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli("import", "nope.md", "-o", "-", cwd=tmp_path)
    assert done.returncode == EXIT_USAGE
    assert "cannot read nope.md" in done.stderr and "Traceback" not in done.stderr


def test_dash_prints_the_draft(tmp_path: Path) -> None:
    (tmp_path / "CHECKLIST.md").write_text("- [ ] GET /health\n")
    done = run_cli("import", "CHECKLIST.md", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0
    assert 'path = "/health"' in done.stdout
    assert not (tmp_path / "deploygate.toml").exists()
    assert os.path.exists(tmp_path / "CHECKLIST.md")
