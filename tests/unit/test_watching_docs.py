"""The configs on docs/watching.md load, and their windows fit their rules."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from pytest_deploygate.config import load
from pytest_deploygate.windows import check_windows

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PAGE = Path(__file__).resolve().parents[2] / "docs" / "watching.md"
CONFIGS = [b for b in re.findall(r"```toml\n(.*?)```", PAGE.read_text(), re.S) if "[targets." in b]


@pytest.mark.parametrize("block", CONFIGS, ids=[f"config{i}" for i in range(len(CONFIGS))])
def test_a_config_on_the_page_loads_and_its_windows_fit(block: str) -> None:
    data = tomllib.loads(block)
    env = {"PROD_DATABASE_URL": "postgresql://gate@db/app"}
    config = load(
        data, source="watching.md", base_dir=PAGE.parent, target="production", environ=env
    )
    check_windows(config.checks, config.rules, None, "watching.md")
    assert any(rule.persistence is not None for rule in config.rules)


def test_the_page_shows_both_seed_matrices() -> None:
    assert len(CONFIGS) == 2
