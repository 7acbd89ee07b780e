"""``deploygate import``: a Markdown deployment checklist -> a draft deploygate.toml.

    items.py      Markdown (markdown-it-py tokens) -> the items a person ticks
    commands.py   code blocks -> commands with their comments
    recognise.py  item -> findings (shell.py, httpcmds.py, dbcmds.py, pysnippet.py,
                  prose.py, conditions.py read the kinds of command and sentence)
    draft.py      findings -> checks merged across phases, ids, ${VARIABLES}
    render.py     draft -> TOML text with the checklist quoted in comments

Deterministic and offline: the same checklist gives the same draft, and nothing is
fetched, run or connected to. The only part of the gate it uses is the config loader,
to prove the draft loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pytest_deploygate.importer.draft import Draft, ItemResult, assemble
from pytest_deploygate.importer.items import parse_items
from pytest_deploygate.importer.recognise import findings_for
from pytest_deploygate.importer.render import render

DEFAULT_TARGET = "production"


@dataclass(frozen=True)
class Imported:
    """The draft's text and what became of the checklist's items."""

    text: str
    draft: Draft

    @property
    def counts(self) -> dict[str, int]:
        statuses = [r.status for r in self.draft.results]
        return {
            "items": len(statuses),
            "as_checks": statuses.count("check"),
            "as_rules": statuses.count("rule"),
            "manual": statuses.count("manual"),
            "checks": len(self.draft.checks),
            "rules": len(self.draft.rules),
        }

    @property
    def summary(self) -> str:
        c = self.counts
        return (
            f"{c['items']} items: {c['as_checks']} became checks, {c['as_rules']} became "
            f"rules, {c['manual']} stay manual; drafted {c['checks']} checks and "
            f"{c['rules']} rules."
        )

    @property
    def variables(self) -> list[str]:
        return [v.name for v in self.draft.variables]


def import_checklist(markdown: str, source: str, target: str = DEFAULT_TARGET) -> Imported:
    """Draft a config from a checklist's text; ``source`` names it in the draft."""
    results = [ItemResult(item, tuple(findings_for(item))) for item in parse_items(markdown)]
    draft = assemble(results, target)
    counts = Imported("", draft)
    text = render(draft, source, counts.summary, rules_take_for())
    return Imported(text, draft)


@lru_cache(maxsize=1)
def rules_take_for() -> bool:
    """Whether this version's config loader accepts ``for`` on decision rules."""
    from pytest_deploygate.config import load
    from pytest_deploygate.errors import ConfigError

    data: dict[str, Any] = {
        "targets": {"t": {}},
        "decision": {
            "rules": [{"measurement": "x", "above": 1, "decision": "investigate", "for": "5m"}]
        },
    }
    try:
        load(data, source="probe", base_dir=Path("."), target="t", environ={})
    except ConfigError:
        return False
    return True
