"""The examples on the config reference and the websocket, tls, tcp, http, promql, logs
and redis doc pages, and examples/live-services.toml, are valid configs; every check key
is documented."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from pytest_deploygate.checks.base import CheckSpec
from pytest_deploygate.config import load
from pytest_deploygate.registry import all_types

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "checks"
PAGES = ("websocket.md", "tls.md", "tcp.md", "http.md", "promql.md", "logs.md", "redis.md")
TARGET = '[targets.docs]\nbase_url = "https://example.com"\n'
ENV = {"API_TOKEN": "t", "GIT_SHA": "3f2a9c1", "REDIS_PASSWORD": "p", "SESSIONS_REDIS_PW": "p"}


def examples() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        blocks = re.findall(r"```toml\n(.*?)```", (DOCS / page).read_text(), re.S)
        found += [(f"{page}#{i}", block) for i, block in enumerate(blocks)]
    return found


@pytest.mark.parametrize(("where", "block"), examples(), ids=[w for w, _ in examples()])
def test_doc_example_is_a_valid_config(where: str, block: str) -> None:
    text = block if "[targets." in block else TARGET + block
    if "[[checks]]" not in text:
        text += '[[checks]]\nid = "cert"\ntype = "tls"\nphases = ["smoke"]\n'
    data = tomllib.loads(text)
    target = next(iter(data["targets"]))
    config = load(data, source=where, base_dir=DOCS, target=target, environ=ENV)
    assert config.checks or config.rules


def test_the_live_services_example_is_a_valid_config() -> None:
    path = ROOT / "examples" / "live-services.toml"
    data = tomllib.loads(path.read_text())
    config = load(data, source=str(path), base_dir=path.parent, target="production", environ={})
    assert {c.type for c in config.checks} == {"websocket", "tls", "tcp", "redis", "http"}
    assert config.target.websocket_url == "wss://api.example.com/ws"


def test_the_config_reference_examples_are_valid_when_copied() -> None:
    page = ROOT / "docs" / "config.md"
    blocks = re.findall(r"```toml\n(.*?)```", page.read_text(), re.S)
    targets = next(b for b in blocks if "[targets." in b)
    environ = {**ENV, "STAGING_DATABASE_URL": "postgresql://app@db/app"}
    for block in blocks:
        text = block if "[targets." in block else targets + block
        load(
            tomllib.loads(text),
            source="config.md",
            base_dir=DOCS,
            target="staging",
            environ=environ,
        )


def test_every_key_of_every_check_type_is_on_its_page() -> None:
    shared = set(CheckSpec.model_fields)
    for kind in all_types():
        type_name = kind.name
        page = (DOCS / f"{type_name}.md").read_text()
        family = [kind.spec, *(sub.spec for sub in kind.subkinds)]
        keys = {info.alias or name for m in family for name, info in m.model_fields.items()}
        missing = sorted(k for k in keys - shared if f"`{k}`" not in page)
        assert not missing, f"docs/checks/{type_name}.md does not document {missing}"
