"""judge_load and judge_backup with literal observations: every failure line, and a pass."""

from __future__ import annotations

from dataclasses import replace

from pytest_deploygate.checks.backup import BackupCheck, BackupObservation
from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.load import LoadCheck, LoadObservation
from pytest_deploygate.expect.backup import judge_backup
from pytest_deploygate.expect.load import judge_load

TARGET = Target(name="staging", base_url="http://app.example")


def load_spec(**keys: object) -> LoadCheck:
    return LoadCheck.model_validate(
        {"id": "load", "phases": ["smoke"], "path": "/", "requests": 10, "concurrency": 2, **keys}
    )


LOAD_OK = LoadObservation(
    url="http://app.example/",
    planned=10,
    sent=10,
    successes=10,
    latencies=tuple(0.1 + i / 100 for i in range(10)),
    statuses={200: 10},
    errors={},
    elapsed=1.0,
)


def test_a_load_run_within_every_bound_passes_and_measures() -> None:
    judgement = judge_load(load_spec(max_p95="1s", min_rps=5), TARGET, LOAD_OK)
    assert judgement.failures == ()
    values = {m.name: m.value for m in judgement.measurements}
    assert values["load.success_ratio"] == 1.0
    assert values["load.latency_p50"] == LOAD_OK.latencies[5]  # ab's table: values[10 * 50 // 100]
    assert values["load.latency_p99"] == LOAD_OK.latencies[9]
    assert values["load.rps"] == 10.0


def test_failed_and_unsent_requests_are_named_by_cause() -> None:
    obs = replace(
        LOAD_OK,
        sent=8,
        successes=5,
        latencies=LOAD_OK.latencies[:7],
        statuses={200: 5, 500: 2},
        errors={"timed out": 1},
        stopped_early="interrupted",
    )
    (line,) = judge_load(load_spec(), TARGET, obs).failures
    assert line == (
        "5 of 10 requests failed (50.00% succeeded, min_success_ratio 100.00%): "
        "2× not sent (interrupted), 2× status 500, 1× timed out"
    )


def test_more_causes_than_listed_end_with_an_ellipsis() -> None:
    obs = replace(LOAD_OK, successes=6, errors={"a": 1, "b": 1, "c": 1, "d": 1})
    (line,) = judge_load(load_spec(), TARGET, obs).failures
    assert line.endswith("1× a, 1× b, 1× c, …")


def test_each_latency_bound_and_the_throughput_fail_on_their_own_line() -> None:
    spec = load_spec(max_avg="100ms", max_p50="100ms", max_p95="100ms", max_p99="100ms", min_rps=50)
    failures = judge_load(spec, TARGET, LOAD_OK).failures
    assert [f.split(" ")[0] for f in failures] == [
        "latency_avg",
        "latency_p50",
        "latency_p95",
        "latency_p99",
        "10.0",
    ]
    assert failures[1] == "latency_p50 150ms above max_p50 100ms"
    assert failures[-1] == "10.0 requests/s below min_rps 50"


def test_a_load_run_with_no_answer_measures_no_latency_and_zero_throughput() -> None:
    obs = replace(LOAD_OK, successes=0, latencies=(), statuses={}, errors={"refused": 10})
    judgement = judge_load(load_spec(min_rps=1), TARGET, obs)
    names = [m.name for m in judgement.measurements]
    assert names == ["load.success_ratio", "load.rps"]
    assert judgement.failures[-1] == "0.0 requests/s below min_rps 1"


def backup_spec(**keys: object) -> BackupCheck:
    return BackupCheck.model_validate(
        {"id": "backup", "phases": ["predeploy"], "path": "/backups/db.sql.gz", **keys}
    )


BACKUP_OK = BackupObservation(
    path="/backups/db.sql.gz",
    searched="/backups/db.sql.gz",
    size=2_000_000,
    age=3600.0,
    format="gzip",
    tables=12,
)


def test_a_fresh_intact_backup_passes_and_measures() -> None:
    judgement = judge_backup(backup_spec(max_age="1d", min_size="1MB"), TARGET, BACKUP_OK)
    assert judgement.failures == ()
    values = {m.name: m.value for m in judgement.measurements}
    assert values == {"backup.age": 3600.0, "backup.size": 2_000_000.0, "backup.tables": 12.0}


def test_no_backup_found_says_where_it_looked() -> None:
    obs = BackupObservation(path=None, searched="/backups/*.dump")
    assert judge_backup(backup_spec(), TARGET, obs).failures == (
        "no backup found at /backups/*.dump",
    )


def test_old_small_corrupt_and_short_restores_each_fail() -> None:
    obs = replace(
        BACKUP_OK,
        age=3 * 86400.0,
        size=10,
        problems=("unexpected end of file",),
        restored_tables=3,
    )
    failures = judge_backup(backup_spec(max_age="1d", min_size="1MB"), TARGET, obs).failures
    assert failures[0].startswith("backup /backups/db.sql.gz is 3d")
    assert failures[0].endswith("old, older than max_age 1d")
    assert failures[1] == "backup /backups/db.sql.gz is 10 B, smaller than min_size 1 MB"
    assert failures[2] == "backup /backups/db.sql.gz (gzip) is not intact: unexpected end of file"
    assert failures[3] == "restore of /backups/db.sql.gz produced 3 tables, expected 12"


def test_min_tables_wins_over_the_dump_s_own_count_for_a_restore() -> None:
    obs = replace(BACKUP_OK, restored_tables=12)
    (line,) = judge_backup(backup_spec(min_tables=20), TARGET, obs).failures
    assert line == "restore of /backups/db.sql.gz produced 12 tables, expected 20"
