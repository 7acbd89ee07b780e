"""How a gate spreads over pytest-xdist workers.

Declared checks do not block: a process probes many at once. Team-written tests do
block, and are what xdist's load balancing is for. So the declared checks of a run are
cut into one *share* per worker, computed the same way by the controller (which sends
each worker its share) and by each worker (which starts probing its whole share as soon
as it has collected); team tests are handed out in small chunks to whichever worker is
free, as with ``--dist load``.

Both sides know the same facts: the collection (every worker collects the same items,
which xdist checks), the config's declared checks, and the share number the controller
gave the worker in its ``workerinput`` (``pytest_configure_node``). A worker started to
replace a crashed one gets no share: what the crashed one left undone is handed out
like team tests, and its results are then probed when their items ask for them.

A run whose collection can hold declared checks alone starts no workers at all (``one_process``):
they would add processes, not concurrency, and every check's reports would pass through
the controller; the run is then exactly the run without ``-n``.

A gate with an exclusive check (a load test) keeps all declared checks in one share, so
that worker still runs the exclusive check alone among the declared checks, as a run
without xdist does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

# Keys this plugin adds to each worker's ``workerinput``.
SHARE_KEY = "deploygate_share"
SHARES_KEY = "deploygate_shares"
# The target's hosts as the controller expanded them (``inventory``): a worker that read
# a dynamic inventory itself could see other hosts, and collect other items.
HOSTS_KEY = "deploygate_hosts"


def partition(
    collection: Sequence[str], exclusive: Mapping[str, bool], shares: int
) -> list[list[int]]:
    """Indices into ``collection`` of the declared checks each share runs.

    ``exclusive`` maps the node id of every declared check to whether it must run alone.
    Shares are consecutive slices of the declared checks in collection order, differing
    in size by at most one (neighbouring checks often talk to the same host).
    """
    shares = max(1, shares)
    picked = [index for index, nodeid in enumerate(collection) if nodeid in exclusive]
    if any(exclusive[collection[index]] for index in picked):
        return [picked] + [[] for _ in range(shares - 1)]
    count = len(picked)
    return [picked[s * count // shares : (s + 1) * count // shares] for s in range(shares)]


def share_concurrency(total: int, share: int, shares: int) -> int:
    """A worker's part of the gate's concurrency: the whole gate probes ``total`` at
    once, however many workers it runs on."""
    return max(1, total // shares + (1 if share < total % shares else 0))


def worker_share(config: pytest.Config) -> tuple[int, int] | None:
    """(share, shares) of this xdist worker, or None: not a worker, a replacement for a
    crashed worker, or a scheduling mode other than ours."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    share, shares = workerinput.get(SHARE_KEY), workerinput.get(SHARES_KEY)
    if isinstance(share, int) and isinstance(shares, int) and 0 <= share < shares:
        return share, shares
    return None


def uses_shares(config: pytest.Config) -> bool:
    """Our scheduling replaces xdist's default ``--dist load`` only; any other mode the
    user asked for is kept, and workers then probe one item ahead."""
    return bool(config.getvalue("dist") == "load")


def controller_hosts(config: pytest.Config) -> tuple[str, ...] | None:
    """The target's hosts the xdist controller expanded, in a worker; else None."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    hosts = workerinput.get(HOSTS_KEY)
    return tuple(str(h) for h in hosts) if isinstance(hosts, (list, tuple)) else None


def one_process(config: pytest.Config, *, team_tests: bool) -> str | None:
    """Why the workers ``-n N`` asks for are not started, or None when they are.

    They are not when the run collects declared checks only (``team_tests`` is False: no
    path arguments and no ``paths`` in the config), which already probe many at once in
    one process, and xdist would hand items out (any ``--dist`` but ``each``, which asks
    every worker to run everything). Gateways named with ``--tx`` alone, without ``-n``,
    are always started: they reach other machines (docs/fleets.md).
    """
    workers = config.getoption("numprocesses", None)
    if team_tests or not workers or config.getoption("dist", "no") == "each":
        return None
    if config.getoption("collectonly", False):
        return None
    return (
        f"-n {workers} starts no workers: this run has declared checks only, which probe "
        "at once in one process (workers start when the run has team-written tests)"
    )


def stay_in_one_process(config: pytest.Config) -> None:
    """The same settings xdist's own ``-n 0`` leaves (its ``pytest_cmdline_main``), made
    before its ``pytest_configure`` (trylast) would start a distributed session."""
    config.option.numprocesses = 0
    config.option.dist = "no"
    config.option.tx = []
