"""Path patterns of policies (`drift.protected`, `leftovers.files`): .gitignore patterns.

Matched with pathspec's implementation of git's rules: a pattern without a slash
matches a file name at any depth (`*.rej` finds `docs/a.md.rej`), one with a slash the
project-relative path; `*` stops at `/`, `**` crosses it, and a pattern matching a
directory matches everything in it (`.github/*` covers `.github/workflows/ci.yml`).
"""

from __future__ import annotations

from functools import lru_cache

from pathspec import GitIgnoreSpec

_WILDCARDS = "*?["


def matches(relpath: str, patterns: tuple[str, ...]) -> bool:
    """Whether a project-relative path matches any of `patterns`."""
    return _spec(patterns).match_file(relpath)


@lru_cache(maxsize=64)
def _spec(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    # A policy's patterns are matched against every file of every project: compile once.
    return GitIgnoreSpec.from_lines(patterns)


def copier_exclusions(patterns: tuple[str, ...]) -> list[str] | None:
    """copier `exclude` patterns that render at least the files matching `patterns`.

    Rendering a whole release to compare three protected files wastes most of a drift
    check (copier renders and stats every file), so everything is excluded except what
    the patterns may match. A pattern with a slash keeps the whole directory before its
    first wildcard: a superset, narrowed afterwards with `matches`. None means: render
    everything.
    """
    keep: list[str] = []
    for pattern in patterns:
        if "/" not in pattern:
            keep.append(f"!{pattern}")
            continue
        wildcard = min((pattern.find(c) for c in _WILDCARDS if c in pattern), default=-1)
        if wildcard == -1:
            keep.append(f"!/{pattern.lstrip('/')}")
            continue
        directory = pattern[:wildcard].rpartition("/")[0].lstrip("/")
        if not directory:
            return None  # `*/x`: could be anywhere
        keep.append(f"!/{directory}/")
    return ["*", *keep]
