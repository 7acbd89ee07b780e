"""What every pytest run of a bench script runs in, so figures can be read and compared.

Runs use the interpreter the script was started with and the pytest plugins installed
there: start a bench from the environment users have (``pip install pytest-deploygate``,
no test extras; hypothesis's pytest plugin alone costs most of a bare start-up).

Python's bytecode cache is on in the runs even when ``PYTHONDONTWRITEBYTECODE`` is set in
the bench's own environment (some CI and sandbox images set it): an install has its cache
(pip compiles it), and without it every run would compile the gate's modules from source,
which is not what a user's start-up costs.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import entry_points

RUN_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def describe() -> str:
    """One line: the interpreter and the pytest plugins every run loads."""
    plugins = sorted({e.dist.name for e in entry_points(group="pytest11") if e.dist})
    cache = "on" if "PYTHONDONTWRITEBYTECODE" not in os.environ else "on in the runs"
    return (
        f"{sys.executable} (Python {sys.version.split()[0]}); pytest plugins: "
        f"{', '.join(plugins)}; bytecode cache {cache}"
    )
