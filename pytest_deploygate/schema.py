"""JSON Schemas for editors and CI: ``python -m pytest_deploygate.schema config|verdict``.

The config schema is generated from the same pydantic models that validate the file,
so it cannot drift; docs/config.schema.json is its committed copy.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import TypeAdapter

from pytest_deploygate.config import ConfigFile
from pytest_deploygate.registry import all_types, tagged_union

SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict[str, Any]:
    check = tagged_union([kind.model for kind in all_types()], "type")
    checks_schema = TypeAdapter(list[check]).json_schema(by_alias=True)  # type: ignore[valid-type]
    schema = ConfigFile.model_json_schema(by_alias=True)
    defs = {**schema.pop("$defs", {}), **checks_schema.pop("$defs", {})}
    schema["properties"]["checks"] = {**checks_schema, "title": "Checks"}
    schema["properties"]["targets"]["additionalProperties"] = _target_with_extends(defs)
    schema["$defs"] = defs
    schema["title"] = "deploygate.toml"
    return {"$schema": SCHEMA_URL, **schema}


def _target_with_extends(defs: dict[str, Any]) -> dict[str, Any]:
    target = defs["Target"]
    target["properties"].pop("name", None)
    target["properties"]["extends"] = {
        "type": "string",
        "description": "name of a target whose keys this one inherits",
    }
    return {"$ref": "#/$defs/Target"}


def main(argv: list[str]) -> int:
    if argv[1:] != ["config"]:
        print("usage: python -m pytest_deploygate.schema config", file=sys.stderr)
        return 2
    print(json.dumps(config_schema(), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
