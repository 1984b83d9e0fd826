"""`forgeml diff`: drift of template-managed files from the recorded release."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.commands.update import update_project
from generator.errors import ForgemlError
from generator.project.drift import find_drift
from tests.support.template_factory import (
    commit_all,
)

runner = CliRunner()


def test_diff_is_quiet_on_a_clean_project(project: Path) -> None:
    result = runner.invoke(app, ["diff", str(project)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("No drift: the 11 template-managed files")


def test_diff_finds_a_hand_edit_and_exits_1(project: Path) -> None:
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("Ask the platform team.", "Ask me."))

    result = runner.invoke(app, ["diff", str(project)])

    assert result.exit_code == 1
    assert "--- template/README.md\n+++ project/README.md\n" in result.output
    assert "-Ask the platform team.\n+Ask me.\n" in result.output
    assert "1 of 11 template-managed files differ from template 1.0.0" in result.output
    assert "  modified   README.md" in result.output


def test_diff_reports_deleted_files_and_lost_executable_bits(project: Path) -> None:
    (project / "legacy.cfg").unlink()
    (project / "scripts" / "run.sh").chmod(0o644)

    drift = find_drift(project)

    assert [(f.path, f.kind) for f in drift.files] == [
        ("legacy.cfg", "deleted"),
        ("scripts/run.sh", "mode"),
    ]
    assert "-[legacy]" in drift.files[0].diff


def test_diff_ignores_the_projects_own_files(project: Path) -> None:
    (project / "src" / "demo_project" / "model.py").write_text("print('mine')\n")
    (project / "data.csv").write_text("a,b\n")

    assert not find_drift(project).drifted


def test_diff_reads_the_working_tree_not_only_commits(project: Path) -> None:
    (project / "Makefile").write_text("all:\n")
    assert [f.path for f in find_drift(project).files] == ["Makefile"]
    commit_all(project)
    assert [f.path for f in find_drift(project).files] == ["Makefile"]


def test_diff_compares_with_the_release_the_project_is_at(project: Path) -> None:
    update_project(project)
    commit_all(project, "update to 2.0.0")

    drift = find_drift(project)

    assert drift.version == "2.0.0"
    assert not drift.drifted, [f.path for f in drift.files]


def test_diff_of_a_directory_that_is_not_a_generated_project_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diff", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith("forgeml: error: ")
    assert "is not a generated project" in result.output
    with pytest.raises(ForgemlError):
        find_drift(tmp_path)
