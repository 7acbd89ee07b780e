"""``python -c "..."`` snippets, read with :mod:`ast`: requests calls, WebSocket
connections, lists of environment variable names, concurrent request loops."""

from __future__ import annotations

import ast
import re
from typing import Any

from pytest_deploygate.importer.model import DraftCheck, Finding, Manual

_METHODS = {"get", "post", "put", "patch", "delete", "head"}
_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9_]*[A-Z0-9]$")


def python_snippet(code: str) -> list[Finding]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return [Manual("a Python snippet that does not parse: write it as a team test")]
    found: list[Finding] = []
    found.extend(_requests(tree))
    found.extend(_websockets(tree))
    env = _env_names(tree)
    if env:
        found.append(DraftCheck("env", "env", {"variables": env}))
    if found:
        return found
    if "test_client" in code or re.search(r"^\s*(from|import)\s+(?!os|sys|json|time)", code, re.M):
        return [Manual("runs the application's own code: write it as a team test (paths = [...])")]
    return [Manual("a Python snippet with no request to check: write it as a team test")]


def _requests(tree: ast.AST) -> list[Finding]:
    calls = sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_request(n)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    statuses = _status_compares(tree)
    lengths = _length_compares(tree)
    pool = _pool_size(tree)
    out: list[Finding] = []
    for index, call in enumerate(calls):
        url = _constant(call.args[0]) if call.args else None
        if not isinstance(url, str) or not re.match(r"^https?://", url):
            continue
        assert isinstance(call.func, ast.Attribute)
        method = call.func.attr.upper()
        keys: dict[str, Any] = {"url": url}
        if method != "GET":
            keys["method"] = method
        for keyword in call.keywords:
            value = _constant(keyword.value)
            if keyword.arg == "json" and value is not None:
                keys["json"] = value
            elif keyword.arg == "timeout" and isinstance(value, (int, float)):
                keys["timeout"] = f"{value}s"
        end = calls[index + 1].lineno if index + 1 < len(calls) else 10**9
        status = [s for line, s in statuses if call.lineno <= line < end]
        if status:
            keys["expect_status"] = status[0]
        for line, (path, op, bound) in lengths:
            if call.lineno <= line < end:
                keys["body_length_path"] = path
                key = "max_body_length" if op == "<" else "min_body_length"
                keys[key] = bound - 1 if op == "<" else bound + 1
        if pool:
            keys["requests"], keys["concurrency"] = pool
            keys.pop("timeout", None)
            out.append(DraftCheck("load", "load-" + _stem(url), keys))
            continue
        stem = ("" if method == "GET" else method.lower() + "-") + _stem(url)
        out.append(DraftCheck("http", stem, keys))
    return out


def _websockets(tree: ast.AST) -> list[Finding]:
    out: list[Finding] = []
    dicts = _assigned_dicts(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _attr_name(node.func) == "connect"):
            continue
        url = _constant(node.args[0]) if node.args else None
        if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
            continue
        keys: dict[str, Any] = {"url": url}
        sent = _sent_json(tree, dicts)
        if sent is not None:
            keys["send_json"] = sent
        if any(isinstance(n, ast.Call) and _attr_name(n.func) == "recv" for n in ast.walk(tree)):
            keys["expect_reply"] = True
        out.append(DraftCheck("websocket", "websocket", keys))
    return out


def _sent_json(tree: ast.AST, dicts: dict[str, Any]) -> Any:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _attr_name(node.func) == "send" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Call) and _attr_name(arg.func) == "dumps" and arg.args:
                inner = arg.args[0]
                if isinstance(inner, ast.Name):
                    return dicts.get(inner.id)
                return _constant(inner)
    return None


def _env_names(tree: ast.AST) -> list[str]:
    """Names in a list that the snippet looks up with os.getenv / os.environ."""
    uses_env = any(
        isinstance(n, ast.Attribute) and n.attr in ("getenv", "environ") for n in ast.walk(tree)
    )
    if not uses_env:
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List):
            values = [_constant(e) for e in node.elts]
            if values and all(isinstance(v, str) and _VAR_NAME.match(v) for v in values):
                names.extend(str(v) for v in values)
    return list(dict.fromkeys(names))


def _status_compares(tree: ast.AST) -> list[tuple[int, int | list[int]]]:
    found: list[tuple[int, int | list[int]]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or _attr_name(node.left) != "status_code":
            continue
        value = _constant(node.comparators[0])
        if isinstance(node.ops[0], ast.Eq) and isinstance(value, int):
            found.append((node.lineno, value))
        elif isinstance(node.ops[0], ast.In) and isinstance(value, list):
            found.append((node.lineno, [v for v in value if isinstance(v, int)]))
    return sorted(found, key=lambda pair: pair[0])


def _length_compares(tree: ast.AST) -> list[tuple[int, tuple[str, str, int]]]:
    """``len(data['response']) < 500`` -> (line, ("response", "<", 500))."""
    found: list[tuple[int, tuple[str, str, int]]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or not isinstance(node.left, ast.Call):
            continue
        call = node.left
        if not (isinstance(call.func, ast.Name) and call.func.id == "len" and call.args):
            continue
        subscript = call.args[0]
        bound = _constant(node.comparators[0])
        if not (isinstance(subscript, ast.Subscript) and isinstance(bound, int)):
            continue
        key = _constant(subscript.slice)
        op = "<" if isinstance(node.ops[0], (ast.Lt, ast.LtE)) else ">"
        if isinstance(key, str):
            found.append((node.lineno, (key, op, bound)))
    return found


def _pool_size(tree: ast.AST) -> tuple[int, int] | None:
    """``ThreadPoolExecutor(max_workers=10)`` mapping over ``range(10)``: (requests, workers)."""
    workers = None
    total = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _attr_name(node.func) == "ThreadPoolExecutor":
            for keyword in node.keywords:
                value = _constant(keyword.value)
                if keyword.arg == "max_workers" and isinstance(value, int):
                    workers = value
        if _is_call_of(node, "range") and isinstance(node, ast.Call) and len(node.args) == 1:
            value = _constant(node.args[0])
            total = value if isinstance(value, int) else total
    if workers is None:
        return None
    requests = max(total or workers, workers)
    return requests, workers


def _assigned_dicts(tree: ast.AST) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            value = _constant(node.value)
            if isinstance(target, ast.Name) and isinstance(value, dict):
                found[target.id] = value
    return found


def _is_request(node: ast.Call) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in _METHODS
        and isinstance(func.value, ast.Name)
        and func.value.id == "requests"
    )


def _is_call_of(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _attr_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _constant(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None


def _stem(url: str) -> str:
    path = re.sub(r"^[a-z]+://[^/]*", "", url).split("?")[0]
    words = re.findall(r"[A-Za-z0-9]+", path) or ["root"]
    return "-".join(words[-3:]).lower()
