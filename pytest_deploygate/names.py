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
