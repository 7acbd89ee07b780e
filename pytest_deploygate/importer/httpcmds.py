"""curl, wget, HTTPie and ab command lines -> http, load and prometheus drafts."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pytest_deploygate.importer.expectations import Expectations
from pytest_deploygate.importer.model import DraftCheck, Finding, Manual
from pytest_deploygate.importer.shellwords import Segment, env_refs, options

_CURL_VALUES = {
    "-X", "--request", "-d", "--data", "--data-raw", "--data-binary", "--json", "-H",
    "--header", "-o", "--output", "-w", "--write-out", "-u", "--user", "-m", "--max-time",
    "--connect-timeout", "-A", "--user-agent", "-e", "-b", "-c", "-F", "--form", "--retry",
    "-T", "--cacert", "--cert", "--resolve",
}  # fmt: skip
_WGET_VALUES = {"-O", "--output-document", "-T", "--timeout", "--header", "--post-data", "-t"}
_HTTPIE_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
_SECRET_HEADER = re.compile(r"authorization|token|api[-_]?key|secret|cookie", re.IGNORECASE)
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r'([a-zA-Z_]+)=\\?"?([A-Za-z0-9_.]+)')


def curl(segment: Segment, rest: list[Segment], expect: Expectations) -> list[Finding]:
    opts, positional = options(segment.args, _CURL_VALUES)
    url = _first_url(positional + opts.get("--url", []))
    if url is None:
        return [Manual("names no address the gate can reach (a placeholder host)")]
    method = (opts.get("-X") or opts.get("--request") or [""])[-1].upper()
    body = _last(opts, "-d", "--data", "--data-raw", "--data-binary", "--json")
    if not method:
        method = "HEAD" if "-I" in opts or "--head" in opts else ("POST" if body else "GET")
    headers = _headers(opts.get("-H", []) + opts.get("--header", []))
    fail = "-f" in opts or "--fail" in opts
    return request(url, method, headers, _body(body), fail, rest, expect)


def wget(segment: Segment, rest: list[Segment], expect: Expectations) -> list[Finding]:
    opts, positional = options(segment.args, _WGET_VALUES)
    url = _first_url(positional)
    if url is None:
        return [Manual("names no address the gate can reach (a placeholder host)")]
    body = _last(opts, "--post-data")
    headers = _headers(opts.get("--header", []))
    return request(url, "POST" if body else "GET", headers, _body(body), True, rest, expect)


def httpie(segment: Segment, rest: list[Segment], expect: Expectations) -> list[Finding]:
    args = [a for a in segment.args if not a.startswith("-")]
    method = "GET"
    if args and args[0].upper() in _HTTPIE_METHODS:
        method = args.pop(0).upper()
    url = _first_url(args[:1])
    if url is None:
        return [Manual("names no address the gate can reach (a placeholder host)")]
    headers: dict[str, str] = {}
    data: dict[str, Any] = {}
    for item in args[1:]:
        if ":=" in item:
            key, _, raw = item.partition(":=")
            data[key] = _json_or_text(raw)
        elif "==" in item:
            continue
        elif "=" in item:
            key, _, value = item.partition("=")
            data[key] = value
        elif ":" in item:
            key, _, value = item.partition(":")
            headers.update(_headers([f"{key}: {value}"]))
    if data and method == "GET":
        method = "POST"
    body: dict[str, Any] = {"json": data} if data else {}
    check = "--check-status" in segment.args
    return request(url, method, headers, body, check, rest, expect)


def ab(segment: Segment, expect: Expectations) -> list[Finding]:
    opts, positional = options(segment.args, {"-n", "-c", "-t", "-s", "-H", "-p", "-T"})
    url = _first_url(positional)
    if url is None:
        return [Manual("names no address the gate can reach")]
    keys: dict[str, Any] = {"url": url}
    count = _int((opts.get("-n") or ["100"])[-1], 100)
    keys["requests"] = count
    keys["concurrency"] = min(_int((opts.get("-c") or ["1"])[-1], 1), count)
    p95 = expect.duration_below("p95")
    if p95:
        keys["max_p95"] = p95
    return [DraftCheck("load", "load-" + _stem(url), keys)]


def request(
    url: str,
    method: str,
    headers: dict[str, str],
    body: dict[str, Any],
    fail: bool,
    rest: list[Segment],
    expect: Expectations,
) -> list[Finding]:
    """An HTTP request and what the pipeline after it looks for."""
    greps = [s for s in rest if s.program in ("grep", "egrep")]
    if urlsplit(url).path.rstrip("/").endswith("/metrics") and greps:
        return [_prometheus(url, greps, expect)]
    keys: dict[str, Any] = {"url": url}
    if method != "GET":
        keys["method"] = method
    if headers:
        keys["headers"] = headers
    keys.update(body)
    status = expect.status()
    if status is not None:
        keys["expect_status"] = status
    elif fail:
        keys["expect_status"] = 200
    wanted_json = expect.json_fields()
    if wanted_json:
        keys["expect_json"] = wanted_json
    fields = [_jq_field(s) for s in rest if s.program == "jq"]
    for path in [f for f in fields if f]:
        if path == "version":
            keys["expect_version"] = True
        else:
            keys.setdefault("match_json_path", {})[path] = ".+"
    needles = [_grep_pattern(s) for s in greps]
    needles = [n for n in needles if n and not re.search(r"[\\\[\]()*+?|^$]", n)]
    if needles:
        keys["body_contains"] = needles[0] if len(needles) == 1 else needles
    latency = expect.duration_below("latency")
    if latency:
        keys["max_latency"] = latency
    stem = (method.lower() + "-" if method not in ("GET", "HEAD") else "") + _stem(url)
    stem += "".join(f"-{f.replace('.', '-').replace('_', '-')}" for f in fields if f)
    return [DraftCheck("http", stem, keys)]


def _prometheus(url: str, greps: list[Segment], expect: Expectations) -> DraftCheck:
    keys: dict[str, Any] = {"url": url}
    patterns = [p for p in (_grep_pattern(s) for s in greps) if p]
    names = sorted({m.group(0) for p in patterns for m in [_METRIC_NAME.match(p)] if m})
    # `require` names samples: a histogram's family (`..._duration_seconds`) has none of its
    # own, so grep's prefix match becomes its _count sample.
    keys["require"] = [_sample_name(n) for n in names]
    error_rate = [p for p in patterns if re.search(r"status=\\?\"?5", p)]
    if error_rate and names:
        name = names[0]
        ratio: dict[str, Any] = {
            "name": "error_rate",
            "numerator": {"metric": name, "labels": {"status": "5.."}},
            "denominator": {"metric": name},
        }
        limit = expect.ratio_below()
        if limit:
            ratio["max"] = limit
        keys["ratios"] = [ratio]
        return DraftCheck("prometheus", "error-rate", keys)
    return DraftCheck("prometheus", "metrics", keys)


def _sample_name(name: str) -> str:
    if name.endswith(("_total", "_count", "_sum", "_bucket", "_info", "_created")):
        return name
    return f"{name}_count" if re.search(r"duration|latency|_seconds$", name) else name


def _grep_pattern(segment: Segment) -> str:
    opts, positional = options(segment.args, {"-e", "-m", "-A", "-B", "-C"})
    pattern = (opts.get("-e") or positional or [""])[0]
    return pattern


def _jq_field(segment: Segment) -> str:
    for word in segment.args:
        if word.startswith("."):
            field = word.strip(".").strip('"')
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", field):
                return field
    return ""


def _first_url(words: list[str]) -> str | None:
    for word in words:
        if re.match(r"^(https?|wss?)://", word):
            return env_refs(word)
        if re.match(r"^\$\{?[A-Za-z_]+\}?(/|$)", word):
            return env_refs(word)
        host = word.split("/", 1)[0]
        if host.startswith("localhost") or re.match(r"^[a-z0-9.-]+\.[a-z]{2,}(:[0-9]+)?$", host):
            return "http://" + word
    return None


def _headers(raw: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in raw:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name, value = name.strip(), value.strip()
        if _SECRET_HEADER.search(name):
            scheme = value.split()[0] if " " in value else ""
            var = "API_TOKEN"
            value = f"{scheme} ${{{var}}}".strip()
        found[name] = env_refs(value)
    return found


def _body(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    value = _json_or_text(raw)
    if isinstance(value, (dict, list)):
        return {"json": value}
    return {"body": env_refs(raw)}


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _last(opts: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        if opts.get(name):
            return opts[name][-1]
    return None


def _int(text: str, default: int) -> int:
    return int(text) if text.isdigit() else default


def _stem(url: str) -> str:
    parts = urlsplit(url)
    words = re.findall(r"[A-Za-z0-9]+", parts.path) or ["root"]
    return "-".join(words[-3:]).lower()


def query_params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
