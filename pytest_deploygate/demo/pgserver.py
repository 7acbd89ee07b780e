"""A throwaway PostgreSQL cluster from the machine's binaries (initdb, pg_ctl).

Used by the demo database and by the test suite. initdb refuses to run as root, so as
root the cluster belongs to an unprivileged user and its commands run via ``runuser``.
The cluster lives in a fresh temporary directory (readable by that user), listens on
127.0.0.1 only, on a free port, and is removed by ``stop()``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"


class ServerUnavailable(RuntimeError):
    """The cluster cannot start here; the message says why in one line."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary(name: str) -> str | None:
    """On PATH, else in Debian's versioned directories (newest first)."""
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return None


def _as_user(user: str | None, argv: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


@dataclass
class PgServer:
    host: str
    port: int
    base: Path
    os_user: str | None
    pg_ctl: str
    password: str

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    def dsn(
        self, dbname: str = "postgres", user: str = SUPERUSER, password: str | None = None
    ) -> str:
        secret = self.password if password is None else password
        return f"postgresql://{user}:{secret}@{self.host}:{self.port}/{dbname}"

    def version(self) -> str:
        version_file = self.datadir / "PG_VERSION"
        return version_file.read_text().strip() if version_file.exists() else "?"

    def stop(self, *, remove: bool = True) -> None:
        subprocess.run(
            _as_user(
                self.os_user, [self.pg_ctl, "-D", str(self.datadir), "-m", "immediate", "stop"]
            ),
            capture_output=True,
            timeout=30,
            check=False,
        )
        if remove:
            shutil.rmtree(self.base, ignore_errors=True)


def start_server(password: str, os_user: str | None = None, max_connections: int = 50) -> PgServer:
    """Start a cluster; ``os_user`` is required when running as root."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise ServerUnavailable("initdb/pg_ctl not found (install the postgresql package)")
    if os.geteuid() == 0 and not os_user:
        raise ServerUnavailable("running as root: an unprivileged os_user is needed for initdb")
    if os.geteuid() != 0:
        os_user = None
    base = Path(tempfile.mkdtemp(prefix="deploygate-pg-"))
    pwfile = base / "pw"
    pwfile.write_text(password + "\n")
    if os_user:
        try:
            info = pwd.getpwnam(os_user)
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            raise ServerUnavailable(f"user {os_user!r} does not exist") from None
        os.chown(base, info.pw_uid, info.pw_gid)
        os.chown(pwfile, info.pw_uid, info.pw_gid)
    server = PgServer("127.0.0.1", free_port(), base, os_user, pg_ctl, password)
    try:
        _run(
            os_user,
            [
                initdb,
                "-D",
                str(server.datadir),
                "-U",
                SUPERUSER,
                "--pwfile",
                str(pwfile),
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ],
            120,
        )
        pwfile.unlink()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={server.port} "
            f"-c unix_socket_directories={base} -c fsync=off -c synchronous_commit=off "
            f"-c full_page_writes=off -c max_connections={max_connections} "
            "-c shared_buffers=32MB"
        )
        _run(
            os_user,
            [
                pg_ctl,
                "-D",
                str(server.datadir),
                "-o",
                options,
                "-l",
                str(base / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            90,
        )
    except ServerUnavailable as exc:
        log = base / "log"
        tail = log.read_text(errors="replace")[-300:] if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise ServerUnavailable(f"{exc} {' '.join(tail.split())}".strip()) from None
    return server


def _run(os_user: str | None, argv: list[str], timeout: float) -> None:
    try:
        result = subprocess.run(
            _as_user(os_user, argv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServerUnavailable(f"{Path(argv[0]).name} failed: {exc}") from None
    if result.returncode != 0:
        message = " ".join((result.stderr or result.stdout).split())[-300:]
        raise ServerUnavailable(f"{Path(argv[0]).name} failed: {message}")
