"""forgeml's own clones of a fleet file's repositories, kept in a cache workspace.

Each repository gets one directory, named after its URL, cloned once (partially: no file
contents until checked out) and fetched on later runs, so a fleet of hundreds costs a
full clone only the first time. Before every run the clone is reset to the remote's
branch and forgeml's leftover update branches are deleted: the workspace belongs to
forgeml, nobody works in it, and the remote is the truth. A clone is made in a hidden
directory and renamed into place, so an interrupted run never leaves a half clone that
a later run would take for a good one.

Two runs must not share a workspace (both would reset and branch the same clones), so a
run holds an exclusive lock on `<workspace>.lock` from the first clone to the last push.
It is an advisory `flock`: the kernel drops it when the process ends, even on SIGKILL,
so there is never a stale lock to clean up by hand.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from generator.backend.git import (
    clone_partial,
    delete_branch,
    fetch_origin,
    local_branches,
    origin_default_branch,
    reset_to_remote,
    resolve_commit,
)
from generator.commands.fleet.branch_update import BRANCH_PREFIX
from generator.commands.fleet.fleetfile import FleetRepository
from generator.errors import ForgemlError


@dataclass(frozen=True)
class Checkout:
    repository: FleetRepository
    path: Path
    # The branch checked out (the one updates start from); None when the sync failed.
    branch: str | None = None
    error: str | None = None


def default_workspace() -> Path:
    return Path(user_cache_dir("forgeml")) / "fleet"


@contextmanager
def locked(workspace: Path) -> Iterator[None]:
    """Hold the workspace for this run; refuse (exit 2) while another run holds it."""
    workspace.parent.mkdir(parents=True, exist_ok=True)
    lock_path = workspace.with_name(f"{workspace.name}.lock")
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ForgemlError(
                f"workspace {workspace} is in use by another forgeml fleet run; wait for it "
                "to finish or pass another --workspace"
            ) from None
        yield
    finally:
        os.close(descriptor)  # closing the descriptor releases the lock


def checkout_dir(workspace: Path, url: str) -> Path:
    """The directory of `url`'s clone: readable name, unique per URL."""
    tail = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", tail).strip(".-") or "repository"
    digest = hashlib.sha256(url.encode()).hexdigest()[:10]
    return workspace / f"{name}-{digest}"


def sync_all(repositories: Sequence[FleetRepository], workspace: Path, jobs: int) -> list[Checkout]:
    """Clone or refresh every repository, `jobs` at a time; failures become results.

    Threads suffice: every git call is a subprocess with its own working directory.
    """
    workspace.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        return list(pool.map(lambda repository: sync(repository, workspace), repositories))


def sync(repository: FleetRepository, workspace: Path) -> Checkout:
    path = checkout_dir(workspace, repository.url)
    try:
        if not (path / ".git").is_dir() or resolve_commit(path, "HEAD") is None:
            _fresh_clone(repository, path)
        else:
            fetch_origin(path)
        branch = repository.branch or origin_default_branch(path)
        if resolve_commit(path, f"refs/remotes/origin/{branch}") is None:
            raise ForgemlError(f"{repository.url} has no branch {branch}")
        reset_to_remote(path, branch)
        for leftover in local_branches(path, BRANCH_PREFIX):
            delete_branch(path, leftover)
    except ForgemlError as error:
        return Checkout(repository, path, error=error.message)
    return Checkout(repository, path, branch)


def _fresh_clone(repository: FleetRepository, path: Path) -> None:
    if path.exists():  # not a usable clone (damaged by hand, or not a repository)
        shutil.rmtree(path)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        clone_partial(repository.url, staging / "clone", repository.branch)
        (staging / "clone").rename(path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
