"""pytest-xdist scheduling for a gate: each worker gets its share of the declared checks
(see ``distribute``), team tests are load-balanced. Imported only when xdist runs.

Implements xdist's ``Scheduling`` protocol (``xdist.scheduler.protocol``) with xdist's
public pieces only: the ``WorkerController`` commands ``send_runtest_some`` and
``shutdown``, and the ``workerinput`` each worker was configured with.

A worker runs what it is sent in order, and holds its last item until another one or
the shutdown arrives. Its share is sent along with the team tests, each share item with
the first chunk of team tests that comes after it in the collection, so a worker runs its
items in collection order as under ``--dist load``; the share's probes started long before.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from xdist.report import report_collection_diff
from xdist.workermanage import WorkerController, parse_tx_spec_config

from pytest_deploygate.distribute import SHARE_KEY, partition

# A worker is sent more team tests when it has fewer than this many items left: it needs
# one beyond the one it is running to start it (xdist's own low-water mark).
LOW_WATER = 2


def make_scheduler(
    config: pytest.Config, log: Any, exclusive: Mapping[str, bool]
) -> ShareScheduling:
    """The scheduler for the workers ``-n``/``--tx`` start."""

    def report(report: pytest.CollectReport) -> None:
        config.hook.pytest_collectreport(report=report)

    return ShareScheduling(len(parse_tx_spec_config(config)), exclusive, log, report)


class ShareScheduling:
    """Shares of declared checks to fixed workers; everything else to whoever is free."""

    def __init__(
        self,
        numnodes: int,
        exclusive: Mapping[str, bool],
        log: Callable[..., object],
        report: Callable[[pytest.CollectReport], object],
    ) -> None:
        """``numnodes`` workers will collect; ``exclusive`` maps each declared check's
        node id to whether it runs alone; ``report`` receives a collection error."""
        self.numnodes = numnodes
        self.exclusive = exclusive
        self.log = log
        self.report = report
        self.node2collection: dict[WorkerController, list[str]] = {}
        self.node2pending: dict[WorkerController, list[int]] = {}
        # Share items not yet sent to their worker, in collection order.
        self.unsent: dict[WorkerController, deque[int]] = {}
        # Items for whichever worker is free, in collection order.
        self.pending: list[int] = []
        self.collection: list[str] | None = None

    # -- the Scheduling protocol ---------------------------------------------------------

    @property
    def nodes(self) -> list[WorkerController]:
        return list(self.node2pending)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.node2collection) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed or self.pending or any(self.unsent.values()):
            return False
        return all(len(items) < LOW_WATER for items in self.node2pending.values())

    @property
    def has_pending(self) -> bool:
        return bool(self.pending or any(self.unsent.values()) or any(self.node2pending.values()))

    def add_node(self, node: WorkerController) -> None:
        assert node not in self.node2pending
        self.node2pending[node] = []
        self.unsent[node] = deque()

    def add_node_collection(self, node: WorkerController, collection: Sequence[str]) -> None:
        assert node in self.node2pending
        # A worker started later (a replacement) must have collected the same.
        if self.collection is not None and list(collection) != self.collection:
            first = next(iter(self.node2collection))
            self.log(
                report_collection_diff(
                    self.collection, collection, first.gateway.id, node.gateway.id
                )
            )
            return
        self.node2collection[node] = list(collection)

    def mark_test_complete(
        self, node: WorkerController, item_index: int, duration: float = 0
    ) -> None:
        self.node2pending[node].remove(item_index)
        self._refill(node)

    def mark_test_pending(self, item: str) -> None:
        assert self.collection is not None
        self.pending.insert(0, self.collection.index(item))
        for node in self.nodes:
            self._refill(node)

    def remove_pending_tests_from_node(
        self, node: WorkerController, indices: Sequence[int]
    ) -> None:
        raise NotImplementedError("deploygate's scheduling never steals tests")

    def remove_node(self, node: WorkerController) -> str | None:
        """A worker left. If it crashed, the item it was running is returned (xdist
        reports it), and everything else it had goes to the other workers."""
        pending = self.node2pending.pop(node)
        unsent = list(self.unsent.pop(node, ()))
        if not pending and not unsent:
            return None
        assert self.collection is not None
        crashed = self.collection[pending.pop(0)] if pending else None
        self.pending = sorted(self.pending + pending + unsent)
        for other in self.nodes:
            self._refill(other)
        return crashed

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is not None:
            for node in self.nodes:
                self._refill(node)
            return
        if not self._same_collections():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = next(iter(self.node2collection.values()))
        shares = partition(self.collection, self.exclusive, self.numnodes)
        taken: set[int] = set()
        for node in self.nodes:
            share = node.workerinput.get(SHARE_KEY)
            if isinstance(share, int) and 0 <= share < len(shares):
                self.unsent[node] = deque(shares[share])
                taken.update(shares[share])
        # Shares whose worker is gone before the run began are handed out like team tests.
        self.pending = [i for i in range(len(self.collection)) if i not in taken]
        for node in self.nodes:
            self._refill(node, first=True)

    # -- internals -----------------------------------------------------------------------

    def _refill(self, node: WorkerController, *, first: bool = False) -> None:
        """Keep ``node`` busy: more team tests (with the share items before them) when it
        runs low; its whole remaining share and the shutdown once nothing else is left."""
        if node.shutting_down:
            return
        queued = self.node2pending[node]
        if self.pending and len(queued) < self._low_water():
            count = max(
                LOW_WATER, len(self.pending) // len(self.node2pending) // (4 if first else 2)
            )
            chunk, self.pending = self.pending[:count], self.pending[count:]
            self._send(node, chunk)
        if not self.pending:
            self._send(node, [])
            node.shutdown()

    def _low_water(self) -> int:
        return max(LOW_WATER, len(self.pending) // len(self.node2pending) // 4)

    def _send(self, node: WorkerController, chunk: list[int]) -> None:
        """Send ``chunk`` with the share items that come before its end (all of them when
        the chunk is empty)."""
        unsent = self.unsent[node]
        end = max(chunk) if chunk else None
        due: list[int] = []
        while unsent and (end is None or unsent[0] < end):
            due.append(unsent.popleft())
        items = sorted(due + chunk)
        if items:
            self.node2pending[node].extend(items)
            node.send_runtest_some(items)

    def _same_collections(self) -> bool:
        (first, collection), *others = self.node2collection.items()
        same = True
        for node, other in others:
            diff = report_collection_diff(collection, other, first.gateway.id, node.gateway.id)
            if diff:
                same = False
                self.log(diff)
                report = pytest.CollectReport(
                    nodeid=node.gateway.id, outcome="failed", longrepr=diff, result=[]
                )
                self.report(report)
        return same
