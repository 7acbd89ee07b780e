"""``type = "backup"``: a database backup file is there, fresh, big enough and intact."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from pytest_deploygate.checks.base import CheckSpec, Duration, Size, Target

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext

BackupFormat = Literal["auto", "custom", "sql", "sql.gz", "sqlite"]


class BackupCheck(CheckSpec):
    """``path`` names one file; or ``directory`` + ``pattern`` pick the newest match.

    ``restore = true`` (opt-in, PostgreSQL custom or SQL dumps) restores the dump into
    a scratch database created through ``restore_dsn`` and compares its table count
    with the dump's table of contents (and ``min_tables``); the scratch database is
    dropped afterwards.
    """

    type: Literal["backup"] = "backup"
    path: Path | None = None
    directory: Path | None = None
    pattern: str = "*"
    format: BackupFormat = "auto"
    max_age: Duration | None = None
    min_size: Size = 1
    verify: bool = True
    restore: bool = False
    restore_dsn: str | None = None
    min_tables: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _where(self) -> BackupCheck:
        if (self.path is None) == (self.directory is None):
            raise ValueError(
                "give exactly one of 'path' (one backup file) or 'directory' "
                "(with 'pattern', e.g. \"*.dump\": the newest match is checked)"
            )
        if self.restore and not self.restore_dsn:
            raise ValueError(
                "'restore = true' needs 'restore_dsn': a DSN whose role may CREATE DATABASE"
            )
        return self


# Restoring takes longer than one request: the runner waits this many timeouts.
RESTORE_FACTOR = 6


@dataclass(frozen=True)
class BackupObservation:
    path: str | None  # None: nothing matched
    searched: str
    size: int = 0
    age: float = 0.0
    format: str = ""
    problems: tuple[str, ...] = ()
    tables: int | None = None  # tables in the dump, when the format tells
    restored_tables: int | None = None


def backup_deadline(spec: BackupCheck, target: Target, ctx: ProbeContext) -> float:
    factor = RESTORE_FACTOR if spec.restore else 1
    return spec.effective_timeout(target) * factor + 1.0
