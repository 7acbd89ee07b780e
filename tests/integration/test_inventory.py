"""ansible://PATTERN hosts expanded with Ansible's own ansible-inventory, from a real
inventory file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pytest_deploygate.errors import ConfigError
from pytest_deploygate.inventory import expand_hosts, hosts_in_order

INVENTORY = """
[web]
web-2 ansible_host=127.0.0.1
web-1 ansible_host=127.0.0.1

[db]
db-1 ansible_host=127.0.0.1

[canary]
web-2

[spare]

[prod:children]
web
db
"""


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # ansible-inventory comes with ansible-core, installed in this Python's bin directory.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    path = tmp_path / "inventory.ini"
    path.write_text(INVENTORY)
    return path


def expand(hosts: list[str], inventory: Path | None) -> tuple[str, ...]:
    return expand_hosts(hosts, inventory, source="deploygate.toml", key="targets.prod.hosts")


def test_a_group_becomes_its_hosts_in_inventory_order(inventory: Path) -> None:
    assert expand(["ansible://prod"], inventory) == (
        "ansible://web-2",
        "ansible://web-1",
        "ansible://db-1",
    )


def test_ansible_patterns_mean_what_they_mean_to_ansible(inventory: Path) -> None:
    assert expand(["ansible://web:!canary"], inventory) == ("ansible://web-1",)
    assert expand(["ansible://db-1"], inventory) == ("ansible://db-1",)


def test_other_hosts_and_the_query_are_kept_and_duplicates_dropped(inventory: Path) -> None:
    hosts = ["local://", "ansible://web?force_ansible=true", "ansible://canary?force_ansible=true"]
    assert expand(hosts, inventory) == (
        "local://",
        "ansible://web-2?force_ansible=true",
        "ansible://web-1?force_ansible=true",
    )


def test_without_ansible_hosts_nothing_runs(tmp_path: Path) -> None:
    assert expand(["local://"], tmp_path / "missing.ini") == ("local://",)


def test_a_pattern_that_matches_no_host_is_a_config_error(inventory: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        expand(["ansible://webb"], inventory)
    message = str(caught.value)
    assert "deploygate.toml: targets.prod.hosts: no host in the inventory" in message
    assert "'ansible://webb'" in message and "ansible-inventory --graph" in message


@pytest.mark.parametrize(
    ("pattern", "unmatched"),
    [("web:dbb", "dbb"), ("web-1,web-3", "web-3"), ("web:!canry", "canry"), ("prod:&wbe", "wbe")],
)
def test_a_part_of_a_pattern_that_matches_nothing_is_a_config_error(
    inventory: Path, pattern: str, unmatched: str
) -> None:
    """Ansible ignores it with a warning: the gate would check fewer hosts than it was
    asked to (the db hosts of ``web:dbb``) and could say GO about hosts it never saw."""
    with pytest.raises(ConfigError) as caught:
        expand([f"ansible://{pattern}"], inventory)
    message = str(caught.value)
    assert f"no host in the inventory {inventory} matches {unmatched!r}" in message
    assert f"'ansible://{pattern}'" in message and "ansible-inventory --graph" in message


def test_a_group_without_hosts_is_not_a_typo(inventory: Path) -> None:
    assert expand(["ansible://db:spare"], inventory) == ("ansible://db-1",)


def test_without_ansible_installed_the_error_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match=r"pytest-deploygate\[ansible\]"):
        expand(["ansible://web"], None)


def test_hosts_in_order_follows_the_group_tree_and_keeps_only_limited_hosts() -> None:
    listing = {
        "_meta": {"hostvars": {"b": {}, "a": {}, "c": {}}},
        "all": {"children": ["ungrouped", "g1", "g2"]},
        "g1": {"hosts": ["c", "x"], "children": ["g2"]},
        "g2": {"hosts": ["a", "c"]},
        "ungrouped": {"hosts": ["b"]},
    }
    assert hosts_in_order(listing) == ["b", "c", "a"]
