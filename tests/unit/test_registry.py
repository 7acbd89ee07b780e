"""The registry is the one list of check types: every registered type has its suite and
its doc page, and the config models, the JSON Schema and the suites agree with it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import pytest_deploygate.suites as suites_package  # type: ignore[import-not-found, unused-ignore]

from pytest_deploygate.registry import BY_NAME, CheckType, Registry, all_types
from pytest_deploygate.schema import config_schema

ROOT = Path(__file__).resolve().parents[2]
SUITES = Path(suites_package.__file__).parent
NAMES = [t.name for t in all_types()]


def test_every_check_type_is_registered_once() -> None:
    assert len(NAMES) == len(set(NAMES)) == len(BY_NAME)


@pytest.mark.parametrize("name", NAMES)
def test_a_registered_type_has_a_doc_page(name: str) -> None:
    assert (ROOT / "docs" / "checks" / f"{name}.md").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_a_registered_type_has_its_suite(name: str) -> None:
    text = (SUITES / f"test_{name}.py").read_text(encoding="utf-8")
    assert f'@pytest.mark.deploygate_suite("{name}")' in text
    assert f"def test_{name}(deploygate_check, deploygate_run):" in text


def test_every_suite_belongs_to_a_registered_type() -> None:
    suites = {p.stem.removeprefix("test_") for p in SUITES.glob("test_*.py")}
    assert suites == set(NAMES)


def test_every_doc_page_belongs_to_a_registered_type() -> None:
    pages = {p.stem for p in (ROOT / "docs" / "checks").glob("*.md")}
    assert pages == set(NAMES)


def test_the_config_models_are_the_registrys() -> None:
    # The index names each type without importing it: the name must be the model's.
    for name, kind in BY_NAME.items():
        assert kind.name == name
        assert kind.spec.model_fields["type"].default == name


def test_the_schema_offers_exactly_the_registered_types_and_sub_kinds() -> None:
    mapping = config_schema()["properties"]["checks"]["items"]["discriminator"]["mapping"]
    assert set(mapping) == set(NAMES)
    for kind in all_types():
        offered = mapping[kind.name]
        if kind.subkinds:
            subkinds = {sub.subkind for sub in kind.subkinds}
            assert set(offered["discriminator"]["mapping"]) == subkinds
        else:
            assert offered == f"#/$defs/{kind.spec.__name__}"


@pytest.mark.parametrize("kind", [k for k in all_types() if k.subkinds], ids=lambda k: k.name)
def test_a_sub_kind_belongs_to_its_type_once(kind: CheckType[Any, Any]) -> None:
    assert all(sub.name == kind.name and issubclass(sub.spec, kind.spec) for sub in kind.subkinds)
    names = [sub.subkind for sub in kind.subkinds]
    assert len(names) == len(set(names))


def test_a_type_is_built_once_on_its_first_lookup_even_by_threads_together() -> None:
    built: list[str] = []

    def build() -> CheckType[Any, Any]:
        built.append("http")
        time.sleep(0.05)  # widens the window in which other threads ask too
        return BY_NAME["http"]

    registry = Registry({"http": build})
    assert "http" in registry and list(registry) == ["http"] and "tcp" not in registry
    assert built == [] and registry.built() == ()
    with ThreadPoolExecutor(8) as pool:
        records = list(pool.map(lambda _: registry["http"], range(8)))
    assert built == ["http"]
    assert all(record is records[0] for record in records)
    with pytest.raises(KeyError):
        registry["tcp"] = records[0]
