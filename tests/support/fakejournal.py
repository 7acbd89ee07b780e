"""A stand-in ``journalctl`` and ``systemctl`` for the journal path of ``logs`` checks.

The test machine has no systemd (a container), so journalctl cannot run here: these two
small programs take their place on PATH, and only they are fake. The journal is a file
of JSON lines ``{"unit": "bot.service", "t": EPOCH, "msg": "..."}`` (a test appends to
it while the gate runs); an entry's cursor is its line number. They understand what the
``logs`` probe asks: ``journalctl --no-pager -o json [-n N] -u UNIT
[--after-cursor=C | --since=@EPOCH] [--all]`` (with journalctl's own JSON: a MESSAGE over
4096 bytes is null without ``--all``, one given twice an array) and
``systemctl show -p LoadState --value -- UNIT``.
``-n`` (the gate taking its starting point) creates ``<journal>.started``;
``DG_FAKE_UNITS`` lists the units systemd knows; ``DG_FAKE_JOURNAL_DENIED=1`` answers as
journalctl does to a user outside the systemd-journal group.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

JOURNALCTL = r"""#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
if os.environ.get("DG_FAKE_JOURNAL_DENIED"):
    sys.stderr.write("No journal files were opened due to insufficient permissions.\n")
    sys.exit(0)
unit = n = after = since = None
show_all = False
i = 0
while i < len(args):
    a = args[i]
    if a in ("-u", "-n", "-o"):
        value = args[i + 1]
        i += 1
        if a == "-u":
            unit = value
        elif a == "-n":
            n = int(value)
    elif a.startswith("--after-cursor="):
        after = int(a.split("=", 1)[1])
    elif a.startswith("--since=@"):
        since = float(a.split("@", 1)[1])
    elif a in ("--all", "-a"):
        show_all = True
    elif a != "--no-pager":
        sys.stderr.write(f"journalctl: unrecognized option '{a}'\n")
        sys.exit(1)
    i += 1
names = {unit, f"{unit}.service"}
entries = []
with open(os.environ["DG_FAKE_JOURNAL"], encoding="utf-8") as f:
    for number, line in enumerate(f):
        if not line.strip():
            continue
        e = json.loads(line)
        if e["unit"] not in names:
            continue
        if after is not None and number <= after:
            continue
        if since is not None and e["t"] < since:
            continue
        entries.append((number, e))
if n is not None:
    entries = entries[-n:] if n else []
    open(os.environ["DG_FAKE_JOURNAL"] + ".started", "a").close()
def shown(msg):
    # journalctl -o json: "Fields larger than 4096 bytes are encoded as null values" unless
    # --all; a field an entry has more than once is a JSON array of its values.
    if isinstance(msg, list):
        return [shown(m) for m in msg]
    return msg if show_all or len(msg.encode()) <= 4096 else None
for number, e in entries:
    out = {"__CURSOR": str(number), "_SYSTEMD_UNIT": e["unit"], "MESSAGE": shown(e["msg"])}
    sys.stdout.write(json.dumps(out) + "\n")
"""

SYSTEMCTL = r"""#!/usr/bin/env python3
import os, sys
unit = sys.argv[-1]
known = set(filter(None, os.environ.get("DG_FAKE_UNITS", "").split(",")))
print("loaded" if unit in known or f"{unit}.service" in known else "not-found")
"""


@dataclass(frozen=True)
class FakeJournal:
    path: Path

    @property
    def started(self) -> str:
        """Exists once the gate has taken its starting point in the journal."""
        return f"{self.path}.started"

    def entry(self, unit: str, msg: str | list[str], at: float | None = None) -> str:
        """One journal line, as a test appends it."""
        return json.dumps({"unit": unit, "t": time.time() if at is None else at, "msg": msg})

    def add(self, unit: str, *messages: str | list[str], at: float | None = None) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            for msg in messages:
                f.write(self.entry(unit, msg, at) + "\n")


@pytest.fixture
def fake_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeJournal:
    """journalctl and systemctl on PATH for this test, knowing the units ``bot`` and
    ``app.service``."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    for name, text in (("journalctl", JOURNALCTL), ("systemctl", SYSTEMCTL)):
        program = bin_dir / name
        program.write_text(text)
        program.chmod(0o755)
    journal = tmp_path / "journal.jsonl"
    journal.write_text("")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DG_FAKE_JOURNAL", str(journal))
    monkeypatch.setenv("DG_FAKE_UNITS", "bot.service,app.service")
    return FakeJournal(journal)
