"""Declared check types: one model per type, registered explicitly in ``CHECK_SPECS``."""

from __future__ import annotations

from pytest_deploygate.checks.backup import BackupCheck
from pytest_deploygate.checks.base import CheckSpec, Target
from pytest_deploygate.checks.env import EnvCheck
from pytest_deploygate.checks.http import HttpCheck
from pytest_deploygate.checks.load import LoadCheck
from pytest_deploygate.checks.postgres import PostgresCheck
from pytest_deploygate.checks.prometheus import PrometheusCheck
from pytest_deploygate.checks.sqlite import SqliteCheck
from pytest_deploygate.checks.tcp import TcpCheck
from pytest_deploygate.checks.tls import TlsCheck
from pytest_deploygate.checks.websocket import WebSocketCheck

# Explicit registry: the config loader validates each [[checks]] table with the model
# registered under its ``type``. Add a type here and in ``pytest_deploygate.kinds``.
CHECK_SPECS: dict[str, type[CheckSpec]] = {
    "http": HttpCheck,
    "env": EnvCheck,
    "postgres": PostgresCheck,
    "sqlite": SqliteCheck,
    "backup": BackupCheck,
    "load": LoadCheck,
    "prometheus": PrometheusCheck,
    "websocket": WebSocketCheck,
    "tls": TlsCheck,
    "tcp": TcpCheck,
}

__all__ = ["CHECK_SPECS", "CheckSpec", "Target"]
