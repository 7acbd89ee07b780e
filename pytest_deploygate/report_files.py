"""The files a gate run writes (``--verdict-json``, ``--junitxml``, ``--html``), checked
before anything runs.

A path that cannot be written is a usage error (exit 4) before the target is touched,
not a traceback after the banner said GO. A file left there by an earlier run is removed
first: a run that stops early leaves no report, rather than an old GO read as its own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_deploygate.errors import ConfigError

# pytest's option dest -> the flag users type; pytest-html's only when it is installed.
REPORT_OPTIONS = {"xmlpath": "--junitxml", "htmlpath": "--html"}


def prepare(base: Path, value: str, flag: str, *, remove: bool = True) -> Path:
    """``value`` (relative to ``base``) as a path the run can write; with ``remove``, a
    file left by an earlier run is removed."""
    path = base / Path(os.path.expandvars(value)).expanduser()
    fix = f"pass {flag} a file path in a writable directory."
    if path.is_dir():
        raise ConfigError(f"{value} is a directory.", source=flag, fix=fix)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Only a regular file: a device such as /dev/null is the user's to keep.
        if remove and path.is_file() and not path.is_symlink():
            path.unlink()
    except OSError as exc:
        raise ConfigError(f"cannot write {value}: {exc.strerror}.", source=flag, fix=fix) from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError(f"cannot write {value}: permission denied.", source=flag, fix=fix)
    return path


def report_paths(config: pytest.Config) -> dict[str, Path]:
    """``--junitxml`` and ``--html`` as given (flag -> path), each prepared."""
    base = config.invocation_params.dir
    found: dict[str, Path] = {}
    for dest, flag in REPORT_OPTIONS.items():
        value = getattr(config.option, dest, None)
        if value:
            found[flag] = prepare(base, str(value), flag)
    return found


def remove_partial(paths: dict[str, Path]) -> None:
    """After a report failed to write (a full disk): no half-written report stays."""
    for path in paths.values():
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
