"""`forgeml check-update`: is a newer template release available?"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from generator.cli import app
from generator.commands.check_update import check_update
from tests.support.template_factory import generate_project, git

runner = CliRunner()


def test_a_project_behind_the_latest_release_exits_1(template: Path, tmp_path: Path) -> None:
    project = generate_project(template, tmp_path / "demo", version="1.0.0")

    result = runner.invoke(app, ["check-update", str(project)])

    assert result.exit_code == 1
    assert "template 1.0.0 -> 2.0.0" in result.output
    assert "forgeml update" in result.output


def test_a_project_at_the_latest_release_exits_0(template: Path, tmp_path: Path) -> None:
    project = generate_project(template, tmp_path / "demo", version="2.0.0")

    result = runner.invoke(app, ["check-update", str(project)])

    assert result.exit_code == 0
    assert "is up to date: template 2.0.0" in result.output


def test_json_output_lists_the_newer_releases(template: Path, tmp_path: Path) -> None:
    project = generate_project(template, tmp_path / "demo", version="1.0.0")

    result = runner.invoke(app, ["check-update", str(project), "--format", "json"])

    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report == {
        "path": str(project),
        "source": str(template),
        "current": "1.0.0",
        "latest": "2.0.0",
        "newer": ["2.0.0"],
        "update_available": True,
    }


def test_pre_releases_and_non_version_tags_are_not_offered(template: Path, tmp_path: Path) -> None:
    project = generate_project(template, tmp_path / "demo", version="2.0.0")
    git(template, "tag", "3.0.0rc1")
    git(template, "tag", "nightly")
    try:
        assert not check_update(project).update_available
    finally:
        git(template, "tag", "-d", "3.0.0rc1", "nightly")


def test_check_update_needs_a_generated_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check-update", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not a generated project" in result.output
