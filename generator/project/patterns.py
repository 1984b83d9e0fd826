"""Path patterns of policies (`drift.protected`, `leftovers.files`), matched like .gitignore.

A pattern with a slash is matched against the whole project-relative path, one without
against the file name at any depth (`*.rej` finds `docs/a.md.rej`); `*` also matches `/`.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

_WILDCARDS = "*?["


def matches(relpath: str, patterns: tuple[str, ...]) -> bool:
    """Whether a project-relative path matches any of `patterns`."""
    name = relpath.rsplit("/", 1)[-1]
    return any(fnmatchcase(relpath if "/" in p else name, p) for p in patterns)


def copier_exclusions(patterns: tuple[str, ...]) -> list[str] | None:
    """copier `exclude` patterns that render at least the files matching `patterns`.

    Rendering a whole release to compare three protected files wastes most of a drift
    check (copier renders and stats every file), so everything is excluded except what
    the patterns may match. copier reads .gitignore-style patterns, whose `*` stops at
    `/`, so a pattern with a slash keeps the whole directory before its first wildcard:
    a superset, narrowed afterwards with `matches`. None means: render everything.
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
