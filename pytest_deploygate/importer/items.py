"""Markdown -> the items a person ticks, through markdown-it-py's CommonMark tokens.

An item is a list entry (its words, the code blocks and "Expected:" lines inside it), a
table row, or one command of a code block that stands outside any list. Each keeps the
headings it stands under, so phases come from sections, and its source line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from pytest_deploygate.importer.commands import Command, split_commands

_CHECKBOX = re.compile(r"^\[[ xX]\]\s*")
_EXPECTED = re.compile(r"^(expected|expect|should|result)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    """One thing a person would tick off."""

    line: int  # 1-based line in the checklist
    section: tuple[str, ...]  # the headings above it, outermost first
    text: str  # its own words (a table row: the cells joined with " | ")
    title: str = ""  # the entry or bold line it belongs to, when that is not the item
    commands: tuple[Command, ...] = ()
    expected: tuple[str, ...] = ()  # "Expected: ..." paragraphs and trailing comments
    spans: tuple[str, ...] = ()  # inline code spans in its words
    row: tuple[tuple[str, str], ...] = ()  # table row: (header, cell) pairs

    @property
    def words(self) -> str:
        """Everything a person reads for this item, for recognisers that read prose."""
        parts = [self.title, self.text, *self.expected]
        for command in self.commands:
            parts.extend(command.comments)
        return " ".join(p for p in parts if p)


@dataclass
class _Walk:
    items: list[Item] = field(default_factory=list)
    section: list[tuple[int, str]] = field(default_factory=list)
    title: str = ""  # a bold paragraph ("**Step 1.1: ...**") that names the next code block

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.section)


def parse_items(markdown: str) -> list[Item]:
    """The checklist's items in document order."""
    parser = MarkdownIt("commonmark").enable("table")
    root = SyntaxTreeNode(parser.parse(markdown))
    walk = _Walk()
    for node in root.children:
        _block(walk, node)
    return walk.items


def _block(walk: _Walk, node: SyntaxTreeNode) -> None:
    if node.type == "heading":
        level = int(node.tag[1:])
        walk.section = [(lv, t) for lv, t in walk.section if lv < level]
        walk.section.append((level, inline_text(node)[0]))
        walk.title = ""
    elif node.type in ("bullet_list", "ordered_list"):
        for entry in node.children:
            _list_item(walk, entry, "")
        walk.title = ""
    elif node.type == "paragraph":
        _paragraph(walk, node)
    elif node.type in ("fence", "code_block"):
        _loose_code(walk, node)
    elif node.type == "table":
        _table(walk, node)
    # blockquotes, rules and HTML are notes about the document, not items.


def _paragraph(walk: _Walk, node: SyntaxTreeNode) -> None:
    text, _ = inline_text(node)
    if _EXPECTED.match(text) and walk.items:
        last = walk.items[-1]
        walk.items[-1] = replace(last, expected=(*last.expected, text))
        return
    walk.title = text if _is_title(node) else ""


def _is_title(node: SyntaxTreeNode) -> bool:
    """A paragraph that is one bold phrase names the code block below it."""
    inline = node.children[0] if node.children else None
    kids = [c for c in (inline.children if inline else []) if not _blank(c)]
    return bool(kids) and kids[0].type == "strong"


def _blank(node: SyntaxTreeNode) -> bool:
    return node.type == "text" and not node.content.strip()


def _loose_code(walk: _Walk, node: SyntaxTreeNode) -> None:
    start = _line(node) + 1
    for command in split_commands(node.content, node.info.strip(), start):
        if command.lang == "comment":
            continue
        text = command.comments[0] if command.comments else walk.title or command.text
        walk.items.append(
            Item(
                line=command.line,
                section=walk.headings,
                text=text,
                title=walk.title,
                commands=(command,),
                expected=command.expected,
            )
        )


@dataclass
class _Entry:
    """What one list entry holds directly (its sub-entries are ``children``)."""

    text: str = ""
    spans: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    children: list[SyntaxTreeNode] = field(default_factory=list)


def _read_entry(node: SyntaxTreeNode) -> _Entry:
    entry = _Entry()
    for child in node.children:
        if child.type == "paragraph":
            words, found = inline_text(child)
            entry.spans.extend(found)
            if not entry.text:
                entry.text = words
            elif _EXPECTED.match(words):
                entry.expected.append(words)
            else:
                entry.text = f"{entry.text} {words}"
        elif child.type in ("fence", "code_block"):
            found_commands = split_commands(child.content, child.info.strip(), _line(child) + 1)
            entry.commands.extend(
                c for c in found_commands if c.lang != "comment" or _is_conditions(c)
            )
        elif child.type in ("bullet_list", "ordered_list"):
            entry.children.extend(child.children)
    return entry


def _list_item(walk: _Walk, node: SyntaxTreeNode, parent: str) -> None:
    """An entry with code, or without sub-entries, or ticked with plain details, is an
    item; an entry that only groups ticked sub-entries is their title."""
    entry = _read_entry(node)
    ticked = bool(_CHECKBOX.match(entry.text))
    text = _CHECKBOX.sub("", entry.text)
    subs = [_entry_text(c) for c in entry.children]
    own_item = (
        bool(entry.commands)
        or not entry.children
        or (ticked and not any(has_box for _, has_box in subs))
    )
    if own_item:
        details = "" if entry.commands else " ".join(words for words, _ in subs)
        expected = [*entry.expected, *(e for c in entry.commands for e in c.expected)]
        walk.items.append(
            Item(
                line=_line(node) + 1,
                section=walk.headings,
                text=f"{text} {details}".strip(),
                title=parent,
                commands=tuple(entry.commands),
                expected=tuple(expected),
                spans=tuple(entry.spans),
            )
        )
        if not entry.commands:
            return  # the sub-entries were its details
    for child in entry.children:
        _list_item(walk, child, text)


def _is_conditions(command: Command) -> bool:
    return any(re.search(r"roll\s?back", c, re.I) for c in command.comments)


def _entry_text(node: SyntaxTreeNode) -> tuple[str, bool]:
    """A sub-entry's words, and whether it has a checkbox of its own (then it is an item)."""
    for child in node.children:
        if child.type == "paragraph":
            words, _ = inline_text(child)
            return _CHECKBOX.sub("", words), bool(_CHECKBOX.match(words))
    return "", False


def _table(walk: _Walk, node: SyntaxTreeNode) -> None:
    header: list[str] = []
    for part in node.children:
        for row in part.children:
            cells = [inline_text(cell) for cell in row.children]
            if part.type == "thead":
                header = [c[0] for c in cells]
                continue
            pairs = tuple(
                (header[i] if i < len(header) else f"column {i + 1}", c[0])
                for i, c in enumerate(cells)
            )
            walk.items.append(
                Item(
                    line=_line(row) + 1,
                    section=walk.headings,
                    text=" | ".join(c[0] for c in cells),
                    spans=tuple(s for c in cells for s in c[1]),
                    row=pairs,
                )
            )


def inline_text(node: SyntaxTreeNode) -> tuple[str, list[str]]:
    """The plain words of a block (emphasis dropped, code spans kept) and its code spans."""
    words: list[str] = []
    spans: list[str] = []

    def visit(n: SyntaxTreeNode) -> None:
        if n.type == "code_inline":
            spans.append(n.content)
            words.append(n.content)
        elif n.type in ("softbreak", "hardbreak"):
            words.append(" ")
        elif n.type == "text":
            words.append(n.content)
        for child in n.children:
            visit(child)

    visit(node)
    return re.sub(r"\s+", " ", "".join(words)).strip(), spans


def _line(node: SyntaxTreeNode) -> int:
    return node.map[0] if node.map else 0
