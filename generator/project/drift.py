"""`forgeml diff`: drift of template-managed files.

Renders the release the project records (`_commit`) with the answers it records, then
compares every rendered file with the project's copy on disk. What differs is what
people changed by hand since: edited content, deleted files, a lost executable bit.
Files the template does not render are the project's own and never count as drift, and
neither do the files the release declares created once (`ownership.py`): the template
writes them for `forgeml new` and leaves them to the project after that.

An update's delta cannot repair drift (copier carries local edits forward on purpose),
so CI gates on this command instead: exit 1 when anything differs.
"""

from __future__ import annotations

import difflib
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.project.generated import load_project
from generator.project.ownership import ownership
from generator.project.patterns import copier_exclusions, matches
from generator.templates import render_cache
from generator.templates.location import locate_template
from generator.templates.trust import load_trust

DriftKind = Literal["modified", "deleted", "mode"]


@dataclass(frozen=True)
class FileDrift:
    path: str
    kind: DriftKind
    # Unified diff from the template's rendering to the project's file ('' for mode-only).
    diff: str = ""


@dataclass(frozen=True)
class DriftResult:
    path: Path
    source: str
    version: str
    checked: int
    files: tuple[FileDrift, ...]

    @property
    def drifted(self) -> bool:
        return bool(self.files)


def find_drift(path: Path, only: tuple[str, ...] | None = None) -> DriftResult:
    """Drift of every template-managed file, or of those matching the patterns `only`
    (`patterns.py`); then only what those patterns can match is rendered, much faster."""
    project = load_project(path)
    location = locate_template(project.src_path, (project.commit,))
    exclude = copier_exclusions(only) if only is not None else None
    # A fleet on one release and one set of answers is rendered once (render_cache).
    rendering = render_cache.rendered(
        location,
        project.path.name,
        vcs_ref=project.commit,
        answers=project.answers,
        # diff, check and fleet status have no --trust: only the configuration trusts.
        trust=load_trust(flag=None),
        exclude=exclude or (),
    )
    rendered = rendering.path
    managed = sorted(
        item.relative_to(rendered).as_posix()
        for item in rendered.rglob("*")
        if item.is_file() or item.is_symlink()
    )
    if only is not None:
        managed = [relpath for relpath in managed if matches(relpath, only)]
    created_once = rendering.skip_if_exists
    managed = [path for path in managed if ownership(path, created_once) != "created once"]
    files = tuple(
        drift
        for relpath in managed
        if (drift := compare(rendered / relpath, project.path / relpath, relpath))
    )
    return DriftResult(
        path=project.path,
        source=location.describe(),
        version=project.commit,
        checked=len(managed),
        files=files,
    )


def compare(expected: Path, actual: Path, relpath: str) -> FileDrift | None:
    """How the project's `actual` file differs from the template's `expected` one."""
    if not actual.exists() and not actual.is_symlink():
        diff = _unified(expected.read_bytes(), b"", relpath, tofile="/dev/null")
        return FileDrift(relpath, "deleted", diff)
    if expected.is_symlink() or actual.is_symlink():
        if _link_or_bytes(expected) != _link_or_bytes(actual):
            return FileDrift(relpath, "modified", f"{relpath}: symbolic link differs\n")
        return None
    old, new = expected.read_bytes(), actual.read_bytes()
    if old != new:
        return FileDrift(relpath, "modified", _unified(old, new, relpath))
    if _executable(expected) != _executable(actual):
        wanted = "executable" if _executable(expected) else "not executable"
        return FileDrift(relpath, "mode", f"{relpath}: the template makes it {wanted}\n")
    return None


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def _link_or_bytes(path: Path) -> bytes:
    return str(path.readlink()).encode() if path.is_symlink() else path.read_bytes()


def _unified(old: bytes, new: bytes, relpath: str, tofile: str | None = None) -> str:
    try:
        old_text, new_text = old.decode("utf-8"), new.decode("utf-8")
    except UnicodeDecodeError:
        return f"Binary files template/{relpath} and project/{relpath} differ\n"
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"template/{relpath}",
        tofile=tofile or f"project/{relpath}",
    )
    return "".join(
        line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines
    )
