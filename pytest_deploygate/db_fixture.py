"""The ``db`` fixture: a read-only psycopg connection to the target's database_url.

For team-written checks::

    def test_no_stuck_jobs(db, measure):
        stuck = db.execute("SELECT count(*) FROM jobs WHERE state = 'stuck'").fetchone()[0]
        measure("jobs.stuck", stuck, "count", threshold=0)
        assert stuck == 0

The session is the same the declared ``postgres`` checks use: connect timeout and
statement_timeout from the target's ``timeout`` (default 10s), read-only, autocommit.
Connection errors become the gate's ``ProbeError`` (outcome ``error``) with a reason
that never holds the password.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_deploygate.checks.base import DEFAULT_TIMEOUT, Target
from pytest_deploygate.errors import ProbeProtocolError

if TYPE_CHECKING:
    from pytest_deploygate.probes.pgconn import PgSettings


def settings_for_target(target: Target) -> PgSettings:
    # psycopg is imported when a team check asks for ``db``, not by every gate.
    from pytest_deploygate.probes.pgconn import PgSettings

    if not target.database_url:
        raise ProbeProtocolError(f"the db fixture needs a database_url on target {target.name!r}")
    timeout = target.timeout if target.timeout is not None else DEFAULT_TIMEOUT
    return PgSettings(dsn=target.database_url, connect_timeout=timeout, statement_timeout=timeout)


@pytest.fixture
def db(target: Target) -> Iterator[Any]:
    """A read-only psycopg 3 connection (autocommit) to the target's database_url. SQL
    that would end the transaction or lift the read-only mode (COMMIT, BEGIN READ WRITE,
    SET default_transaction_read_only = off ...) is refused before it is sent."""
    from pytest_deploygate.probes.pgconn import ReadOnlyConnection, connect

    conn = connect(settings_for_target(target))
    try:
        yield ReadOnlyConnection(conn)
    finally:
        conn.close()
