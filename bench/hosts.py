"""Host checks fanned out over many hosts: concurrent (the gate's pool) against serial.

    python bench/hosts.py                       # 10 checks x 50 local:// hosts
    python bench/hosts.py --backend paramiko    # 50 aliases of one test sshd on loopback
    python bench/hosts.py --backend ssh --hosts 20 --concurrency 16
    python bench/hosts.py --backend ansible     # ansible://fleet: 50 inventory hosts, 50 sshd
    python bench/hosts.py --backend ansible --no-control-path   # one ssh login per command

With ``--backend ansible`` the hosts are an inventory group (``ansible://fleet``) spread over
``--servers`` real sshd servers on loopback (default: one per host), each on its own port,
expanded as the gate does (ansible-inventory); the expansion time is printed too. Its
ansible.cfg names a ``control_path`` (docs/fleets.md), so testinfra's ssh commands to one
host share a login; ``--no-control-path`` leaves it out, for comparison. (Inventory hosts
on one server share its address and port, so with fewer servers than hosts they share
one ssh login too: not what 50 machines cost.)

Every run executes the same check instances through ``runner.Runner`` (the code the gate
uses), starting from no open connection (testinfra's own caches emptied, ssh masters
stopped), so each pays its connects. Printed: wall time of each, the ratio serial /
concurrent, and the pace of one host: its checks alone, one after the other, on a fresh
connection; a fleet checked concurrently is done at about the slowest host's pace when
nothing else limits it (the machine's CPU: every ssh command is a process). Run from the
repository root.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import testinfra.host
from testinfra.utils.ansible_runner import AnsibleRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.host import HostCheck
from pytest_deploygate.inventory import expand_hosts
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.hostconn import HostPool
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.runner import CheckInstance, Runner
from tests.plugin.test_fleet import inventory_line
from tests.support.sshd import ssh_server


def checks(workdir: Path) -> list[HostCheck]:
    tables = [
        {"check": "disk", "path": "/", "min_free": "1MB"},
        {"check": "disk", "path": "/tmp", "min_free_ratio": "1%"},
        {"check": "absent", "path": str(workdir / "MAINTENANCE")},
        {"check": "file", "path": str(workdir), "kind": "directory"},
        {"check": "command", "command": "echo ok", "expect_output": "^ok$"},
        {"check": "env", "variables": ["PATH"]},
        {"check": "runtime", "runtime": "python3", "min_version": "3.9"},
        {"check": "process", "pattern": ".", "min_count": 1},
        {"check": "socket", "address": "tcp://1", "listening": False},
        {"check": "git", "path": str(workdir), "clean": False, "pushed": False},
    ]
    return [
        BY_NAME["host"].parse(
            {"id": f"c{i}", "type": "host", "phases": ["smoke"], "timeout": "60s", **t}
        )
        for i, t in enumerate(tables)
    ]


def fresh(control_dir: Path | None) -> None:
    """No connection left from an earlier run: testinfra keeps its hosts (and an ansible
    inventory's) for the whole process, and ssh masters under ansible's control_path live
    on for ControlPersist after their last command."""
    testinfra.host.Host._host_cache.clear()
    AnsibleRunner._runners.clear()
    for sock in control_dir.iterdir() if control_dir is not None else ():
        subprocess.run(
            ["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "bench"],
            capture_output=True,
            timeout=10,
            check=False,
        )


def _cpu(sshd_pids: list[int]) -> tuple[float, float, float]:
    """CPU seconds (user + system) of this process, of its children that ended (the ssh
    clients, local commands), and of the sshd servers with the sessions they reaped."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    servers = 0.0
    for pid in sshd_pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        servers += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime, servers


def run_all(
    instances: list[CheckInstance],
    target: Target,
    concurrency: int,
    control_dir: Path | None,
    sshd_pids: list[int],
) -> tuple[float, int, float]:
    """Wall time, errors, and the CPU seconds spent on this machine (the gate and the ssh
    clients and ansible-inventory it started: what real hosts leave to the gate machine)."""
    fresh(control_dir)
    pool = HostPool()  # every run starts without connections
    runner = Runner(target, ProbeContext(base_dir=Path("."), hosts=pool), concurrency)
    cpu = _cpu(sshd_pids)
    start = time.perf_counter()
    runner.prefetch(instances)
    results = [runner.result(i) for i in instances]
    elapsed = time.perf_counter() - start
    connected = pool.connected()
    runner.close()
    pool.close()
    fresh(control_dir)  # the servers' session processes end and are counted
    time.sleep(1.0)
    own, clients, servers = (
        after - before for after, before in zip(_cpu(sshd_pids), cpu, strict=True)
    )
    errors = sum(1 for r in results if r.error is not None)
    sshd = f", {servers:.2f}s in sshd" if sshd_pids else ""
    print(
        f"    ({connected} connections for {len(instances)} check runs; CPU: {own:.2f}s in "
        f"the gate, {clients:.2f}s in the programs it ran (ssh, ansible-inventory){sshd}: "
        f"{(own + clients + servers) / elapsed:.2f} cores busy)"
    )
    return elapsed, errors, own + clients


def bench(
    hosts: list[str],
    target_keys: dict[str, object],
    args: argparse.Namespace,
    control_dir: Path | None = None,
    sshd_pids: tuple[int, ...] = (),
) -> None:
    with tempfile.TemporaryDirectory(prefix="dg-bench-") as tmp:
        workdir = Path(tmp)
        target = Target(name="bench", hosts=tuple(hosts), timeout=60.0, **target_keys)  # type: ignore[arg-type]
        specs = checks(workdir)[: args.checks]
        instances = [CheckInstance(s, h) for s in specs for h in hosts]
        print(f"{len(specs)} checks x {len(hosts)} {args.backend} hosts = {len(instances)} runs")
        pids = list(sshd_pids)
        one = [CheckInstance(s, hosts[-1]) for s in specs]
        alone, alone_errors, _ = run_all(one, target, 1, control_dir, pids)
        print(f"  one host     {alone:7.2f}s  ({alone_errors} errors; its checks one by one)")
        serial, serial_errors, _ = run_all(instances, target, 1, control_dir, pids)
        print(f"  serial       {serial:7.2f}s  ({serial_errors} errors)")
        concurrent, errors, local = run_all(instances, target, args.concurrency, control_dir, pids)
        print(f"  concurrent   {concurrent:7.2f}s  ({errors} errors, pool {args.concurrency})")
        print(f"  speed-up     {serial / concurrent:7.2f}x  (serial / concurrent)")
        print(f"  vs one host  {concurrent / alone:7.2f}x  (concurrent / one host's pace)")
        if pids:  # here every host is this machine: its sshd work competes with the gate's
            cores = os.cpu_count() or 1
            print(
                f"  with real hosts this machine would do only the gate's part: {local:.1f}s "
                f"CPU, at least {local / cores:.1f}s on its {cores} cores"
            )


def ansible_cfg(directory: Path) -> Path:
    """The ansible.cfg docs/fleets.md recommends, with its control socket directory."""
    path = directory / "ansible.cfg"
    path.write_text(
        "[ssh_connection]\ncontrol_path = %(directory)s/%%C\n\n"
        f"[persistent_connection]\ncontrol_path_dir = {directory / 'cp'}\n"
    )
    return path


def bench_ansible(args: argparse.Namespace) -> int:
    """``ansible://fleet`` over ``--servers`` sshd servers, as the gate expands it."""
    # The gate and testinfra's ansible backend find ansible-inventory on PATH.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="dg-fleet-") as tmp:
        servers = [stack.enter_context(ssh_server()) for _ in range(args.servers)]
        ready = [s for s in servers if not isinstance(s, str)]
        if len(ready) < len(servers):
            print(f"cannot bench over ssh: {next(s for s in servers if isinstance(s, str))}")
            return 1
        control_dir = Path(tmp) / "cp"  # ssh's control sockets (short: a socket path is short)
        control_dir.mkdir()
        if args.control_path:
            os.environ["ANSIBLE_CONFIG"] = str(ansible_cfg(Path(tmp)))
        inventory = Path(tmp) / "inventory.ini"
        inventory.write_text(
            "[fleet]\n"
            + "".join(
                inventory_line(f"host-{i:02d}", ready[i % len(ready)].port, ready[i % len(ready)])
                for i in range(args.hosts)
            )
        )
        start = time.perf_counter()
        hosts = expand_hosts(["ansible://fleet"], inventory, source="bench", key="hosts")
        print(
            f"ansible://fleet expanded to {len(hosts)} hosts in {time.perf_counter() - start:.2f}s"
            f"; ssh control_path {'on' if args.control_path else 'off'}"
        )
        pids = tuple(int((s.directory / "sshd.pid").read_text()) for s in ready)
        bench(list(hosts), {"ansible_inventory": inventory}, args, control_dir, pids)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", choices=("local", "ssh", "paramiko", "ansible"), default="local"
    )
    parser.add_argument("--servers", type=int, default=0, help="sshd servers (ansible; 0: --hosts)")
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--checks", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--control-path",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ansible: share one ssh login per host (ansible.cfg control_path)",
    )
    args = parser.parse_args()
    if args.backend == "ansible":
        args.servers = args.servers or args.hosts
        return bench_ansible(args)
    if args.backend == "local":
        # local:// ignores the name: 50 distinct host strings, 50 testinfra hosts.
        bench([f"local://bench-{i:02d}" for i in range(args.hosts)], {}, args)
        return 0
    with ssh_server() as server:
        if isinstance(server, str):
            print(f"cannot bench over ssh: {server}")
            return 1
        hosts = [f"{args.backend}://{server.alias(i)}" for i in range(args.hosts)]
        bench(hosts, {"ssh_config": server.ssh_config}, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
