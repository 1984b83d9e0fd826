"""Where a key is written in a TOML document, for error messages that name its line.

`tomllib` reports the line of a syntax error but keeps no positions for valid
documents, so a semantic error (a wrong type, an unknown key) needs the line found
again. This is a line scanner, not a parser: it follows table headers and key/value
lines, skips multi-line strings, and is only ever asked about a document `tomllib`
already accepted.
"""

from __future__ import annotations

import re

# One key part: a bare key, a "basic" or a 'literal' quoted key.
_KEY_PART = re.compile(r"""\s*(?:([A-Za-z0-9_-]+)|"((?:[^"\\]|\\.)*)"|'([^']*)')\s*""")
_MULTILINE_DELIMITERS = ('"""', "'''")


def key_line(text: str, key: tuple[str, ...]) -> int | None:
    """The 1-based line defining `key` (or, failing that, its nearest enclosing table).

    A key inside an inline table (`locked = { cloud = "aws" }`) or an array is reported
    at the line where that value starts, which is where a reader looks for it.
    """
    best_line: int | None = None
    best_depth = 0
    table: tuple[str, ...] = ()
    in_string: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if raw.count(in_string) % 2 == 1:
                in_string = None
            continue
        line = _strip_comment(raw).strip()
        if not line:
            continue
        header = _header(line)
        if header is not None:
            table = header
            path = header
        else:
            left, sep, right = line.partition("=")
            parts = _key_parts(left) if sep else None
            if parts is None:
                continue
            path = table + parts
            in_string = _opens_multiline(right)
        depth = _shared_prefix(path, key)
        if depth == len(path) and depth > best_depth:
            best_line, best_depth = number, depth
            if depth == len(key):
                return number
    return best_line


def _header(line: str) -> tuple[str, ...] | None:
    """The key path of a `[table]` or `[[array.of.tables]]` header line."""
    match = re.fullmatch(r"\[\[(.+)\]\]|\[(.+)\]", line)
    if match is None:
        return None
    return _key_parts(match.group(1) or match.group(2))


def _key_parts(text: str) -> tuple[str, ...] | None:
    """`a."b.c".d` -> ('a', 'b.c', 'd'); None when `text` is not a key."""
    parts: list[str] = []
    position = 0
    while True:
        match = _KEY_PART.match(text, position)
        if match is None or match.end() == position:
            return None
        parts.append(next(group for group in match.groups() if group is not None))
        position = match.end()
        if position == len(text):
            return tuple(parts)
        if text[position] != ".":
            return None
        position += 1


def _strip_comment(line: str) -> str:
    """`line` without a trailing `# comment`, keeping `#` inside quoted strings."""
    quote: str | None = None
    escaped = False
    for index, char in enumerate(line):
        if quote == '"' and escaped:
            escaped = False
        elif quote == '"' and char == "\\":
            escaped = True
        elif quote is not None:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def _opens_multiline(value: str) -> str | None:
    """The delimiter of a multi-line string that starts in `value` and stays open."""
    for delimiter in _MULTILINE_DELIMITERS:
        if value.lstrip().startswith(delimiter) and value.count(delimiter) % 2 == 1:
            return delimiter
    return None


def _shared_prefix(path: tuple[str, ...], key: tuple[str, ...]) -> int:
    depth = 0
    for mine, wanted in zip(path, key, strict=False):
        if mine != wanted:
            break
        depth += 1
    return depth
