"""testinfra connections, one per host and settings, shared by every check on that host.

testinfra keeps its own cache of ``get_host`` results, but without a lock and without
remembering failures: ten checks on a host that is down would each wait for their own
connect timeout, one after the other. Here a host is connected once (under a per-host
lock, so concurrent checks wait for that one attempt), and a failure is remembered for
``FAILURE_TTL_S`` so the other checks of the host report it at once.

Errors of the backends (paramiko exceptions, ``ssh`` exiting 255) become ``ProbeError``
subclasses whose one-line reason names the host.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import testinfra.backend
import testinfra.host

from pytest_deploygate.checks.base import DEFAULT_TIMEOUT, Target
from pytest_deploygate.errors import (
    ProbeAuthError,
    ProbeConnectionError,
    ProbeDNSError,
    ProbeError,
    ProbeProtocolError,
    ProbeTimeout,
    one_line,
)
from pytest_deploygate.hostnames import display_host, host_scheme
from pytest_deploygate.probes.base import ProbeContext, classify

#: How long a failed connection is remembered before the next check tries again.
FAILURE_TTL_S = 10.0
_SSH_SCHEMES = frozenset({"ssh", "safe-ssh", "paramiko"})
_OPENSSH_SCHEMES = frozenset({"ssh", "safe-ssh"})
_SSH_EXIT_ERROR = 255
_NOT_FOUND = 127


@dataclass(frozen=True)
class HostSettings:
    """What, besides the host string, decides how testinfra connects."""

    ssh_config: str | None = None
    ssh_identity_file: str | None = None
    ansible_inventory: str | None = None
    sudo: bool = False
    timeout: int = int(DEFAULT_TIMEOUT)

    @classmethod
    def of(cls, target: Target, ctx: ProbeContext, sudo: bool | None = None) -> HostSettings:
        def path(value: Path | None) -> str | None:
            return None if value is None else str(ctx.path(value))

        # The connect timeout belongs to the connection, which the checks of a host
        # share: it is the target's, not one check's.
        timeout = target.timeout if target.timeout is not None else DEFAULT_TIMEOUT
        return cls(
            ssh_config=path(target.ssh_config),
            ssh_identity_file=path(target.ssh_identity_file),
            ansible_inventory=path(target.ansible_inventory),
            sudo=target.sudo if sudo is None else sudo,
            timeout=max(1, math.ceil(timeout)),
        )

    def testinfra_kwargs(self, hostspec: str, control_dir: str) -> dict[str, Any]:
        """Keyword arguments for ``testinfra.get_host``; values written in the host
        string's query (``?ssh_config=...``) win, as testinfra itself decides."""
        scheme = host_scheme(hostspec)
        kwargs: dict[str, Any] = {}
        if self.sudo:
            kwargs["sudo"] = True
        if scheme in _SSH_SCHEMES or scheme == "ansible":
            if self.ssh_config:
                kwargs["ssh_config"] = self.ssh_config
            if self.ssh_identity_file:
                kwargs["ssh_identity_file"] = self.ssh_identity_file
        if scheme in _SSH_SCHEMES:
            kwargs["timeout"] = self.timeout
        if scheme in _OPENSSH_SCHEMES:
            # Never wait for a password or host-key prompt; reuse one ssh connection per
            # host for all its commands (the master lives in a private directory).
            # (ControlPath goes in the extra args: testinfra escapes '%' only there.) The
            # settings are part of the path: a master logged in with one identity must not
            # serve checks configured with another.
            tag = hashlib.sha1(repr(self).encode()).hexdigest()[:8]
            kwargs["ssh_extra_args"] = f"-o BatchMode=yes -o ControlPath={control_dir}/{tag}-%C"
        if scheme == "ansible" and self.ansible_inventory:
            kwargs["ansible_inventory"] = self.ansible_inventory
        return kwargs


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    host: Any = None
    failure: ProbeError | None = None
    failed_at: float = 0.0


class HostPool:
    """Connected testinfra hosts by (host string, settings); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, HostSettings], _Entry] = {}
        self._control_dir: str | None = None

    def control_dir(self) -> str:
        with self._lock:
            if self._control_dir is None:
                # Short: a unix socket path is limited to ~100 bytes.
                self._control_dir = tempfile.mkdtemp(prefix="dg-ssh-")
            return self._control_dir

    def get(self, hostspec: str, settings: HostSettings) -> Any:
        """The connected testinfra ``Host``, or the ``ProbeError`` that prevents it."""
        with self._lock:
            entry = self._entries.setdefault((hostspec, settings), _Entry())
        with entry.lock:
            if entry.host is not None:
                return entry.host
            if entry.failure is not None and time.monotonic() - entry.failed_at < FAILURE_TTL_S:
                raise entry.failure
            try:
                host = connect(hostspec, settings, self.control_dir())
            except ProbeError as exc:
                entry.failure, entry.failed_at = exc, time.monotonic()
                raise
            entry.host, entry.failure = host, None
            return host

    def connected(self) -> int:
        """How many hosts have a live connection (for benches and tests)."""
        with self._lock:
            return sum(1 for e in self._entries.values() if e.host is not None)

    def close(self) -> None:
        """Close paramiko sessions and stop the ssh masters: nothing outlives the gate."""
        with self._lock:
            entries, self._entries = list(self._entries.values()), {}
            control_dir, self._control_dir = self._control_dir, None
        for entry in entries:
            client = getattr(entry.host, "backend", None) and entry.host.backend.__dict__.get(
                "client"
            )
            if client is not None:
                client.close()
        if control_dir is None:
            return
        for sock in Path(control_dir).iterdir():
            # Any destination will do: with -O the client only talks to the master.
            try:
                subprocess.run(
                    ["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "deploygate-master"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=5,
                    check=False,
                )
            except (OSError, subprocess.SubprocessError):
                continue  # the master exits by itself after ControlPersist
        shutil.rmtree(control_dir, ignore_errors=True)


def connect(hostspec: str, settings: HostSettings, control_dir: str) -> Any:
    """A testinfra host that has answered one command (so a later failure is the check's,
    not the connection's)."""
    shown = display_host(hostspec)
    try:
        # Not testinfra.get_host: its module-level cache would hand back a host whose
        # connection close() has shut. This pool is the one cache.
        backend = testinfra.backend.get_backend(
            hostspec, **settings.testinfra_kwargs(hostspec, control_dir)
        )
        host = testinfra.host.Host(backend)
        backend.set_host(host)
        result = host.run("true")
    except BaseException as exc:
        raise host_error(exc, hostspec) from None
    if result.rc == _NOT_FOUND:
        # docker://, kubectl:// ... run a client program here; it is missing.
        raise ProbeError(
            f"{shown}: the {host_scheme(hostspec)} backend cannot run here: "
            f"{one_line(result.stderr) or 'command not found'}"
        )
    if result.rc != 0:
        raise ProbeConnectionError(
            f"{shown}: cannot run a command on the host (exit {result.rc}): "
            f"{one_line(result.stderr) or 'no message'}"
        )
    return host


def host_error(exc: BaseException, hostspec: str) -> ProbeError:
    """Map a backend's exception onto our tree; the reason starts with the host."""
    shown = display_host(hostspec)
    if isinstance(exc, ProbeError):
        text = str(exc)
        return exc if text.startswith(shown) else type(exc)(f"{shown}: {text}")
    mapped = _ssh_error(exc) or _paramiko_error(exc)
    if mapped is None:
        if isinstance(exc, RuntimeError) and "Unknown connection type" in str(exc):
            mapped = ProbeError(f"{one_line(exc)} (see docs/checks/host.md)")
        else:
            mapped = classify(exc)
    return type(mapped)(f"{shown}: {mapped}")


def _ssh_error(exc: BaseException) -> ProbeError | None:
    """testinfra's ssh backend raises ``RuntimeError(CommandResult)`` when ssh exits 255."""
    result = exc.args[0] if isinstance(exc, RuntimeError) and exc.args else None
    if result is None or getattr(result, "rc", None) != _SSH_EXIT_ERROR:
        return None
    stderr = str(getattr(result, "stderr", "") or "")
    text = _ssh_reason(stderr)
    lowered = stderr.lower()
    if "permission denied" in lowered or "too many authentication failures" in lowered:
        return ProbeAuthError(f"ssh login refused: {text}")
    if "host key verification failed" in lowered or "host identification has changed" in lowered:
        return ProbeAuthError(f"ssh host key not trusted: {text}")
    if "could not resolve hostname" in lowered:
        return ProbeDNSError(f"DNS lookup failed: {text}")
    if "timed out" in lowered:
        return ProbeTimeout(f"ssh connect timed out: {text}")
    if "connection refused" in lowered:
        return ProbeConnectionError(f"ssh connection refused: {text}")
    return ProbeConnectionError(f"ssh failed: {text or 'exit 255 without a message'}")


def _ssh_reason(stderr: str) -> str:
    """The line of ssh's stderr that says what happened (warnings come first)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.lower().startswith("warning:")]
    return lines[-1] if lines else ""


def _paramiko_error(exc: BaseException) -> ProbeError | None:
    try:
        import paramiko
    except ImportError:  # pragma: no cover - paramiko is a dependency
        return None
    text = one_line(exc)
    if isinstance(exc, paramiko.AuthenticationException):
        return ProbeAuthError(f"ssh login refused: {text}")
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        refused = all(
            getattr(e, "errno", None) == 111 for e in exc.errors.values() if e is not None
        )
        return ProbeConnectionError(
            "ssh connection refused" if refused else f"ssh connect failed: {text}"
        )
    if isinstance(exc, paramiko.BadHostKeyException):
        return ProbeAuthError(f"ssh host key not trusted: {text}")
    if isinstance(exc, paramiko.SSHException):
        if "banner" in text.lower():
            return ProbeProtocolError(f"no SSH server answered: {text}")
        return ProbeConnectionError(f"ssh failed: {text}")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ProbeTimeout("ssh connect timed out")
    return None
