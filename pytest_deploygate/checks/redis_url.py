"""``redis://[user:password@]host[:port][/db]`` and ``rediss://`` (TLS) URLs as plain data.

Apart from checks/redis.py because the target's ``redis_url`` is validated with it too,
and checks/base.py (the target) comes before every check module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from pytest_deploygate.masking import scrub_url

REDIS_SCHEMES = ("redis", "rediss")
DEFAULT_PORT = 6379


@dataclass(frozen=True)
class RedisAddress:
    """Where a redis check connects, and as whom. ``password`` is kept out of ``repr``:
    an address may end up in a traceback."""

    host: str
    port: int = DEFAULT_PORT
    db: int = 0
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def shown(self) -> str:
        """The address as reports show it: no user, no password."""
        scheme = "rediss" if self.tls else "redis"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/{self.db}"


def parse_redis_url(url: str) -> RedisAddress:
    """The address a redis URL names; ValueError says what is wrong (the URL shown without
    its password) and what to write instead."""
    shown = scrub_url(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if "://" not in url or scheme not in REDIS_SCHEMES:
        raise ValueError(
            f"{shown!r} is not a redis URL: write redis://HOST[:PORT][/DB] (rediss:// for "
            "TLS), with a user and password before the host as in any URL"
        )
    if parts.query or parts.fragment:
        raise ValueError(
            f"{shown!r} has query parameters, which a redis check does not read: set db, "
            "username, password, verify and ca_bundle as keys of the check"
        )
    if not parts.hostname:
        raise ValueError(f"{shown!r} has no host; write {scheme}://HOST[:PORT][/DB]")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as exc:
        raise ValueError(f"{shown!r} has a port that is not 1 to 65535") from exc
    return RedisAddress(
        host=parts.hostname,
        port=port,
        db=_db(parts.path, shown),
        tls=scheme == "rediss",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _db(path: str, shown: str) -> int:
    number = path.strip("/")
    if not number:
        return 0
    if not number.isdigit():
        raise ValueError(
            f"{shown!r} names database {number!r}: a redis database is a number (/0, /1 ...)"
        )
    return int(number)
