"""A project made with plain `copier copy` (no git repository) works with its Makefile.

`make ci` runs pre-commit, which lists files with git: outside a repository it used to
fail. The precommit target now says it skips; the slow test runs the whole `make ci`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from copier import run_copy

from tests.support.generated import REPO_ROOT, project_env, run


def plain_copy(dest: Path) -> Path:
    """What a user of plain copier gets: no forgeml, no git repository."""
    run_copy(str(REPO_ROOT), dest, defaults=True, vcs_ref="HEAD", quiet=True)
    assert not (dest / ".git").exists()
    return dest


def test_make_precommit_outside_a_git_repository_says_it_skips(tmp_path: Path) -> None:
    project = plain_copy(tmp_path / "plain")
    completed = subprocess.run(
        ["make", "precommit"],
        cwd=project,
        env={**project_env(), "GIT_CEILING_DIRECTORIES": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "not a git repository: skipping pre-commit" in completed.stdout


@pytest.mark.slow
def test_a_plain_copier_copy_passes_make_ci(tmp_path: Path) -> None:
    project = plain_copy(tmp_path / "plain")
    env = {"GIT_CEILING_DIRECTORIES": str(tmp_path)}
    run(project, "make", "setup", env=env)
    completed = run(project, "make", "ci", env=env)
    assert "ci: all checks passed" in completed.stdout
