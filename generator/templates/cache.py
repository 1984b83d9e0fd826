"""A local git repository holding the template releases this machine has installed.

Each installed forgeml version commits its packaged template once, tagged with the
version, so the cache accumulates exactly the history copier needs to replay an
update between two installed releases without any network.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import platformdirs

from generator.backend.git import init_repository, run_git

_IDENTITY = ("-c", "user.name=forgeml", "-c", "user.email=forgeml@localhost")


def cache_root() -> Path:
    override = os.environ.get("FORGEML_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("forgeml"))


def ensure_release(packaged_template: Path, version: str, root: Path) -> Path:
    """Return the cache repository, with `version` committed and tagged in it."""
    repo = root / "template"
    if not (repo / ".git").exists():
        repo.mkdir(parents=True, exist_ok=True)
        init_repository(repo)
    if run_git(repo, "tag", "--list", version).strip():
        return repo
    for child in repo.iterdir():
        if child.name == ".git":
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    shutil.copytree(packaged_template, repo, dirs_exist_ok=True)
    run_git(repo, "add", "--all")
    run_git(repo, *_IDENTITY, "commit", "--quiet", "--allow-empty", "-m", f"template {version}")
    run_git(repo, *_IDENTITY, "tag", version)
    return repo
