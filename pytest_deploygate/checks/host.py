"""``type = "host"``: the state of the target's machines, read through pytest-testinfra.

One check type, many sub-kinds, chosen by the ``check`` key (a pydantic discriminated
union, built from the sub-kinds registered in ``pytest_deploygate.registry``):

    service  process  socket  disk  file  absent  command  package  runtime  env  git

Each host check runs once per host of the target (``hosts`` on the check narrows them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import (
    Field,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from pytest_deploygate.checks.base import CheckSpec, Duration, Ratio, Size, Target
from pytest_deploygate.checks.env import EnvKeys, NameSeen
from pytest_deploygate.checks.validators import check_regex
from pytest_deploygate.hostnames import NO_HOSTS, display_host

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext


class OnHosts(CheckSpec):
    """Keys of a check type read on the target's machines through testinfra (``host``,
    ``logs``): ``hosts`` narrows the target's hosts (exact strings or globs), ``sudo``
    overrides the target's."""

    hosts: tuple[str, ...] = ()
    sudo: bool | None = None

    def host_instances(self, target: Target) -> tuple[str, ...]:
        """The target's hosts this check runs on, as shown in test ids."""
        chosen = [h for h in target.hosts if not self.hosts or _matches(h, self.hosts)]
        return tuple(dict.fromkeys(display_host(h) for h in chosen)) or (NO_HOSTS,)


class HostCheck(OnHosts):
    """Keys every host check has. Subclasses fix ``check`` to their sub-kind."""

    type: Literal["host"] = "host"
    check: str


def _matches(host: str, patterns: tuple[str, ...]) -> bool:
    return any(host == p or display_host(host) == p or fnmatchcase(host, p) for p in patterns)


# -- the sub-kinds ------------------------------------------------------------------------


class ServiceCheck(HostCheck):
    """A service is running (and enabled). Without systemd: a process of that name runs."""

    check: Literal["service"] = "service"
    name: str = Field(min_length=1)
    running: bool = True
    enabled: bool | None = None
    manager: Literal["auto", "systemd", "process"] = "auto"
    process: str | None = None

    @property
    def process_name(self) -> str:
        return self.process or self.name


class ProcessCheck(HostCheck):
    """Processes by name (exact command name) or pattern (regex on the command line)."""

    check: Literal["process"] = "process"
    name: str | None = None
    pattern: str | None = None
    user: str | None = None
    min_count: int = Field(default=1, ge=0)
    max_count: int | None = Field(default=None, ge=0)
    max_memory: Size | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        return check_regex(value, "pattern")

    @model_validator(mode="after")
    def _name_or_pattern(self) -> Self:
        if (self.name is None) == (self.pattern is None):
            raise ValueError(
                "give exactly one of 'name' (the command name, as in `ps -o comm`) "
                "or 'pattern' (a regex searched in the full command line)"
            )
        if self.max_count is not None and self.max_count < self.min_count:
            raise ValueError("max_count is below min_count")
        return self


class SocketCheck(HostCheck):
    """A socket is listening: ``tcp://5432``, ``tcp://127.0.0.1:6379``, ``unix:///run/x.sock``."""

    check: Literal["socket"] = "socket"
    address: str
    listening: bool = True

    @field_validator("address")
    @classmethod
    def _address_form(cls, value: str) -> str:
        if not re.match(r"^(tcp|udp)://(.+:)?[0-9]+$|^unix:///.+", value):
            raise ValueError(
                "address must look like tcp://5432, tcp://127.0.0.1:5432, udp://53 "
                "or unix:///run/app.sock"
            )
        return value


class DiskCheck(HostCheck):
    """Free space on the filesystem holding ``path``."""

    check: Literal["disk"] = "disk"
    path: str = "/"
    min_free: Size | None = None
    min_free_ratio: Ratio | None = None


class FileCheck(HostCheck):
    """A file or directory exists, with mode, owner, group and a maximum age."""

    check: Literal["file"] = "file"
    path: str = Field(min_length=1)
    kind: Literal["file", "directory", "any"] = "any"
    mode: str | None = None
    owner: str | None = None
    group: str | None = None
    max_age: Duration | None = None

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_octal(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError('write the mode as an octal string in quotes, e.g. mode = "0640"')
        if isinstance(value, str) and not re.fullmatch(r"0?[0-7]{3,4}", value):
            raise ValueError('mode must be octal digits in quotes, e.g. "0640" or "755"')
        return value

    @property
    def mode_bits(self) -> int | None:
        return None if self.mode is None else int(self.mode, 8)


class AbsentCheck(HostCheck):
    """A path must not exist (a maintenance flag, a leftover lock file)."""

    check: Literal["absent"] = "absent"
    path: str = Field(min_length=1)


class CommandCheck(HostCheck):
    """A command exits with an expected status and its output matches."""

    check: Literal["command"] = "command"
    command: str = Field(min_length=1)
    expect_exit: int | tuple[int, ...] = 0
    expect_output: str | None = None

    @field_validator("expect_output")
    @classmethod
    def _output_compiles(cls, value: str | None) -> str | None:
        return check_regex(value, "expect_output")

    def expected_exits(self) -> tuple[int, ...]:
        code = self.expect_exit
        return (code,) if isinstance(code, int) else code


class PackageCheck(HostCheck):
    """A package is installed (dpkg, rpm, apk ... as testinfra detects), at a minimum version."""

    check: Literal["package"] = "package"
    name: str = Field(min_length=1)
    min_version: str | None = None


class RuntimeCheck(HostCheck):
    """A language runtime answers with a version at least ``min_version``."""

    check: Literal["runtime"] = "runtime"
    runtime: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_./+-]+$")
    min_version: str = Field(pattern=r"^[0-9]+(\.[0-9]+)*$")
    version_command: str | None = None

    def command(self) -> str:
        if self.version_command:
            return self.version_command
        # Java prints its version with a single dash; everything else takes --version.
        flag = "-version" if self.runtime.rsplit("/", 1)[-1] == "java" else "--version"
        return f"{self.runtime} {flag}"


class HostEnvCheck(HostCheck, EnvKeys):
    """Environment variables set in the host's login environment. Values never leave it."""

    check: Literal["env"] = "env"


class GitCheck(HostCheck):
    """The deploy directory's git state: clean, on a branch, at a commit, all pushed."""

    check: Literal["git"] = "git"
    path: str = Field(min_length=1)
    branch: str | None = None
    commit: str | None = None
    clean: bool = True
    pushed: bool = True

    def expected_commit(self, target: Target) -> str | None:
        """``commit``, else the target's ``expected_version``; empty means unchecked."""
        value = self.commit if self.commit is not None else target.expected_version
        return value or None


#: Explicit registry: the value of ``check`` -> the model of that sub-kind.


@dataclass(frozen=True)
class ServiceObservation:
    name: str
    manager: str  # "systemd" or "process"
    exists: bool
    running: bool
    enabled: bool | None  # None: not known without systemd


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    user: str
    comm: str
    rss_bytes: int


@dataclass(frozen=True)
class ProcessObservation:
    processes: tuple[ProcessInfo, ...]


@dataclass(frozen=True)
class SocketObservation:
    address: str
    listening: bool


@dataclass(frozen=True)
class DiskObservation:
    path: str
    mount: str
    free_bytes: int
    total_bytes: int

    @property
    def free_ratio(self) -> float:
        return self.free_bytes / self.total_bytes if self.total_bytes else 0.0


@dataclass(frozen=True)
class FileObservation:
    path: str
    exists: bool
    kind: str = ""  # "file", "directory", "other"
    mode: int | None = None
    owner: str | None = None
    group: str | None = None
    age_s: float | None = None


@dataclass(frozen=True)
class CommandObservation:
    exit_status: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class PackageObservation:
    name: str
    installed: bool
    version: str | None
    at_least: bool | None  # None: no minimum asked for, or not installed


@dataclass(frozen=True)
class RuntimeObservation:
    found: bool
    version: str | None


@dataclass(frozen=True)
class EnvStatus:
    """What is known of one variable on the host: never its value."""

    name: str
    state: str  # "set", "empty", "missing"
    matches: bool | None


@dataclass(frozen=True)
class HostEnvObservation:
    variables: tuple[EnvStatus, ...]
    # Every variable set on the host, read only when the check has ``matching``.
    named: tuple[NameSeen, ...] = ()


@dataclass(frozen=True)
class GitObservation:
    is_repo: bool
    head: str = ""
    branch: str = ""  # "HEAD" when detached
    dirty: tuple[str, ...] = ()
    unpushed: int = 0
    expected: str | None = None  # the expected commit, resolved on the host
    expected_known: bool = True


D = TypeVar("D")  # a sub-kind's observation


@dataclass(frozen=True)
class HostObservation(Generic[D]):
    """What one host check saw on one host: the sub-kind's observation in ``detail``."""

    host: str
    detail: D


def host_deadline(spec: OnHosts, target: Target, ctx: ProbeContext) -> float:
    """The runner's bound, a little past ours, so our timeout (naming the host) fires first."""
    return spec.effective_timeout(target) + 3.0


def host_where(spec: HostCheck, target: Target, ctx: ProbeContext) -> str:
    """The host as the test id shows it (without a password)."""
    return f"host {ctx.instance or NO_HOSTS}: {spec.check}"


def host_instances(spec: OnHosts, target: Target) -> tuple[str, ...]:
    """Fan-out: the check runs once per host of the target (as narrowed by the check)."""
    return spec.host_instances(target)


_VERSION = re.compile(r"(?<![0-9.])([0-9]+(?:\.[0-9]+)+|[0-9]+)")


def version_tuple(text: str) -> tuple[int, ...]:
    """``"1:3.11.2-1+b1"`` -> ``(3, 11, 2)``: the first dotted number after any epoch."""
    match = _VERSION.search(text.split(":", 1)[-1])
    return tuple(int(p) for p in match.group(1).split(".")) if match else ()
