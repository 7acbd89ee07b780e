"""The demo's host checks, on ``local://`` (the machine running the demo).

They check what a deploy checklist asks of a machine: the runtime is new enough, there
is disk space, no maintenance flag is up, the release directory is there and writable.
The release directory is the demo's workdir, so the checks never depend on how the
machine running the demo is set up, beyond having ``df`` and a POSIX shell.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pytest_deploygate.demo.base import ComponentInfo

MAINTENANCE_FLAG = "MAINTENANCE"
FAULTS: dict[str, str] = {
    "host-maintenance": "a maintenance flag is left in the release directory: "
    "host-maintenance fails; ROLLBACK",
    "host-disk-low": "the disk needs more space than any machine has: host-disk fails; INVESTIGATE",
}
# What "low" means in the host-disk-low fault: more than any disk has.
IMPOSSIBLE_FREE = "1000TB"


class DemoHosts:
    """DemoComponent: host checks against the local machine."""

    faults: dict[str, str] = FAULTS

    def start(self, faults: frozenset[str], workdir: Path) -> ComponentInfo:
        release = workdir / "release"
        release.mkdir(parents=True, exist_ok=True)
        flag = release / MAINTENANCE_FLAG
        if "host-maintenance" in faults:
            flag.write_text("deploy in progress\n")
        else:
            flag.unlink(missing_ok=True)
        min_free = IMPOSSIBLE_FREE if "host-disk-low" in faults else "50MB"

        def check(_id: str, _check: str, _phases: list[str], **keys: object) -> dict[str, object]:
            return {"id": _id, "type": "host", "check": _check, "phases": _phases, **keys}

        checks = [
            # The interpreter running the gate: what the demo's service runs on.
            check(
                "host-python",
                "runtime",
                ["predeploy"],
                runtime=sys.executable,
                min_version="3.9",
                description="the Python runtime is 3.9 or newer",
            ),
            check(
                "host-disk",
                "disk",
                ["predeploy", "postdeploy"],
                path=str(release),
                min_free=min_free,
                on_fail="investigate",
                description="enough free disk for the release",
            ),
            check(
                "host-maintenance",
                "absent",
                ["predeploy", "smoke"],
                path=str(flag),
                description="no maintenance flag in the release directory",
            ),
            check(
                "host-release-dir",
                "file",
                ["predeploy"],
                path=str(release),
                kind="directory",
                description="the release directory exists",
            ),
            check(
                "host-release-writable",
                "command",
                ["predeploy"],
                command=f"test -w '{release}'",
                description="the release directory is writable",
            ),
        ]
        rules = [
            {
                "measurement": "host.disk_free_ratio",
                "below": "5%",
                "decision": "investigate",
            }
        ]
        return ComponentInfo(
            target={"hosts": ["local://"]},
            checks=checks,
            rules=rules,
            lines=[f"hosts: local:// (release directory {release})"],
        )

    def stop(self) -> None:
        """Nothing runs: the checks read the local machine."""
