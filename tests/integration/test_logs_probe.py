"""The logs probe on real files through testinfra's local backend, sample after sample:
where it stops reading, lines still being written, truncation, rotation, the read limit."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.logs import LOCAL_HOST, LogsCheck, LogsObservation
from pytest_deploygate.errors import ProbeError
from pytest_deploygate.probes.base import ProbeContext, Resources
from pytest_deploygate.probes.hostconn import HostPool
from pytest_deploygate.probes.logs import probe_logs, read_logs


@pytest.fixture
def ctx(tmp_path: Path) -> Any:
    pool = HostPool()
    resources = Resources({})
    context = ProbeContext(
        base_dir=tmp_path, observe=60.0, instance=LOCAL_HOST, hosts=pool, resources=resources
    )
    yield context
    pool.close()
    resources.close()


def spec(path: Path, **keys: Any) -> LogsCheck:
    data = {"id": "errors", "phases": ["postdeploy"], "pattern": "ERROR", "file": str(path)}
    return LogsCheck.model_validate({**data, "window": "1m", **keys})


def sample(check: LogsCheck, ctx: ProbeContext) -> LogsObservation:
    return probe_logs(check, Target(), ctx).detail


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def test_it_counts_only_what_was_written_after_the_starting_point(tmp_path: Path, ctx: Any) -> None:
    log = tmp_path / "app.log"
    log.write_text("ERROR old\n")
    check = spec(log)
    first = sample(check, ctx)
    assert (first.started, first.lines, first.matches) == (True, 0, 0)
    append(log, "INFO a\nERROR b\nERROR half")  # the last line is still being written
    second = sample(check, ctx)
    assert (second.lines, second.matches, second.examples) == (2, 1, ("ERROR b",))
    append(log, " done\n")
    third = sample(check, ctx)
    assert (third.lines, third.matches, third.examples) == (1, 1, ("ERROR half done",))


def test_a_truncated_and_a_rotated_file_are_said_and_read_from_their_start(
    tmp_path: Path, ctx: Any
) -> None:
    log = tmp_path / "app.log"
    log.write_text("INFO one\nINFO two\n")
    check = spec(log)
    sample(check, ctx)
    log.write_text("ERROR x\n")  # copytruncate, then a line
    truncated = sample(check, ctx)
    assert (truncated.restarted, truncated.matches) == ("truncated", 1)
    log.write_text("ERROR truncated, then past the old size\n")  # its head changed
    grown = sample(check, ctx)
    assert (grown.restarted, grown.matches) == ("truncated", 1)
    append(log, "INFO appended as usual\n")
    assert sample(check, ctx).restarted == ""
    log.rename(tmp_path / "app.log.1")
    log.write_text("INFO new file\n")
    rotated = sample(check, ctx)
    assert (rotated.restarted, rotated.lines) == ("rotated", 1)


ROTATING_CKSUM = """#!/bin/sh
# Rotates the log once, while the probe sums its head, then sums as cksum does.
if [ -e "{arm}" ]; then rm -f "{arm}"; mv "{log}" "{log}.1"; printf 'ERROR new\\n' > "{log}"; fi
exec {cksum} "$@"
"""


def test_a_rotation_while_the_head_is_summed_is_a_rotation(
    tmp_path: Path, ctx: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between reading the file's inode and summing its head, logrotate may move it: the
    new file is read from its start and said to be rotated, not truncated."""
    log, arm, bin_dir = tmp_path / "app.log", tmp_path / "arm", tmp_path / "bin"
    log.write_text("INFO one\n")
    bin_dir.mkdir()
    wrapper = bin_dir / "cksum"
    cksum = shutil.which("cksum")
    assert cksum is not None
    wrapper.write_text(ROTATING_CKSUM.format(arm=arm, log=log, cksum=cksum))
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    check = spec(log)
    sample(check, ctx)
    append(log, "INFO two\n")
    arm.write_text("")
    rotated = sample(check, ctx)
    assert not arm.exists()  # the rotation happened inside the sample
    assert (rotated.restarted, rotated.lines, rotated.matches) == ("rotated", 1, 1)


def test_past_the_read_limit_the_rest_waits_for_the_next_sample(tmp_path: Path, ctx: Any) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    check = spec(log, max_read="100B")
    sample(check, ctx)
    append(log, "ERROR 0123456789\n" * 10)  # 170 bytes
    first = sample(check, ctx)
    assert first.matches == 5 and first.unread_bytes == 70
    second = sample(check, ctx)
    assert second.matches == 5 and second.unread_bytes == 0


def test_ignore_and_ignore_case(tmp_path: Path, ctx: Any) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    check = spec(log, pattern="error", ignore_case=True, ignore=["healthcheck"])
    sample(check, ctx)
    append(log, "Error: db\nERROR healthcheck timed out\nerror: cache\n")
    assert sample(check, ctx).matches == 2


def test_a_missing_file_and_a_relative_path_on_another_host_are_errors(
    tmp_path: Path, ctx: Any
) -> None:
    with pytest.raises(ProbeError, match="does not exist: no line of it can be counted"):
        sample(spec(tmp_path / "nope.log"), ctx)
    remote = ProbeContext(
        base_dir=tmp_path, observe=60.0, instance="ssh://web-1", resources=ctx.resources
    )
    check = LogsCheck.model_validate(
        {"id": "rel", "phases": ["postdeploy"], "pattern": "E", "file": "app.log", "window": "1m"}
    )
    with pytest.raises(ProbeError, match="is relative: on host ssh://web-1 give its absolute path"):
        read_logs(check, None, Target(), remote)  # refused before any command runs
