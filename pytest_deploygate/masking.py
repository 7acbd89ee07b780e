"""Secrets never reach an output: every text the gate shows passes through a Masker.

What counts as a secret (SPEC.md): passwords in URLs and DSNs, values of environment
variables whose names contain PASSWORD, SECRET, TOKEN, KEY or CREDENTIAL, and the
variables listed in the config's ``secrets``.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote

MASK = "***"
SECRET_NAME_PARTS = ("PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL")
# Shorter values would mask ordinary words and numbers all over the output.
MIN_SECRET_LENGTH = 4

_URL_CREDENTIALS = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://(?P<user>[^:/@\s]*)):(?P<pw>[^@\s/]+)@"
)
_AUTHORITY = re.compile(r"[^/?#]*")
_DSN_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|[^\s'\"]+)", re.I)


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return any(part in upper for part in SECRET_NAME_PARTS)


def secret_values(environ: Mapping[str, str], extra_names: Iterable[str] = ()) -> set[str]:
    """Values of the environment that must never be shown."""
    names = set(extra_names)
    return {v for k, v in environ.items() if (is_secret_name(k) or k in names) and v}


def passwords_in(text: str) -> set[str]:
    """Passwords written inside URLs or libpq DSNs found in ``text``, as written and
    percent-decoded; for URLs also the base64 of ``user:password``, which a client sends
    as ``Authorization: Basic ...`` (and a server may echo)."""
    found: set[str] = set()
    for m in _URL_CREDENTIALS.finditer(text):
        if m["pw"] != MASK:
            pair = f"{unquote(m['user'])}:{unquote(m['pw'])}".encode()
            found |= {m["pw"], unquote(m["pw"]), base64.b64encode(pair).decode()}
    found |= {m["pw"].strip("'") for m in _DSN_PASSWORD.finditer(text)}
    return {pw for pw in found if pw and pw != MASK}


def encoded_forms(value: str) -> set[str]:
    """Every form in which an output could show ``value``: as is, URL-encoded, in
    Python's repr, escaped for JSON, HTML and XML (the report masks text it has escaped
    already), and in base64 (an echoed ``Authorization: Basic`` header)."""
    raw = value.encode()
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value),
        repr(value)[1:-1],
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
        html.escape(value, quote=False),
        # What xml.sax.saxutils.escape(value, {'"': "&quot;"}) gives (junit's attributes),
        # without importing it: it brings urllib.request and ssl into every gate's start-up.
        html.escape(value, quote=False).replace('"', "&quot;"),
    }
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode()
        forms |= {text, text.rstrip("=")}
    return forms


class Masker:
    """Replaces every known secret (and its encoded forms) with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        variants = set(self._values)
        for value in secrets:
            if len(value) < MIN_SECRET_LENGTH:
                continue
            variants.update(form for form in encoded_forms(value) if len(form) >= MIN_SECRET_LENGTH)
        # Longest first, so a secret containing another is replaced whole.
        self._values = sorted(variants, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        text = _URL_CREDENTIALS.sub(lambda m: f"{m['head']}:{MASK}@", text)
        return _DSN_PASSWORD.sub(lambda m: f"{m['head']}{MASK}", text)


def scrub_url(url: str, *, user: bool = True) -> str:
    """The one scrubber for a URL, a DSN URL or a host string (``user:password@host``,
    with or without ``scheme://``): its password becomes ``***``; with ``user=False`` the
    whole ``user:password@`` goes. Works on text that is not a valid URL too (it is
    used to show such text in config errors)."""
    head, sep, rest = url.partition("://") if "://" in url else ("", "", url)
    authority = _AUTHORITY.match(rest)
    userinfo, at, host = (authority.group(0) if authority else "").rpartition("@")
    if not at:
        return url
    name, colon, _ = userinfo.partition(":")
    shown = "" if not user else (f"{name}:{MASK}@" if colon else f"{name}@")
    return f"{head}{sep}{shown}{host}{rest[len(userinfo) + 1 + len(host) :]}"


def masked(value: Any, mask: Callable[[str], str]) -> Any:
    """Every string in a JSON-like document through the masker (keys included: a team
    test may be parametrized with a secret, and its id becomes a key)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {masked(k, mask): masked(v, mask) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(v, mask) for v in value]
    return value


def display_url(url: str) -> str:
    """Where a request went: the URL without credentials and query string (both often
    carry secrets)."""
    return scrub_url(url.split("?", 1)[0].split("#", 1)[0], user=False)


# ``api_key=abc``, ``"password": "x"``, ``Authorization: Bearer abc``: what an application
# writes to its log about secrets, whichever secret it is (the gate cannot know its value).
_SECRET_ASSIGNMENT = re.compile(
    r"(?P<head>\b[\w-]*(?:" + "|".join(SECRET_NAME_PARTS) + r")[\w-]*[\"']?\s*[=:]\s*)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;&]+)",
    re.I,
)
# A credential has a digit somewhere; "Token expired" is a sentence.
_AUTH_SCHEME = re.compile(
    r"\b(?P<head>(?:Bearer|Basic|Token)\s+)(?=[A-Za-z._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{4,}"
)


def scrub_text(text: str) -> str:
    """Text from a target that may hold secrets the gate has no value for (a log line):
    passwords in URLs and DSNs, values assigned to names such as ``api_key`` or
    ``PASSWORD``, and bearer tokens become ``***``."""
    text = Masker()(text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: f"{m['head']}{MASK}", text)
    return _AUTH_SCHEME.sub(lambda m: f"{m['head']}{MASK}", text)
