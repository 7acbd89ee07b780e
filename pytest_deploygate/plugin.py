"""pytest-deploygate's composition root: options, markers, and wiring of the gate into
pytest's hooks. The plugin is passive unless ``--target`` is given."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

# Only light imports here: this module is loaded by every pytest run in the environment,
# and without --target it must cost (almost) nothing. The gate lives in gate.py.
from pytest_deploygate.names import DEFAULT_CONCURRENCY, PHASE_DESCRIPTIONS, PHASES
from pytest_deploygate.stash import STARTED_ENVIRON_KEY
from pytest_deploygate.units import DURATION_HELP

TARGET_HELP = "run the deployment gate against target NAME from the config ('demo' is built in)"
CONFIG_HELP = "config file (default: ./deploygate.toml, else [tool.deploygate] in pyproject.toml)"
VERDICT_HELP = "write the machine-readable verdict as JSON to PATH"
OBSERVE_HELP = f"length of the post-deploy observation window, {DURATION_HELP}"
ABORT_HELP = (
    "stop observing as soon as a rollback is certain (a 'for' rule fired at rollback); "
    "every report is still written, with the samples so far"
)
CONCURRENCY_HELP = f"how many declared checks probe at once (default {DEFAULT_CONCURRENCY})"
BASELINE_HELP = (
    "compare relative rules (above_baseline, below_baseline) with the verdict file of an "
    "earlier GO run at PATH"
)
SAVE_BASELINE_HELP = (
    "on GO only, write this run's verdict file to PATH as the next run's baseline "
    "(atomically; any other verdict leaves PATH as it was)"
)
FAULT_HELP = "with --target demo: make the demo misbehave (repeatable; see docs/demo.md)"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("deploygate", "deployment gate (pytest-deploygate)")
    group.addoption("--target", dest="deploygate_target", metavar="NAME", help=TARGET_HELP)
    group.addoption(
        "--deploygate-config", dest="deploygate_config", metavar="PATH", help=CONFIG_HELP
    )
    group.addoption(
        "--verdict-json", dest="deploygate_verdict_json", metavar="PATH", help=VERDICT_HELP
    )
    group.addoption("--observe", dest="deploygate_observe", metavar="DURATION", help=OBSERVE_HELP)
    group.addoption(
        "--abort-on-rollback",
        dest="deploygate_abort_on_rollback",
        action="store_true",
        default=False,
        help=ABORT_HELP,
    )
    group.addoption(
        "--deploygate-concurrency",
        dest="deploygate_concurrency",
        metavar="N",
        help=CONCURRENCY_HELP,
    )
    group.addoption("--baseline", dest="deploygate_baseline", metavar="PATH", help=BASELINE_HELP)
    group.addoption(
        "--save-baseline",
        dest="deploygate_save_baseline",
        metavar="PATH",
        help=SAVE_BASELINE_HELP,
    )
    group.addoption(
        "--demo-fault",
        dest="deploygate_demo_faults",
        action="append",
        default=[],
        metavar="NAME",
        help=FAULT_HELP,
    )
    parser.addini("deploygate_config", CONFIG_HELP)
    parser.addini("deploygate_verdict_json", VERDICT_HELP)
    parser.addini("deploygate_observe", OBSERVE_HELP)
    parser.addini("deploygate_abort_on_rollback", ABORT_HELP, type="bool", default=False)
    parser.addini("deploygate_concurrency", CONCURRENCY_HELP)
    parser.addini("deploygate_baseline", BASELINE_HELP)
    parser.addini("deploygate_save_baseline", SAVE_BASELINE_HELP)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, None, None]:
    """The environment before any conftest.py or plugin (pytest-env, pytest-dotenv) sets
    defaults for the repository's unit tests: what the machine itself has, which is what an
    ``env`` check asks about."""
    early_config.stash[STARTED_ENVIRON_KEY] = dict(os.environ)
    return (yield)


def is_xdist_worker(config: pytest.Config) -> bool:
    """pytest-xdist gives its workers ``workerinput``; the PYTEST_XDIST_WORKER variable
    would also be seen by a pytest run started inside a worker (pytester), which is not one."""
    return hasattr(config, "workerinput")


def setting(config: pytest.Config, name: str) -> str | None:
    """A setting from its flag, else its ini key; one help text for both."""
    value = config.getoption(name)
    if value in (None, ""):
        value = config.getini(name) or None
    return None if value is None else str(value)


def pytest_configure(config: pytest.Config) -> None:
    for phase in PHASES:
        config.addinivalue_line(
            "markers", f"{phase}: deploygate phase: {PHASE_DESCRIPTIONS[phase]}"
        )
    config.addinivalue_line(
        "markers",
        "deploygate(on_fail='rollback', on_error='rollback', id=None, description=None): "
        "how a team-written check's failure weighs in the deploygate verdict",
    )
    config.addinivalue_line(
        "markers", "deploygate_suite(type): a built-in deploygate suite for one check type"
    )
    name = config.getoption("deploygate_target")
    if not name:
        return
    # Imported only now: without --target the plugin stays passive and cheap.
    from pytest_deploygate.gate import activate

    activate(config, name)
