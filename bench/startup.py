"""Start-up of a gate: what it imports, by the check types its config uses.

Runs ``python -X importtime -m pytest --collect-only --target staging`` in a scratch
directory, once with an http-only config and once with one check of every type, and
prints for each: wall and CPU time, the import time of the gate's own modules (medians of
``--repeat`` runs, the rows alternated), the client libraries that were imported (with
their cumulative import time) and the slowest top-level imports. A bare ``pytest
--collect-only`` in an empty directory is the baseline. Nothing is asserted.

    python bench/startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

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


Run = tuple[float, float, dict[str, int], list[tuple[int, str]]]


def run(config: str | None) -> Run:
    """Wall time, CPU time, cumulative microseconds of each imported module, top-level
    imports."""
    with tempfile.TemporaryDirectory() as workdir:
        args = [sys.executable, "-X", "importtime", "-m", "pytest", "--collect-only", "-q"]
        args += ["-p", "no:cacheprovider"]
        if config is not None:
            (Path(workdir) / "deploygate.toml").write_text(config)
            args += ["--target", "staging"]
        cpu = _children_cpu()
        start = time.perf_counter()
        done = subprocess.run(
            args, cwd=workdir, env=RUN_ENV, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
        used = _children_cpu() - cpu
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
    return wall, used, cumulative, sorted(top, reverse=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def imports_ms(top: list[tuple[int, str]]) -> float:
    """All import time of a run: every top-level import, cumulative (a type's modules are
    imported when the config is read, outside the gate module's own import)."""
    return sum(micros for micros, _ in top) / 1000


def report(title: str, runs: list[Run]) -> tuple[float, float]:
    """Prints the medians of ``runs`` and the imports of its first run; median wall, CPU."""
    wall, cpu = median(r[0] for r in runs), median(r[1] for r in runs)
    imports = median(imports_ms(r[3]) for r in runs)
    print(f"\n{title}: {wall:.2f}s wall, {cpu:.2f}s CPU, imports {imports:.0f} ms")
    _, _, cumulative, top = runs[0]
    for name in HEAVY:
        found = [v for k, v in cumulative.items() if k == name or k.startswith(name + ".")]
        seen = f"{max(found) / 1000:7.1f} ms" if found else "not imported"
        print(f"  {name:18} {seen}")
    print("  slowest top-level imports (first run):")
    for micros, name in top[:8]:
        print(f"    {micros / 1000:7.1f} ms  {name}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each row (median)")
    args = parser.parse_args()
    print(f"environment: {describe()}")
    rows = {
        "bare pytest --collect-only": None,
        "gate, http checks only": HTTP_ONLY,
        "gate, http + postgres + websocket + host + prometheus": EVERY_TYPE,
    }
    run(HTTP_ONLY)  # warm-up: bytecode caches written
    runs: dict[str, list[Run]] = {label: [] for label in rows}
    for _ in range(args.repeat):  # rows alternated: a burst of load hits each row alike
        for label, config in rows.items():
            runs[label].append(run(config))
    print(f"medians of {args.repeat} runs each; CPU: user + system of the pytest process")
    (bare, bare_cpu), (http, http_cpu), (every, every_cpu) = (
        report(label, measured) for label, measured in runs.items()
    )
    print(f"\nhttp-only gate start-up minus bare pytest: {http - bare:+.2f}s wall, ", end="")
    print(f"{http_cpu - bare_cpu:+.2f}s CPU")
    print(f"every-type gate start-up minus http-only:  {every - http:+.2f}s wall, ", end="")
    print(f"{every_cpu - http_cpu:+.2f}s CPU")
    print("(testinfra is imported by its own pytest plugin in every run, gate or not)")


if __name__ == "__main__":
    main()
