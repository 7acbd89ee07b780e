"""PostgreSQL sessions the checks of a gate session share: one per database and settings
(``PgSettings``), lent to one check at a time.

A check that finds the session lent out waits for it a moment (``WAIT_S``), then opens a
session of its own for itself, so a slow check never holds the others back by more than
that. A session goes back only when the check ended without an error, outside a
transaction, and after ``DISCARD ALL`` and the gate's settings again: no check sees what
another one left (settings, temporary tables, prepared statements).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.pgconn import PgSettings, connect, prepare

RESOURCE_KEY = "postgres-sessions"
# How long a check waits for the shared session before it opens its own.
WAIT_S = 1.0

Conn = psycopg.Connection[Any]


class _Slot:
    def __init__(self) -> None:
        self.conn: Conn | None = None
        self.lent = False


class PgSessions:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._slots: dict[PgSettings, _Slot] = {}
        self._closed = False
        self.opened = 0  # sessions opened, shared or not: for tests and bench

    @contextmanager
    def lease(self, settings: PgSettings) -> Iterator[Conn]:
        slot = self._borrow(settings)
        conn = slot.conn if slot is not None and slot.conn is not None else None
        if conn is None:
            conn = connect(settings)
            with self._changed:
                self.opened += 1
        healthy = False
        try:
            yield conn
            healthy = True
        finally:
            self._give_back(slot, conn, settings, healthy)

    def _borrow(self, settings: PgSettings) -> _Slot | None:
        """The shared slot, now lent to the caller; None: it stayed busy, use your own."""
        with self._changed:
            slot = self._slots.setdefault(settings, _Slot())
            if not self._changed.wait_for(lambda: not slot.lent, timeout=WAIT_S):
                return None
            slot.lent = True
            return slot

    def _give_back(
        self, slot: _Slot | None, conn: Conn, settings: PgSettings, healthy: bool
    ) -> None:
        keep = healthy and not self._closed and _reset(conn, settings)
        with self._changed:
            if slot is not None:
                slot.lent = False
                if keep and slot.conn is None:
                    slot.conn = conn
                elif slot.conn is conn and not keep:
                    slot.conn = None
                self._changed.notify_all()
            kept = slot is not None and slot.conn is conn
        if not kept:
            conn.close()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            idle = [s.conn for s in self._slots.values() if s.conn is not None and not s.lent]
            for slot in self._slots.values():
                if not slot.lent:
                    slot.conn = None
        for conn in idle:
            conn.close()


def _reset(conn: Conn, settings: PgSettings) -> bool:
    """Ready for the next check, or False: close it."""
    if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    try:
        prepare(conn, settings, reset=True)
    except psycopg.Error:
        return False
    return True


@contextmanager
def pg_session(ctx: ProbeContext, settings: PgSettings) -> Iterator[Conn]:
    """The gate session's shared session for ``settings``; without a gate session, one of
    this call's own, closed after it."""
    if ctx.resources is None:
        conn = connect(settings)
        try:
            yield conn
        finally:
            conn.close()
        return
    sessions = ctx.resources.shared(RESOURCE_KEY, PgSessions, PgSessions.close)
    with sessions.lease(settings) as conn:
        yield conn
