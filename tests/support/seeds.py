"""The users' checklists (shared/seeds beside the clone), else the copies in tests/data."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COPIES = REPO / "tests" / "data" / "seeds"


def seed_dir() -> Path:
    """../shared/seeds when this clone has the shared folder beside it (CI does)."""
    shared = REPO.parent / "shared" / "seeds"
    return shared if shared.is_dir() and any(shared.glob("*.txt")) else COPIES


def seeds() -> list[Path]:
    return sorted(seed_dir().glob("*.txt"))


def seed(prefix: str) -> str:
    """The text of the seed whose file name starts with ``prefix`` ("002")."""
    (path,) = [p for p in seeds() if p.name.startswith(prefix)]
    return path.read_text(encoding="utf-8")


def variable_values(text: str) -> dict[str, str]:
    """A value for every ${VAR} a draft names, shaped like what the key expects."""
    values: dict[str, str] = {}
    for name in sorted(set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text))):
        if name == "WEBSOCKET_URL":
            values[name] = "ws://127.0.0.1:9/ws"
        elif name == "DATABASE_URL":
            values[name] = "postgresql://gate:pw-not-shown@127.0.0.1:9/app"
        elif name.endswith("_URL"):
            values[name] = "http://127.0.0.1:9"
        elif name == "DEPLOY_HOST":
            values[name] = "local://"
        elif name.endswith("HOST"):
            values[name] = "127.0.0.1"
        else:
            values[name] = "value"
    return values
