"""A demo run killed outright leaves directories (and a PostgreSQL) behind: the next demo
run removes what belongs to a dead run, and nothing of a live one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pytest_deploygate.demo.leftovers import OWNER_FILE, WORKDIR_PREFIX, claim, note_part, sweep


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_what_a_dead_run_left_is_removed_and_a_live_run_is_kept(tmp_path: Path) -> None:
    dead, live, foreign = (tmp_path / f"{WORKDIR_PREFIX}{n}" for n in ("dead", "live", "x"))
    cluster = tmp_path / "deploygate-pg-dead"
    for path in (dead, live, foreign, cluster):
        path.mkdir()
    claim(live)
    note_part(live, tmp_path / "deploygate-pg-live")
    owner = {"pid": dead_pid(), "started": None, "parts": [str(cluster)]}
    (dead / OWNER_FILE).write_text(json.dumps(owner))
    said = sweep(tmp_path)
    assert not dead.exists() and not cluster.exists()
    assert live.exists() and foreign.exists()  # alive, or not known to be a demo's
    assert len(said) == 1 and f"process {owner['pid']}" in said[0]
    assert "deploygate-pg-dead" in said[0]


def test_a_reused_process_id_is_not_taken_for_the_owner(tmp_path: Path) -> None:
    workdir = tmp_path / f"{WORKDIR_PREFIX}reused"
    workdir.mkdir()
    # This process's id, but another start time: the owner died and its id was reused.
    (workdir / OWNER_FILE).write_text(json.dumps({"pid": os.getpid(), "started": "1"}))
    sweep(tmp_path)
    assert not workdir.exists()


def test_the_run_s_own_workdir_is_kept(tmp_path: Path) -> None:
    workdir = tmp_path / f"{WORKDIR_PREFIX}mine"
    workdir.mkdir()
    (workdir / OWNER_FILE).write_text(json.dumps({"pid": dead_pid(), "started": None}))
    assert sweep(tmp_path, keep=workdir) == []
    assert workdir.exists()
