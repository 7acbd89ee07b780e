"""Rules that can never fire: a ``[[decision.rules]]`` row whose ``measurement`` or
``check`` glob matches nothing a declared check can produce (a typo: ``htp.latncy``)
would pass silently forever.

Each check type declares the measurement names its checks produce (``CheckType.measures``
in registry.py; ``db.*`` for a family). A row that matches none of them is a config error,
unless team checks could produce it (the config lists ``paths``, or test paths were
given): then the verdict banner warns and names the row.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from pytest_deploygate.config import GateConfig, nearest
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.rules import DecisionRule

_WILD = "*?["


def produced(config: GateConfig) -> list[tuple[str, str]]:
    """(check id, measurement name or family such as ``db.*``) of every declared check;
    over an observation window every check also measures ``<type>.up`` (windows.py)."""
    return [
        (spec.id, name)
        for spec in config.checks
        for name in (*BY_NAME[spec.type].measures(spec), f"{spec.type}.up")
    ]


def unmatched(config: GateConfig) -> list[tuple[int, DecisionRule]]:
    """The rows (index from 0, rule) no declared check can fire."""
    made = produced(config)
    return [
        (index, rule)
        for index, rule in enumerate(config.rules)
        if not any(_may_match(rule, check_id, name) for check_id, name in made)
    ]


def compared(config: GateConfig) -> frozenset[str]:
    """Ids of the declared checks a relative row (``above_baseline`` ...) may apply to."""
    relative = [rule for rule in config.rules if rule.relative]
    return frozenset(
        check_id
        for check_id, name in produced(config)
        if any(_may_match(rule, check_id, name) for rule in relative)
    )


def describe(index: int, rule: DecisionRule) -> str:
    where = f" for check {rule.check!r}" if rule.check != "*" else ""
    return f"rule {index + 1} (measurement {rule.measurement!r}{where})"


def why_unmatched(config: GateConfig, rule: DecisionRule) -> str:
    """Why a row matches nothing: its ``check`` names no declared check, or its measurement
    is none of those checks' names; with the name a typo most likely meant."""
    made = produced(config)
    base = rule.check.split("@", 1)[0]
    if not any(fnmatchcase(check_id, base) for check_id, _ in made):
        ids = sorted({spec.id for spec in config.checks})
        return (
            f"names no declared check (check ids: {', '.join(ids) or 'none'}), "
            f"so it could never fire.{_meant(base, ids)}"
        )
    names = sorted({name for _, name in made if not name.endswith("*")})
    return (
        f"matches no measurement a declared check produces (they produce: "
        f"{known_names(config)}), so it could never fire.{_meant(rule.measurement, names)}"
    )


def _meant(word: str, options: list[str]) -> str:
    near = nearest(word, options)
    return f" Did you mean {near!r}?" if near else ""


def known_names(config: GateConfig) -> str:
    names = sorted({name for _, name in produced(config)})
    return ", ".join(names) if names else "none (no declared check)"


def _may_match(rule: DecisionRule, check_id: str, name: str) -> bool:
    # A row may name one instance of a check that fans out: disk@ssh://web-1.
    base = rule.check.split("@", 1)[0] if "@" in rule.check else rule.check
    if not fnmatchcase(check_id, base):
        return False
    if name.endswith("*"):
        return _glob_meets_family(rule.measurement, name[:-1])
    return fnmatchcase(name, rule.measurement)


def _glob_meets_family(glob: str, prefix: str) -> bool:
    """Whether ``glob`` can match some name starting with ``prefix``: their literal
    beginnings agree as far as both go."""
    literal = _literal_prefix(glob)
    return literal.startswith(prefix) or prefix.startswith(literal)


def _literal_prefix(glob: str) -> str:
    cut = min((glob.index(c) for c in _WILD if c in glob), default=len(glob))
    return glob[:cut]
