"""Fleets: ``ansible://PATTERN`` in a target's ``hosts`` becomes one host per inventory host.

Ansible decides what a pattern means (a group, ``web:!canary``, ``web[0:9]``, a glob, one
host): the gate asks ``ansible-inventory --list --limit PATTERN``, Ansible's own inventory
tool, once per entry when the gate starts, and keeps the hosts it returns in inventory
order. Each becomes ``ansible://HOST`` (with the entry's query, if any), which testinfra's
ansible backend connects to with the inventory's variables. Under pytest-xdist the
controller expands and the workers reuse its list (they must agree on the collection).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_deploygate.errors import ConfigError, one_line

ANSIBLE_SCHEME = "ansible://"
INVENTORY_TOOL = "ansible-inventory"
# A static inventory is read in about a second; a dynamic one asks a cloud API.
INVENTORY_TIMEOUT_S = 120.0
# Ansible only warns about a part of a pattern that matches no host or group (the ``dbb``
# of ``web:dbb``) and goes on with the rest: the gate would check fewer hosts than it was
# asked to. Made an error (whatever ansible.cfg says), and read back from its message.
_MISMATCH_ENV = {"ANSIBLE_HOST_PATTERN_MISMATCH": "error"}
_MISMATCH = re.compile(r"Could not match supplied host pattern, ignoring:\s*(\S+)")
INSTALL_FIX = (
    "install Ansible where the gate runs (pip install 'pytest-deploygate[ansible]') and put "
    "ansible-inventory on PATH (activate the virtualenv)."
)


def expand_hosts(
    hosts: Sequence[str], inventory: Path | None, *, source: str, key: str
) -> tuple[str, ...]:
    """``hosts`` with every ``ansible://PATTERN`` entry replaced by the inventory hosts
    it matches; other entries unchanged, duplicates dropped, order kept."""
    if not any(h.startswith(ANSIBLE_SCHEME) for h in hosts):
        return tuple(hosts)
    tool = _tool(source, key)
    expanded: list[str] = []
    for entry in hosts:
        if not entry.startswith(ANSIBLE_SCHEME):
            expanded.append(entry)
            continue
        pattern, sep, query = entry.removeprefix(ANSIBLE_SCHEME).partition("?")
        found, unmatched = _inventory_hosts(tool, pattern, inventory, source=source, key=key)
        if not found:
            where = f"the inventory {inventory}" if inventory else "Ansible's default inventory"
            what = (
                f"{unmatched!r}, part of {entry!r}: Ansible would leave it out and the gate "
                "check fewer hosts than it was asked to"
                if unmatched and unmatched != pattern
                else repr(entry)
            )
            raise ConfigError(
                f"no host in {where} matches {what}.",
                source=source,
                key=key,
                fix="check the group or host name (ansible-inventory --graph lists them), "
                "or set ansible_inventory on the target.",
            )
        expanded.extend(f"{ANSIBLE_SCHEME}{host}{sep}{query}" for host in found)
    return tuple(dict.fromkeys(expanded))


def _tool(source: str, key: str) -> str:
    """ansible-inventory from PATH: where testinfra's ansible backend, which connects to
    the hosts, looks for it too."""
    found = shutil.which(INVENTORY_TOOL)
    if found is None:
        raise ConfigError(
            "ansible:// hosts need Ansible's ansible-inventory, which is not installed.",
            source=source,
            key=key,
            fix=INSTALL_FIX,
        )
    return found


def _inventory_hosts(
    tool: str, pattern: str, inventory: Path | None, *, source: str, key: str
) -> tuple[list[str], str]:
    """The hosts ``pattern`` matches, and the part of it that matches nothing ("" when
    every part matches something; then no host is returned)."""
    command = [tool, "--list", "--limit", pattern]
    if inventory is not None:
        command += ["-i", str(inventory)]
    fix = "run the same ansible-inventory command by hand to see why."
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=INVENTORY_TIMEOUT_S,
            env={**os.environ, "ANSIBLE_VERBOSITY": "0", **_MISMATCH_ENV},
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(
            f"ansible-inventory gave no answer within {INVENTORY_TIMEOUT_S:.0f}s.",
            source=source,
            key=key,
            fix=fix,
        ) from None
    unmatched = _MISMATCH.search(done.stderr)
    if done.returncode != 0 and unmatched is not None:
        return [], unmatched.group(1)
    if done.returncode != 0:
        raise ConfigError(
            f"ansible-inventory failed: {one_line(done.stderr) or f'exit {done.returncode}'}",
            source=source,
            key=key,
            fix=fix,
        )
    try:
        listing = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise ConfigError(
            "ansible-inventory did not answer in JSON.", source=source, key=key, fix=fix
        ) from None
    return hosts_in_order(listing), ""


def hosts_in_order(listing: Mapping[str, Any]) -> list[str]:
    """The hosts of an ``ansible-inventory --list`` answer (its ``_meta.hostvars``: the
    ones ``--limit`` kept), in the order the inventory's group tree lists them."""
    kept = listing.get("_meta", {}).get("hostvars", {})
    ordered = dict.fromkeys(h for h in _walk(listing, "all", set()) if h in kept)
    # A host the tree does not reach (it should not happen) is not dropped.
    return [*ordered, *(h for h in kept if h not in ordered)]


def _walk(listing: Mapping[str, Any], group: str, seen: set[str]) -> Iterator[str]:
    if group in seen:
        return
    seen.add(group)
    node = listing.get(group, {})
    yield from node.get("hosts", ())
    for child in node.get("children", ()):
        yield from _walk(listing, child, seen)
