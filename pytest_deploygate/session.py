"""The gate's pytest plugin object: annotates reports where tests run, gathers them
where the run is controlled (the pytest-xdist controller, or the only process), and
calls the decision engine once at the end."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from pytest_deploygate.baseline import NONE_GIVEN, Baseline
from pytest_deploygate.checks.base import DECISIONS, Target
from pytest_deploygate.config import GateConfig, check_hash, config_hash
from pytest_deploygate.decision import (
    RANK,
    CheckDecision,
    GateResult,
    certain_rollback,
    conclude,
    decide_check,
)
from pytest_deploygate.errors import ProbeError, one_line
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.masking import Masker
from pytest_deploygate.names import PHASES, suite_nodeid
from pytest_deploygate.outcomes import KNOWN_FAILURE, CheckRecord, Measurement
from pytest_deploygate.probes.base import ProbeContext, Resources, classify, is_network_error
from pytest_deploygate.probes.hostconn import HostPool
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.rule_coverage import compared
from pytest_deploygate.runner import CheckInstance, Runner
from pytest_deploygate.units import format_value

MEASUREMENTS_KEY = pytest.StashKey[list[Measurement]]()
# A declared check probes ahead of its test item: its own duration is the probe's, not
# the item's (which is mostly waiting for the result).
PROBE_DURATION_KEY = pytest.StashKey[float]()
FINDINGS_KEY = pytest.StashKey[dict[str, str]]()
# What an item's reports have carried of its results so far (see GateSession.annotate).
_SENT_KEY = pytest.StashKey[tuple[int, tuple[tuple[str, str], ...], float | None]]()
CUSTOM_TYPE = "custom"
# How pytest's skip of a test parametrized over an empty list begins (empty_parameter_set_mark).
EMPTY_PARAMETERS = "got empty parameter set"
# The keys of a check's facts that describe it rather than its run (check_meta).
META_KEYS = ("id", "type", "phases", "on_fail", "on_error", "description", "expects")
_PHASE_ORDER = ("setup", "call", "teardown")


@dataclass
class _Pending:
    """Reports of one check received so far."""

    parts: list[dict[str, Any]] = field(default_factory=list)
    duration: float = 0.0


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class GateSession:
    """State of one gate run; lives in ``config.stash[GATE_KEY]``."""

    def __init__(
        self,
        config: GateConfig,
        masker: Masker,
        *,
        observe: float | None,
        concurrency: int,
        is_worker: bool,
        baseline: Baseline = NONE_GIVEN,
        abort_on_rollback: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.target: Target = config.target
        self.mask = masker
        self._specs = {spec.id: index for index, spec in enumerate(config.checks)}
        self._hashes: dict[str, str] = {}
        # Read once at the start (--baseline); relative rules compare with it, but not with
        # the values of a check that measured something else there (its keys changed).
        self.baseline = (
            baseline.comparing({i: self._check_hash(i) for i in compared(config)})
            if baseline.hashes
            else baseline
        )
        self.is_worker = is_worker
        # The session's host connections (ssh masters, paramiko clients): shared by its
        # checks and the ``host`` fixture, closed with the session (``close``).
        self.hosts = HostPool()
        # Pooled HTTP sessions and database connections, and the environment the gate was
        # started with (``environment.started_environ``), else as it is now.
        self.resources = Resources(os.environ if environ is None else environ)
        self.ctx = ProbeContext(
            base_dir=config.base_dir, observe=observe, hosts=self.hosts, resources=self.resources
        )
        self.abort_on_rollback = abort_on_rollback
        # What each window's rules see so far (check key -> measurements), for progress.
        self.watching: dict[str, tuple[Measurement, ...]] = {}
        self.runner = Runner(
            self.target,
            self.ctx,
            concurrency,
            on_sample=self.on_sample,
        )
        self.started_at = now_iso()
        self.result: GateResult | None = None
        self.header_lines: list[str] = []
        # Said under the verdict banner: rule rows that only a team check could fire.
        self.warnings: list[str] = []
        # Keyed by (node id, the xdist worker that ran it): under ``--dist each`` every
        # worker runs every check, and their phases arrive interleaved.
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._expected: dict[str, dict[str, Any]] = {}
        self._decisions: dict[str, CheckDecision] = {}
        # Node id -> xdist worker -> the decision of its last run there.
        self._runs: dict[str, dict[str, CheckDecision]] = {}

    def close(self) -> None:
        """Stop probing and close every connection the session opened."""
        self.runner.close()
        self.hosts.close()
        self.resources.close()

    def on_sample(self, check: CheckInstance, so_far: Judgement) -> None:
        """A windowed check took a sample (called from its window's thread): remember what
        its rules see, and with ``--abort-on-rollback`` end the observation once a
        rollback is certain."""
        self.watching[check.key] = so_far.measurements
        if not self.abort_on_rollback:
            return
        spec = check.spec
        record = CheckRecord(
            id=check.key,
            nodeid="",
            type=spec.type,
            phases=tuple(spec.phases),
            outcome="failed" if so_far.failures else "passed",
            measurements=so_far.measurements,
            on_fail=spec.on_fail,
            on_error=spec.on_error,
        )
        why = certain_rollback(decide_check(record, self.config.rules))
        if why is not None:
            self.runner.period.abort(self.mask(f"{check.key}: {why}"))

    # -- collection --------------------------------------------------------------------

    def instances_of(self, type_name: str) -> list[CheckInstance]:
        kind = BY_NAME[type_name]
        found: list[CheckInstance] = []
        for spec in self.config.checks_of(type_name):
            keys = kind.instances(spec, self.target) if kind.instances else (None,)
            found.extend(CheckInstance(spec, key) for key in keys)
        return found

    def declared_instances(self) -> dict[str, CheckInstance]:
        """Node id -> every declared check instance, from the config alone."""
        return {
            suite_nodeid(type_name, check.key): check
            for type_name in sorted(self.config.types)
            for check in self.instances_of(type_name)
        }

    def declared_meta(self) -> dict[str, dict[str, Any]]:
        """Node id -> metadata of every declared check instance, from the config alone."""
        return {nodeid: instance_meta(c) for nodeid, c in self.declared_instances().items()}

    def expect(self, nodeid: str, meta: dict[str, Any] | None) -> None:
        """A check was collected: its result must arrive, or it counts as error."""
        self._expected.setdefault(nodeid, meta or {})

    # -- where tests run ----------------------------------------------------------------

    def annotate(
        self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> None:
        """Attach the phase's facts to its report as builtins, and mask what it shows.

        Under xdist every report travels from a worker to the controller, which pays for
        each: a report carries only what the controller cannot know yet. What a check is
        (``META_KEYS``) the controller reads from the config for declared checks, so only a
        team test's setup report carries it (``on_report`` adds it to the later ones); the
        measurements and findings ride on the first report after they were taken, and
        again only if they grew.
        """
        if report.when == "call" and report.passed and declared_check(item) is None:
            beyond = beyond_threshold(item.stash.get(MEASUREMENTS_KEY, []))
            if beyond:
                # The team's test recorded a value outside the threshold it gave it and
                # passed anyway: it did not pass (pytest's outcome too, so reports agree).
                report.outcome = "failed"
                report.longrepr = beyond
        outcome, reason, kind = self._classify(call, report)
        facts: dict[str, Any] = {
            "phase_outcome": outcome,
            "reason": self.mask(reason),
            "error_kind": kind,
        }
        if self.is_worker and report.when == "setup" and declared_check(item) is None:
            facts.update(check_meta(item))
        if report.when != "setup":
            facts.update(_new_results(item))
        report.deploygate = facts  # type: ignore[attr-defined]
        exc = call.excinfo.value if call.excinfo is not None else None
        if exc is not None and (isinstance(exc, ProbeError) or is_network_error(exc)):
            report.longrepr = f"{kind}: {facts['reason']}"
        self.mask_report(report)

    def _classify(
        self, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> tuple[str, str, str]:
        if report.passed:
            return "passed", "", ""
        if report.skipped and hasattr(report, "wasxfail"):
            return _xfailed(call, str(report.wasxfail))
        if report.skipped:
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr or "")
            reason = reason.removeprefix("Skipped: ")
            if reason.startswith(EMPTY_PARAMETERS):
                # pytest's skip for a parametrize list that came out empty (a data-driven
                # check whose endpoints file was missing): given nothing, it checked nothing.
                return "error", f"{one_line(reason)}: nothing was checked", "empty"
            return "skipped", reason, ""
        excinfo = call.excinfo
        if excinfo is None:  # e.g. a strict XPASS
            return "failed", one_line(str(report.longrepr)), ""
        exc = excinfo.value
        if report.when == "call" and isinstance(exc, (AssertionError, pytest.fail.Exception)):
            return "failed", one_line(str(exc)) or "assertion failed", ""
        if isinstance(exc, pytest.fail.Exception):
            return "error", one_line(str(exc)), "error"
        mapped = classify(exc)
        return "error", str(mapped), mapped.kind

    def mask_report(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        """Secrets out of tracebacks, assertion introspection and captured output."""
        longrepr = report.longrepr
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            report.longrepr = (longrepr[0], longrepr[1], self.mask(str(longrepr[2])))
        elif isinstance(longrepr, str):
            report.longrepr = self.mask(longrepr)
        elif longrepr is not None:
            report.longrepr = MaskedRepr(longrepr, self.mask)  # type: ignore[assignment]
        report.sections = [(title, self.mask(text)) for title, text in report.sections]

    # -- where the run is controlled ---------------------------------------------------

    def on_report(self, report: pytest.TestReport) -> None:
        run = (report.nodeid, _worker_of(report))
        pending = self._pending.setdefault(run, _Pending())
        facts = getattr(report, "deploygate", None)
        if facts is None:
            # pytest-xdist reports a crashed worker with a report of its own making.
            facts = {
                "phase_outcome": "error",
                "reason": self.mask(
                    "no result: the process running this check crashed ("
                    + one_line(str(report.longrepr))
                    + ")"
                ),
                "error_kind": "crash",
            }
        learned = {key: facts[key] for key in META_KEYS if key in facts}
        if learned:  # a team test's metadata, from its worker
            self._expected[report.nodeid] = {**self._expected.get(report.nodeid, {}), **learned}
        # What the check is, from the config or its first report, with what this phase did:
        # the whole facts, for the reporters here, whichever report carried which part.
        facts = {**self._expected.get(report.nodeid, {}), **facts}
        report.deploygate = facts  # type: ignore[attr-defined]
        pending.parts.append({**facts, "when": report.when})
        pending.duration += report.duration
        if report.when in ("teardown", "???"):
            decision = self._finish_check(run)
            report.user_properties.extend(
                (self.mask(name), self.mask(value))
                for name, value in junit_properties(decision, self.mask)
            )

    def _finish_check(self, run: tuple[str, str]) -> CheckDecision:
        nodeid = run[0]
        pending = self._pending.pop(run)
        decision = self._decide(build_record(nodeid, pending.parts, pending.duration))
        # Every worker runs every check under --dist each: the check is decided by its
        # worst worker, so a pass that arrives last never hides a failure on another. On
        # one worker the last run stands (pytest's own outcome after a rerun).
        runs = self._runs.setdefault(nodeid, {})
        runs[run[1]] = decision
        self._decisions[nodeid] = max(runs.values(), key=_rank)
        return decision

    def _decide(self, record: CheckRecord) -> CheckDecision:
        """The record's decision; a declared check's record carries its config hash
        (compared with the baseline's, and kept in the verdict file for the next run)."""
        check_id = record.id.split("@", 1)[0]
        index = self._specs.get(check_id)
        if index is not None and self.config.checks[index].type == record.type:
            record = replace(record, config_hash=self._check_hash(check_id))
        return decide_check(record, self.config.rules, self.baseline)

    def _check_hash(self, check_id: str) -> str:
        if check_id not in self._hashes:
            written = self.config.written[self._specs[check_id]]
            self._hashes[check_id] = check_hash(written, self.mask)
        return self._hashes[check_id]

    def collection_failed(self, report: pytest.CollectReport) -> None:
        """A file or class that could not be collected: its checks were never seen, so the
        gate did not verify everything it was given. An ``error``, never a GO."""
        nodeid = report.nodeid or "(collection)"
        reason = self.mask(
            f"collection error: {collection_reason(report)} (the checks in it did not run)"
        )
        part = {
            "id": nodeid,
            "type": CUSTOM_TYPE,
            "phases": [],
            "phase_outcome": "error",
            "reason": reason,
            "error_kind": "collection",
            "when": "setup",
        }
        self._expected.setdefault(nodeid, part)
        self._decisions[nodeid] = self._decide(build_record(nodeid, [part], 0.0))

    def collection_skipped(self, report: pytest.CollectReport) -> None:
        """A file skipped as a whole (``pytest.importorskip`` at its top): its checks did
        not run. A skipped check (no decision, as SPEC says of skips), so that the counts
        and the verdict file show it instead of leaving it out."""
        nodeid = report.nodeid or "(collection)"
        longrepr = report.longrepr
        why = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr or "")
        part = {
            "id": nodeid,
            "type": CUSTOM_TYPE,
            "phases": [],
            "phase_outcome": "skipped",
            "reason": self.mask(f"{why.removeprefix('Skipped: ')} (the checks in it did not run)"),
            "when": "setup",
        }
        self._expected.setdefault(nodeid, part)
        self._decisions[nodeid] = decide_check(build_record(nodeid, [part], 0.0), self.config.rules)

    def decision_for(self, nodeid: str) -> CheckDecision | None:
        return self._decisions.get(nodeid)

    def finish(self, pytest_exit: int, markexpr: str, *, checked: bool = True) -> GateResult:
        """Decide once: every expected check has a decision, missing ones are errors.

        ``checked`` is False when pytest ran fixtures but no check (``--setup-only``,
        ``--setup-plan``): then nothing was verified, and the verdict is INCOMPLETE.
        """
        if not checked:
            self._pending.clear()
            self._expected.clear()
            self._decisions.clear()
        for key, pending in list(self._pending.items()):
            # Its teardown never came: the run stopped while this check ran. Whatever its
            # earlier phases said, it did not finish, so it did not pass.
            reason = (
                "interrupted while this check ran"
                if pytest_exit == 2
                else "no complete result (the run stopped while this check ran)"
            )
            meta = pending.parts[0] if pending.parts else self._expected.get(key[0], {})
            pending.parts.append(
                {
                    **meta,
                    "when": "teardown",
                    "phase_outcome": "error",
                    "reason": reason,
                    "error_kind": "missing",
                }
            )
            self._finish_check(key)
        for nodeid, meta in self._expected.items():
            if nodeid not in self._decisions:
                reason = (
                    "not run: the session was interrupted"
                    if pytest_exit == 2
                    else "no result arrived for this check (the run stopped early or a worker died)"
                )
                part = {**meta, "phase_outcome": "error", "reason": reason, "error_kind": "missing"}
                self._decisions[nodeid] = self._decide(build_record(nodeid, [part], 0.0))
        # Collection order, not the order results arrived in: the same with and without xdist.
        order = {nodeid: index for index, nodeid in enumerate(self._expected)}
        checks = tuple(
            sorted(
                self._decisions.values(),
                key=lambda d: order.get(d.record.nodeid, len(order)),
            )
        )
        self.result = conclude(
            checks,
            pytest_exit=pytest_exit,
            target=self.target.name,
            phases=phases_run([c.record for c in checks], markexpr),
            started_at=self.started_at,
            finished_at=now_iso(),
            expected_version=self.target.expected_version or None,
            config_hash=config_hash(self.config, self.mask),
        )
        return self.result


def _xfailed(call: pytest.CallInfo[None], why: str) -> tuple[str, str, str]:
    """An xfail marker (or ``pytest.xfail``) turned a check that did not pass into a skip:
    to the gate it is a known failure (``failed``, at most ``investigate``: KNOWN_FAILURE),
    not a check left out. An exception other than a failed assertion under it is an error:
    xfail speaks of what the test asserts, not of a target that could not be reached."""
    exc = call.excinfo.value if call.excinfo is not None else None
    if exc is not None and not isinstance(exc, (AssertionError, pytest.fail.Exception)):
        mapped = classify(exc)
        return "error", str(mapped), mapped.kind
    known = (
        f"expected to fail (xfail: {why.removeprefix('reason: ')})"
        if why
        else "expected to fail (xfail)"
    )
    message = "" if isinstance(exc, pytest.xfail.Exception) or exc is None else one_line(str(exc))
    return "failed", f"{known}: {message}" if message else known, KNOWN_FAILURE


class MaskedRepr:
    """A failure representation whose rendering has secrets replaced.

    pytest renders ``toterminal``; junitxml and pytest-html read ``str()`` and
    ``reprcrash.message``; pytest-xdist serializes it as its ``str()``.
    """

    def __init__(self, inner: Any, mask: Masker) -> None:
        # str() of pytest's representations renders them as the terminal would.
        self.text = mask(str(inner).rstrip("\n"))
        crash = getattr(inner, "reprcrash", None)
        self.reprcrash = (
            _Crash(crash.path, crash.lineno, mask(crash.message)) if crash is not None else None
        )

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line, red=line.startswith("E "))

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Crash:
    path: str
    lineno: int
    message: str


def _worker_of(report: pytest.TestReport) -> str:
    """The xdist worker a report came from ("" without xdist)."""
    node = getattr(report, "node", None)
    return str(getattr(getattr(node, "gateway", None), "id", "") or "")


def _rank(decision: CheckDecision) -> int:
    """How bad a decision is; a skipped run (no decision) is the least."""
    return -1 if decision.decision is None else RANK[decision.decision]


def declared_check(item: pytest.Item) -> CheckInstance | None:
    """The declared check a built-in suite item runs, or None for a team-written test."""
    callspec = getattr(item, "callspec", None)
    instance = callspec.params.get("deploygate_check") if callspec is not None else None
    return instance if isinstance(instance, CheckInstance) else None


def _new_results(item: pytest.Item) -> dict[str, Any]:
    """The item's measurements, findings and probe duration, if its earlier reports did
    not carry them as they are now (a fixture may still measure while tearing down; the
    last measurements sent are the ones that count, see ``build_record``)."""
    measured = item.stash.get(MEASUREMENTS_KEY, [])
    found = item.stash.get(FINDINGS_KEY, {})
    probed = item.stash.get(PROBE_DURATION_KEY, None)
    now = (len(measured), tuple(found.items()), probed)
    if item.stash.get(_SENT_KEY, (0, (), None)) == now:
        return {}
    item.stash[_SENT_KEY] = now
    results: dict[str, Any] = {"measurements": [m.to_dict() for m in measured]}
    if found:
        results["findings"] = dict(found)
    if probed is not None:
        results["duration_s"] = probed
    return results


def instance_meta(instance: CheckInstance) -> dict[str, Any]:
    spec = instance.spec
    return {
        "id": instance.key,
        "type": spec.type,
        "phases": list(spec.phases),
        "on_fail": spec.on_fail,
        "on_error": spec.on_error,
        "description": spec.description,
        "expects": list(BY_NAME[spec.type].expects(spec)),
    }


def check_meta(item: pytest.Item) -> dict[str, Any]:
    """id, type, phases and decisions of a test item, as builtins."""
    instance = declared_check(item)
    if instance is not None:
        return instance_meta(instance)
    marker = item.get_closest_marker("deploygate")
    options = dict(marker.kwargs) if marker is not None else {}
    return {
        "id": str(options.get("id") or item.nodeid),
        "type": str(options.get("type") or CUSTOM_TYPE),
        "phases": [p for p in PHASES if item.get_closest_marker(p) is not None],
        "on_fail": str(options.get("on_fail", "rollback")),
        "on_error": str(options.get("on_error", "rollback")),
        "description": str(options.get("description") or _doc_line(item)),
    }


MARKER_KEYS = ("on_fail", "on_error", "id", "type", "description")
_CHECK_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def marker_problem(item: pytest.Item) -> str | None:
    """What is wrong with a team test's ``deploygate`` marker, in one sentence, or None."""
    marker = item.get_closest_marker("deploygate")
    if marker is None:
        return None
    where = f"{item.nodeid}: @pytest.mark.deploygate"
    if marker.args:
        return f"{where} takes keywords only ({', '.join(MARKER_KEYS)}), not {marker.args!r}."
    for key, value in marker.kwargs.items():
        if key not in MARKER_KEYS:
            near = difflib.get_close_matches(key, MARKER_KEYS, n=1)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            return f"{where}: unknown keyword {key!r}.{hint} Known: {', '.join(MARKER_KEYS)}."
        if key in ("on_fail", "on_error") and value not in DECISIONS:
            near = difflib.get_close_matches(str(value), DECISIONS, n=1)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            return f"{where}: {key}={value!r} is not one of {', '.join(DECISIONS)}.{hint}"
        if key == "id" and not (isinstance(value, str) and _CHECK_ID.match(value)):
            return f"{where}: id={value!r} must be made of letters, digits, '-', '_' and '.'."
    return None


def beyond_threshold(measured: list[Measurement]) -> str:
    """Why a team test's measurements say it did not pass, or "": the first one outside
    the threshold it was recorded with."""
    for m in measured:
        if m.broken and m.threshold is not None:
            bound = m.bound or "max"
            side = {"max": "above", "min": "below"}.get(bound, "not equal to")
            return (
                f"{m.name} {format_value(m.value, m.unit)} is {side} its threshold "
                f"({bound} {format_value(m.threshold, m.unit)})"
            )
    return ""


def build_record(nodeid: str, parts: list[dict[str, Any]], duration: float) -> CheckRecord:
    """Combine the phase reports of one check: the first phase that did not pass decides."""
    ordered = sorted(
        parts, key=lambda p: _PHASE_ORDER.index(p["when"]) if p.get("when") in _PHASE_ORDER else 3
    )
    decisive = next((p for p in ordered if p.get("phase_outcome") != "passed"), None)
    meta = ordered[0] if ordered else {}
    probed = next((p["duration_s"] for p in ordered if "duration_s" in p), None)
    measured: list[dict[str, Any]] = next(
        (p["measurements"] for p in reversed(ordered) if p.get("measurements")), []
    )
    found: dict[str, Any] = next((p["findings"] for p in ordered if p.get("findings")), {})
    return CheckRecord(
        id=str(meta.get("id") or nodeid),
        nodeid=nodeid,
        type=str(meta.get("type") or CUSTOM_TYPE),
        phases=tuple(meta.get("phases") or ()),
        outcome=decisive["phase_outcome"] if decisive else "passed",
        reason=str(decisive.get("reason", "")) if decisive else "",
        duration_s=round(duration if probed is None else float(probed), 6),
        measurements=tuple(Measurement.from_dict(m) for m in measured),
        on_fail=str(meta.get("on_fail", "rollback")),
        on_error=str(meta.get("on_error", "rollback")),
        error_kind=str(decisive.get("error_kind", "")) if decisive else "",
        description=str(meta.get("description", "")),
        findings=tuple((str(k), str(v)) for k, v in found.items()),
        expects=tuple(str(name) for name in meta.get("expects") or ()),
    )


def collection_reason(report: pytest.CollectReport) -> str:
    """The error of a failed collection in one line: pytest's last ``E`` line, which
    names the exception (``SyntaxError: ...``), else the first line."""
    text = str(report.longrepr or "")
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return one_line(errors[-1]) if errors else one_line(text) or "could not be collected"


def junit_properties(decision: CheckDecision, mask: Masker) -> list[tuple[str, str]]:
    record = decision.record
    props = [
        ("deploygate.check", record.id),
        ("deploygate.outcome", record.outcome),
        ("deploygate.decision", decision.decision or "none"),
    ]
    if decision.reason:
        props.append(("deploygate.reason", mask(decision.reason)))
    for m in record.measurements:
        limit = (
            ""
            if m.threshold is None
            else f" {m.bound or 'max'} {format_value(m.threshold, m.unit)}"
        )
        props.append(
            (f"deploygate.measurement.{m.name}", f"{format_value(m.value, m.unit)}{limit}")
        )
    for fired in decision.fired:
        props.append(("deploygate.rule", fired.text))
    return props


def phases_run(records: list[CheckRecord], markexpr: str) -> tuple[str, ...]:
    """The phase markers that ran: those of the checks that ran, narrowed to the phases
    the ``-m`` expression names (a check may belong to more phases than were asked for)."""
    present = {p for r in records if r.outcome != "skipped" for p in r.phases}
    words = re.findall(r"(not\s+)?\b([A-Za-z_]+)\b", markexpr or "")
    named = {w for neg, w in words if not neg and w in PHASES}
    excluded = {w for neg, w in words if neg and w in PHASES}
    chosen = (present & named) if named else present - excluded
    return tuple(p for p in PHASES if p in chosen)


def _doc_line(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "obj", None), "__doc__", None)
    return one_line(doc) if doc else ""
