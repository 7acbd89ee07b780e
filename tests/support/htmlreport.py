"""Read a pytest-html 4 report file the way its page script does, without a browser.

pytest-html stores every row (cells and log, as HTML strings) in a JSON blob in the
``data-jsonblob`` attribute of ``#data-container``; its script builds the table from it.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

_BLOB = re.compile(r'data-jsonblob="([^"]*)"')
_TAGS = re.compile(r"<[^>]+>")


def report_data(path: Path) -> dict[str, Any]:
    match = _BLOB.search(path.read_text(encoding="utf-8"))
    assert match, f"no data blob in {path}"
    data: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return data


def rows(path: Path) -> list[dict[str, Any]]:
    """Every row pytest-html will draw, in the order it stored them."""
    return [row for per_test in report_data(path)["tests"].values() for row in per_test]


def cell(row: dict[str, Any], column: str) -> str:
    """The inner HTML of a row's cell ``col-<column>``."""
    for td in row["resultsTableRow"]:
        match = re.match(rf'<td class="col-{column}"[^>]*>(.*)</td>$', td, re.S)
        if match:
            return match.group(1)
    raise KeyError(column)


def text(fragment: str) -> str:
    """The visible text of an HTML fragment."""
    return html.unescape(_TAGS.sub(" ", fragment)).strip()


def static_part(path: Path) -> str:
    """The report's HTML outside the data blob: what the browser parses as markup."""
    return _BLOB.sub('data-jsonblob=""', path.read_text(encoding="utf-8"))
