"""``type = "logs"``: lines matching a pattern in a log file or a systemd journal unit,
read on the target's machines through testinfra, counted as ``logs.matches``.

What is counted is the lines written since a starting point (``since``): by default the
moment the check starts watching (its window's first sample), so old errors in a log do
not fail a new deploy. A file is followed by its size and inode (the probe remembers
where it stopped reading, per check and host, in the gate session); the journal by its
cursor. See docs/checks/logs.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from typing_extensions import Self

from pytest_deploygate.checks.base import Duration, Size, Target, Unfit, WindowKeys
from pytest_deploygate.checks.host import OnHosts
from pytest_deploygate.checks.validators import check_regex, refuse_matching_everything
from pytest_deploygate.hostnames import NO_HOSTS

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext

#: The host a logs check reads on when the target lists no ``hosts``: the gate's machine.
LOCAL_HOST = "local://"
#: How many matched lines a sample keeps to show in reasons (the count is always exact).
EXAMPLES_KEPT = 3
#: A unit name as systemd spells one: no globs (a glob would hide a typo behind 0 lines).
_UNIT = re.compile(r"^[A-Za-z0-9:_.@\\-]+$")
SINCE_START: Literal["start"] = "start"


class LogsCheck(OnHosts, WindowKeys):
    """Count lines matching ``pattern`` (minus ``ignore``) in ``file`` or ``journal``."""

    # Under --observe a logs check watches: lines appear while a deploy settles.
    observes_by_default: ClassVar[bool] = True

    type: Literal["logs"] = "logs"
    file: str | None = Field(default=None, min_length=1)
    journal: str | None = None
    pattern: str = Field(min_length=1)
    ignore: tuple[str, ...] = ()
    ignore_case: bool = False
    max_matches: int = Field(default=0, ge=0)
    since: Literal["start"] | Duration = SINCE_START
    max_read: Size = Field(default=16 * 1024 * 1024, gt=0)

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str) -> str:
        check_regex(value, "pattern")
        return value

    @field_validator("ignore", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("ignore")
    @classmethod
    def _ignore_compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            check_regex(pattern, "ignore")
        # An ignore that matches every line would keep the check clean forever.
        refuse_matching_everything(value, "ignore", "line")
        return value

    @field_validator("journal")
    @classmethod
    def _unit_name(cls, value: str | None) -> str | None:
        if value is not None and not _UNIT.fullmatch(value):
            raise ValueError(
                f"journal must be one systemd unit name such as 'app.service' or 'nginx', "
                f"got {value!r} (no globs: a glob that matches nothing would count 0 lines)"
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.file is None) == (self.journal is None):
            raise ValueError(
                "give exactly one of 'file' (a log file's path on the host, e.g. "
                '"/var/log/app.log") or \'journal\' (a systemd unit, e.g. "app.service")'
            )
        if self.file is not None and self.since != SINCE_START:
            raise ValueError(
                "since applies to journal checks: a file's lines carry no time the gate can "
                "trust, so a file check counts the lines appended while it watches; remove "
                'since and give the check a window (window = "5m"), or read the journal'
            )
        if self.wait is not None:
            raise ValueError(
                "wait retries a check until it passes, and a retry would count only lines "
                "written after the previous try: remove wait (a window watches instead)"
            )
        return self

    @property
    def source(self) -> str:
        """What is read, as reasons name it."""
        return f"journal of {self.journal}" if self.journal is not None else str(self.file)

    @property
    def since_start(self) -> bool:
        return self.since == SINCE_START

    def unfit_for(self, target: Target) -> Unfit | None:
        if self.file is None or is_absolute_on_host(self.file):
            return None
        remote = [h for h in logs_instances(self, target) if h not in (LOCAL_HOST, NO_HOSTS)]
        if not remote:
            return None
        return Unfit(
            "file",
            f"{self.file!r} is relative, and the check reads it on {remote[0]}"
            + (f" (and {len(remote) - 1} more)" if len(remote) > 1 else "")
            + ": there it would depend on the login's directory.",
            fix='give the absolute path on the host, e.g. file = "/var/log/app.log".',
        )

    def watches(self, observe: float | None) -> bool:
        """Whether this run samples the check over a window (its own or --observe)."""
        return self.window is not None or observe is not None


# Lines read, lines that matched, the first matched lines.
Counted = tuple[int, int, tuple[str, ...]]


@dataclass(frozen=True)
class LogsObservation:
    """What one sample read: the lines written since the previous sample (or, for the
    first, since the starting point), how many matched, and the first few matches.

    ``started``: this sample only took the starting point (it read no line).
    ``restarted``: the file was rotated ("rotated") or truncated ("truncated") since the
    previous sample; lines written to it after that sample's read were not seen.
    ``unread_bytes``: bytes past this sample's read limit (``max_read``), left for the
    next sample; ``more_unread``: the journal had more than that (its size is unknown).
    ``unfinished``: the file's last line as read, still without its newline, counted as
    (lines, matches, examples) like the others: the next sample reads it again, whole, so
    only the window's last sample counts it (a process that died mid-line never ends it).
    """

    source: str
    lines: int
    matches: int
    examples: tuple[str, ...] = ()
    started: bool = False
    restarted: str = ""
    unread_bytes: int = 0
    more_unread: bool = False
    unfinished: Counted = (0, 0, ())

    @property
    def behind(self) -> bool:
        return self.unread_bytes > 0 or self.more_unread


def logs_instances(spec: LogsCheck, target: Target) -> tuple[str, ...]:
    """Once per host of the target (narrowed by ``hosts``); on the gate's own machine
    when the target lists no hosts and the check names none."""
    if not target.hosts and not spec.hosts:
        return (LOCAL_HOST,)
    return spec.host_instances(target)


def is_absolute_on_host(path: str) -> bool:
    """A path that means the same file whoever logs in (not ``~`` nor relative)."""
    return path.startswith("/")


def where_logs(spec: LogsCheck, target: Target, ctx: ProbeContext) -> str:
    return f"{spec.source} on {ctx.instance or NO_HOSTS}"
