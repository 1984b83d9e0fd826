"""A disposable copy of a project's repository, for updates that must not touch it.

copier's `pretend` mode skips rendering but not the update's apply step (`git apply`,
file removal, migrations), so `forgeml update --dry-run` runs the real update in a
clone instead. The clone borrows the project's objects read-only (`git clone
--shared`) and lives in the system temporary directory, so the project's work tree,
index and `.git` are never written to; it is deleted on the way out.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.backend.git import clone_detached


@contextmanager
def scratch_clone(toplevel: Path, commit: str) -> Iterator[Path]:
    """Yield the work tree of a fresh clone of `toplevel` at `commit`.

    Ignored files are not part of a clone; copier does not update them either, unless
    the template itself renders them.
    """
    scratch = Path(tempfile.mkdtemp(prefix="forgeml-update-"))
    try:
        repo = scratch / toplevel.name
        clone_detached(toplevel, repo, commit)
        yield repo
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
