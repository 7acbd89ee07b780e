"""One PostgreSQL cluster for every database test module in this directory."""

from __future__ import annotations

from tests.support.postgres import pg_cluster

__all__ = ["pg_cluster"]
