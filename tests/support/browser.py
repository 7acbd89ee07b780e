"""Headless Chromium (Debian's ``chromium`` package) for tests and benches of the HTML report.

Every run gets a fresh profile and the flags below: no network, no sync, no component
updates, so loading a report file touches nothing but that file. ``--dump-dom`` and
``--screenshot`` give the DOM after the page's scripts ran (pytest-html builds its
table in JavaScript on load) and a picture of it; ``page_timings`` speaks the DevTools
protocol over a websocket for the bench.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from tests.support.need import need_server

ARTIFACTS_ENV = "DEPLOYGATE_ARTIFACTS"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
)
TIMEOUT_S = 60.0


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The Chromium binary, or skip (fail in CI) when it is not installed."""
    path = chromium_path()
    if path is None:
        need_server("Chromium is not installed (Debian: apt-get install -y chromium)")
    return path


def _run(args: list[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir))
    command = [require_chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_S, check=True
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def dump_dom(report: Path, workdir: Path) -> str:
    """The report's DOM as Chromium has it once the page has loaded and its scripts ran."""
    return _run(["--dump-dom", report.resolve().as_uri()], workdir).stdout


def screenshot(
    report: Path, out: Path, workdir: Path, size: tuple[int, int] = (1280, 1000)
) -> Path:
    """A PNG of the top of the report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            f"--screenshot={out.resolve()}",
            f"--window-size={size[0]},{size[1]}",
            "--hide-scrollbars",
            report.resolve().as_uri(),
        ],
        workdir,
    )
    return out


def keep_artifact(path: Path) -> Path | None:
    """Copy a file to $DEPLOYGATE_ARTIFACTS (when set) so CI keeps it."""
    target_dir = os.environ.get(ARTIFACTS_ENV)
    if not target_dir:
        return None
    dest = Path(target_dir) / path.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, dest)
    return dest


@dataclass
class Page:
    """What a test asserts about a dumped DOM."""

    title: str = ""
    headline: str = ""
    rows: int = 0
    decisions: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    tags: dict[str, int] = field(default_factory=dict)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._template = 0
        self._capture: str | None = None
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "template":
            self._template += 1
        if self._template:
            return
        self.page.tags[tag] = self.page.tags.get(tag, 0) + 1
        if "id" in attr:
            self.page.ids.add(attr["id"])
        classes = attr.get("class", "").split()
        if tag == "tbody" and "results-table-row" in classes:
            self.page.rows += 1
        if self._capture is None:
            if tag == "title":
                self._start("title")
            elif "dg-headline" in classes:
                self._start("headline")
            elif tag == "span" and "dg-d" in classes and "data-rank" in attr:
                self._start("decision")
            elif tag == "script":
                self._start("script")
        elif tag not in ("br", "img", "input", "meta", "link"):
            self._depth += 1

    def _start(self, what: str) -> None:
        self._capture, self._depth, self._text = what, 0, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._template -= 1
            return
        if self._template or self._capture is None:
            return
        if self._depth:
            self._depth -= 1
            return
        text = "".join(self._text).strip()
        if self._capture == "title":
            self.page.title = text
        elif self._capture == "headline":
            self.page.headline = text
        elif self._capture == "decision":
            self.page.decisions.append(text)
        else:
            self.page.scripts.append(text)
        self._capture = None

    def handle_data(self, data: str) -> None:
        if self._capture is not None and not self._template:
            self._text.append(data)


def parse_page(dom: str) -> Page:
    parser = _PageParser()
    parser.feed(dom)
    parser.close()
    return parser.page


# -- DevTools protocol (bench) --------------------------------------------------------------


def page_timings(report: Path, workdir: Path) -> dict[str, float]:
    """Load the report in a running Chromium and time it, in seconds from navigation:
    ``load`` (the load event: pytest-html's script has built the table) and ``fcp``
    (first contentful paint) and ``banner`` (the verdict banner painted; -1: never)."""
    with devtools_page(workdir) as page:
        load = page.load(report)
        banner = page.element_painted("deploygate-banner")
        return {"load": load, "fcp": page.first_paint(), "banner": banner}


@contextmanager
def devtools_page(workdir: Path) -> Iterator[DevToolsPage]:
    """A fresh Chromium with one page, driven over the DevTools protocol (websocket)."""
    from websockets.sync.client import connect

    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir))
    command = [
        require_chromium(),
        *FLAGS,
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        "--window-size=1280,1000",
        "about:blank",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = _devtools_endpoint(profile)
        with connect(endpoint, max_size=None, open_timeout=TIMEOUT_S) as ws:
            yield DevToolsPage(_Cdp(ws))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


class DevToolsPage:
    def __init__(self, cdp: _Cdp) -> None:
        self.cdp = cdp
        target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = str(attached["sessionId"])
        cdp.call("Page.enable", session=self.session)
        cdp.call("Page.setLifecycleEventsEnabled", {"enabled": True}, session=self.session)

    def load(self, report: Path) -> float:
        """Navigate to the report; seconds until its load event."""
        self.cdp.events.clear()
        started = time.perf_counter()
        self.cdp.call("Page.navigate", {"url": report.resolve().as_uri()}, session=self.session)
        self.cdp.wait_event("Page.loadEventFired", self.session)
        return time.perf_counter() - started

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression evaluated in the page."""
        reply = self.cdp.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(f"page script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def element_painted(self, identifier: str) -> float:
        """Seconds from navigation start until the element with ``elementtiming=identifier``
        was painted (Element Timing API), or -1 when it was not."""
        value = self.evaluate(
            "new Promise(done => { new PerformanceObserver(list => done(list.getEntries()"
            f".filter(e => e.identifier === {json.dumps(identifier)})"
            ".map(e => e.renderTime || e.loadTime))).observe({type: 'element', buffered: true});"
            " setTimeout(() => done([]), 2000) })"
        )
        return float(value[0]) / 1000 if value else -1.0

    def first_paint(self) -> float:
        # The paint's lifecycle event may trail the load event.
        self.cdp.wait_event("Page.lifecycleEvent", self.session, name="firstContentfulPaint")
        return _first_paint(self.cdp.events, self.session)


def _first_paint(events: list[dict[str, Any]], session: str) -> float:
    """Seconds from the navigation's start to its first contentful paint (-1: none seen)."""
    stamps: dict[str, float] = {}
    for event in events:
        if event.get("method") == "Page.lifecycleEvent" and event.get("sessionId") == session:
            params = event["params"]
            stamps.setdefault(params["name"], float(params["timestamp"]))
    if "init" in stamps and "firstContentfulPaint" in stamps:
        return stamps["firstContentfulPaint"] - stamps["init"]
    return -1.0


def _devtools_endpoint(profile: Path) -> str:
    """Chromium writes its port and browser path to DevToolsActivePort once it listens."""
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if port_file.exists():
            lines = port_file.read_text().split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    raise TimeoutError("Chromium did not open its DevTools port")


class _Cdp:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=TIMEOUT_S))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_event(self, method: str, session: str, name: str | None = None) -> dict[str, Any]:
        def wanted(event: dict[str, Any]) -> bool:
            return (
                event.get("method") == method
                and event.get("sessionId") == session
                and (name is None or event.get("params", {}).get("name") == name)
            )

        for event in self.events:
            if wanted(event):
                return event
        while True:
            event = json.loads(self.ws.recv(timeout=TIMEOUT_S))
            self.events.append(event)
            if wanted(event):
                return dict(event)
