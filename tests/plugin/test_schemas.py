"""The verdict file follows its documented JSON Schema; the config schema is current."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest

from pytest_deploygate.schema import config_schema
from tests.plugin.helpers import http_check, rule_toml, verdict, write_gate

DOCS = Path(__file__).resolve().parents[2] / "docs"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_the_verdict_file_matches_its_schema(pytester: pytest.Pytester, http_base: str) -> None:
    rules = rule_toml("http.latency", "1ms", "investigate")
    write_gate(
        pytester,
        http_base,
        http_check("health", "/health"),
        http_check("bad", "/status/500"),
        extra=rules,
    )
    pytester.runpytest("--target=staging", "--verdict-json=out/verdict.json")
    doc = verdict(pytester, "out/verdict.json")
    schema = json.loads((DOCS / "verdict.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["verdict"] == "ROLLBACK"
    assert any(c["rules"] for c in doc["checks"])


def test_the_committed_config_schema_is_current() -> None:
    committed = json.loads((DOCS / "config.schema.json").read_text())
    assert committed == json.loads(json.dumps(config_schema())), (
        "regenerate: python -m pytest_deploygate.schema config > docs/config.schema.json"
    )


@pytest.mark.parametrize("example", sorted((DOCS.parent / "examples").glob("*.toml")), ids=str)
def test_examples_validate_against_the_config_schema(example: Path) -> None:
    data = tomllib.loads(example.read_text())
    jsonschema.validate(data, json.loads((DOCS / "config.schema.json").read_text()))


@pytest.mark.parametrize("example", sorted((DOCS.parent / "examples").glob("*.toml")), ids=str)
def test_examples_load_for_every_target(example: Path) -> None:
    from pytest_deploygate.config import load

    data = tomllib.loads(example.read_text())
    for name in data.get("targets", {}):
        loaded = load(data, source=str(example), base_dir=example.parent, target=name, environ={})
        assert loaded.target.name == name
