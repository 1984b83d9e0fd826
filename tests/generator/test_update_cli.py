"""`forgeml update` through the command line: exit codes, one-line errors, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from tests.support.template_factory import (
    commit_all,
    tree_digest,
)

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("forgeml: error:")]


def make_conflict(project: Path) -> None:
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("Run `make run`.", "Run `make run X=1`."))
    commit_all(project)


@pytest.mark.parametrize("command", ["update", "diff", "check-update"])
def test_help_describes_the_maintenance_commands(command: str) -> None:
    code, output = run(command, "--help")
    assert code == 0
    assert "Usage" in output
    assert "Exit 0" in output


def test_clean_update_exits_0_and_lists_the_changes(project: Path) -> None:
    code, output = run("update", str(project))
    assert code == 0, output
    assert f"Updated {project} from template 1.0.0 to 2.0.0" in output
    assert "  updated    README.md" in output
    assert "  added      CONTRIBUTING.md" in output
    assert "  removed    legacy.cfg" in output
    assert "Template migrations run: 2.0.0" in output
    assert "0 conflicts." in output


def test_update_with_conflicts_exits_1_and_lists_them(project: Path) -> None:
    make_conflict(project)
    code, output = run("update", str(project))
    assert code == 1, output
    assert "  conflict   README.md (conflict markers" in output
    assert "1 conflict." in output
    assert "Resolve the conflicts" in output


def test_dry_run_prints_the_diff_and_changes_nothing(project: Path) -> None:
    before = tree_digest(project)
    code, output = run("update", str(project), "--dry-run")
    assert code == 0, output
    assert "+Run `make run ARGS=--verbose`." in output
    assert f"Would update {project} from template 1.0.0 to 2.0.0" in output
    assert output.rstrip().endswith("Dry run: nothing was changed.")
    assert tree_digest(project) == before


def test_json_report_is_machine_readable(project: Path) -> None:
    make_conflict(project)
    code, output = run("update", str(project), "--format", "json")
    assert code == 1
    report = json.loads(output)
    assert report["from_version"] == "1.0.0"
    assert report["to_version"] == "2.0.0"
    assert report["conflicts"] == [
        {"path": "README.md", "reason": "conflict markers, unmerged in the git index"}
    ]
    assert "CONTRIBUTING.md" in report["added"]
    assert report["exit_code"] == 1


def test_data_option_changes_an_answer(project: Path) -> None:
    code, output = run("update", str(project), "--data", "project_name=Churn Model")
    assert code == 0, output
    assert (project / "README.md").read_text().startswith("# Churn Model")


def test_already_current_project_exits_0(project: Path) -> None:
    code, output = run("update", str(project), "--to", "1.0.0")
    assert code == 0
    assert "already at template 1.0.0; nothing to do" in output


def _dirty(project: Path) -> None:
    (project / "wip.txt").write_text("not committed\n")


def _not_generated(project: Path) -> None:
    (project / ".copier-answers.yml").unlink()
    commit_all(project)


@pytest.mark.parametrize(
    ("spoil", "args", "message"),
    [
        (_dirty, (), "has uncommitted changes (wip.txt); commit or stash them first"),
        (_not_generated, (), "is not a generated project"),
        (None, ("--conflict", "both"), "--conflict must be one of inline, rej"),
        (None, ("--format", "yaml"), "--format must be one of text, json"),
        (None, ("--data", "project_name"), "--data expects KEY=VALUE"),
        (None, ("--data", "package_name=json"), "invalid answer for package_name"),
        (None, ("--to", "0.0.1"), "downgrades are not supported"),
    ],
)
def test_refusals_exit_2_with_one_error_line_and_touch_nothing(
    project: Path, spoil: object, args: tuple[str, ...], message: str
) -> None:
    if callable(spoil):
        spoil(project)
    before = tree_digest(project)
    code, output = run("update", str(project), *args)
    assert code == 2, output
    lines = error_lines(output)
    assert len(lines) == 1, output
    assert message in lines[0]
    assert tree_digest(project) == before


def test_a_directory_that_is_not_a_git_repository_exits_2(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / ".copier-answers.yml").write_text("_src_path: /x\n_commit: 1.0.0\n")
    code, output = run("update", str(plain))
    assert code == 2
    assert error_lines(output) == [
        f"forgeml: error: {plain} is not a git repository; commit the project before updating it"
    ]
