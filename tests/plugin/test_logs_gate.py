"""Gates counting log lines: real files that a thread of the gate's own process writes to
while the check watches (local:// and ssh:// to a real sshd), and the journal through a
stand-in journalctl (the one thing that cannot run in this container)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.plugin.helpers import by_id, rule_toml, toml_value, verdict
from tests.support.fakejournal import FakeJournal, fake_journal
from tests.support.logwriter import Write, conftest
from tests.support.sshd import SshServer, sshd

__all__ = ["fake_journal", "sshd"]  # fixtures, used by name below

OLD = ("2026-11-30 09:00:00 ERROR before the deploy", "2026-11-30 09:00:01 INFO started")
# Writes start 1.5 s after the gate's windows start (each takes its starting point at its
# first sample, at once on local://); 5 s windows leave seconds of margin on either side.
WINDOW = {"window": "5s", "interval": "500ms"}


def logs_check(check_id: str, **keys: Any) -> str:
    keys = {"timeout": "10s", "pattern": "ERROR", **keys}
    extra = "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
    return f'[[checks]]\nid = "{check_id}"\ntype = "logs"\nphases = ["postdeploy"]\n{extra}\n'


def gate(
    pytester: pytest.Pytester, *checks: str, target: str = "", writes: tuple[Write, ...] = ()
) -> None:
    pytester.makefile(".toml", deploygate=f"[targets.prod]\n{target}\n" + "".join(checks))
    pytester.makeconftest(conftest(*writes))


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--target=prod", "--verdict-json=v.json", "-p", "no:cacheprovider", *args
    )


def log_file(pytester: pytest.Pytester, name: str = "app.log", lines: tuple[str, ...] = OLD) -> str:
    path = pytester.path / name
    path.write_text("".join(f"{line}\n" for line in lines))
    return str(path)


def measured(check: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in check["measurements"] if m["name"] == name)


def test_old_errors_do_not_count_only_lines_written_while_it_watches(
    pytester: pytest.Pytester,
) -> None:
    path = log_file(pytester)
    writes = (Write(1.5, path, ("2026-11-30 10:00:00 INFO GET /health 200",) * 5),)
    gate(pytester, logs_check("app-errors", file=path, **WINDOW), writes=writes)
    result = run(pytester)
    assert result.ret == 0, result.stdout.str()
    check = by_id(verdict(pytester, "v.json"))["app-errors@local://"]
    assert measured(check, "logs.matches")["value"] == 0
    assert measured(check, "logs.lines")["value"] == 5


def test_one_error_is_ok_more_investigate_and_many_roll_back(pytester: pytest.Pytester) -> None:
    """Seed 002: "Single error in logs: OK (monitor, but don't rollback)"."""
    paths = {name: log_file(pytester, f"{name}.log") for name in ("one", "three", "seven")}
    error = "2026-11-30 10:00:00 ERROR payment failed for order {}"
    writes = tuple(
        Write(1.5, paths[name], tuple(error.format(i) for i in range(count)))
        for name, count in (("one", 1), ("three", 3), ("seven", 7))
    )
    keys = {"max_matches": 1, "on_fail": "investigate", **WINDOW}
    checks = [logs_check(name, file=path, **keys) for name, path in paths.items()]
    gate(pytester, *checks, rule_toml("logs.matches", "5", "rollback"), writes=writes)
    result = run(pytester)
    assert result.ret == 1, result.stdout.str()
    checks_by_id = by_id(verdict(pytester, "v.json"))
    one, three, seven = (checks_by_id[f"{n}@local://"] for n in ("one", "three", "seven"))
    assert (one["decision"], three["decision"], seven["decision"]) == (
        "ok",
        "investigate",
        "rollback",
    )
    assert (
        one["findings"]["logs.matched"] == "'2026-11-30 10:00:00 ERROR payment failed for order 0'"
    )
    assert three["reason"].startswith("3 lines matching 'ERROR' in ")
    assert "'2026-11-30 10:00:00 ERROR payment failed for order 0'" in three["reason"]
    assert "and 4 more" in seven["reason"]
    assert measured(seven, "logs.matches")["value"] == 7


def test_ignored_noise_and_secrets_in_matched_lines(pytester: pytest.Pytester) -> None:
    path = log_file(pytester)
    lines = (
        "ERROR healthcheck probe from 10.0.0.1 timed out",
        "ERROR db login failed: password=hunter2secret dsn=postgres://app:s3cr3tpw@db/app",
    )
    gate(
        pytester,
        logs_check("app-errors", file=path, ignore="healthcheck probe", **WINDOW),
        writes=(Write(1.5, path, lines),),
    )
    result = run(pytester)
    assert result.ret == 1
    text = (pytester.path / "v.json").read_text() + result.stdout.str()
    assert "hunter2secret" not in text and "s3cr3tpw" not in text
    check = by_id(verdict(pytester, "v.json"))["app-errors@local://"]
    assert check["reason"].startswith("1 line matching 'ERROR'")
    assert "password=***" in check["reason"]


def test_a_last_line_left_without_its_newline_is_counted_at_the_end_of_the_window(
    pytester: pytest.Pytester,
) -> None:
    """A process that dies mid-line leaves its last line without a newline: no later sample
    reads it whole, so the window's last one counts it as it stands (it read GO)."""
    path = log_file(pytester)
    died = "2026-11-30 10:00:01 ERROR out of memory, killed"
    writes = (Write(1.5, path, ("2026-11-30 10:00:00 INFO GET /health 200",), unfinished=died),)
    gate(pytester, logs_check("app-errors", file=path, **WINDOW), writes=writes)
    result = run(pytester)
    assert result.ret == 1, result.stdout.str()
    check = by_id(verdict(pytester, "v.json"))["app-errors@local://"]
    assert measured(check, "logs.matches")["value"] == 1
    assert measured(check, "logs.lines")["value"] == 2
    assert "ERROR out of memory, killed" in check["reason"]


def test_a_missing_log_file_is_an_error_never_a_go(pytester: pytest.Pytester) -> None:
    missing = str(pytester.path / "no-such.log")
    gate(pytester, logs_check("app-errors", file=missing, **WINDOW))
    result = run(pytester)
    assert result.ret == 1
    check = by_id(verdict(pytester, "v.json"))["app-errors@local://"]
    assert check["outcome"] == "error"
    assert f"{missing} does not exist" in check["reason"]


def test_a_rotation_during_the_window_is_noticed(pytester: pytest.Pytester) -> None:
    path = log_file(pytester)
    writes = (
        Write(1.5, path, ("INFO before rotation",)),
        Write(3.0, path, ("INFO in the new file",), rotate=True),
    )
    gate(pytester, logs_check("app-errors", file=path, **WINDOW), writes=writes)
    result = run(pytester)
    assert result.ret == 1, result.stdout.str()
    check = by_id(verdict(pytester, "v.json"))["app-errors@local://"]
    assert check["outcome"] == "failed"
    assert f"{path} was rotated before the sample at" in check["reason"]
    assert measured(check, "logs.matches")["value"] == 0


def test_without_a_window_it_cannot_see_new_lines_and_says_so(pytester: pytest.Pytester) -> None:
    gate(pytester, logs_check("app-errors", file=log_file(pytester)))
    result = run(pytester)
    assert result.ret == 1
    check = by_id(verdict(pytester, "v.json"))["app-errors@local://"]
    assert check["outcome"] == "error"
    assert 'add window = "2m" to the check or run with --observe 2m' in check["reason"]
    # --observe gives every logs check a window.
    assert run(pytester, "--observe=1s").ret == 0


def test_a_bad_pattern_is_a_config_error_naming_the_key(pytester: pytest.Pytester) -> None:
    gate(pytester, logs_check("app-errors", file="/var/log/app.log", pattern="ERROR(", **WINDOW))
    result = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*deploygate.toml: checks[[]0[]] (id 'app-errors').pattern: *not a valid regular*"]
    )


@pytest.mark.parametrize(
    ("hosts", "narrowed", "expected"),
    [
        pytest.param(["ssh://web-1"], (), "on ssh://web-1: there", id="ssh"),
        pytest.param(
            ["local://", "ssh://web-1", "ansible://db"],
            (),
            "on ssh://web-1 (and 1 more): there",
            id="mixed",
        ),
        pytest.param(["local://", "ssh://web-1"], ("ssh://*",), "on ssh://web-1: there", id="glob"),
    ],
)
def test_a_relative_file_on_a_remote_host_is_a_config_error(
    pytester: pytest.Pytester, hosts: list[str], narrowed: tuple[str, ...], expected: str
) -> None:
    keys: dict[str, Any] = {"hosts": list(narrowed)} if narrowed else {}
    gate(
        pytester,
        logs_check("app-errors", file="logs/app.log", **keys, **WINDOW),
        target=f"hosts = {toml_value(hosts)}\n",
    )
    result = run(pytester)
    assert result.ret == 4
    text = result.stderr.str()
    assert "Traceback" not in text
    assert "deploygate.toml: checks[0] (id 'app-errors').file: 'logs/app.log' is relative" in text
    assert expected in text
    assert 'Fix: give the absolute path on the host, e.g. file = "/var/log/app.log".' in text


def test_a_relative_file_on_the_gate_machine_is_read_next_to_the_config(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "logs").mkdir()
    log_file(pytester, "logs/app.log")
    gate(
        pytester,
        logs_check("app-errors", file="logs/app.log", hosts=["local://"], **WINDOW),
        target='hosts = ["local://", "ssh://web-1"]\n',
    )
    result = run(pytester)
    assert result.ret == 0, result.stdout.str()


def test_a_file_over_ssh_is_read_on_the_host(pytester: pytest.Pytester, sshd: SshServer) -> None:
    path = log_file(pytester)
    host = f"ssh://{sshd.alias(20)}"
    # The starting point is taken once the host answers: ssh takes its time to connect.
    writes = (Write(3.0, path, ("ERROR upstream timed out", "INFO ok")),)
    gate(
        pytester,
        logs_check("app-errors", file=path, window="8s", interval="500ms"),
        target=f'hosts = ["{host}"]\nssh_config = "{sshd.ssh_config}"\n',
        writes=writes,
    )
    result = run(pytester)
    assert result.ret == 1, result.stdout.str()
    check = by_id(verdict(pytester, "v.json"))[f"app-errors@{host}"]
    assert measured(check, "logs.matches")["value"] == 1
    assert measured(check, "logs.lines")["value"] == 2


# -- the journal (stand-in journalctl: no systemd in this container) ---------------------


def test_journal_since_ten_minutes_counts_recent_errors_only(
    pytester: pytest.Pytester, fake_journal: FakeJournal
) -> None:
    import time

    now = time.time()
    fake_journal.add("bot.service", "ERROR an hour ago", at=now - 3600)
    fake_journal.add("bot.service", "INFO polling", "ERROR Telegram API 502", at=now - 60)
    fake_journal.add("other.service", "ERROR not ours", at=now - 60)
    gate(pytester, logs_check("bot-errors", journal="bot", since="10m"))
    result = run(pytester)
    assert result.ret == 1, result.stdout.str()
    check = by_id(verdict(pytester, "v.json"))["bot-errors@local://"]
    assert check["reason"] == (
        "1 line matching 'ERROR' in journal of bot in the last 10m (max_matches 0): "
        "'ERROR Telegram API 502'"
    )
    assert measured(check, "logs.lines")["value"] == 2


def test_journal_entries_journalctl_abbreviates_are_read_whole(
    pytester: pytest.Pytester, fake_journal: FakeJournal
) -> None:
    """journalctl -o json writes a MESSAGE over 4096 bytes as null (a Java stack trace in one
    entry) unless --all, and a MESSAGE given twice as an array: neither may read as clean."""
    import time

    trace = "ERROR request failed\n" + "\tat com.example.Handler.run(Handler.java:42)\n" * 120
    fake_journal.add("bot.service", trace, ["INFO retrying", "ERROR gave up"], at=time.time() - 60)
    gate(pytester, logs_check("bot-errors", journal="bot", since="10m"))
    result = run(pytester)
    assert result.ret == 1, result.stdout.str()
    check = by_id(verdict(pytester, "v.json"))["bot-errors@local://"]
    assert measured(check, "logs.matches")["value"] == 2
    assert "'ERROR request failed'" in check["reason"] and "'ERROR gave up'" in check["reason"]


def test_journal_window_counts_entries_after_its_start(
    pytester: pytest.Pytester, fake_journal: FakeJournal
) -> None:
    fake_journal.add("bot.service", "ERROR before the gate")
    entries = (fake_journal.entry("bot.service", "INFO message handled"),) * 3
    gate(
        pytester,
        logs_check("bot-errors", journal="bot", **WINDOW),
        writes=(Write(0.5, str(fake_journal.path), entries, wait_for=fake_journal.started),),
    )
    result = run(pytester)
    assert result.ret == 0, result.stdout.str()
    check = by_id(verdict(pytester, "v.json"))["bot-errors@local://"]
    assert measured(check, "logs.lines")["value"] == 3


def test_an_unknown_unit_or_an_unreadable_journal_is_an_error(
    pytester: pytest.Pytester, fake_journal: FakeJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate(
        pytester,
        logs_check("typo", journal="bott", since="10m"),
        logs_check("denied", journal="bot", since="10m"),
    )
    monkeypatch.setenv("DG_FAKE_UNITS", "bot.service")
    result = run(pytester, "-k", "typo")
    assert result.ret == 1
    check = by_id(verdict(pytester, "v.json"))["typo@local://"]
    assert check["outcome"] == "error"
    assert "unit 'bott' is not known to systemd on the host" in check["reason"]
    monkeypatch.setenv("DG_FAKE_JOURNAL_DENIED", "1")
    result = run(pytester, "-k", "denied")
    assert result.ret == 1
    check = by_id(verdict(pytester, "v.json"))["denied@local://"]
    assert check["outcome"] == "error"
    assert "not readable by the gate's user (No journal files were opened" in check["reason"]


def test_a_host_without_systemd_tools_is_an_error(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A PATH with the shell tools and neither systemctl nor journalctl.
    empty = tmp_path / "bin"
    empty.mkdir()
    for tool in ("sh", "date", "head"):
        (empty / tool).symlink_to(
            f"/bin/{tool}" if Path(f"/bin/{tool}").exists() else f"/usr/bin/{tool}"
        )
    monkeypatch.setenv("PATH", str(empty))
    gate(pytester, logs_check("bot-errors", journal="bot", since="10m"))
    result = run(pytester)
    assert result.ret == 1
    check = by_id(verdict(pytester, "v.json"))["bot-errors@local://"]
    assert check["outcome"] == "error"
    assert "'systemctl' not found on the host" in check["reason"]
