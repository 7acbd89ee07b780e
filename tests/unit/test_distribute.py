"""Spreading a gate over xdist workers: the shares, and the scheduler that sends them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_deploygate.distribute import SHARE_KEY, partition, share_concurrency
from pytest_deploygate.xdist_scheduling import ShareScheduling


def test_shares_are_consecutive_slices_of_the_declared_checks_only() -> None:
    collection = ["team::a", "d1", "d2", "team::b", "d3", "d4", "d5"]
    declared = {f"d{i}": False for i in range(1, 6)}
    assert partition(collection, declared, 2) == [[1, 2], [4, 5, 6]]


@pytest.mark.parametrize("count", range(12))
@pytest.mark.parametrize("shares", range(1, 6))
def test_every_declared_check_is_in_exactly_one_share_of_even_size(count: int, shares: int) -> None:
    collection = [f"c{i}" for i in range(count)]
    result = partition(collection, {c: False for c in collection}, shares)
    assert len(result) == shares
    assert [i for share in result for i in share] == list(range(count))
    sizes = [len(share) for share in result]
    assert max(sizes) - min(sizes) <= 1


def test_an_exclusive_check_keeps_every_declared_check_in_one_share() -> None:
    collection = ["d1", "load", "d2", "team"]
    declared = {"d1": False, "load": True, "d2": False}
    assert partition(collection, declared, 3) == [[0, 1, 2], [], []]


@pytest.mark.parametrize("total", [1, 5, 32])
@pytest.mark.parametrize("shares", [1, 2, 3, 4])
def test_the_workers_together_probe_as_many_as_the_gate_allows(total: int, shares: int) -> None:
    parts = [share_concurrency(total, s, shares) for s in range(shares)]
    assert sum(parts) == max(total, shares)
    assert min(parts) >= 1


# -- the scheduler, with workers that behave like xdist's ---------------------------------


@dataclass(eq=False)
class Gateway:
    id: str


@dataclass(eq=False)
class Worker:
    """Runs what it was sent, in order; holds its last item until another or the
    shutdown arrives (it needs the next item to run one)."""

    gateway: Gateway
    workerinput: dict[str, Any] = field(default_factory=dict)
    queue: list[int] = field(default_factory=list)
    ran: list[int] = field(default_factory=list)
    shutting_down: bool = False

    def send_runtest_some(self, indices: list[int]) -> None:
        assert not self.shutting_down
        self.queue.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True

    def can_run(self) -> bool:
        return len(self.queue) >= 2 or (len(self.queue) == 1 and self.shutting_down)


def workers(count: int) -> list[Worker]:
    return [Worker(Gateway(f"gw{i}"), {SHARE_KEY: i}) for i in range(count)]


def start(collection: list[str], declared: dict[str, bool], nodes: list[Worker]) -> ShareScheduling:
    sched = ShareScheduling(len(nodes), declared, log=lambda *a: None, report=lambda r: None)
    for node in nodes:
        sched.add_node(node)  # type: ignore[arg-type]
    for node in nodes:
        sched.add_node_collection(node, collection)  # type: ignore[arg-type]
    sched.schedule()
    return sched


def run(sched: ShareScheduling, nodes: list[Worker]) -> None:
    """Let the workers run, one item at a time, round robin, until none can."""
    while True:
        runnable = [n for n in nodes if n.can_run()]
        if not runnable:
            return
        for node in runnable:
            index = node.queue.pop(0)
            node.ran.append(index)
            sched.mark_test_complete(node, index)  # type: ignore[arg-type]


COLLECTION = [f"team{i}" if i % 3 == 0 else f"d{i}" for i in range(30)]
DECLARED = {c: False for c in COLLECTION if c.startswith("d")}


def test_each_worker_runs_its_share_and_team_tests_are_spread() -> None:
    nodes = workers(2)
    sched = start(COLLECTION, DECLARED, nodes)
    run(sched, nodes)
    assert sched.tests_finished and all(n.shutting_down for n in nodes)
    assert sorted(nodes[0].ran + nodes[1].ran) == list(range(len(COLLECTION)))
    shares = partition(COLLECTION, DECLARED, 2)
    for node, share in zip(nodes, shares, strict=True):
        assert [i for i in node.ran if COLLECTION[i] in DECLARED] == share
        assert node.ran == sorted(node.ran), "a worker runs its items in collection order"
        assert any(COLLECTION[i].startswith("team") for i in node.ran)


def test_a_gate_without_team_tests_sends_the_shares_and_shuts_down() -> None:
    collection = [f"d{i}" for i in range(5)]
    nodes = workers(3)
    sched = start(collection, {c: False for c in collection}, nodes)
    assert [n.queue for n in nodes] == [[0], [1, 2], [3, 4]]
    assert all(n.shutting_down for n in nodes)
    run(sched, nodes)
    assert sched.tests_finished


def test_what_a_crashed_worker_left_goes_to_the_others() -> None:
    nodes = workers(2)
    sched = start(COLLECTION, DECLARED, nodes)
    crashed, survivor = nodes
    running = crashed.queue[0]
    crash_item = sched.remove_node(crashed)  # type: ignore[arg-type]
    assert crash_item == COLLECTION[running]
    run(sched, [survivor])
    assert sched.tests_finished
    assert sorted(survivor.ran) == [i for i in range(len(COLLECTION)) if i != running]


def test_a_replacement_worker_gets_no_share_but_takes_part() -> None:
    nodes = workers(2)
    sched = start(COLLECTION, DECLARED, nodes)
    crashed, survivor = nodes
    running = crashed.queue[0]
    sched.remove_node(crashed)  # type: ignore[arg-type]
    replacement = Worker(Gateway("gw2"))
    sched.add_node(replacement)  # type: ignore[arg-type]
    sched.add_node_collection(replacement, COLLECTION)  # type: ignore[arg-type]
    sched.schedule()
    run(sched, [survivor, replacement])
    assert sched.tests_finished
    assert replacement.ran
    assert sorted(survivor.ran + replacement.ran) == [
        i for i in range(len(COLLECTION)) if i != running
    ]
