"""Relative rules against a baseline: reading the file, every missing-baseline case, and
how a row compares (pure: no file is read but in the read_baseline tests)."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pytest_deploygate.baseline import (
    NO_BASELINE,
    NONE_GIVEN,
    NOT_GIVEN,
    Baseline,
    BaselineValue,
    parse_baseline,
    read_baseline,
)
from pytest_deploygate.decision import decide_check
from pytest_deploygate.outcomes import CheckRecord, Measurement
from pytest_deploygate.rules import DecisionRule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def doc(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": 1,
        "verdict": "GO",
        "target": "staging",
        "checks": [
            {
                "id": "health",
                "measurements": [{"name": "http.latency", "value": 1.1, "unit": "s"}],
            }
        ],
    }
    return {**base, **kw}


def parsed(document: Any, target: str = "staging") -> Baseline:
    return parse_baseline(json.dumps(document), "lkg.json", target)


def rule(**kw: Any) -> DecisionRule:
    return DecisionRule.model_validate(
        {"measurement": "http.latency", "decision": "rollback", **kw}
    )


def record(value: float, unit: str = "s", check_id: str = "health") -> CheckRecord:
    return CheckRecord(
        id=check_id,
        nodeid=f"t.py::t[{check_id}]",
        type="http",
        phases=("smoke",),
        outcome="passed",
        measurements=(Measurement("http.latency", value, unit),),
    )


GOOD = parsed(doc())


# -- reading ---------------------------------------------------------------------------


def test_a_go_verdict_file_gives_its_values_by_check_and_measurement() -> None:
    assert GOOD.problem == ""
    assert GOOD.lookup("health", "http.latency") == BaselineValue(1.1, "s")


@pytest.mark.parametrize(
    ("document", "says"),
    [
        (doc(verdict="ROLLBACK"), "records verdict 'ROLLBACK', not GO"),
        (doc(verdict="INVESTIGATE"), "not GO"),
        (doc(schema_version=2), "has schema_version 2; this version of the gate reads"),
        ({k: v for k, v in doc().items() if k != "schema_version"}, "has no schema_version"),
        (doc(target="production"), "is from target 'production', not 'staging'"),
        (doc(checks={"id": "x"}), "is not a verdict file (no list of checks)"),
        (doc(checks=[{"id": 3, "measurements": []}]), "checks[0].id is missing"),
        (
            doc(checks=[{"id": "a", "measurements": [{"name": "m", "value": "1"}]}]),
            "checks[0].measurements[0].value is not a number",
        ),
        ([1, 2], "not a JSON object"),
    ],
)
def test_a_file_that_is_no_baseline_says_why(document: Any, says: str) -> None:
    baseline = parsed(document)
    assert says in baseline.problem
    assert baseline.lookup("health", "http.latency") == baseline.problem


def test_a_corrupted_file_is_a_problem_not_an_exception() -> None:
    text = json.dumps(doc())[:40]
    baseline = parse_baseline(text, "lkg.json", "staging")
    assert baseline.problem == "lkg.json is not valid JSON, line 1: corrupted or truncated"


def test_bytes_that_are_not_text_are_a_corrupted_file() -> None:
    assert "not valid JSON" in parse_baseline(b"\xff\xfe\x00", "lkg.json", "staging").problem


def test_a_missing_check_or_measurement_is_named() -> None:
    assert GOOD.lookup("orders", "http.latency") == "lkg.json has no check 'orders'"
    assert GOOD.lookup("health", "http.bytes") == (
        "check 'health' in lkg.json has no measurement 'http.bytes'"
    )


def test_read_baseline_turns_file_problems_into_reasons(tmp_path: Path) -> None:
    assert read_baseline(tmp_path / "nope.json", "nope.json", "staging").problem == (
        "nope.json does not exist"
    )
    assert "cannot be read" in read_baseline(tmp_path, "dir", "staging").problem
    good = tmp_path / "lkg.json"
    good.write_text(json.dumps(doc()))
    assert read_baseline(good, "lkg.json", "staging") == GOOD


# -- rule keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "share"),
    [
        ({"above_baseline": "20%"}, 0.2),
        ({"above_baseline": 0.2}, 0.2),
        ({"above_baseline": "150%"}, 1.5),
        ({"above_baseline": "2x"}, 1.0),
        ({"below_baseline": "20%"}, 0.2),
        ({"below_baseline": "2x"}, 0.5),
    ],
)
def test_relative_thresholds_are_shares_or_factors(keys: dict[str, Any], share: float) -> None:
    assert rule(**keys).relative
    assert rule(**keys).baseline_share == pytest.approx(share)


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        ({"above_baseline": "20%", "above": "2s"}, "exactly one of"),
        ({"above_baseline": "fast"}, "a share such as 20%"),
        ({"above_baseline": "0.5x"}, "a factor is 1x or more"),
        ({"below_baseline": "100%"}, "can never fire"),
    ],
)
def test_bad_relative_rules_are_config_errors(keys: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        rule(**keys)


# -- deciding --------------------------------------------------------------------------


def test_a_value_more_than_the_share_above_the_baseline_fires_with_both_values() -> None:
    decided = decide_check(record(2.41), [rule(above_baseline="20%")], GOOD)
    assert decided.decision == "rollback"
    fired = decided.fired[0]
    assert fired.baseline == 1.1
    assert fired.source == "lkg.json"
    assert fired.shown == "2.41s, baseline 1.10s (+119%)"
    assert fired.text == (
        "http.latency 2.41s, baseline 1.10s (+119%): > baseline +20% (rule 1: rollback)"
    )


def test_a_value_within_the_share_does_not_fire() -> None:
    assert decide_check(record(1.3), [rule(above_baseline="20%")], GOOD).decision == "ok"


@pytest.mark.parametrize(
    ("value", "keys", "fires"),
    [
        (2.3, {"above_baseline": "2x"}, True),
        (2.1, {"above_baseline": "2x"}, False),
        (0.5, {"below_baseline": "2x"}, True),
        (0.6, {"below_baseline": "2x"}, False),
        (0.8, {"below_baseline": "20%"}, True),
        (0.9, {"below_baseline": "20%"}, False),
    ],
)
def test_factors_and_below_rows(value: float, keys: dict[str, Any], fires: bool) -> None:
    decided = decide_check(record(value), [rule(**keys)], GOOD)
    assert (decided.decision == "rollback") is fires


@pytest.mark.parametrize(
    ("baseline", "check_id", "says"),
    [
        (NONE_GIVEN, "health", NOT_GIVEN),
        (parsed(doc(verdict="ROLLBACK")), "health", "not GO"),
        (parsed(doc(target="production")), "health", "from target 'production'"),
        (GOOD, "orders", "has no check 'orders'"),
    ],
)
def test_without_a_baseline_a_relative_row_investigates_never_passes(
    baseline: Baseline, check_id: str, says: str
) -> None:
    # The value is well within any share of the missing baseline: still not ok.
    decided = decide_check(record(1.1, check_id=check_id), [rule(above_baseline="20%")], baseline)
    assert decided.decision == "investigate"
    assert f"{NO_BASELINE}: " in decided.reason and says in decided.reason


def test_a_baseline_in_another_unit_is_no_baseline() -> None:
    decided = decide_check(record(1100, unit="ms"), [rule(above_baseline="20%")], GOOD)
    assert decided.decision == "investigate"
    assert "lkg.json has http.latency in s, this run in ms" in decided.reason


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_value_that_is_not_finite_is_never_within_the_baseline(value: float) -> None:
    decided = decide_check(record(value), [rule(above_baseline="20%")], GOOD)
    assert decided.decision == "rollback"


def test_an_absolute_row_does_not_need_a_baseline() -> None:
    assert decide_check(record(1.1), [rule(above="2s")]).decision == "ok"


@given(
    value=st.floats(allow_nan=True, allow_infinity=True),
    share=st.sampled_from(["1%", "20%", "2x", "10x"]),
    above=st.booleans(),
    level=st.sampled_from(["ok", "investigate", "rollback"]),
    problem=st.sampled_from(["lkg.json does not exist", "lkg.json is not valid JSON"]),
)
def test_a_missing_baseline_is_never_ok_whatever_the_value(
    value: float, share: str, above: bool, level: str, problem: str
) -> None:
    key = "above_baseline" if above else "below_baseline"
    row = rule(**{key: share, "decision": level})
    decided = decide_check(record(value), [row], Baseline("lkg.json", problem))
    assert decided.decision == decided.fired[0].decision == "investigate"


@given(
    value=st.floats(min_value=-1e6, max_value=1e6),
    base=st.floats(min_value=-1e6, max_value=1e6),
    percent=st.integers(min_value=0, max_value=99),
)
def test_an_above_row_fires_exactly_when_the_value_passes_the_baseline_plus_its_share(
    value: float, base: float, percent: int
) -> None:
    baseline = Baseline("lkg.json", values={("health", "http.latency"): BaselineValue(base, "s")})
    decided = decide_check(record(value), [rule(above_baseline=f"{percent}%")], baseline)
    limit = base + abs(base) * (percent / 100)
    assert (decided.decision == "rollback") is (value > limit)


# -- the last-known-good record's config hash ------------------------------------------


def _hash(token: str, path: str = "/health", where: Path = Path("/a")) -> str:
    from pytest_deploygate.config import config_hash, load
    from pytest_deploygate.masking import Masker, secret_values

    data = {
        "targets": {
            "staging": {
                "base_url": "https://staging.example.com",
                "headers": {"Authorization": "Bearer ${API_TOKEN}"},
            }
        },
        "checks": [{"id": "health", "type": "http", "phases": ["smoke"], "path": path}],
        "decision": {"rules": [{"measurement": "http.latency", "above_baseline": "2x"}]},
    }
    data["decision"]["rules"][0]["decision"] = "investigate"
    environ = {"API_TOKEN": token}
    config = load(data, source="t.toml", base_dir=where, target="staging", environ=environ)
    return config_hash(config, Masker(secret_values(environ)))


def test_the_config_hash_excludes_secrets_and_paths_but_not_checks() -> None:
    assert _hash("s3cret-one").startswith("sha256:")
    assert _hash("s3cret-one") == _hash("s3cret-two")
    assert _hash("s3cret-one") == _hash("s3cret-one", where=Path("/elsewhere"))
    assert _hash("s3cret-one") != _hash("s3cret-one", path="/health/ready")


# -- windowed measurements compare like with like ----------------------------------------


def _sampled(values: list[float]) -> tuple[tuple[float, float], ...]:
    return tuple((float(i * 10), v) for i, v in enumerate(values))


def sampled_record(values: list[float]) -> CheckRecord:
    m = Measurement("http.latency", values[-1], "s", samples=_sampled(values))
    return CheckRecord(
        id="health", nodeid="t", type="http", phases=("smoke",), outcome="passed", measurements=(m,)
    )


def sampled_baseline(values: list[float]) -> Baseline:
    value = BaselineValue(values[-1], "s", _sampled(values))
    return Baseline("lkg.json", values={("health", "http.latency"): value})


def test_samples_are_compared_through_their_mean_by_default() -> None:
    # One spike, the same on both runs: the means are equal, nothing fired.
    base = sampled_baseline([1.0, 1.0, 1.0, 5.0])
    decided = decide_check(sampled_record([1.0, 1.1, 1.0, 5.0]), [rule(above_baseline="20%")], base)
    assert decided.decision == "ok"
    slower = decide_check(sampled_record([2.0, 2.0, 2.0, 6.0]), [rule(above_baseline="20%")], base)
    assert slower.decision == "rollback"
    fired = slower.fired[0]
    assert (fired.compared, fired.baseline) == (3.0, 2.0)
    assert "http.latency mean 3.00s, baseline 2.00s (+50%)" in fired.text


def test_the_rule_summary_applies_to_both_runs() -> None:
    base = sampled_baseline([1.0, 1.0, 1.0, 1.0])
    row = rule(above_baseline="20%", summary="max")
    decided = decide_check(sampled_record([1.0, 1.0, 1.0, 1.5]), [row], base)
    assert decided.fired[0].compared == 1.5 and decided.fired[0].baseline == 1.0


def test_a_window_against_a_single_value_is_not_compared() -> None:
    decided = decide_check(sampled_record([1.0, 1.0]), [rule(above_baseline="20%")], GOOD)
    assert decided.decision == "investigate"
    assert "lkg.json has http.latency as one value, this run over a window" in decided.reason


def test_a_for_row_holds_each_sample_to_the_baseline_limit() -> None:
    base = sampled_baseline([1.0, 1.0, 1.0, 1.0])
    row = rule(above_baseline="50%", **{"for": "20s"})
    assert decide_check(sampled_record([2.0, 2.0, 2.0, 1.0]), [row], base).decision == "rollback"
    assert decide_check(sampled_record([2.0, 1.0, 2.0, 1.0]), [row], base).decision == "ok"


# -- the newest applied migration (the record's migrations_version) -----------------------


@pytest.mark.parametrize(
    ("tool", "applied", "newest"),
    [
        ("sql", ("1", "2", "10"), "010_orders_status"),  # by version, not as text
        ("sql", ("1", "2"), "002_orders"),
        ("sql", ("1", "99"), "99"),  # the database is ahead of the code: as it records it
        ("sql", (), None),
        ("alembic", ("2",), "002_orders"),
    ],
)
def test_the_newest_applied_migration_is_named_as_on_disk(
    tool: str, applied: tuple[str, ...], newest: str | None
) -> None:
    from pytest_deploygate.checks.migrations import (
        AppliedMigrations,
        Migration,
        MigrationsObservation,
    )
    from pytest_deploygate.expect.migrations import newest_applied

    available = (
        Migration("1", "001_accounts"),
        Migration("2", "002_orders", ("1",)),
        Migration("10", "010_orders_status", ("2",)),
    )
    obs = MigrationsObservation(tool, "t", available, AppliedMigrations(keys=applied))
    assert newest_applied(obs) == newest


def test_a_value_written_as_nan_is_read_and_never_compared() -> None:
    latency = {"name": "http.latency", "value": "NaN", "unit": "s"}
    baseline = parsed(doc(checks=[{"id": "health", "measurements": [latency]}]))
    assert baseline.problem == ""
    decided = decide_check(record(1.0), [rule(above_baseline="20%")], baseline)
    assert decided.decision == "investigate"
    assert "no baseline: http.latency in lkg.json is not a finite number" in decided.reason


@pytest.mark.parametrize("share", [math.inf, math.nan, "inf", -0.2])
def test_a_share_that_could_never_fire_is_refused(share: Any) -> None:
    with pytest.raises(ValidationError, match="a share such as 20%"):
        rule(above_baseline=share)


# -- shown in the HTML report ------------------------------------------------------------


def test_the_html_report_shows_the_value_beside_its_baseline() -> None:
    from pytest_deploygate.decision import conclude
    from pytest_deploygate.reporters import html
    from tests.support.htmlreport import text

    decided = decide_check(record(2.41), [rule(above_baseline="20%")], GOOD)
    _, _, measured, threshold = html.row_cells(decided, None)
    assert text(measured) == "http.latency 2.41s, baseline 1.10s (+119%)"
    assert text(threshold) == "rule 1: > baseline +20%"
    result = conclude(
        (decided,),
        pytest_exit=1,
        target="staging",
        phases=("smoke",),
        started_at="",
        finished_at="",
    )
    table = text(html.render_fired_rules(result))
    assert "2.41s, baseline 1.10s (+119%)" in table and "> baseline +20%" in table


def test_the_docs_page_rules_are_valid_config() -> None:
    from pytest_deploygate.config import load

    page = Path(__file__).resolve().parents[2] / "docs" / "baselines.md"
    blocks = re.findall(r"```toml\n(.*?)```", page.read_text(), re.S)
    assert len(blocks) >= 2
    target = '[targets.docs]\nbase_url = "https://example.com"\n'
    for block in blocks:
        data = tomllib.loads(target + block)
        config = load(data, source="baselines.md", base_dir=page.parent, target="docs", environ={})
        assert config.rules and all(r.relative for r in config.rules)


@pytest.mark.parametrize("share", ["20%", "2x"])
def test_a_baseline_whose_limit_is_not_a_finite_number_is_no_baseline(share: str) -> None:
    """1.7e308 + 20% overflows to infinity: nothing is ever above it, so the row could never
    fire (a tampered or broken record would switch the rule off)."""
    measured = [{"name": "http.latency", "value": 1.7e308, "unit": "s"}]
    huge = parsed(doc(checks=[{"id": "health", "measurements": measured}]))
    decided = decide_check(record(1e300), [rule(above_baseline=share)], huge)
    assert decided.decision == "investigate"
    assert "no baseline" in decided.fired[0].text
    assert "not a finite number" in decided.fired[0].text


def test_the_values_of_a_check_that_did_not_pass_are_no_baseline() -> None:
    failed = {
        "id": "health",
        "outcome": "failed",
        "measurements": [{"name": "http.latency", "value": 9.0, "unit": "s"}],
    }
    found = parsed(doc(checks=[failed])).lookup("health", "http.latency")
    assert found == (
        "check 'health' in lkg.json did not pass there (outcome failed): its values are not a "
        "baseline"
    )
    passed = {**failed, "outcome": "passed"}
    assert parsed(doc(checks=[passed])).lookup("health", "http.latency") == BaselineValue(9.0, "s")


# -- a check whose keys changed since the baseline's run -------------------------------


def _check_hash(**keys: Any) -> str:
    from pytest_deploygate.config import check_hash
    from pytest_deploygate.masking import Masker

    table = {"id": "health", "type": "http", "phases": ["smoke"], "path": "/health", **keys}
    return check_hash(table, Masker({"s3cret-one", "s3cret-two"}))


def test_a_check_is_hashed_as_written_so_a_variable_is_the_deploys() -> None:
    from pytest_deploygate.config import load

    hashes = []
    for sha in ("3f2a9c1", "8b0d4e2"):
        data = {
            "targets": {"staging": {"base_url": "https://staging.example.com"}},
            "checks": [{"id": "v", "type": "http", "phases": ["smoke"], "path": "/v/${GIT_SHA}"}],
        }
        config = load(
            data, source="t", base_dir=Path("."), target="staging", environ={"GIT_SHA": sha}
        )
        assert config.checks[0].path == f"/v/{sha}"  # type: ignore[attr-defined]
        hashes.append(_check_hash(**config.written[0]))
    assert hashes[0] == hashes[1]


def test_a_check_hashes_what_it_measures_not_how_it_is_judged() -> None:
    same = _check_hash()
    assert same.startswith("sha256:")
    for judged in (
        {"description": "x", "phases": ["smoke", "postdeploy"], "on_fail": "ok"},
        {"max_latency": "1s", "expect_status": 201, "timeout": "30s", "on_error": "ok"},
        {"min_json_path": {"a.b": 1}},
    ):
        assert _check_hash(**judged) == same, judged
    assert _check_hash(headers={"X-Token": "s3cret-one"}) == _check_hash(
        headers={"X-Token": "s3cret-two"}
    )
    for measured in ({"path": "/orders"}, {"method": "POST"}, {"window": "5m"}):
        assert _check_hash(**measured) != same, measured
    # Where the service runs is the target's (as base_url is): a URL's origin is not hashed.
    moved = _check_hash(url="http://127.0.0.1:41001/api/orders?x=1")
    assert moved == _check_hash(url="https://green.example.com/api/orders?x=1")
    assert moved != _check_hash(url="http://127.0.0.1:41001/api/orders?x=2")


def hashed(check_id: str, recorded: str) -> dict[str, Any]:
    return {
        "id": check_id,
        "config_hash": recorded,
        "measurements": [{"name": "http.latency", "value": 1.1, "unit": "s"}],
    }


def test_the_values_of_a_check_whose_keys_changed_are_no_baseline() -> None:
    checks = [hashed("health", "sha256:aa"), hashed("disk@ssh://web-1", "sha256:bb")]
    base = parsed(doc(checks=checks))
    assert base.hashes == {"health": "sha256:aa", "disk@ssh://web-1": "sha256:bb"}
    unchanged = base.comparing({"health": "sha256:aa", "disk": "sha256:bb"})
    assert unchanged.lookup("health", "http.latency") == BaselineValue(1.1, "s")
    assert "changed" not in unchanged.describe()

    changed = base.comparing({"health": "sha256:cc", "disk": "sha256:dd"})
    assert changed.lookup("health", "http.latency") == (
        "check 'health' changed since lkg.json (its keys differ, so it measured something else "
        "there): its values are not a baseline"
    )
    assert "check 'disk@ssh://web-1' changed" in str(
        changed.lookup("disk@ssh://web-1", "http.latency")
    )
    assert changed.describe().endswith(
        "; 2 of its checks measured otherwise there (their keys changed since: "
        "disk@ssh://web-1, health): their relative rules investigate"
    )
    decided = decide_check(
        CheckRecord(
            id="health",
            nodeid="t",
            type="http",
            phases=("smoke",),
            outcome="passed",
            measurements=(Measurement("http.latency", 1.0, "s"),),
        ),
        (rule(above_baseline="2x"),),
        changed,
    )
    assert decided.decision == "investigate"
    assert "no baseline: check 'health' changed since lkg.json" in decided.fired[0].text


def test_a_record_without_check_hashes_or_a_check_no_longer_declared_is_compared() -> None:
    old = parsed(doc())  # written before checks carried config_hash
    assert old.hashes == {}
    assert old.comparing({"health": "sha256:cc"}).lookup("health", "http.latency") == (
        BaselineValue(1.1, "s")
    )
    gone = parsed(doc(checks=[hashed("health", "sha256:aa")])).comparing({"other": "sha256:cc"})
    assert gone.changed == frozenset()
