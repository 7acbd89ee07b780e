"""The gate's wiring into pytest: building the gate for a target and the hooks that run it.

Activated by ``plugin.pytest_configure`` only when ``--target`` is given.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Generator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

# ``import a.b as c``, not ``from a import b``: the latter reuses a stale package attribute
# when pytester has dropped the module from sys.modules between in-process runs.
import pytest_deploygate.fixtures as fixtures
import pytest_deploygate.host_fixture as host_fixture
import pytest_deploygate.suites as builtin_suites  # type: ignore[import-not-found, unused-ignore]
from pytest_deploygate.baseline import NONE_GIVEN, Baseline, read_baseline
from pytest_deploygate.config import (
    CONFIG_FILE,
    DEMO_TARGET,
    GateConfig,
    config_above,
    display_path,
    find_config,
    load,
    read_file,
)
from pytest_deploygate.decision import EXIT_INTERNAL, GO, GateResult
from pytest_deploygate.distribute import (
    HOSTS_KEY,
    SHARE_KEY,
    SHARES_KEY,
    controller_hosts,
    one_process,
    partition,
    share_concurrency,
    stay_in_one_process,
    uses_shares,
    worker_share,
)
from pytest_deploygate.environment import CHANGES_KEY, started_environ, startup_changes
from pytest_deploygate.errors import ConfigError, one_line
from pytest_deploygate.inventory import expand_hosts
from pytest_deploygate.masking import Masker, passwords_in, secret_values
from pytest_deploygate.names import DEFAULT_CONCURRENCY, SUITE_NODE_PREFIX
from pytest_deploygate.plugin import is_xdist_worker, setting
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.report_files import prepare as prepare_report
from pytest_deploygate.report_files import remove_partial, report_paths
from pytest_deploygate.reporters.progress import progress_line, rule_watch
from pytest_deploygate.reporters.terminal import verdict_lines
from pytest_deploygate.reporters.verdict_json import write_verdict
from pytest_deploygate.rule_coverage import describe, unmatched, why_unmatched
from pytest_deploygate.runner import CheckInstance, is_exclusive
from pytest_deploygate.session import GateSession, check_meta, declared_check, marker_problem
from pytest_deploygate.signals import stop_on_sigterm, terminate
from pytest_deploygate.stash import GATE_KEY
from pytest_deploygate.units import parse_duration, plural
from pytest_deploygate.windows import check_windows

SUITES_DIR = Path(builtin_suites.__file__).parent
# Progress lines while a window runs: about this many per window, at most one every
# PROGRESS_EVERY_S seconds.
PROGRESS_LINES = 10
PROGRESS_EVERY_S = 2.0
DEMO_CONFIG_ENV = "DEPLOYGATE_DEMO_CONFIG"
# The demo's last good deploy, in its work directory: its baseline unless --baseline.
DEMO_BASELINE_FILE = "demo-baseline.json"
DEMO_BASELINE_NAME = "the demo's last good deploy"


def activate(config: pytest.Config, name: str) -> None:
    """Build the gate for target ``name`` and wire it into pytest's hooks."""
    restore = stop_on_sigterm()
    if restore is not None:
        config.add_cleanup(restore)
    try:
        controller = not is_xdist_worker(config)
        verdict_file = _verdict_file(config) if controller else None
        save_file = _save_baseline_file(config) if controller else None
        reports = report_paths(config) if controller else {}
        gate = _build_gate(config, name)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[GATE_KEY] = gate
    config.pluginmanager.register(fixtures, "deploygate-fixtures")
    # Registered after testinfra's plugin: our ``host`` (parametrized over the target's
    # hosts) is the one team-written checks get.
    config.pluginmanager.register(host_fixture, "deploygate-host")
    config.pluginmanager.register(
        GatePlugin(gate, verdict_file, reports, save_baseline=save_file), "deploygate-gate"
    )
    if config.getoption("htmlpath", None):
        # Imported only for a run that writes pytest-html's report.
        import pytest_deploygate.reporters.html as html_report

        html_report.register(config, gate)
    team_tests = _collect_builtin_suites(config, gate.config)
    if config.pluginmanager.hasplugin("xdist"):
        why = one_process(config, team_tests=team_tests) if controller else None
        if why:
            stay_in_one_process(config)
            gate.header_lines.append(why)
        config.pluginmanager.register(
            XdistPlugin(gate, shares=uses_shares(config)), "deploygate-xdist"
        )


def _verdict_file(config: pytest.Config) -> Path | None:
    """``--verdict-json``, checked before anything runs; a verdict file left from an
    earlier run is removed, so a run that stops early never leaves an old GO behind."""
    value = setting(config, "deploygate_verdict_json")
    return prepare_report(config.invocation_params.dir, value, "--verdict-json") if value else None


def _save_baseline_file(config: pytest.Config) -> Path | None:
    """``--save-baseline``, checked before anything runs; unlike the verdict file, the
    previous record stays until a GO replaces it."""
    value = setting(config, "deploygate_save_baseline")
    if not value:
        return None
    return prepare_report(config.invocation_params.dir, value, "--save-baseline", remove=False)


def _baseline(config: pytest.Config, target: str, demo: Path | None = None) -> Baseline:
    """``--baseline``, read once here; whatever is wrong with it is the baseline's
    ``problem``, which the relative rules report (never a usage error: a CI cache that
    has no record yet must not stop the gate). The demo brings its own."""
    value = setting(config, "deploygate_baseline")
    if not value:
        return NONE_GIVEN if demo is None else read_baseline(demo, DEMO_BASELINE_NAME, target)
    return read_baseline(config.invocation_params.dir / value, value, target)


# pytest's options that pick which tests run from the results of the previous run.
_RERUN_OPTIONS = (("lf", "--lf"), ("stepwise", "--sw"), ("stepwise_skip", "--sw-skip"))


def _refuse_reruns(config: pytest.Config) -> None:
    """``--lf`` after a ROLLBACK runs only the checks that failed, and their GO would read
    as the deployment's; ``--sw`` leaves out the checks before the last failure. A gate
    runs the checks it is asked for, never those a cache file picks."""
    for dest, flag in _RERUN_OPTIONS:
        if getattr(config.option, dest, False):
            raise ConfigError(
                f"{flag} would pick checks from the results of the previous run (in "
                ".pytest_cache), and the verdict would cover only those.",
                source=flag,
                fix="run the gate without it; to rerun chosen checks, name them with -k "
                "(the verdict then covers those alone).",
            )


def _build_gate(config: pytest.Config, name: str) -> GateSession:
    _refuse_reruns(config)
    invocation = config.invocation_params.dir
    path = find_config(setting(config, "deploygate_config"), invocation, config.rootpath)
    data: dict[str, Any] | None = read_file(path, display_path(path, invocation)) if path else None
    faults = tuple(config.getoption("deploygate_demo_faults") or ())
    lines: list[str] = []
    demo_baseline: Path | None = None
    if name == DEMO_TARGET and (data is None or DEMO_TARGET not in data.get("targets", {})):
        data, base_dir, source, lines = _demo_config(config, faults)
        demo_baseline = base_dir / DEMO_BASELINE_FILE
    elif data is None or path is None:
        raise _no_config(name, invocation)
    else:
        base_dir, source = path.parent, display_path(path, invocation)
        if faults:
            raise ConfigError(
                "--demo-fault only applies to the built-in demo target.",
                source="--demo-fault",
                fix="remove it, or run with --target demo.",
            )
    # ${VAR} from the environment the gate was started with: a default that a conftest.py
    # gives the unit tests (their own database) is not where the deployment is.
    environ = started_environ(config)
    gate_config = load(data, source=source, base_dir=base_dir, target=name, environ=environ)
    gate_config = _with_fleets(config, gate_config)
    _refuse_paths_without_tests(config.getini("python_files"), gate_config)
    check_windows(gate_config.checks, gate_config.rules, _observe(config), source)
    warnings = [] if is_xdist_worker(config) else _dead_rules(config, gate_config, source)
    masker = _masker(gate_config, data, environ)
    gate = GateSession(
        gate_config,
        masker,
        observe=_observe(config),
        concurrency=_worker_concurrency(config, _concurrency(config, gate_config)),
        is_worker=is_xdist_worker(config),
        # The controller decides: a worker needs no baseline.
        baseline=NONE_GIVEN if is_xdist_worker(config) else _baseline(config, name, demo_baseline),
        abort_on_rollback=bool(
            config.getoption("deploygate_abort_on_rollback")
            or config.getini("deploygate_abort_on_rollback")
        ),
        environ=environ,
    )
    gate.header_lines = [masker(line) for line in lines]
    gate.warnings = [masker(line) for line in warnings]
    return gate


def _no_config(name: str, invocation: Path) -> ConfigError:
    """No config here; one in a directory above is named, with the option that reads it."""
    found = f"no config found for target {name!r}: no deploygate.toml in {invocation} and no "
    found += "[tool.deploygate] in a pyproject.toml up to the rootdir."
    above = config_above(invocation)
    if above is not None:
        shown = os.path.relpath(above, invocation)
        return ConfigError(
            f"{found} There is a {CONFIG_FILE} in a directory above, at {shown}: the gate "
            "reads only the one in the directory pytest runs in.",
            source="--target",
            fix=f"run pytest in {above.parent}, or pass --deploygate-config {shown}.",
        )
    return ConfigError(
        found,
        source="--target",
        fix="write a deploygate.toml (see docs/config.md), pass --deploygate-config PATH, "
        "or try the built-in target with --target demo.",
    )


def _dead_rules(config: pytest.Config, gate_config: GateConfig, source: str) -> list[str]:
    """A rule row no declared check can fire is a typo that would pass forever: a config
    error; a warning (in the banner) when team checks could still produce its measurement."""
    dead = unmatched(gate_config)
    if not dead:
        return []
    if not gate_config.paths and config.args_source != pytest.Config.ArgsSource.ARGS:
        index, rule = dead[0]
        raise ConfigError(
            f"{describe(index, rule)} {why_unmatched(gate_config, rule)}",
            source=source,
            key=f"decision.rules[{index}]",
            fix="correct the measurement or check name (globs allowed); a team check's "
            "measurements count when the config lists its paths.",
        )
    return [
        f"warning: {describe(index, rule)} matches no measurement of a declared check: "
        "only a team check can fire it; check its spelling"
        for index, rule in dead
    ]


# Files in a paths directory that are not meant to hold checks.
_NOT_CHECKS = ("__init__.py", "conftest.py")


def _refuse_paths_without_tests(python_files: list[str], gate_config: GateConfig) -> None:
    """A ``paths`` directory none of whose files pytest collects (``smoke_checks.py``
    under the default ``test_*.py``) would add no check, and the gate would say GO on the
    declared ones alone: a config error. A file given by name is always collected."""
    for index, path in enumerate(gate_config.paths):
        seen = _files_until_collected(path, python_files) if path.is_dir() else None
        if seen is None:
            continue
        modules = sorted(n for n in seen if n.endswith(".py") and n not in _NOT_CHECKS)
        not_one = f"; {modules[0]} is not one" if modules else ""
        raise ConfigError(
            f"{os.path.relpath(path, gate_config.base_dir)!r} holds no file pytest collects "
            f"(python_files: {' '.join(python_files)}{not_one}).",
            source=gate_config.source,
            key=f"paths[{index}]",
            fix="name the check files test_*.py, or set python_files in the pytest "
            "configuration to match them.",
        )


def _files_until_collected(directory: Path, python_files: list[str]) -> list[str] | None:
    """The names of the files under ``directory``, or None as soon as one is a file pytest
    collects (a paths entry of "." may hold a whole virtualenv)."""
    seen: list[str] = []
    for _, _, files in os.walk(directory):
        if any(fnmatch(name, pattern) for name in files for pattern in python_files):
            return None
        seen.extend(files)
    return seen


def _with_fleets(config: pytest.Config, gate_config: GateConfig) -> GateConfig:
    """``ansible://GROUP`` hosts expanded into the inventory's hosts (``inventory``)."""
    target = gate_config.target
    hosts = controller_hosts(config)
    if hosts is None:
        inventory = target.ansible_inventory
        hosts = expand_hosts(
            target.hosts,
            None if inventory is None else gate_config.base_dir / inventory.expanduser(),
            source=gate_config.source,
            key=f"targets.{target.name}.hosts",
        )
    if hosts == target.hosts:
        return gate_config
    return dataclasses.replace(gate_config, target=target.model_copy(update={"hosts": hosts}))


def _masker(gate_config: GateConfig, data: dict[str, Any], environ: dict[str, str]) -> Masker:
    # Both environments: the config's ${VAR}s come from the one the gate was started with,
    # and a conftest.py may have put another value under the same name since.
    names = gate_config.secret_names
    secrets = secret_values(os.environ, names) | secret_values(environ, names)
    secrets |= set(gate_config.secrets)
    secrets |= passwords_in(json.dumps(gate_config.target.model_dump(mode="json")))
    secrets |= passwords_in(json.dumps(data, default=str))
    # The checks as loaded: a password from a ${VAR} is in them, not in the raw file.
    checks = [check.model_dump(mode="json") for check in gate_config.checks]
    secrets |= passwords_in(json.dumps(checks, default=str))
    secrets |= {value for check in gate_config.checks for value in check.secret_values()}
    return Masker(secrets)


def _observe(config: pytest.Config) -> float | None:
    value = setting(config, "deploygate_observe")
    if value is None:
        return None
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise ConfigError(
            str(exc) + ".", source="--observe", fix="write e.g. --observe 5m."
        ) from None
    if seconds <= 0:
        # Read as "no --observe", it would turn every window off while the run was asked
        # to watch.
        raise ConfigError(
            f"must be longer than 0s, got {value!r}: a zero observation watches nothing.",
            source="--observe",
            fix="write e.g. --observe 5m, or leave --observe out to check once.",
        )
    return seconds


def _concurrency(config: pytest.Config, gate_config: GateConfig) -> int:
    value = setting(config, "deploygate_concurrency")
    if value is None:
        return gate_config.concurrency or DEFAULT_CONCURRENCY
    if not value.isdigit() or not 1 <= int(value) <= 1024:
        raise ConfigError(
            f"expected a whole number from 1 to 1024, got {value!r}.",
            source="--deploygate-concurrency",
            fix="write e.g. --deploygate-concurrency 16.",
        )
    return int(value)


def _worker_concurrency(config: pytest.Config, total: int) -> int:
    """Under xdist each worker probes its part of the gate's concurrency."""
    share = worker_share(config)
    return total if share is None else share_concurrency(total, *share)


def _demo_config(
    config: pytest.Config, faults: tuple[str, ...]
) -> tuple[dict[str, Any], Path, str, list[str]]:
    """The built-in demo: a worker reuses what the controller started."""
    shared = os.environ.get(DEMO_CONFIG_ENV)
    if shared and is_xdist_worker(config):
        data = json.loads(Path(shared).read_text(encoding="utf-8"))
        return data["config"], Path(data["base_dir"]), "built-in demo target", []
    try:
        from pytest_deploygate.demo import FAULTS, start_demo
    except ImportError:
        raise ConfigError(
            "the built-in demo target is not available in this installation.",
            source="--target demo",
        ) from None
    unknown = sorted(set(faults) - set(FAULTS))
    if unknown:
        raise ConfigError(
            f"unknown demo fault {', '.join(unknown)}; known faults: {', '.join(sorted(FAULTS))}.",
            source="--demo-fault",
            fix="pick faults from docs/demo.md.",
        )
    workdir = Path(tempfile.mkdtemp(prefix="deploygate-demo-"))
    demo = start_demo(frozenset(faults), workdir)
    config.add_cleanup(demo.stop)
    (workdir / DEMO_BASELINE_FILE).write_text(json.dumps(demo.baseline), encoding="utf-8")
    shared_file = workdir / "demo-config.json"
    shared_file.write_text(
        json.dumps({"config": demo.config, "base_dir": str(workdir)}), encoding="utf-8"
    )
    # pytest-xdist workers inherit the environment: they use this demo, not one of their own.
    os.environ[DEMO_CONFIG_ENV] = str(shared_file)
    config.add_cleanup(lambda: _forget(DEMO_CONFIG_ENV))
    return demo.config, workdir, "built-in demo target", list(demo.lines)


def _forget(name: str) -> None:
    os.environ.pop(name, None)


def _collect_builtin_suites(config: pytest.Config, gate_config: GateConfig) -> bool:
    """With no path arguments, the gate collects its suites and the config's ``paths``,
    nothing else (not the repo's testpaths); with path arguments, those plus the suites.
    Whether the run may collect team-written tests: path arguments or ``paths``."""
    extra = [str(SUITES_DIR), *(str(p) for p in gate_config.paths)]
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = extra
        return bool(gate_config.paths)
    present = {os.path.realpath(a.split("::")[0]) for a in config.args}
    config.args.extend(a for a in extra[:1] if os.path.realpath(a) not in present)
    return True


class GatePlugin:
    """Hooks active when ``--target`` is given."""

    def __init__(
        self,
        gate: GateSession,
        verdict_file: Path | None,
        reports: dict[str, Path],
        *,
        save_baseline: Path | None = None,
    ) -> None:
        self.gate = gate
        self.verdict_file = verdict_file
        self.reports = reports
        self.save_baseline = save_baseline
        self._notes: list[str] = []
        self._verdict_error = ""
        # (flag, path, why) of every report that could not be written.
        self._unwritten: list[tuple[str, str, str]] = []
        self._record_factory: Callable[..., logging.LogRecord] | None = None
        # Misused deploygate_suite markers, reported together once collection is done.
        self._bad_suites: list[str] = []
        self._next_progress = 0.0
        self._abort_shown = False

    # -- configure / header ------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        self._mask_log_records()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.gate.close()
        if self._record_factory is not None:
            logging.setLogRecordFactory(self._record_factory)

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        gate_config = self.gate.config
        lines = [
            f"deploygate: target {self.gate.target.name} from {gate_config.source}; "
            f"{plural(len(gate_config.checks), 'declared check')}, "
            f"{plural(len(gate_config.rules), 'decision rule')}"
        ]
        if any(rule.relative for rule in gate_config.rules):
            lines.append(f"deploygate: {self.gate.baseline.describe()}")
        return lines + [f"deploygate: {line}" for line in getattr(self.gate, "header_lines", [])]

    def _mask_log_records(self) -> None:
        """Captured and live logs: a record's message is masked when it is formatted."""
        previous = logging.getLogRecordFactory()
        mask = self.gate.mask

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            message = mask(record.getMessage())
            record.msg, record.args = message, None
            return record

        self._record_factory = previous
        logging.setLogRecordFactory(factory)

    # -- collection ----------------------------------------------------------------------

    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        """Built-in suites of check types the config does not use are not collected."""
        if collection_path.parent != SUITES_DIR or collection_path.suffix != ".py":
            return None
        name = collection_path.stem
        if not name.startswith("test_"):
            return None
        return name.removeprefix("test_") not in self.gate.config.types or None

    def pytest_make_parametrize_id(self, val: object, argname: str) -> str | None:
        """A team test parametrized with a secret does not show it in its test id."""
        if isinstance(val, str) and self.gate.mask(val) != val:
            return self.gate.mask(val)
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(
        self, module_path: Path, parent: pytest.Collector
    ) -> pytest.Module | None:
        """Built-in suites get node ids that do not depend on where the package is
        installed (``deploygate/test_http.py::test_http[health]``, not a site-packages path)."""
        if module_path.parent != SUITES_DIR:
            return None
        nodeid = f"{SUITE_NODE_PREFIX}/{module_path.name}"
        module: pytest.Module = pytest.Module.from_parent(parent, path=module_path, nodeid=nodeid)
        return module

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "deploygate_check" not in metafunc.fixturenames:
            return
        marker = metafunc.definition.get_closest_marker("deploygate_suite")
        if marker is None:
            return
        type_name = marker.args[0] if len(marker.args) == 1 else None
        if not isinstance(type_name, str) or type_name not in BY_NAME:
            # A UsageError raised here would become a collection error with a traceback.
            given = ", ".join(repr(a) for a in marker.args) or "no argument"
            self._bad_suites.append(f"{metafunc.definition.nodeid} ({given})")
            return
        params = [
            pytest.param(
                check, id=check.key, marks=[getattr(pytest.mark, p) for p in check.spec.phases]
            )
            for check in self.gate.instances_of(type_name)
        ]
        metafunc.parametrize("deploygate_check", params, indirect=True)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # A typo in a team test's marker must stop the gate before it checks anything:
        # guessing its weight in the verdict would be worse.
        problems = [p for p in map(marker_problem, items) if p]
        if problems:
            more = f" ({len(problems) - 1} more like it.)" if len(problems) > 1 else ""
            raise pytest.UsageError(problems[0] + more)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self._bad_suites:
            raise pytest.UsageError(
                "@pytest.mark.deploygate_suite(TYPE) takes one known check type; it does not "
                f"on {'; '.join(self._bad_suites)}. Known check types: "
                f"{', '.join(sorted(BY_NAME))}. Fix: pass one of them to the marker."
            )
        for item in session.items:
            self.gate.expect(item.nodeid, check_meta(item))

    # -- running -------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        # Probe ahead on a bounded pool; items still report in collection order.
        # Not in an xdist worker: it only runs the items the controller sends it. Not
        # after collection errors: pytest's own run loop then stops with "Interrupted"
        # (unless --continue-on-collection-errors), and this wrapper runs before it.
        collection_failed = (
            session.testsfailed and not session.config.option.continue_on_collection_errors
        )
        if not collection_failed and _tests_are_called(session.config):
            if not self.gate.is_worker:
                self.gate.runner.on_wait = lambda: self._show_progress(session.config)
            self.gate.runner.prefetch(_checks_ahead(self.gate, session))
        return (yield)

    def _show_progress(self, config: pytest.Config) -> None:
        """While an item waits for a window: a line now and then, so a person watching a
        15-minute window knows it is alive and how it goes."""
        progress = self.gate.runner.period.progress()
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if progress is None or reporter is None:
            return
        if progress.aborted and not self._abort_shown:
            self._abort_shown = True
            reporter.write_line(
                f"deploygate: stopped observing early (--abort-on-rollback): {progress.aborted}",
                red=True,
            )
        now = time.monotonic()
        if not progress.sampling or now < self._next_progress:
            return
        self._next_progress = now + max(PROGRESS_EVERY_S, progress.total / PROGRESS_LINES)
        rules = self.gate.config.rules
        notes = [(key, rule_watch(key, ms, rules)) for key, ms in list(self.gate.watching.items())]
        reporter.write_line(self.gate.mask(progress_line(progress, notes)))

    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        # An xdist worker probed its share at collection; items it learns one by one
        # (another worker's share after a crash, other --dist modes): start the next one's
        # probe while this one runs (the runner starts no exclusive check ahead, and runs
        # one only once the others are done).
        if self.gate.is_worker and nextitem is not None and _tests_are_called(item.config):
            check = declared_check(nextitem)
            if check is not None:
                self.gate.runner.prefetch([check])

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        self.gate.annotate(item, call, report)
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        self.gate.mask_report(report)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.gate.is_worker:
            self.gate.on_report(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # Under xdist the controller gets the workers' failed collections here too.
        if report.failed and not self.gate.is_worker:
            self.gate.collection_failed(report)
        elif report.skipped and not self.gate.is_worker:
            self.gate.collection_skipped(report)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[None, None, None]:
        if self.gate.is_worker:
            # xdist ends a worker soon after it reports that it finished, maybe before
            # pytest_unconfigure: close its ssh masters now, or they outlive the run.
            self.gate.close()
            return (yield)
        if session.config.option.collectonly:
            return (yield)
        markexpr = str(session.config.getoption("markexpr", "") or "")
        option = session.config.option
        checked = not (option.setuponly or option.setupplan)
        result = self.gate.finish(int(session.exitstatus), markexpr, checked=checked)
        self._notes = _notes(self.gate, result, markexpr, self.save_baseline)
        try:
            return (yield)
        except OSError as exc:
            # pytest's junitxml or pytest-html could not write (a full disk): one line and
            # exit 3, not a traceback after a banner that said GO.
            remove_partial(self.reports)
            written = ", ".join(f"{flag} {path}" for flag, path in self.reports.items())
            self._failed(
                f"could not write the reports ({written or 'a report'}): {_why(exc)}",
                tuple((flag, str(path), _why(exc)) for flag, path in self.reports.items()),
                result,
            )
            return None
        finally:
            # The verdict file last, so it tells the exit code the run ends with: a report
            # that could not be written makes it 3 there too, not GO with exit code 0.
            self._write_records(result)
            self._write_banner(session)
            # The one place the exit status is decided: a CI step that cannot read the
            # verdict file must not go on as if it had one.
            session.exitstatus = EXIT_INTERNAL if self._verdict_error else result.exit_code

    def _write_records(self, result: GateResult) -> None:
        """The baseline record (on GO only: any other verdict keeps the old one), then
        the verdict file, each saying which report could not be written, if one could not."""
        if self.save_baseline is not None and result.verdict == GO:
            self._write(self.save_baseline, "--save-baseline", "the baseline record", result)
        if self.verdict_file is not None:
            self._write(self.verdict_file, "--verdict-json", "the verdict file", result)

    def _write(self, path: Path, flag: str, what: str, result: GateResult) -> None:
        if self._unwritten:
            result = dataclasses.replace(
                result, exit_code=EXIT_INTERNAL, unwritten=tuple(self._unwritten)
            )
        try:
            write_verdict(path, result, self.gate.mask)
        except (OSError, ValueError) as exc:
            self._failed(
                f"could not write {what} {path}: {_why(exc)}",
                ((flag, str(path), _why(exc)),),
                result,
            )

    def _failed(
        self, message: str, unwritten: tuple[tuple[str, str, str], ...], result: GateResult
    ) -> None:
        """A report could not be written: exit code 3, said in the terminal and in the
        verdict file (if that one can still be written)."""
        self._unwritten.extend(unwritten)
        line = (
            f"deploygate: {message}; exit code {EXIT_INTERNAL} instead of "
            f"{self.gate.result.exit_code if self.gate.result else result.exit_code}"
        )
        self._verdict_error = f"{self._verdict_error}\n{line}" if self._verdict_error else line

    def _write_banner(self, session: pytest.Session) -> None:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        result = self.gate.result
        if reporter is None or result is None:
            return
        for line in verdict_lines(result):
            style = {"bold": line.bold, **({line.color: True} if line.color else {})}
            if line.separator:
                reporter.write_sep("=", line.text, **style)
            else:
                reporter.write_line(self.gate.mask(line.text), **style)
        for warning in self.gate.warnings:
            reporter.write_line(f"deploygate: {warning}", yellow=True)
        for note in self._notes:
            reporter.write_line(f"deploygate: {note}")
        if self._verdict_error:
            reporter.write_line(self._verdict_error, red=True, bold=True)


def _notes(gate: GateSession, result: GateResult, markexpr: str, saved: Path | None) -> list[str]:
    """What a newcomer would otherwise wonder about after the banner: why -m ran nothing,
    and whether --save-baseline wrote its record."""
    notes = []
    if markexpr and not result.checks and gate.config.checks:
        phases = sorted({phase for spec in gate.config.checks for phase in spec.phases})
        notes.append(
            f"-m {markexpr!r} selected none of the declared checks; their phases: "
            f"{', '.join(phases)}"
        )
    if saved is not None and result.verdict != GO:
        notes.append(
            f"--save-baseline: {saved.name} not written: the verdict is {result.verdict}, and "
            "only a GO run is a baseline (an earlier record there stays as it was)"
        )
    return notes


def _why(exc: Exception) -> str:
    return one_line(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc)


def _checks_ahead(gate: GateSession, session: pytest.Session) -> list[CheckInstance]:
    """The declared checks this process will run: all of them, or an xdist worker's share
    (``distribute``); none for a worker without a share."""
    if not gate.is_worker:
        return [check for check in map(declared_check, session.items) if check is not None]
    share = worker_share(session.config)
    if share is None:
        return []
    index, shares = share
    nodeids = [item.nodeid for item in session.items]
    mine = partition(nodeids, exclusive_by_nodeid(gate), shares)[index]
    return [check for check in (declared_check(session.items[i]) for i in mine) if check]


def exclusive_by_nodeid(gate: GateSession) -> dict[str, bool]:
    """Node id of every declared check -> whether it runs alone (a load test)."""
    return {nodeid: is_exclusive(check) for nodeid, check in gate.declared_instances().items()}


def _tests_are_called(config: pytest.Config) -> bool:
    """Not under --collect-only, --setup-only or --setup-plan: there probing ahead would
    touch the target for checks whose items never ask for a result."""
    option = config.option
    return not any(
        getattr(option, name, False) for name in ("collectonly", "setuponly", "setupplan")
    )


class XdistPlugin:
    """Under pytest-xdist the controller collects nothing itself: it learns which checks
    to expect from the workers' collections."""

    def __init__(self, gate: GateSession, *, shares: bool) -> None:
        self.gate = gate
        # Whether declared checks are shared out (``distribute``): with xdist's default
        # ``--dist load``, which our scheduling replaces.
        self.shares = shares
        self._shares_given = 0
        self.worker_pids: list[int] = []

    def pytest_configure_node(self, node: Any) -> None:
        """Each of the workers xdist starts first gets a share of the declared checks; a
        worker that replaces a crashed one gets none."""
        node.workerinput[HOSTS_KEY] = list(self.gate.target.hosts)
        # It inherits the environment as this process's conftest.py files left it.
        node.workerinput[CHANGES_KEY] = startup_changes(self.gate.resources.environ, os.environ)
        workers = int(node.workerinput["workercount"])
        if self.shares and self._shares_given < workers:
            node.workerinput[SHARE_KEY] = self._shares_given
            node.workerinput[SHARES_KEY] = workers
            self._shares_given += 1

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if not self.shares:
            return None
        from pytest_deploygate.xdist_scheduling import make_scheduler

        return make_scheduler(config, log, exclusive_by_nodeid(self.gate))

    def pytest_xdist_newgateway(self, gateway: Any) -> None:
        """Learn the process id of each local worker, to stop it when the run is
        interrupted (a worker busy in a check would otherwise finish it first)."""
        spec = gateway.spec
        if not getattr(spec, "popen", False) or getattr(spec, "via", None):
            return  # not a child process of this machine: not ours to signal
        try:
            self.worker_pids.append(
                int(gateway.remote_exec("import os; channel.send(os.getpid())").receive(30))
            )
        except Exception:  # an unusual gateway: it is stopped the way xdist stops it
            return

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # Before xdist's own teardown, which waits up to 10 s for busy workers.
        if session.exitstatus == pytest.ExitCode.INTERRUPTED:
            terminate(self.worker_pids)

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        known = self.gate.declared_meta()
        for nodeid in ids:
            # Metadata from the config, so a check whose worker dies keeps its own
            # type, phases and on_error, as it would without xdist.
            self.gate.expect(nodeid, known.get(nodeid))
