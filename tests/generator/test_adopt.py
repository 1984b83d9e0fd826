"""`forgeml adopt` on small repositories, with a small template built for it.

The template has a file of each ownership class, a file the repositories ignore, an
executable script, and a `_tasks` step that would leave a marker if template code ever
ran. Release 2.0.0 changes a managed file and a created-once file, for the update after
adoption.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from generator.cli import app
from generator.commands.update import update_project
from generator.project.drift import find_drift
from tests.support.template_factory import IDENTITY, commit_and_tag, tree_digest

runner = CliRunner()

COPIER_YML = """\
_subdirectory: template
_answers_file: .copier-answers.yml
_templates_suffix: .jinja
_skip_if_exists:
  - params.yaml
_tasks:
  - "touch {marker}"

project_name:
  type: str
  default: Demo
package_name:
  type: str
  default: "{{{{ project_name | lower }}}}"
description:
  type: str
  default: A demo
"""
FILES_1 = {
    "{{_copier_conf.answers_file}}.jinja": "{{ _copier_answers|to_nice_yaml }}",
    "README.md.jinja": "# {{ project_name }}\n\n{{ description }}\n\n## Usage\n\nmake run\n",
    "params.yaml": "epochs: 10\n",
    "data/sample.csv": "a,b\n1,2\n",
    "scripts/run.sh": "#!/bin/sh\necho run\n",
    "src/{{package_name}}/__init__.py.jinja": '"""{{ project_name }}."""\n',
}
FILES_2 = {
    **FILES_1,
    "README.md.jinja": FILES_1["README.md.jinja"] + "\n## Support\n\nAsk the ML team.\n",
    "params.yaml": "epochs: 20\n",
}
CONFLICT = re.compile(rb"^<<<<<<< [^\n]*\n(.*?)^=======\n(.*?)^>>>>>>> [^\n]*\n", re.S | re.M)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *IDENTITY, *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def write(root: Path, files: dict[str, str]) -> None:
    for relpath, content in files.items():
        target = root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "template-task-ran"


@pytest.fixture
def template(tmp_path: Path, marker: Path) -> Path:
    root = tmp_path / "tpl"
    root.mkdir()
    git(root, "init", "--quiet")
    for tag, files in (("1.0.0", FILES_1), ("2.0.0", FILES_2)):
        write(root / "template", files)
        (root / "template" / "scripts" / "run.sh").chmod(0o755)
        (root / "copier.yml").write_text(COPIER_YML.format(marker=marker))
        commit_and_tag(root, tag)
    return root


def make_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    write(path, files)
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "-m", "existing work")
    return path


OWN_FILES = {
    ".gitignore": "/data/\n",
    "README.md": "# Churn\n\nOur churn model.\n",
    "params.yaml": "epochs: 3\nlearning_rate: 0.1\n",
    "notes.txt": "kept as is\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "churn", OWN_FILES)


def adopt(repo: Path, template: Path, *args: str) -> object:
    return runner.invoke(
        app, ["adopt", str(repo), "--template", str(template), "--vcs-ref", "1.0.0", *args]
    )


def work_tree_files(repo: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}


def show(repo: Path, ref: str, relpath: str) -> bytes:
    return subprocess.run(
        ["git", "show", f"{ref}:{relpath}"], cwd=repo, capture_output=True, check=True
    ).stdout


def side(content: bytes, which: int) -> bytes:
    """`content` with every conflict resolved to one side: 1 the project, 2 the template."""
    return CONFLICT.sub(lambda match: match.group(which), content)


def test_adopt_commits_the_template_on_a_branch_and_keeps_every_byte(
    repo: Path, template: Path, marker: Path
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    files = work_tree_files(repo)

    result = adopt(repo, template, "--data", "project_name=Churn")

    assert result.exit_code == 1, result.output
    assert "README.md: conflict markers" in result.output
    branch = "forgeml/adopt-1.0.0"
    # The checked-out branch, its index and work tree are untouched.
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert git(repo, "status", "--porcelain") == ""
    assert work_tree_files(repo) == files
    # README.md: both versions, the project's byte for byte on its side of the markers.
    readme = show(repo, branch, "README.md")
    assert side(readme, 1) == OWN_FILES["README.md"].encode()
    assert side(readme, 2) == b"# Churn\n\nOur churn model.\n\n## Usage\n\nmake run\n"
    # Created once: the project's params.yaml stays; untouched own files stay.
    assert show(repo, branch, "params.yaml") == OWN_FILES["params.yaml"].encode()
    assert show(repo, branch, "notes.txt") == b"kept as is\n"
    # Added even where the project's .gitignore hides it; the executable bit kept.
    assert show(repo, branch, "data/sample.csv") == b"a,b\n1,2\n"
    assert git(repo, "ls-tree", branch, "scripts/run.sh").startswith("100755")
    answers = yaml.safe_load(show(repo, branch, ".copier-answers.yml"))
    assert answers["_commit"] == "1.0.0"
    assert answers["_src_path"] == str(template)
    assert answers["project_name"] == "Churn"
    assert answers["description"] == "Our churn model."  # inferred from the README
    assert not marker.exists(), "the template's _tasks ran"


def test_dry_run_prints_the_plan_and_changes_nothing(repo: Path, template: Path) -> None:
    before = tree_digest(repo)

    result = adopt(repo, template, "--dry-run")

    assert result.exit_code == 1, result.output
    assert "Would adopt" in result.output
    assert "README.md: conflict markers" in result.output
    assert re.search(r"Kept as they are \(created once\) \(1\):\n  params.yaml", result.output)
    assert "  data/sample.csv" in result.output
    assert tree_digest(repo) == before  # .git included: no branch, no object


def test_the_json_report_lists_every_file_with_its_action(repo: Path, template: Path) -> None:
    result = adopt(repo, template, "--dry-run", "--format", "json")

    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["dry_run"] is True
    assert report["commit"] is None
    assert report["release"] == "1.0.0"
    assert report["branch"] == "forgeml/adopt-1.0.0"
    assert report["exit_code"] == 1
    actions = {entry["path"]: entry["action"] for entry in report["files"]}
    assert actions["README.md"] == "conflict"
    assert actions["params.yaml"] == "keep"
    assert actions["data/sample.csv"] == "add"
    assert report["inferred_from"]["description"].startswith("README.md")


def test_a_bad_report_format_is_refused(repo: Path, template: Path) -> None:
    result = adopt(repo, template, "--format", "yaml")
    assert result.exit_code == 2
    assert "--format" in result.output


def test_a_repository_without_conflicts_exits_0(tmp_path: Path, template: Path) -> None:
    repo = make_repo(tmp_path / "tiny", {"notes.txt": "hello\n"})
    answers = tmp_path / "answers.yml"
    answers.write_text("project_name: Tiny\ndescription: From the file\n")
    result = adopt(repo, template, "--data-file", str(answers), "--data", "project_name=Tinier")
    assert result.exit_code == 0, result.output
    assert "Conflicts" not in result.output
    recorded = yaml.safe_load(show(repo, "forgeml/adopt-1.0.0", ".copier-answers.yml"))
    assert (recorded["project_name"], recorded["description"]) == ("Tinier", "From the file")


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda p: p.mkdir(), "is not a git repository"),
        (lambda p: (p.mkdir(), git(p, "init", "--quiet")), "has no commits yet"),
        (
            lambda p: (make_repo(p, OWN_FILES), (p / "notes.txt").write_text("edited\n")),
            "has uncommitted changes (notes.txt)",
        ),
        (
            lambda p: make_repo(p, {".copier-answers.yml": "_commit: 1.0.0\n"}),
            "run `forgeml update`",
        ),
    ],
    ids=["not-git", "no-commits", "dirty", "already-adopted"],
)
def test_refusals_exit_2_and_change_nothing(
    tmp_path: Path, template: Path, prepare: object, message: str
) -> None:
    path = tmp_path / "repo"
    prepare(path)  # type: ignore[operator]
    before = tree_digest(path)
    result = adopt(path, template)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert tree_digest(path) == before


def test_unknown_answer_and_existing_branch_are_refused(repo: Path, template: Path) -> None:
    typo = adopt(repo, template, "--data", "projct_name=X")
    assert typo.exit_code == 2
    assert "unknown question 'projct_name'" in typo.output
    assert adopt(repo, template).exit_code == 1
    again = adopt(repo, template)
    assert again.exit_code == 2
    assert "branch forgeml/adopt-1.0.0 already exists" in again.output


def test_a_template_needing_jinja_extensions_is_refused(tmp_path: Path, repo: Path) -> None:
    root = tmp_path / "ext-tpl"
    root.mkdir()
    git(root, "init", "--quiet")
    write(root / "template", {"{{_copier_conf.answers_file}}.jinja": "{{ _copier_answers }}"})
    (root / "copier.yml").write_text(
        "_subdirectory: template\n_jinja_extensions: [jinja2.ext.do]\n"
    )
    commit_and_tag(root, "1.0.0")
    result = adopt(repo, root)
    assert result.exit_code == 2, result.output
    assert "unsafe" in result.output
    assert "forgeml/adopt" not in git(repo, "branch", "--list")


def test_update_diff_after_adoption_respect_created_once_files(repo: Path, template: Path) -> None:
    adopt(repo, template)
    git(repo, "checkout", "--quiet", "forgeml/adopt-1.0.0")
    readme = repo / "README.md"
    readme.write_bytes(side(readme.read_bytes(), 2))  # take the template's README
    git(repo, "commit", "--quiet", "-am", "resolve")
    assert find_drift(repo).files == ()  # params.yaml differs, but it is created once

    result = update_project(repo, to="2.0.0")

    assert result.changes.conflicts == ()
    assert "## Support" in readme.read_text()
    assert (repo / "params.yaml").read_text() == OWN_FILES["params.yaml"]
    assert "params.yaml" not in result.changes.updated


def test_a_file_where_the_template_needs_a_directory_is_kept(
    tmp_path: Path, template: Path
) -> None:
    repo = make_repo(tmp_path / "blocked", {"scripts": "echo my scripts\n"})

    result = adopt(repo, template)

    assert result.exit_code == 1, result.output
    assert "scripts/run.sh: the template needs a directory where scripts is" in result.output
    assert show(repo, "forgeml/adopt-1.0.0", "scripts") == b"echo my scripts\n"
