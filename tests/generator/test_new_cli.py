"""`forgeml new` through the command line: exit codes, messages, and what is left on disk."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from generator import __version__
from generator.cli import app
from tests.support.generated import REPO_ROOT

runner = CliRunner()


def run_new(dest: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["new", str(dest), "--template", str(REPO_ROOT), "--vcs-ref", "HEAD", *args]
    )
    return result.exit_code, result.output


def test_version_prints_the_installed_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"forgeml {__version__}"


@pytest.mark.parametrize("command", [[], ["new"]])
def test_help_describes_every_command(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_defaults_generate_a_committed_project_and_print_next_steps(tmp_path: Path) -> None:
    dest = tmp_path / "demo"
    code, output = run_new(dest, "--defaults")
    assert code == 0, output
    assert "Created" in output
    assert "make setup" in output
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["package_name"] == "ml_project"
    assert answers["_src_path"] == str(REPO_ROOT)
    assert answers["_commit"]
    assert (dest / ".git").is_dir()


def test_next_steps_name_dest_as_typed_and_quoted_for_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "checkout").mkdir()
    monkeypatch.chdir(tmp_path / "checkout")
    code, output = run_new(Path("../my [ml] project"), "--defaults", "--no-git")
    assert code == 0, output
    assert "\n  cd '../my [ml] project'\n" in output
    # Square brackets in a path are text, not rich markup (which dropped "[ml]").
    assert "my [ml] project (" in " ".join(output.split())
    assert (tmp_path / "my [ml] project" / ".copier-answers.yml").is_file()


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ("package_name=json", "package_name"),
        ("package_name=pandas", "package_name"),
        ("package_name=class", "package_name"),
        ("package_name=1st_model", "package_name"),
        ("package_name=Has-Dash", "package_name"),
        ("project_name=2fast", "project_name"),
        (f"project_name=A{'b' * 48}", "project_name"),
        (f"package_name=a{'b' * 48}", "package_name"),
        (f"project_slug=a{'b' * 48}", "project_slug"),
        ('project_name=quote"d', "project_name"),
        ("project_name=Class", "package_name"),  # a derived default is validated too
        ("project_slug=-leading-dash", "project_slug"),  # non-ASCII names: test_clean_failures
        ("project_slug=Not_A_Slug", "project_slug"),
        ("author_email=not-an-email", "author_email"),
        ("author_name=  ", "author_name"),
        ("license=GPL", "license"),
        ("copyright_year=26", "copyright_year"),
        ("ml_task=clustering", "ml_task"),
        ("python_version=2.7", "python_version"),
    ],
)
def test_invalid_answer_exits_2_naming_the_field_and_leaves_nothing(
    tmp_path: Path, answer: str, field: str
) -> None:
    dest = tmp_path / "demo"
    code, output = run_new(dest, "--defaults", "--data", answer)
    assert code == 2
    error_lines = [line for line in output.splitlines() if line.startswith("forgeml: error:")]
    assert len(error_lines) == 1, output
    assert f"invalid answer for {field}:" in error_lines[0]
    assert list(tmp_path.iterdir()) == []


def test_unknown_question_is_refused_instead_of_ignored(tmp_path: Path) -> None:
    code, output = run_new(tmp_path / "demo", "--defaults", "--data", "ml_tsak=regression")
    assert code == 2
    assert "unknown question 'ml_tsak'" in output
    assert list(tmp_path.iterdir()) == []


def test_malformed_data_option_is_refused(tmp_path: Path) -> None:
    code, output = run_new(tmp_path / "demo", "--defaults", "--data", "ml_task")
    assert code == 2
    assert "--data expects KEY=VALUE" in output


def test_non_empty_destination_is_refused_and_untouched(tmp_path: Path) -> None:
    dest = tmp_path / "demo"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    code, output = run_new(dest, "--defaults")
    assert code == 2
    assert "not empty" in output
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]
    assert (dest / "notes.txt").read_text() == "mine"


def test_empty_destination_directory_is_accepted(tmp_path: Path) -> None:
    dest = tmp_path / "demo"
    dest.mkdir()
    code, output = run_new(dest, "--defaults")
    assert code == 0, output
    assert (dest / ".copier-answers.yml").is_file()


def test_missing_parent_directories_are_created(tmp_path: Path) -> None:
    dest = tmp_path / "a" / "b" / "demo"
    code, output = run_new(dest, "--defaults")
    assert code == 0, output
    assert (dest / ".copier-answers.yml").is_file()


def test_data_file_answers_are_used_and_data_options_win(tmp_path: Path) -> None:
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text("ml_task: regression\nauthor_name: File Author\n")
    dest = tmp_path / "demo"
    code, output = run_new(
        dest, "--defaults", "--data-file", str(answers_file), "--data", "author_name=Cli Author"
    )
    assert code == 0, output
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["ml_task"] == "regression"
    assert answers["author_name"] == "Cli Author"


@pytest.mark.parametrize(
    ("content", "message"),
    [("- a\n- b\n", "must be a mapping"), ("a: [unclosed\n", "not valid YAML")],
)
def test_bad_data_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text(content)
    code, output = run_new(tmp_path / "demo", "--defaults", "--data-file", str(answers_file))
    assert code == 2
    assert message in output
    assert not (tmp_path / "demo").exists()


def test_template_that_is_not_a_copier_template_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "demo"), "--template", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a copier template" in result.output


def test_no_git_option_skips_the_repository(tmp_path: Path) -> None:
    dest = tmp_path / "demo"
    code, output = run_new(dest, "--defaults", "--no-git")
    assert code == 0, output
    assert not (dest / ".git").exists()


def _template_repo(path: Path) -> Path:
    path.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", path / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", path / "template")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=path, check=True)
    subprocess.run([*git, "commit", "-qm", "template"], cwd=path, check=True)
    return path


def test_uncommitted_template_changes_are_rendered_with_a_warning(tmp_path: Path) -> None:
    template = _template_repo(tmp_path / "tpl")
    clean = runner.invoke(
        app, ["new", str(tmp_path / "a"), "--template", str(template), "--defaults"]
    )
    assert clean.exit_code == 0, clean.output
    assert "uncommitted changes" not in clean.output

    (template / "template" / "NOTES.md").write_text("not committed yet\n")
    dirty = runner.invoke(
        app, ["new", str(tmp_path / "b"), "--template", str(template), "--defaults"]
    )
    assert dirty.exit_code == 0, dirty.output
    assert "forgeml: warning:" in dirty.output
    assert "uncommitted changes" in dirty.output
    assert (tmp_path / "b" / "NOTES.md").is_file()
