"""Remotes for fleet tests: bare repositories holding a generated project, fleet files."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.template_factory import clone_project, commit_all, git

# The update branch of the fixture template's latest release.
BRANCH = "forgeml/update-2.0.0"
# The README line release 2.0.0 changes: editing it too makes the update conflict.
CHANGED_LINE = "Run `make run`."


def bare_remote(origin: Path, dest: Path, *, conflicting: bool = False) -> Path:
    """A bare repository holding a copy of `origin` on `main`, as a hosting service would."""
    work = clone_project(origin, dest.with_suffix(".work"))
    git(work, "branch", "-M", "main")
    if conflicting:
        readme = work / "README.md"
        readme.write_text(readme.read_text().replace(CHANGED_LINE, "Run `make start`."))
        commit_all(work, "our own run instructions")
    git(dest.parent, "clone", "--quiet", "--bare", str(work), str(dest))
    # What hosting services allow: partial clones (`--filter=blob:none`).
    git(dest, "config", "uploadpack.allowFilter", "true")
    git(dest, "symbolic-ref", "HEAD", "refs/heads/main")
    shutil.rmtree(work)
    return dest


def write_fleet(path: Path, urls: list[str], **extra: str) -> Path:
    lines = []
    for index, url in enumerate(urls):
        lines += ["[[repository]]", f'url = "{url}"']
        lines += [f'{key} = "{value.format(index=index)}"' for key, value in extra.items()]
    path.write_text("\n".join(lines) + "\n")
    return path
