"""The generated project's pre-commit hooks catch what `forgeml update` can leave behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.generated import generate
from tests.support.generated import project_env, run


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = generate(tmp_path_factory.mktemp("hooks") / "project").path
    run(path, "make", "setup")
    return path


def _hook(project: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["uv", "run", "--frozen", "pre-commit", "run", hook, "--files", *files],
        cwd=project,
        env=project_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_conflict_markers_fail_outside_a_git_merge(project: Path) -> None:
    (project / "notes.md").write_text(
        "<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after updating\n"
    )
    assert _hook(project, "check-merge-conflict", "notes.md").returncode == 1
    (project / "notes.md").write_text("no markers\n")
    assert _hook(project, "check-merge-conflict", "notes.md").returncode == 0


def test_rejected_hunk_files_fail(project: Path) -> None:
    (project / "Makefile.rej").write_text("@@ -1 +1 @@\n")
    assert _hook(project, "no-rejected-patches", "Makefile.rej").returncode == 1
