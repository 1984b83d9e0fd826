"""forgeml's own template as it is in this checkout, committed and tagged as a release.

`forgeml adopt` records the release it rendered, so tests that adopt a repository and
then check, diff or update it need the working tree's template (uncommitted edits
included) at a tag that exists: a copy of the checkout's files, committed and tagged.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
IDENTITY = ("-c", "user.name=forgeml tests", "-c", "user.email=tests@forgeml.invalid")


def released_template(dest: Path, tag: str = "0.1.0") -> Path:
    """Copy the template's files (tracked or new, not ignored) to `dest` and tag them."""
    listed = subprocess.run(
        [
            "git",
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            "copier.yml",
            "template",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for relpath in filter(None, listed.split("\0")):
        source = REPO_ROOT / relpath
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target = dest / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    for args in (
        ("init", "--quiet"),
        ("add", "--all"),
        ("commit", "--quiet", "-m", tag),
        ("tag", tag),
    ):
        subprocess.run(["git", *IDENTITY, *args], cwd=dest, capture_output=True, check=True)
    return dest
