"""A real OpenSSH server on a free loopback port, for the ssh:// and paramiko:// paths.

The server runs as the user running the tests (so it needs no root and creates no
account), accepts one throwaway user key, and uses a throwaway host key. ``ssh_config``
maps any alias matching ``HOST_ALIAS_PATTERN`` to it, so a test can address "many
hosts" that are all this one server.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
HOST_ALIAS_PATTERN = "dg-host-*"


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    directory: Path
    ssh_config: Path
    identity_file: Path
    wrong_identity_file: Path  # a key the server does not accept

    def alias(self, index: int = 0) -> str:
        return HOST_ALIAS_PATTERN.replace("*", f"{index:02d}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _wait_listening(port: int, proc: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.settimeout(2)
                return sock.recv(4).startswith(b"SSH-")
        except OSError:
            time.sleep(0.05)
    return False


@contextmanager
def ssh_server() -> Iterator[SshServer | str]:
    """Yields the running server, or a reason why it cannot run here."""
    if not os.path.exists(SSHD) or shutil.which("ssh-keygen") is None:
        yield "openssh-server is not installed (apt-get install openssh-server)"
        return
    directory = Path(tempfile.mkdtemp(prefix="dg-sshd-"))
    user = getpass.getuser()
    host_key = directory / "host_ed25519"
    identity = directory / "user_ed25519"
    wrong = directory / "wrong_ed25519"
    for key, comment in ((host_key, "host"), (identity, "user"), (wrong, "wrong")):
        _keygen(key, f"deploygate-test-{comment}")
    (directory / "authorized_keys").write_text(identity.with_suffix(".pub").read_text())
    port = free_port()
    config = directory / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"PidFile {directory}/sshd.pid\nAuthorizedKeysFile {directory}/authorized_keys\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nUsePAM no\n"
        # The temp dir's modes are not what sshd insists on for a real home.
        "StrictModes no\nMaxStartups 200\nMaxSessions 200\nLogLevel ERROR\n"
        f"AllowUsers {user}\n"
    )
    ssh_config = directory / "ssh_config"
    ssh_config.write_text(
        f"Host {HOST_ALIAS_PATTERN} 127.0.0.1\n  HostName 127.0.0.1\n  Port {port}\n"
        f"  User {user}\n  IdentityFile {identity}\n  IdentitiesOnly yes\n"
        "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
    )
    # sshd's privilege separation directory; exists on a machine where sshd is set up.
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = directory / "sshd.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=sink
        )
    try:
        if not _wait_listening(port, proc, 10.0):
            proc.kill()
            proc.wait(timeout=5)
            yield f"sshd did not start: {log.read_text(errors='replace').strip()[:200]}"
            return
        yield SshServer(port, user, directory, ssh_config, identity, wrong)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def sshd() -> Iterator[SshServer]:
    """The test sshd for a whole session; import it into a test module to use it."""
    from tests.support.need import need_server

    with ssh_server() as server:
        if isinstance(server, str):
            need_server(server)
        yield server


def ssh_clients_of(port: int) -> list[int]:
    """ssh processes (masters included: they fork away from their parent) with a TCP
    connection to ``127.0.0.1:port``, the test sshd."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port:  # rem_address
                inodes.add(f"socket:[{fields[9]}]")
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (proc / "comm").read_text().strip() != "ssh":
                continue
            links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if links & inodes:
            found.append(int(proc.name))
    return found
