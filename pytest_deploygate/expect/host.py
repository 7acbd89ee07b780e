"""Judging what a host check saw. Pure: no I/O, one line per unmet expectation.

Failure lines do not repeat the host: it is in the test id and in the check's key.
Measurements are named ``host.<what>`` in base units (bytes, ratio, s, count).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.host import (
    AbsentCheck,
    CommandCheck,
    CommandObservation,
    DiskCheck,
    DiskObservation,
    FileCheck,
    FileObservation,
    GitCheck,
    GitObservation,
    HostCheck,
    HostEnvCheck,
    HostEnvObservation,
    HostObservation,
    PackageCheck,
    PackageObservation,
    ProcessCheck,
    ProcessObservation,
    RuntimeCheck,
    RuntimeObservation,
    ServiceCheck,
    ServiceObservation,
    SocketCheck,
    SocketObservation,
    version_tuple,
)
from pytest_deploygate.expect.base import Judgement, as_written, snippet, tail_snippet
from pytest_deploygate.expect.env import env_failures
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_duration, format_value

Result = tuple[list[str], list[Measurement]]


S = TypeVar("S", bound=HostCheck)
D = TypeVar("D")


def on_host(
    judge: Callable[[S, Target, D], Result],
) -> Callable[[S, Target, HostObservation[D]], Judgement]:
    """The judge of one sub-kind, for what its probe saw on one host."""

    def judged(spec: S, target: Target, obs: HostObservation[D]) -> Judgement:
        failures, measurements = judge(spec, target, obs.detail)
        return Judgement(tuple(failures), tuple(measurements))

    return judged


def version_number(version: str) -> float:
    """A version as one sortable number for decision rules: ``3.11.4`` -> ``3.1104``
    (major + minor/100 + patch/10000; minor and patch are capped at 99)."""
    parts = [*version_tuple(version), 0, 0, 0]
    major, minor, patch = parts[0], min(parts[1], 99), min(parts[2], 99)
    return round(major + minor / 100 + patch / 10000, 4)


def judge_service(spec: ServiceCheck, target: Target, obs: ServiceObservation) -> Result:
    failures = []
    what = f"service {obs.name}" if obs.manager == "systemd" else f"process {obs.name}"
    if obs.manager == "systemd" and not obs.exists:
        failures.append(f"systemd has no unit {obs.name!r}")
    elif spec.running and not obs.running:
        how = "" if obs.manager == "systemd" else " (no systemd on the host: looked for a process)"
        failures.append(f"{what} is not running{how}")
    elif not spec.running and obs.running:
        failures.append(f"{what} is running, expected stopped")
    if spec.enabled is not None and obs.enabled is None:
        failures.append(
            "cannot tell whether the service is enabled: the host has no systemd "
            "(drop 'enabled' for such hosts)"
        )
    elif spec.enabled is not None and obs.enabled != spec.enabled:
        state = "enabled" if obs.enabled else "not enabled"
        failures.append(f"service {obs.name} is {state}, expected the opposite")
    return failures, []


def judge_process(spec: ProcessCheck, target: Target, obs: ProcessObservation) -> Result:
    # The model holds exactly one of name and pattern.
    label = spec.name if spec.name is not None else f"matching {as_written(spec.pattern or '')}"
    who = f" of user {spec.user}" if spec.user else ""
    count = len(obs.processes)
    failures = []
    measurements = [
        Measurement("host.process_count", float(count), "count", float(spec.min_count), "min")
    ]
    if count < spec.min_count:
        failures.append(f"{count} process(es) {label}{who}, expected at least {spec.min_count}")
    if spec.max_count is not None and count > spec.max_count:
        failures.append(f"{count} process(es) {label}{who}, expected at most {spec.max_count}")
    if obs.processes:
        biggest = max(obs.processes, key=lambda p: p.rss_bytes)
        limit = None if spec.max_memory is None else float(spec.max_memory)
        measurements.append(
            Measurement(
                "host.memory",
                float(biggest.rss_bytes),
                "bytes",
                limit,
                None if limit is None else "max",
            )
        )
        if spec.max_memory is not None and biggest.rss_bytes > spec.max_memory:
            failures.append(
                f"process {biggest.comm} (pid {biggest.pid}) uses "
                f"{format_value(biggest.rss_bytes, 'bytes')} of memory, "
                f"limit {format_value(spec.max_memory, 'bytes')}"
            )
    return failures, measurements


def judge_socket(spec: SocketCheck, target: Target, obs: SocketObservation) -> Result:
    if spec.listening and not obs.listening:
        return [f"nothing listens on {obs.address}"], []
    if not spec.listening and obs.listening:
        return [f"something listens on {obs.address}, expected nothing"], []
    return [], []


def judge_disk(spec: DiskCheck, target: Target, obs: DiskObservation) -> Result:
    failures = []
    free = float(obs.free_bytes)
    where = f"{obs.path} (mounted on {obs.mount})" if obs.mount != obs.path else obs.path
    if spec.min_free is not None and obs.free_bytes < spec.min_free:
        failures.append(
            f"{format_value(free, 'bytes')} free on {where}, "
            f"need {format_value(spec.min_free, 'bytes')}"
        )
    if spec.min_free_ratio is not None and obs.free_ratio < spec.min_free_ratio:
        failures.append(
            f"{format_value(obs.free_ratio, 'ratio')} free on {where}, "
            f"need {format_value(spec.min_free_ratio, 'ratio')}"
        )
    measurements = [
        Measurement(
            "host.disk_free",
            free,
            "bytes",
            None if spec.min_free is None else float(spec.min_free),
            None if spec.min_free is None else "min",
        ),
        Measurement(
            "host.disk_free_ratio",
            round(obs.free_ratio, 6),
            "ratio",
            spec.min_free_ratio,
            None if spec.min_free_ratio is None else "min",
        ),
    ]
    return failures, measurements


def judge_file(spec: FileCheck, target: Target, obs: FileObservation) -> Result:
    if not obs.exists:
        return [f"{spec.path} does not exist"], []
    failures = []
    if spec.kind != "any" and obs.kind != spec.kind:
        failures.append(f"{spec.path} is a {obs.kind}, expected a {spec.kind}")
    if spec.mode_bits is not None and obs.mode != spec.mode_bits:
        found = "unknown" if obs.mode is None else f"{obs.mode:04o}"
        failures.append(f"{spec.path} has mode {found}, expected {spec.mode_bits:04o}")
    if spec.owner is not None and obs.owner != spec.owner:
        failures.append(f"{spec.path} is owned by {obs.owner}, expected {spec.owner}")
    if spec.group is not None and obs.group != spec.group:
        failures.append(f"{spec.path} has group {obs.group}, expected {spec.group}")
    measurements = []
    if obs.age_s is not None:
        measurements.append(Measurement("host.file_age", obs.age_s, "s", spec.max_age, "max"))
        if spec.max_age is not None and obs.age_s > spec.max_age:
            failures.append(
                f"{spec.path} was last modified {format_duration(obs.age_s)} ago, "
                f"max age {format_duration(spec.max_age)}"
            )
    return failures, measurements


def judge_absent(spec: AbsentCheck, target: Target, obs: FileObservation) -> Result:
    return ([f"{spec.path} exists, expected it absent"] if obs.exists else []), []


def judge_command(spec: CommandCheck, target: Target, obs: CommandObservation) -> Result:
    failures = []
    expected = spec.expected_exits()
    if obs.exit_status not in expected:
        said = tail_snippet(obs.stderr or obs.stdout, 160)
        wanted = " or ".join(str(c) for c in expected)
        failures.append(
            f"`{snippet(spec.command, 60)}` exited {obs.exit_status}, expected {wanted}"
            + (f": {said}" if said else "")
        )
    if spec.expect_output is not None and not re.search(spec.expect_output, obs.stdout):
        failures.append(
            f"output does not match {as_written(spec.expect_output)}: "
            f"{snippet(obs.stdout, 160) or '(empty)'}"
        )
    return failures, []


def judge_package(spec: PackageCheck, target: Target, obs: PackageObservation) -> Result:
    if not obs.installed or obs.version is None:
        return [f"package {spec.name} is not installed"], []
    measurement = Measurement(
        "host.version",
        version_number(obs.version),
        "version",
        None if spec.min_version is None else version_number(spec.min_version),
        None if spec.min_version is None else "min",
    )
    if obs.at_least is False:
        return [f"package {spec.name} is at {obs.version}, need {spec.min_version} or newer"], [
            measurement
        ]
    return [], [measurement]


def judge_runtime(spec: RuntimeCheck, target: Target, obs: RuntimeObservation) -> Result:
    if not obs.found or obs.version is None:
        return [f"{spec.runtime} is not installed (command not found)"], []
    measurement = Measurement(
        "host.version",
        version_number(obs.version),
        "version",
        version_number(spec.min_version),
        "min",
    )
    if version_tuple(obs.version) < version_tuple(spec.min_version):
        return [f"{spec.runtime} is {obs.version}, need {spec.min_version} or newer"], [measurement]
    return [], [measurement]


def judge_env(spec: HostEnvCheck, target: Target, obs: HostEnvObservation) -> Result:
    failures, bad = env_failures(
        spec,
        missing=[v.name for v in obs.variables if v.state == "missing"],
        empty=[v.name for v in obs.variables if v.state == "empty"],
        mismatched=[v.name for v in obs.variables if v.matches is False],
        named=obs.named,
        where=" on the host",
    )
    return failures, [Measurement("host.env_missing", float(bad), "count", 0.0, "max")]


def judge_git(spec: GitCheck, target: Target, obs: GitObservation) -> Result:
    if not obs.is_repo:
        return [f"{spec.path} is not a git working tree"], []
    failures = []
    measurements = []
    if spec.branch is not None and obs.branch != spec.branch:
        found = "a detached HEAD" if obs.branch == "HEAD" else f"branch {obs.branch}"
        failures.append(f"{spec.path} is on {found}, expected branch {spec.branch}")
    expected = spec.expected_commit(target)
    if expected is not None:
        if not obs.expected_known:
            failures.append(
                f"expected version {expected} is not a commit known in {spec.path} "
                f"(HEAD is {obs.head[:12]}; fetch, or check expected_version)"
            )
        elif obs.expected != obs.head:
            failures.append(
                f"HEAD is {obs.head[:12]}, expected {expected} ({(obs.expected or '')[:12]})"
            )
    if spec.clean:
        measurements.append(
            Measurement("host.git_dirty", float(len(obs.dirty)), "count", 0.0, "max")
        )
        if obs.dirty:
            shown = ", ".join(obs.dirty[:5]) + (" ..." if len(obs.dirty) > 5 else "")
            failures.append(f"{len(obs.dirty)} uncommitted change(s) in {spec.path}: {shown}")
    if spec.pushed:
        measurements.append(
            Measurement("host.git_unpushed", float(obs.unpushed), "count", 0.0, "max")
        )
        if obs.unpushed:
            failures.append(
                f"{obs.unpushed} commit(s) in {spec.path} are on no remote branch (unpushed)"
            )
    return failures, measurements
