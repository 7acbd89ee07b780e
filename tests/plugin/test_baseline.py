"""Baselines end to end: a GO run saves the last-known-good record, a slower deploy of a
real loopback service is judged against it, and every way a baseline can be missing
investigates instead of passing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_deploygate.baseline import NO_BASELINE, NOT_GIVEN
from tests.plugin.helpers import XDIST_WORKERS, by_id, http_check, verdict, write_gate

RELATIVE = (
    '[[decision.rules]]\nmeasurement = "http.latency"\ncheck = "api"\n'
    'above_baseline = "2x"\ndecision = "investigate"\n'
)
ABSOLUTE = '[[decision.rules]]\nmeasurement = "http.latency"\nabove = "8s"\ndecision = "rollback"\n'
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "verdict.schema.json").read_text()
)
# The healthy service answers in DELAY_S, the degraded one in SLOW_S: six times as slow,
# yet well under the absolute row's 8 s (which alone would say GO). A loaded machine adds
# its delay to every answer: a healthy answer needs 0.5 s more than its baseline to read
# as twice as slow (with 50 ms, 70 ms more did), a degraded one would need a baseline
# 1 s late to pass as healthy, and 5 s late to cross the absolute row.
DELAY_S, SLOW_S = 0.5, 3.0


@pytest.fixture
def service(http_base: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The loopback test service; its /slow answers in API_DELAY seconds (``degrade``)."""
    monkeypatch.setenv("API_DELAY", str(DELAY_S))
    return http_base


def degrade(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same config, a slower deploy."""
    monkeypatch.setenv("API_DELAY", str(SLOW_S))


def gate(pytester: pytest.Pytester, url: str, *rules: str, target: str = "staging") -> None:
    write_gate(
        pytester,
        url,
        http_check("api", "/slow?s=${API_DELAY}", timeout="15s"),
        http_check("health", "/health", timeout="15s"),
        extra="".join(rules),
    )
    if target != "staging":
        path = pytester.path / "deploygate.toml"
        path.write_text(path.read_text().replace("[targets.staging]", f"[targets.{target}]"))


def save_good_record(pytester: pytest.Pytester, url: str, name: str = "lkg/last-good.json") -> Path:
    """The first record: a GO run of the config before it had relative rows."""
    gate(pytester, url, ABSOLUTE)
    result = pytester.runpytest("--target=staging", f"--save-baseline={name}")
    assert result.ret == 0, result.stdout.str()
    return pytester.path / name


def relative_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in by_id(doc)["api"]["rules"] if "baseline" in r]


def test_a_go_run_saves_the_record_and_a_slower_deploy_is_judged_against_it(
    pytester: pytest.Pytester, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = save_good_record(pytester, service)
    saved = json.loads(record.read_text())
    assert saved["verdict"] == "GO"
    assert saved["deployment"]["config_hash"].startswith("sha256:")
    saved_latency = by_id(saved)["api"]["measurements"][0]["value"]

    gate(pytester, service, ABSOLUTE, RELATIVE)
    degrade(monkeypatch)
    result = pytester.runpytest(
        "--target=staging", "--baseline=lkg/last-good.json", "--verdict-json=v.json"
    )
    assert result.ret == 10, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "deploygate: baseline lkg/last-good.json (GO run finished *Z): relative rules "
            "compare with its values",
            "*INVESTIGATE*api*http.latency *s, baseline *s (+*%)*",
        ]
    )
    doc = verdict(pytester, "v.json")
    jsonschema.validate(saved, SCHEMA)
    jsonschema.validate(doc, SCHEMA)
    (row,) = relative_rows(doc)
    assert row["decision"] == "investigate"
    assert row["baseline"]["value"] == saved_latency
    assert row["baseline"]["file"] == "lkg/last-good.json"
    assert row["baseline"]["problem"] is None
    assert row["value"] > 2 * saved_latency


def test_a_run_that_is_not_go_leaves_the_previous_record_untouched(
    pytester: pytest.Pytester, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = save_good_record(pytester, service)
    before = record.read_bytes()
    gate(pytester, service, ABSOLUTE, RELATIVE)
    degrade(monkeypatch)
    result = pytester.runpytest(
        "--target=staging", "--baseline=lkg/last-good.json", "--save-baseline=lkg/last-good.json"
    )
    assert result.ret == 10
    assert record.read_bytes() == before
    assert not list(record.parent.glob("*.tmp"))


def test_a_go_run_replaces_the_record(pytester: pytest.Pytester, service: str) -> None:
    record = save_good_record(pytester, service)
    first = json.loads(record.read_text())
    gate(pytester, service, ABSOLUTE, RELATIVE)
    result = pytester.runpytest(
        "--target=staging", "--baseline=lkg/last-good.json", "--save-baseline=lkg/last-good.json"
    )
    assert result.ret == 0, result.stdout.str()
    second = json.loads(record.read_text())
    assert second["verdict"] == "GO"
    # The config gained a row: the record says so.
    assert second["deployment"]["config_hash"] != first["deployment"]["config_hash"]


def _write(path: Path, document: Any) -> None:
    path.write_text(document if isinstance(document, str) else json.dumps(document))


def _good() -> dict[str, Any]:
    """A record as a GO run saves it (saving itself is tested above)."""
    latency = {"name": "http.latency", "value": DELAY_S, "unit": "s", "threshold": None}
    return {
        "schema_version": 1,
        "verdict": "GO",
        "target": "staging",
        "checks": [
            {"id": "api", "measurements": [latency]},
            {"id": "health", "measurements": [latency]},
        ],
    }


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("not given", NOT_GIVEN),
        ("no file", "missing.json does not exist"),
        ("unreadable", "base.json cannot be read"),
        ("corrupted", "base.json is not valid JSON"),
        ("not GO", "base.json records verdict 'ROLLBACK', not GO"),
        ("unknown schema version", "base.json has schema_version 99"),
        ("another target", "base.json is from target 'production', not 'staging'"),
        ("no such check", "base.json has no check 'api'"),
        ("no such measurement", "check 'api' in base.json has no measurement 'http.latency'"),
    ],
)
def test_every_missing_baseline_investigates_and_says_which(
    pytester: pytest.Pytester, service: str, case: str, says: str
) -> None:
    good = _good()
    base = pytester.path / "base.json"
    args = ["--baseline=base.json"]
    if case == "not given":
        args = []
    elif case == "no file":
        args = ["--baseline=missing.json"]
    elif case == "unreadable":
        base.mkdir()
    elif case == "corrupted":
        _write(base, json.dumps(good)[:200])
    elif case == "not GO":
        _write(base, {**good, "verdict": "ROLLBACK"})
    elif case == "unknown schema version":
        _write(base, {**good, "schema_version": 99})
    elif case == "another target":
        _write(base, {**good, "target": "production"})
    elif case == "no such check":
        _write(base, {**good, "checks": [c for c in good["checks"] if c["id"] != "api"]})
    elif case == "no such measurement":
        checks = [{**c, "measurements": []} if c["id"] == "api" else c for c in good["checks"]]
        _write(base, {**good, "checks": checks})
    gate(pytester, service, ABSOLUTE, RELATIVE)
    result = pytester.runpytest("--target=staging", "--verdict-json=v.json", *args)
    assert result.ret == 10, result.stdout.str()
    assert "Traceback" not in result.stdout.str()
    doc = verdict(pytester, "v.json")
    jsonschema.validate(doc, SCHEMA)
    api = by_id(doc)["api"]
    assert api["decision"] == "investigate"
    assert f"{NO_BASELINE}: {says}" in api["reason"]
    (row,) = relative_rows(doc)
    assert says in row["baseline"]["problem"]
    assert row["baseline"]["value"] is None
    # The check without a relative row is judged as before.
    assert by_id(doc)["health"]["decision"] == "ok"


def test_a_record_from_another_target_is_not_compared(
    pytester: pytest.Pytester, service: str
) -> None:
    gate(pytester, service, ABSOLUTE, target="production")
    assert pytester.runpytest("--target=production", "--save-baseline=prod.json").ret == 0
    gate(pytester, service, ABSOLUTE, RELATIVE)
    result = pytester.runpytest("--target=staging", "--baseline=prod.json")
    assert result.ret == 10
    result.stdout.fnmatch_lines(
        [
            "deploygate: no baseline: prod.json is from target 'production', not 'staging': "
            "every relative rule will investigate",
            "*INVESTIGATE*api*no baseline: prod.json is from target 'production'*",
        ]
    )


def test_the_same_verdict_with_and_without_xdist(
    pytester: pytest.Pytester, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_good_record(pytester, service)
    gate(pytester, service, ABSOLUTE, RELATIVE)
    degrade(monkeypatch)
    runs = {
        name: pytester.runpytest_subprocess(
            "--target=staging", "--baseline=lkg/last-good.json", f"--verdict-json={name}", *extra
        )
        for name, extra in (("serial.json", ()), ("xdist.json", XDIST_WORKERS))
    }
    assert {r.ret for r in runs.values()} == {10}

    def stable(doc: dict[str, Any]) -> Any:
        return [
            (
                c["id"],
                c["decision"],
                [(r["baseline"]["value"], r["baseline"]["file"]) for r in c["rules"]],
            )
            for c in doc["checks"]
        ]

    assert stable(verdict(pytester, "serial.json")) == stable(verdict(pytester, "xdist.json"))


def test_the_demo_record_carries_what_a_rollback_needs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_deploygate.demo.database import ENGINE_ENV
    from pytest_deploygate.demo.service import VERSION

    monkeypatch.setenv(ENGINE_ENV, "sqlite")
    result = pytester.runpytest("--target=demo", "-m", "predeploy", "--save-baseline=lkg.json")
    assert result.ret == 0, result.stdout.str()
    record = json.loads((pytester.path / "lkg.json").read_text())
    jsonschema.validate(record, SCHEMA)
    assert record["deployment"]["expected_version"] == VERSION
    assert record["deployment"]["migrations_version"] == "003_order_status"
    assert record["deployment"]["config_hash"].startswith("sha256:")
    migrations = by_id(record)["db-migrations"]
    assert migrations["findings"] == {"db.newest_migration": "003_order_status"}


def test_the_docs_demo_commands_compare_with_the_saved_record(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/baselines.md: save on the demo, then a slower deploy against it. Each demo run
    serves on new ports: the orders check is the same check, its values compared."""
    from pytest_deploygate.demo.database import ENGINE_ENV

    monkeypatch.setenv(ENGINE_ENV, "sqlite")
    saved = pytester.runpytest("--target=demo", "-m", "smoke", "--save-baseline=lkg.json")
    assert saved.ret == 0, saved.stdout.str()
    result = pytester.runpytest(
        "--target=demo",
        "-m",
        "smoke",
        "--demo-fault=slower",
        "--baseline=lkg.json",
        "--verdict-json=v.json",
    )
    assert result.ret == 10, result.stdout.str()
    assert "changed since" not in result.stdout.str()
    (row,) = [r for r in by_id(verdict(pytester, "v.json"))["orders"]["rules"] if "baseline" in r]
    assert row["baseline"]["file"] == "lkg.json" and row["baseline"]["problem"] is None


WINDOWED = """
import os
import pytest

@pytest.mark.smoke
@pytest.mark.deploygate(id="api-window")
def test_api_window(measure):
    level = float(os.environ["API_LEVEL"])
    samples = [(0.0, level), (10.0, level * 1.2), (20.0, level * 0.8), (30.0, level)]
    measure("api.latency", level, "s", samples=samples)
"""
WINDOW_ROW = (
    '[[decision.rules]]\nmeasurement = "api.latency"\nabove_baseline = "20%"\n'
    'decision = "investigate"\n'
)


def test_a_window_is_compared_with_the_same_summary_of_the_last_good_window(
    pytester: pytest.Pytester, http_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.mkpydir("checks").joinpath("test_window.py").write_text(WINDOWED)
    monkeypatch.setenv("API_LEVEL", "1.0")
    write_gate(pytester, http_base, extra='paths = ["checks"]\n')
    assert pytester.runpytest("--target=staging", "--save-baseline=lkg.json").ret == 0
    saved = by_id(json.loads((pytester.path / "lkg.json").read_text()))["api-window"]
    (latency,) = saved["measurements"]
    assert latency["summary"]["mean"] == pytest.approx(1.0)
    assert latency["summary"]["max"] == pytest.approx(1.2)

    write_gate(pytester, http_base, extra='paths = ["checks"]\n' + WINDOW_ROW)
    monkeypatch.setenv("API_LEVEL", "1.5")
    result = pytester.runpytest("--target=staging", "--baseline=lkg.json", "--verdict-json=v.json")
    assert result.ret == 10, result.stdout.str()
    result.stdout.fnmatch_lines(["*api.latency mean 1.50s, baseline 1.00s (+50%)*"])
    (row,) = by_id(verdict(pytester, "v.json"))["api-window"]["rules"]
    assert row["summary"] == "mean"
    assert (row["value"], row["baseline"]["value"]) == (pytest.approx(1.5), pytest.approx(1.0))


def test_a_check_that_failed_in_the_go_run_is_no_baseline(
    pytester: pytest.Pytester, service: str
) -> None:
    """The GO run's api check failed its own max_latency under on_fail = "ok": the slow
    answer it recorded is what was wrong, so a relative row on it has no baseline (it
    compared with it, and a deploy as slow as that passed)."""
    lenient = http_check("api", "/slow?s=${API_DELAY}", timeout="15s", max_latency="100ms")
    lenient += 'on_fail = "ok"\n'
    write_gate(pytester, service, lenient, extra=ABSOLUTE)
    saved = pytester.runpytest("--target=staging", "--save-baseline=lkg.json")
    assert saved.ret == 0, saved.stdout.str()
    assert by_id(json.loads((pytester.path / "lkg.json").read_text()))["api"]["outcome"] == "failed"

    write_gate(
        pytester,
        service,
        http_check("api", "/slow?s=${API_DELAY}", timeout="15s"),
        extra=ABSOLUTE + RELATIVE,
    )
    result = pytester.runpytest("--target=staging", "--baseline=lkg.json", "--verdict-json=v.json")
    assert result.ret == 10, result.stdout.str()
    (row,) = relative_rows(verdict(pytester, "v.json"))
    assert row["decision"] == "investigate"
    assert "did not pass there (outcome failed)" in row["baseline"]["problem"]


def test_a_check_whose_keys_changed_since_the_record_is_not_compared(
    pytester: pytest.Pytester, service: str
) -> None:
    """The record's api check asked /slow; this config's asks /health: its latency is
    another endpoint's, and comparing the two would pass a deploy on the wrong figure."""
    slow = "/slow?s=${API_DELAY}"
    write_gate(
        pytester,
        service,
        http_check("api", slow, timeout="15s"),
        http_check("other", slow, timeout="15s"),
        extra=ABSOLUTE,
    )
    assert pytester.runpytest("--target=staging", "--save-baseline=lkg.json").ret == 0
    saved = by_id(json.loads((pytester.path / "lkg.json").read_text()))
    assert saved["api"]["config_hash"].startswith("sha256:")
    write_gate(
        pytester,
        service,
        http_check("api", "/health", timeout="15s"),
        # What it is called and how it is judged is not what it measures: still compared.
        http_check("other", slow, timeout="20s", description="renamed", max_latency="9s"),
        extra=ABSOLUTE + RELATIVE + RELATIVE.replace('"api"', '"other"'),
    )
    result = pytester.runpytest("--target=staging", "--baseline=lkg.json", "--verdict-json=v.json")
    assert result.ret == 10, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "deploygate: baseline lkg.json (*): relative rules compare with its values; 1 of "
            "its checks measured otherwise there (their keys changed since: api): their "
            "relative rules investigate",
            "*INVESTIGATE*api*no baseline: check 'api' changed since lkg.json*",
        ]
    )
    doc = verdict(pytester, "v.json")
    jsonschema.validate(doc, SCHEMA)
    (row,) = relative_rows(doc)
    assert row["decision"] == "investigate" and row["baseline"]["value"] is None
    assert "changed since" in row["baseline"]["problem"]
    checks = by_id(doc)
    # Without a baseline value its relative row would have fired at investigate.
    assert checks["other"]["decision"] == "ok"
    assert checks["other"]["config_hash"] == saved["other"]["config_hash"]
    assert checks["api"]["config_hash"] != saved["api"]["config_hash"]
