"""Names and defaults of the user-facing contract, importable without heavy dependencies
(the pytest entry point reads them on every run, with or without ``--target``)."""

from __future__ import annotations

from typing import Literal

Phase = Literal["predeploy", "smoke", "postdeploy"]
PHASES: tuple[Phase, ...] = ("predeploy", "smoke", "postdeploy")
PHASE_DESCRIPTIONS = {
    "predeploy": "check before deploying: is it safe to deploy?",
    "smoke": "quick check right after deploying: is it up?",
    "postdeploy": "check after deploying: is it healthy over time?",
}
DEFAULT_CONCURRENCY = 32
# The verdict file's format (SPEC.md); a baseline file is read only in this version.
VERDICT_SCHEMA_VERSION = 1
# Node ids of the built-in suites start with this, wherever the package is installed:
# ``deploygate/test_http.py::test_http[health]``.
SUITE_NODE_PREFIX = "deploygate"


def suite_nodeid(type_name: str, key: str) -> str:
    return f"{SUITE_NODE_PREFIX}/test_{type_name}.py::test_{type_name}[{key}]"
