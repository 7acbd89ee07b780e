"""Property: whatever deploygate.toml holds, loading it gives a config or a ConfigError
(exit 4 with a message naming file and key), never another exception (a traceback)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_deploygate.config import GateConfig, load, read_file
from pytest_deploygate.errors import ConfigError
from pytest_deploygate.registry import BY_NAME

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values of every TOML kind, the notations the gate parses, and the ones that break them.
scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "5s",
            "0s",
            "250ms",
            "1h",
            "10GB",
            "5%",
            "150%",
            "nan",
            "inf",
            "-1s",
            "",
            "${UNSET}",
            "${HOME:-x}",
            "http://h/x",
            "postgresql://u:p@ss@h/db",
            "redis://:p@ss@h:6379/0",
            "rediss://h:99999/x",
            "redis://h/0?db=1",
            "$$",
            "${",
            "é",
            "\x00",
        ]
    ),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = [
    "path",
    "url",
    "timeout",
    "max_latency",
    "expect_status",
    "expect_json",
    "on_fail",
    "on_error",
    "wait",
    "wait_interval",
    "check",
    "sql",
    "max",
    "min",
    "window",
    "interval",
    "statements",
    "max_ratio",
    "port",
    "host",
    "variables",
    "file",
    "journal",
    "pattern",
    "ignore",
    "since",
    "max_matches",
    "max_read",
    "db",
    "password",
    "max_used_memory",
    "role",
    "write_probe",
    "patterns",
    "matching",
    "min_matching",
]
checks = st.fixed_dictionaries(
    {
        "id": st.one_of(st.just("c1"), st.text(max_size=6)),
        "type": st.one_of(st.sampled_from(sorted(BY_NAME)), st.text(max_size=6)),
        "phases": st.one_of(st.just(["smoke"]), values),
    },
    optional={key: values for key in KEYS},
)
rules = st.fixed_dictionaries(
    {"measurement": st.one_of(st.just("http.latency"), values)},
    optional={"above": values, "below": values, "decision": values, "check": values},
)
targets = st.fixed_dictionaries(
    {},
    optional={
        "base_url": st.one_of(st.just("http://127.0.0.1:9"), values),
        "database_url": values,
        "redis_url": st.one_of(st.just("redis://127.0.0.1:9/0"), values),
        "timeout": values,
        "extends": st.one_of(st.just("staging"), values),
        "headers": values,
    },
)
documents = st.fixed_dictionaries(
    {"targets": st.dictionaries(st.sampled_from(["staging", "prod", "x y"]), targets, max_size=2)},
    optional={
        "checks": st.lists(checks, max_size=3),
        "decision": st.fixed_dictionaries({"rules": st.lists(rules, max_size=2)}),
        "paths": values,
        "secrets": values,
        "concurrency": values,
        "unknown_key": values,
    },
)


def toml(value: Any) -> str:
    """A value as TOML: tables inline, so any nesting is expressible."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml(str(k))} = {toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # nan, inf, -inf: TOML's own spelling
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def as_toml(doc: dict[str, Any]) -> str:
    return "".join(f"{toml(k)} = {toml(v)}\n" for k, v in doc.items())


def loads_or_config_error(path: Path) -> GateConfig | ConfigError:
    try:
        data = read_file(path, "deploygate.toml")
        return load(
            data,
            source="deploygate.toml",
            base_dir=path.parent,
            target="staging",
            environ={"HOME": "/root"},
        )
    except ConfigError as exc:
        assert "\n" not in str(exc)  # one paragraph
        return exc


@PROPERTY
@given(documents)
def test_a_generated_config_loads_or_is_a_config_error(
    tmp_path_factory: Any, doc: dict[str, Any]
) -> None:
    path = tmp_path_factory.mktemp("cfg") / "deploygate.toml"
    text = as_toml(doc)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return  # not TOML (a lone surrogate ...): the bytes property covers broken files
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    loads_or_config_error(path)


@PROPERTY
@given(
    st.binary(max_size=200), st.sampled_from([b"", b'[targets.staging]\nbase_url = "http://h"\n'])
)
def test_broken_bytes_are_a_config_error(tmp_path_factory: Any, junk: bytes, head: bytes) -> None:
    path = tmp_path_factory.mktemp("cfg") / "deploygate.toml"
    path.write_bytes(head + junk)
    loads_or_config_error(path)
