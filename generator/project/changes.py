"""What an update changed in a project, read back from git after copier has run.

The project's tree was clean before the update (forgeml refuses otherwise), so every
entry of `git status` is the update's doing. Conflicts are collected from all three
places they can hide, so none goes unreported:
- unmerged index entries (copier's `--conflict inline` records its 3-way merges there);
- conflict markers in any changed file (a template migration can merge files too, and
  never marks the index);
- `.rej` files (`--conflict rej`, and strays copier sometimes leaves, including ones a
  `*.rej` ignore rule hides from `git status`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from generator.backend.git import StatusEntry, other_files, status

_MARKERS = (
    re.compile(rb"^<{7}(?: |$)", re.MULTILINE),
    re.compile(rb"^={7}\r?$", re.MULTILINE),
    re.compile(rb"^>{7}(?: |$)", re.MULTILINE),
)
REJECT_SUFFIX = ".rej"


@dataclass(frozen=True)
class Conflict:
    path: str
    reason: str


@dataclass(frozen=True)
class ChangeSet:
    """Project-relative paths, sorted; a conflicted file is listed only as a conflict."""

    updated: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.updated or self.added or self.removed or self.conflicts)


def rejects_present(toplevel: Path, prefix: str) -> frozenset[str]:
    """`.rej` files already in the project before an update (they are not its doing)."""
    return frozenset(_rejects(toplevel, prefix))


def collect_changes(toplevel: Path, prefix: str, rejects_before: frozenset[str]) -> ChangeSet:
    """Classify `git status` of the project directory (`prefix` inside `toplevel`)."""
    entries = status(toplevel, f":(top){prefix}")
    updated: set[str] = set()
    added: set[str] = set()
    removed: set[str] = set()
    conflicts: dict[str, str] = {}
    for entry in entries:
        if entry.path.endswith(REJECT_SUFFIX) and entry.untracked:
            continue  # reported below with the file it belongs to
        _classify(entry, updated, added, removed, conflicts)
    for reject in sorted(_rejects(toplevel, prefix) - rejects_before):
        target = reject.removesuffix(REJECT_SUFFIX)
        where = _relative(reject, prefix)
        if target in removed:
            # copier removes a file the new release dropped even when the project edited
            # it; the .rej holds those edits (a migration may have moved them elsewhere).
            reason = f"removed by the template, but edited here: your changes are in {where}"
        else:
            # copier applies the project's edits to the new release: the file holds the
            # release, and the edits that did not apply are the hunks of the .rej.
            reason = f"your edits that did not apply are in {where}: re-apply them, then delete it"
        conflicts.setdefault(target, reason)
    for path in sorted((updated | added) - conflicts.keys()):
        if has_conflict_markers(toplevel / path):
            conflicts[path] = "conflict markers"
    return ChangeSet(
        updated=_project_paths(updated - conflicts.keys(), prefix),
        added=_project_paths(added - conflicts.keys(), prefix),
        removed=_project_paths(removed - conflicts.keys(), prefix),
        conflicts=tuple(
            Conflict(_relative(path, prefix), reason) for path, reason in sorted(conflicts.items())
        ),
    )


def _classify(
    entry: StatusEntry,
    updated: set[str],
    added: set[str],
    removed: set[str],
    conflicts: dict[str, str],
) -> None:
    if entry.unmerged:
        conflicts[entry.path] = "conflict markers, unmerged in the git index"
    elif entry.untracked or "A" in entry.code:
        added.add(entry.path)
    elif entry.origin is not None:  # a rename or copy staged by a migration
        added.add(entry.path)
        if entry.code[0] == "R":
            removed.add(entry.origin)
    elif "D" in entry.code:
        removed.add(entry.path)
    else:  # M (content) or T (type), staged or not; a mode change is an M
        updated.add(entry.path)


def _rejects(toplevel: Path, prefix: str) -> set[str]:
    return other_files(toplevel, f":(top,glob){prefix}**/*{REJECT_SUFFIX}")


def has_conflict_markers(path: Path) -> bool:
    """A complete conflict (start, separator and end markers) in a regular file."""
    if not path.is_file() or path.is_symlink():
        return False
    try:
        content = path.read_bytes()
    except OSError:
        return False
    return conflict_marker_line(content) is not None


def conflict_marker_line(content: bytes) -> int | None:
    """The 1-based line of the first start marker when `content` holds a whole conflict.

    All three markers must be there: a lone `=======` is a Markdown heading underline.
    """
    if not all(marker.search(content) for marker in _MARKERS):
        return None
    start = _MARKERS[0].search(content)
    assert start is not None  # searched just above
    return content.count(b"\n", 0, start.start()) + 1


def _relative(path: str, prefix: str) -> str:
    return path.removeprefix(prefix)


def _project_paths(paths: set[str], prefix: str) -> tuple[str, ...]:
    return tuple(sorted(_relative(path, prefix) for path in paths))
