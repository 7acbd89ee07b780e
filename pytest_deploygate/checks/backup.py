"""``type = "backup"``: a database backup file is there, fresh, big enough and intact."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from pytest_deploygate.checks.base import CheckSpec, Duration, Size

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
