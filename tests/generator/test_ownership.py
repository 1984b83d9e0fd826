"""File ownership as forgeml's template declares it, and Dependabot's share of the files."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from generator.cli import app
from generator.commands.new import NewProject, create_project
from generator.project.drift import find_drift
from generator.project.ownership import ownership
from generator.project.patterns import matches
from tests.support.released_template import released_template

REPO_ROOT = Path(__file__).resolve().parents[2]
CREATED_ONCE = tuple(yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["_skip_if_exists"])
PROTECTED = tuple(
    tomllib.loads((REPO_ROOT / "template" / "forgeml-policy.toml").read_text())["drift"][
        "protected"
    ]
)
# What each Dependabot ecosystem edits in a project like the generated one.
DEPENDABOT_EDITS = {
    "uv": ("uv.lock",),
    "pip": ("requirements*.txt", "pyproject.toml"),
    "github-actions": (".github/workflows/*", ".github/actions/*"),
    "docker": ("Dockerfile",),
    "terraform": ("*.tf",),
}


def rendered_files(project: Path) -> list[str]:
    return sorted(
        p.relative_to(project).as_posix()
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(project).parts
    )


def test_no_file_is_both_created_once_and_protected() -> None:
    assert CREATED_ONCE
    assert PROTECTED
    for pattern in PROTECTED:
        assert ownership(pattern, CREATED_ONCE, PROTECTED) == "protected", pattern
    for pattern in CREATED_ONCE:
        assert not matches(pattern, PROTECTED), pattern


@pytest.fixture
def released_project(tmp_path: Path) -> Path:
    """A project of this checkout's template at a release tag, so `diff` can replay it."""
    template = released_template(tmp_path / "template")
    dest = tmp_path / "project"
    return create_project(
        dest, data={}, template=str(template), vcs_ref="0.1.0", defaults=True
    ).path


def test_created_once_files_are_not_drift(released_project: Path) -> None:
    project = released_project
    files = rendered_files(project)
    assert set(CREATED_ONCE) <= set(files)
    for relpath in CREATED_ONCE:  # the project's own from now on
        (project / relpath).write_text("# ours\n")
    (project / "Makefile").write_text((project / "Makefile").read_text() + "# local\n")

    drift = find_drift(project)

    assert [item.path for item in drift.files] == ["Makefile"]
    assert drift.checked == len(set(files) - set(CREATED_ONCE))


def test_dependabot_never_edits_files_the_template_renders(default_project: NewProject) -> None:
    """A file both edit would make every template update conflict with Dependabot."""
    project = default_project.path
    config = yaml.safe_load((project / ".github" / "dependabot.yml").read_text())
    ecosystems = [update["package-ecosystem"] for update in config["updates"]]
    assert "uv" in ecosystems  # the lock file is the project's to keep fresh
    rendered = rendered_files(project)
    for ecosystem in ecosystems:
        edits = DEPENDABOT_EDITS[ecosystem]
        assert not [path for path in rendered if matches(path, edits)], ecosystem


def test_check_never_flags_a_created_once_file_a_policy_protects(
    released_project: Path, tmp_path: Path
) -> None:
    project = released_project
    (project / "params.yaml").write_text("# tuned for our data\n")
    (project / "Makefile").write_text((project / "Makefile").read_text() + "# local\n")
    policy = tmp_path / "policy.toml"
    policy.write_text('[drift]\nprotected = ["params.yaml", "Makefile"]\n')

    result = CliRunner().invoke(
        app, ["check", str(project), "--policy", str(policy), "--format", "json"]
    )

    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    flagged = [
        finding["path"]
        for project_report in report["projects"]
        for check in project_report["results"]
        if check["code"] == "FML401"
        for finding in check["findings"]
    ]
    assert flagged == ["Makefile"]
