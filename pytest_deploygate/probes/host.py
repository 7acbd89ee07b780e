"""Reading a host's state through testinfra, one function per host check sub-kind.

Each reader takes the check and a connected testinfra ``Host`` and returns a frozen
observation; the judges in ``expect.host`` decide. A command the reader needs that is
missing on the host (exit 127) is an ``error`` naming the host and the command.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.env import NameSeen
from pytest_deploygate.checks.host import (
    AbsentCheck,
    CommandCheck,
    CommandObservation,
    DiskCheck,
    DiskObservation,
    EnvStatus,
    FileCheck,
    FileObservation,
    GitCheck,
    GitObservation,
    HostEnvCheck,
    HostEnvObservation,
    HostObservation,
    OnHosts,
    PackageCheck,
    PackageObservation,
    ProcessCheck,
    ProcessInfo,
    ProcessObservation,
    RuntimeCheck,
    RuntimeObservation,
    ServiceCheck,
    ServiceObservation,
    SocketCheck,
    SocketObservation,
    version_tuple,
)
from pytest_deploygate.errors import ProbeError, ProbeProtocolError, one_line
from pytest_deploygate.hostnames import display_host, resolve_host
from pytest_deploygate.probes.base import ProbeContext, call_with_deadline
from pytest_deploygate.probes.hostconn import HostPool, HostSettings, host_error
from pytest_deploygate.units import format_duration

_NOT_FOUND = 127
_CANNOT_EXECUTE = 126

# -- observations -------------------------------------------------------------------------


# -- the probe ------------------------------------------------------------------------------


S = TypeVar("S", bound=OnHosts)
D = TypeVar("D")  # what the sub-kind's reader returns


def on_host(
    read: Callable[[S, Any, Target], D],
) -> Callable[[S, Target, ProbeContext], HostObservation[D]]:
    """The probe of one sub-kind: connect (or reuse the connection), then ``read``."""
    return on_host_with_context(lambda spec, host, target, ctx: read(spec, host, target))


def on_host_with_context(
    read: Callable[[S, Any, Target, ProbeContext], D],
) -> Callable[[S, Target, ProbeContext], HostObservation[D]]:
    """``on_host`` for a reader that also needs the probe context (what the gate session
    keeps between two samples of a window: ``logs`` remembers where it stopped reading)."""

    def probe(spec: S, target: Target, ctx: ProbeContext) -> HostObservation[D]:
        hostspec = resolve_host(ctx.instance, target)
        shown = display_host(hostspec)
        timeout = spec.effective_timeout(target)
        # The gate session's pool; a probe run on its own (tests, benches) gets its own.
        pool = ctx.hosts if ctx.hosts is not None else HostPool()

        def work() -> D:
            settings = HostSettings.of(target, ctx, spec.sudo)
            return read(spec, pool.get(hostspec, settings), target, ctx)

        # Commands on a host have no timeout of their own in testinfra: bound them here,
        # so the reason names the host instead of the runner's anonymous deadline.
        try:
            detail = call_with_deadline(
                work,
                timeout,
                name=f"deploygate-host-{spec.id}",
                timeout_reason=f"{shown}: no answer within {format_duration(timeout)}",
            )
        except Exception as exc:
            raise host_error(exc, hostspec) from None
        finally:
            if pool is not ctx.hosts:
                pool.close()
        return HostObservation(host=shown, detail=detail)

    return probe


def run(host: Any, command: str, *args: str, what: str = "") -> Any:
    """``host.run`` where a missing program is an error naming it, not a failed check."""
    result = host.run(command, *args)
    if result.rc in (_NOT_FOUND, _CANNOT_EXECUTE):
        program = what or command.split()[0]
        reason = "not found" if result.rc == _NOT_FOUND else "cannot be executed"
        raise ProbeError(
            f"command {program!r} {reason} on the host "
            f"({one_line(result.stderr) or f'exit {result.rc}'})"
        )
    return result


def _require_ok(result: Any, what: str) -> Any:
    if result.rc != 0:
        raise ProbeProtocolError(
            f"{what} failed (exit {result.rc}): {one_line(result.stderr) or 'no message'}"
        )
    return result


# -- readers, one per sub-kind ------------------------------------------------------------


def read_service(spec: ServiceCheck, host: Any, target: Target) -> ServiceObservation:
    has_systemd = spec.manager == "systemd" or (
        spec.manager == "auto" and host.file("/run/systemd/system").is_directory
    )
    if has_systemd:
        # Read the unit through systemctl directly: testinfra's service module would
        # pick its class by probing the host again for every check.
        unit = spec.name
        active = run(host, "systemctl is-active -- %s", unit, what="systemctl")
        enabled = run(host, "systemctl is-enabled -- %s", unit, what="systemctl")
        load = run(host, "systemctl show -p LoadState --value -- %s", unit, what="systemctl")
        exists = load.stdout.strip() not in ("not-found", "")
        return ServiceObservation(
            name=unit,
            manager="systemd",
            exists=exists,
            running=active.rc == 0,
            enabled=enabled.rc == 0,
        )
    found = _processes(host, name=spec.process_name)
    return ServiceObservation(
        name=spec.process_name,
        manager="process",
        exists=bool(found),
        running=bool(found),
        enabled=None,
    )


def read_process(spec: ProcessCheck, host: Any, target: Target) -> ProcessObservation:
    found = _processes(host, name=spec.name, pattern=spec.pattern, user=spec.user)
    return ProcessObservation(processes=found)


def _processes(
    host: Any, *, name: str | None = None, pattern: str | None = None, user: str | None = None
) -> tuple[ProcessInfo, ...]:
    # One ps call, parsed here: args last because it contains spaces.
    result = _require_ok(
        run(host, "ps -A -ww -o pid= -o user= -o rss= -o comm= -o args=", what="ps"), "ps"
    )
    regex = re.compile(pattern) if pattern is not None else None
    found = []
    for line in result.stdout.splitlines():
        parts = line.split(None, 4)
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        pid, owner, rss, comm = parts[:4]
        args = parts[4] if len(parts) > 4 else comm
        if args.startswith("ps -A -ww -o pid="):
            continue  # ourselves
        if name is not None and comm != name and args.split(" ", 1)[0].rsplit("/", 1)[-1] != name:
            continue
        if regex is not None and not regex.search(args):
            continue
        if user is not None and owner != user:
            continue
        found.append(
            ProcessInfo(
                pid=int(pid),
                user=owner,
                comm=comm,
                rss_bytes=int(rss) * 1024 if rss.isdigit() else 0,
            )
        )
    return tuple(found)


def read_socket(spec: SocketCheck, host: Any, target: Target) -> SocketObservation:
    protocol, _, rest = spec.address.partition("://")
    try:
        if protocol != "unix" and rest.isdigit():
            # tcp://5432 means "on any address" here (testinfra reads it as "on both
            # 0.0.0.0 and ::", which surprises people on call).
            suffix = f":{rest}"
            listening = any(
                s.startswith(f"{protocol}://") and s.endswith(suffix)
                for s in host.socket.get_listening_sockets()
            )
        else:
            listening = bool(host.socket(spec.address).is_listening)
    except RuntimeError as exc:
        # testinfra's socket module needs ss or netstat on the host.
        raise ProbeError(f"cannot list sockets on the host: {one_line(exc)}") from None
    return SocketObservation(address=spec.address, listening=listening)


def read_disk(spec: DiskCheck, host: Any, target: Target) -> DiskObservation:
    # POSIX df: 1024-byte blocks, one line per filesystem, no wrapping.
    result = _require_ok(run(host, "df -P -k -- %s", spec.path, what="df"), f"df {spec.path}")
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    fields = lines[-1].split() if len(lines) >= 2 else []
    if len(fields) < 6 or not (fields[1].isdigit() and fields[3].isdigit()):
        raise ProbeProtocolError(f"cannot read the output of df -P: {one_line(result.stdout)}")
    return DiskObservation(
        path=spec.path,
        mount=fields[5],
        free_bytes=int(fields[3]) * 1024,
        total_bytes=int(fields[1]) * 1024,
    )


def read_file(spec: FileCheck, host: Any, target: Target) -> FileObservation:
    info = host.file(spec.path)
    if not info.exists:
        return FileObservation(path=spec.path, exists=False)
    kind = "directory" if info.is_directory else "file" if info.is_file else "other"
    age = None
    if spec.max_age is not None:
        # Age by the host's own clock: the gate machine's may be off.
        now = _require_ok(run(host, "date +%s", what="date"), "date +%s")
        age = float(now.stdout.strip()) - info.mtime.timestamp()
    return FileObservation(
        path=spec.path,
        exists=True,
        kind=kind,
        mode=info.mode if spec.mode is not None else None,
        owner=info.user if spec.owner is not None else None,
        group=info.group if spec.group is not None else None,
        age_s=age,
    )


def read_absent(spec: AbsentCheck, host: Any, target: Target) -> FileObservation:
    # One `test`, not testinfra's file module: that first asks the host what OS it runs.
    # A dangling symlink counts as present: it still blocks whatever the flag blocks.
    found = run(host, "test -e %s || test -L %s", spec.path, spec.path, what="test")
    return FileObservation(path=spec.path, exists=found.rc == 0)


def read_command(spec: CommandCheck, host: Any, target: Target) -> CommandObservation:
    result = run(host, spec.command)
    return CommandObservation(exit_status=result.rc, stdout=result.stdout, stderr=result.stderr)


def read_package(spec: PackageCheck, host: Any, target: Target) -> PackageObservation:
    package = host.package(spec.name)
    if not package.is_installed:
        return PackageObservation(spec.name, installed=False, version=None, at_least=None)
    version = str(package.version)
    at_least = None
    if spec.min_version is not None:
        at_least = _package_at_least(host, version, spec.min_version)
    return PackageObservation(spec.name, installed=True, version=version, at_least=at_least)


def _package_at_least(host: Any, version: str, minimum: str) -> bool:
    """dpkg's own ordering where there is dpkg (epochs, ~rc); else numeric parts."""
    if host.exists("dpkg"):
        result = host.run("dpkg --compare-versions %s ge %s", version, minimum)
        if result.rc in (0, 1):
            return bool(result.rc == 0)
    return version_tuple(version) >= version_tuple(minimum)


def read_runtime(spec: RuntimeCheck, host: Any, target: Target) -> RuntimeObservation:
    result = host.run(spec.command())
    if result.rc == _NOT_FOUND:
        return RuntimeObservation(found=False, version=None)
    text = f"{result.stdout}\n{result.stderr}"
    match = re.search(r"(?<![0-9.])([0-9]+\.[0-9]+(?:\.[0-9]+)*)", text)
    if result.rc != 0 or match is None:
        raise ProbeProtocolError(
            f"`{spec.command()}` gave no version (exit {result.rc}): "
            f"{one_line(result.stderr) or one_line(result.stdout) or 'no output'}"
        )
    return RuntimeObservation(found=True, version=match.group(1))


# Run on the host: prints NAME=set|empty|missing[:match|:nomatch] per variable, never a
# value. Patterns are matched by grep -E on the host, against the whole value.
_ENV_SCRIPT = (
    'for spec in "$@"; do '
    'n="${spec%%=*}"; p="${spec#*=}"; '
    'if printenv "$n" >/dev/null 2>&1; then '
    'if [ -n "$(printenv "$n")" ]; then s=set; else s=empty; fi; else s=missing; fi; '
    'm=""; if [ "$spec" != "$n" ] && [ "$s" != missing ]; then '
    'if printenv "$n" | grep -Eqx -e "$p"; then m=":match"; else m=":nomatch"; fi; fi; '
    'echo "$n=$s$m"; done'
)


# Run on the host: prints "NAME set" or "NAME empty" for every variable, never a value
# (values with newlines stay one record: env -0 ends each with a NUL).
_ENV_NAMES = (
    "env -0 | tr '\\n\\0' ' \\n' "
    "| sed -e 's/^\\([^=]*\\)=$/\\1 empty/' -e 's/^\\([^=]*\\)=.*/\\1 set/'"
)


def read_env(spec: HostEnvCheck, host: Any, target: Target) -> HostEnvObservation:
    return HostEnvObservation(
        variables=_read_variables(spec, host) if spec.variables else (),
        named=_read_names(host) if spec.matching else (),
    )


def _read_variables(spec: HostEnvCheck, host: Any) -> tuple[EnvStatus, ...]:
    args = [f"{n}={spec.patterns[n]}" if n in spec.patterns else n for n in spec.variables]
    placeholders = " ".join(["%s"] * len(args))
    result = _require_ok(
        run(host, f"sh -c %s deploygate {placeholders}", _ENV_SCRIPT, *args, what="sh"),
        "reading the environment",
    )
    states: dict[str, tuple[str, bool | None]] = {}
    for line in result.stdout.splitlines():
        name, _, rest = line.partition("=")
        state, _, match = rest.partition(":")
        states[name] = (state, None if not match else match == "match")
    found = []
    for name in spec.variables:
        state, matches = states.get(name, ("missing", None))
        found.append(EnvStatus(name=name, state=state, matches=matches))
    return tuple(found)


def _read_names(host: Any) -> tuple[NameSeen, ...]:
    result = _require_ok(run(host, _ENV_NAMES, what="env"), "listing the environment")
    named = []
    for line in result.stdout.splitlines():
        name, _, state = line.rpartition(" ")
        if name:
            named.append(NameSeen(name, empty=state == "empty"))
    return tuple(sorted(named, key=lambda seen: seen.name))


def read_git(spec: GitCheck, host: Any, target: Target) -> GitObservation:
    # safe.directory: the deploy dir usually belongs to another user than the one we log
    # in as, and we only read.
    def git(*args: str) -> Any:
        placeholders = " ".join(["%s"] * len(args))
        return run(
            host, f"git -c safe.directory=* -C %s {placeholders}", spec.path, *args, what="git"
        )

    inside = git("rev-parse", "--is-inside-work-tree")
    if inside.rc != 0 or inside.stdout.strip() != "true":
        return GitObservation(is_repo=False)
    head = _require_ok(git("rev-parse", "HEAD"), "git rev-parse HEAD").stdout.strip()
    branch = _require_ok(
        git("rev-parse", "--abbrev-ref", "HEAD"), "git rev-parse --abbrev-ref HEAD"
    ).stdout.strip()
    dirty: tuple[str, ...] = ()
    if spec.clean:
        status = _require_ok(git("status", "--porcelain"), "git status")
        dirty = tuple(ln[3:] for ln in status.stdout.splitlines() if ln.strip())
    unpushed = 0
    if spec.pushed:
        # Commits reachable from HEAD but from no remote-tracking branch: works without
        # an upstream configured, and counts a branch never pushed at all.
        count = _require_ok(
            git("rev-list", "--count", "HEAD", "--not", "--remotes"), "git rev-list"
        )
        unpushed = int(count.stdout.strip() or 0)
    expected = spec.expected_commit(target)
    resolved, known = None, True
    if expected is not None:
        found = git("rev-parse", "--verify", "--quiet", f"{expected}^{{commit}}")
        known = found.rc == 0
        resolved = found.stdout.strip() if known else expected
    return GitObservation(
        is_repo=True,
        head=head,
        branch=branch,
        dirty=dirty,
        unpushed=unpushed,
        expected=resolved,
        expected_known=known,
    )


class HostProbes:
    """The probe of each host sub-kind, for ``pytest_deploygate.registry``."""

    service = on_host(read_service)
    process = on_host(read_process)
    socket = on_host(read_socket)
    disk = on_host(read_disk)
    file = on_host(read_file)
    absent = on_host(read_absent)
    command = on_host(read_command)
    package = on_host(read_package)
    runtime = on_host(read_runtime)
    env = on_host(read_env)
    git = on_host(read_git)
