"""Start-up of a gate: what it imports, by the check types its config uses.

Runs ``python -X importtime -m pytest --collect-only --target staging`` in a scratch
directory, once with an http-only config and once with one check of every type, and
prints for each: wall time, the client libraries that were imported (with their
cumulative import time) and the slowest top-level imports. A bare ``pytest
--collect-only`` in an empty directory is the baseline. Nothing is asserted.

    python bench/startup.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runenv import RUN_ENV, describe

HEAVY = ("requests", "psycopg", "websockets", "paramiko", "testinfra", "prometheus_client")
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")

HTTP_ONLY = """
[targets.staging]
base_url = "http://127.0.0.1:9"

[[checks]]
id = "health"
type = "http"
phases = ["smoke"]
path = "/health"
"""

EVERY_TYPE = (
    HTTP_ONLY.replace('"http://127.0.0.1:9"', '"http://127.0.0.1:9"\ndatabase_url = "x"')
    + """
[[checks]]
id = "db"
type = "postgres"
check = "reachable"
phases = ["smoke"]

[[checks]]
id = "ws"
type = "websocket"
url = "ws://127.0.0.1:9/ws"
phases = ["smoke"]

[[checks]]
id = "disk"
type = "host"
check = "disk"
phases = ["smoke"]

[[checks]]
id = "metrics"
type = "prometheus"
require = ["up"]
phases = ["smoke"]
"""
)


def run(config: str | None) -> tuple[float, dict[str, int], list[tuple[int, str]]]:
    """Wall time, cumulative microseconds of each imported package, top-level imports."""
    with tempfile.TemporaryDirectory() as workdir:
        args = [sys.executable, "-X", "importtime", "-m", "pytest", "--collect-only", "-q"]
        args += ["-p", "no:cacheprovider"]
        if config is not None:
            (Path(workdir) / "deploygate.toml").write_text(config)
            args += ["--target", "staging"]
        start = time.perf_counter()
        done = subprocess.run(
            args, cwd=workdir, env=RUN_ENV, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
    cumulative: dict[str, int] = {}
    top: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        total, indent, name = int(match[2]), len(match[3]), match[4]
        cumulative.setdefault(name, total)
        if indent == 1:
            top.append((total, name))
    return wall, cumulative, sorted(top, reverse=True)[:8]


def report(title: str, config: str | None) -> float:
    wall, cumulative, top = run(config)
    print(f"\n{title}: {wall:.2f}s wall")
    for name in HEAVY:
        found = [v for k, v in cumulative.items() if k == name or k.startswith(name + ".")]
        seen = f"{max(found) / 1000:7.1f} ms" if found else "not imported"
        print(f"  {name:18} {seen}")
    print("  slowest top-level imports:")
    for micros, name in top:
        print(f"    {micros / 1000:7.1f} ms  {name}")
    return wall


def main() -> None:
    print(f"environment: {describe()}")
    run(HTTP_ONLY)  # warm-up: bytecode caches written
    bare = report("bare pytest --collect-only", None)
    http = report("gate, http checks only", HTTP_ONLY)
    every = report("gate, http + postgres + websocket + host + prometheus", EVERY_TYPE)
    print(f"\nhttp-only gate start-up minus bare pytest: {http - bare:+.2f}s")
    print(f"every-type gate start-up minus http-only:  {every - http:+.2f}s")
    print("(testinfra is imported by its own pytest plugin in every run, gate or not)")


if __name__ == "__main__":
    main()
