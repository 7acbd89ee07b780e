"""What a gate imports before it checks anything: ``python -X importtime`` figures.

    python bench/imports.py [--checks 200]

Three runs of ``pytest --collect-only`` under ``-X importtime``, each in its own process:
a bare pytest (an empty directory, the plugin passive), a gate of ``--checks`` http checks,
and a gate with one check of every type. For each: wall time, the sum of import times,
the heaviest top-level packages (cumulative) and which client libraries were loaded
(an http-only gate should load none of psycopg, websockets or paramiko; testinfra is loaded
by its own pytest plugin, in every pytest run of an environment that has it). Other
pytest plugins installed in the environment (hypothesis, ...) count in every row.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from runenv import RUN_ENV, describe

HEAVY = ("psycopg", "websockets", "paramiko", "testinfra", "cryptography", "prometheus_client")
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def http_gate(count: int) -> str:
    checks = "".join(
        f'\n[[checks]]\nid = "c{i}"\ntype = "http"\nphases = ["smoke"]\npath = "/{i}"\n'
        for i in range(count)
    )
    return '[targets.bench]\nbase_url = "http://127.0.0.1:9"\n' + checks


def every_type_gate() -> str:
    tables = [
        'type = "http"\npath = "/"',
        'type = "tcp"\nport = 9',
        'type = "tls"\nport = 9',
        'type = "websocket"\nurl = "ws://127.0.0.1:9/"',
        'type = "env"\nvariables = ["PATH"]',
        'type = "postgres"\ncheck = "reachable"\ndsn = "postgresql://u@127.0.0.1:9/db"',
        'type = "sqlite"\ncheck = "integrity"\npath = "app.db"',
        'type = "host"\ncheck = "disk"\npath = "/"\nmin_free = "1MB"',
        'type = "prometheus"\npath = "/metrics"\nrequire = ["up"]',
    ]
    checks = "".join(
        f'\n[[checks]]\nid = "t{i}"\nphases = ["smoke"]\n{table}\n'
        for i, table in enumerate(tables)
    )
    return (
        '[targets.bench]\nbase_url = "http://127.0.0.1:9"\nhosts = ["local://"]\n'
        'websocket_url = "ws://127.0.0.1:9/"\n' + checks
    )


def measure(cwd: Path, args: list[str]) -> tuple[float, dict[str, int], set[str]]:
    """Wall time; cumulative import time (us) per top-level package; modules loaded."""
    command = [sys.executable, "-X", "importtime", "-m", "pytest", "--collect-only", "-q"]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, *args], cwd=cwd, env=RUN_ENV, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    if done.returncode not in (0, 5):
        sys.exit(f"pytest {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}")
    packages: dict[str, int] = defaultdict(int)
    loaded: set[str] = set()
    for line in done.stderr.splitlines():
        match = LINE.match(line)
        if match is None:
            continue
        _, cumulative, indent, name = match.groups()
        loaded.add(name)
        if len(indent) == 1:  # a top-level import: its cumulative time holds its children
            packages[name.split(".")[0]] += int(cumulative)
    return wall, packages, loaded


def report(label: str, wall: float, packages: dict[str, int], loaded: set[str]) -> None:
    total = sum(packages.values()) / 1e6
    print(f"{label}: {wall:.2f} s wall, {total:.2f} s of imports")
    for name, micros in sorted(packages.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {micros / 1e6:6.3f} s  {name}")
    heavy = [h for h in HEAVY if any(n == h or n.startswith(h + ".") for n in loaded)]
    print(f"    client libraries loaded: {', '.join(heavy) or 'none'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=200)
    args = parser.parse_args()
    print(f"environment: {describe()}")
    with tempfile.TemporaryDirectory(prefix="dg-imports-") as tmp:
        root = Path(tmp)
        for name in ("empty", "http", "every"):
            (root / name).mkdir()
        (root / "http" / "deploygate.toml").write_text(http_gate(args.checks))
        (root / "every" / "deploygate.toml").write_text(every_type_gate())
        gate = ["--target", "bench", "-p", "no:cacheprovider"]
        measure(root / "http", gate)  # warm-up: bytecode caches written
        runs = {
            "bare pytest --collect-only": measure(root / "empty", ["-p", "no:cacheprovider"]),
            f"gate of {args.checks} http checks": measure(root / "http", gate),
            "gate with every check type": measure(root / "every", gate),
        }
    for label, (wall, packages, loaded) in runs.items():
        report(label, wall, packages, loaded)
    bare = runs["bare pytest --collect-only"][0]
    http = runs[f"gate of {args.checks} http checks"][0]
    print(f"http gate start-up minus bare pytest: {http - bare:+.2f} s (goal: within 0.5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
