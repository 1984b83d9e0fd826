"""Renderings of a template release, made once and reused.

`forgeml diff`, `fleet status` and the protected-files check (FML401) compare a project
with its recorded release rendered with its recorded answers. Rendering is most of
their cost (copier clones the template and renders the name of every template path),
and a fleet on one standard is mostly projects on a few releases with the same
answers: each distinct rendering is made once.

Two layers. In this process, renderings are kept by (source, ref, answers,
exclusions); HEAD is never kept, since copier renders a local work tree's uncommitted
changes for it. On disk, under forgeml's cache, only when the ref resolves to a full commit
id in a local git repository, so the key names content that cannot change (a moved tag
resolves to a new id); a fresh `forgeml check` then skips copier entirely. The project's
folder name is part of the key when the template could use it (`_folder_name`,
`_copier_conf.dst_path`) or when that cannot be told (a remote source).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.backend import copier as copier_calls
from generator.backend.copier import TrustPolicy, private_mirrors
from generator.templates.cache import cache_root
from generator.templates.location import TemplateLocation

# How a template can see the folder it renders into: `_folder_name`, or
# `_copier_conf` other than through one of its attributes that do not depend on it
# (`_copier_conf.answers_file` is fine; `.dst_path`, `["dst_path"]` or the whole
# mapping are not).
_FOLDER_PATTERNS = ("_folder_name", r"_copier_conf([^.A-Za-z0-9_]|$|\.dst_path)")
# The release's created-once patterns, stored beside a rendering on disk.
_META = "skip_if_exists.json"
_memory: dict[str, Rendering] = {}


@dataclass(frozen=True)
class Rendering:
    """A rendered release: its directory (shared: read it, never change it) and its
    created-once patterns (`_skip_if_exists`), which decide file ownership."""

    path: Path
    skip_if_exists: tuple[str, ...]


def rendered(
    location: TemplateLocation,
    folder_name: str,
    *,
    vcs_ref: str,
    answers: Mapping[str, Any],
    trust: TrustPolicy,
    exclude: Sequence[str] = (),
) -> Rendering:
    """Release `vcs_ref` rendered with `answers` (no tasks run).

    `trust` decides whether copier may run the template's Jinja extensions when it
    renders; a rendering already made runs nothing, so the caches ignore it.
    """
    if vcs_ref == "HEAD":  # copier renders a local work tree's uncommitted changes
        return _render(location, folder_name, vcs_ref, answers, exclude, trust)
    commit = _commit_id(location, vcs_ref)
    uses_folder = commit is None or _template_sees_folder(location, commit)
    key = _key(location, commit or vcs_ref, answers, exclude, folder_name if uses_folder else "")
    if key in _memory and _memory[key].path.is_dir():
        return _memory[key]
    if commit is not None:
        # One entry per key: renderings that cannot see their folder share one name.
        stored = cache_root() / "renders" / key / (folder_name if uses_folder else "project")
        if not stored.is_dir():
            _store(stored, location, vcs_ref, answers, exclude, trust)
        patterns = json.loads((stored.parent / _META).read_text(encoding="utf-8"))
        _memory[key] = Rendering(stored, tuple(str(pattern) for pattern in patterns))
        return _memory[key]
    _memory[key] = _render(location, folder_name, vcs_ref, answers, exclude, trust)
    return _memory[key]


def _render(
    location: TemplateLocation,
    folder_name: str,
    vcs_ref: str,
    answers: Mapping[str, Any],
    exclude: Sequence[str],
    trust: TrustPolicy,
) -> Rendering:
    """Render into this process's scratch space (removed at exit)."""
    target = Path(tempfile.mkdtemp(dir=_process_scratch())) / folder_name
    release = copier_calls.render(
        location, target, vcs_ref=vcs_ref, answers=answers, trust=trust, exclude=exclude
    )
    return Rendering(target, release.skip_if_exists)


def _store(
    stored: Path,
    location: TemplateLocation,
    vcs_ref: str,
    answers: Mapping[str, Any],
    exclude: Sequence[str],
    trust: TrustPolicy,
) -> None:
    """Render into a private directory, then rename it into place: readers never see a
    half-written rendering, and when two processes race, one rendering wins whole."""
    entry = stored.parent
    entry.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=entry.parent))
    try:
        release = copier_calls.render(
            location,
            staging / stored.name,
            vcs_ref=vcs_ref,
            answers=answers,
            trust=trust,
            exclude=exclude,
        )
        (staging / _META).write_text(json.dumps(list(release.skip_if_exists)), encoding="utf-8")
        try:
            staging.rename(entry)
        except OSError:
            if not stored.is_dir():  # not a lost race: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _commit_id(location: TemplateLocation, vcs_ref: str) -> str | None:
    """The full commit id of `vcs_ref` in a local template repository, else None."""
    repo = location.local_repo or Path(location.recorded)
    if not repo.is_dir():
        return None
    completed = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{vcs_ref}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    commit = completed.stdout.strip()
    return commit if completed.returncode == 0 and len(commit) >= 40 else None


def _template_sees_folder(location: TemplateLocation, commit: str) -> bool:
    """Whether any file of the release, by name or content, uses the folder's name.

    The answer for a commit never changes: it is kept on disk beside the renderings, so
    a fresh `forgeml check` does not search the release again (two git processes).
    """
    patterns = hashlib.sha256("\n".join(_FOLDER_PATTERNS).encode()).hexdigest()[:12]
    known = cache_root() / "renders" / f"folder-use-{patterns}" / commit
    try:
        return known.read_text(encoding="utf-8") == "yes"
    except OSError:
        pass
    sees = _search_folder_use(location, commit)
    staging = known.with_name(f".{commit}.{os.getpid()}")
    try:
        known.parent.mkdir(parents=True, exist_ok=True)
        staging.write_text("yes" if sees else "no", encoding="utf-8")
        staging.replace(known)  # whole or not at all, whoever writes last
    except OSError:  # a read-only cache: search again next time
        staging.unlink(missing_ok=True)
    return sees


def _search_folder_use(location: TemplateLocation, commit: str) -> bool:
    repo = location.local_repo or Path(location.recorded)
    patterns = [arg for pattern in _FOLDER_PATTERNS for arg in ("-e", pattern)]
    contents = subprocess.run(
        ["git", "grep", "--quiet", "--extended-regexp", *patterns, commit, "--"],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    if contents.returncode != 1:  # 0: a match; an error counts as "maybe"
        return True
    names = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "-z", commit],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    folder = re.compile("|".join(_FOLDER_PATTERNS))
    return names.returncode != 0 or any(folder.search(name) for name in names.stdout.split("\0"))


def _key(
    location: TemplateLocation,
    ref: str,
    answers: Mapping[str, Any],
    exclude: Sequence[str],
    folder_name: str,
) -> str:
    identity = {
        "source": location.recorded,
        "ref": ref,
        "answers": dict(answers),
        "exclude": list(exclude),
        "folder": folder_name,
        "copier": _copier_identity(),
        # What an entry holds: 2 added the created-once patterns (_META); 3 names copier
        # by its installed files instead of its version number.
        "format": 3,
    }
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@functools.cache
def _copier_identity() -> str:
    """The installed copier, as its package file's path, size and modification time: an
    upgrade, downgrade or reinstall replaces the file. Read without importlib.metadata,
    whose import (and scan of every installed distribution) is about a tenth of a fresh
    `forgeml check`'s imports."""
    spec = importlib.util.find_spec("copier")
    if spec is None or spec.origin is None:
        return "absent"
    stat = Path(spec.origin).stat()
    return f"{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}"


@functools.cache
def _process_scratch() -> str:
    """Where this process keeps renderings the disk cache cannot hold, removed at exit.

    A fleet worker exits without running `atexit`: its scratch goes in the worker's
    private directory, which the fleet removes.
    """
    scratch = tempfile.TemporaryDirectory(prefix="forgeml-renders-", dir=private_mirrors())
    atexit.register(scratch.cleanup)
    return scratch.name


def forget() -> None:
    """Drop this process's renderings (the disk cache stays); for tests."""
    _memory.clear()
