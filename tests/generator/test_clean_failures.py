"""Bad input is one line and exit 2, signals clean up, and `new` respects the file system.

Every refusal: exit 2, one line naming the field (or DEST, or the file), no traceback,
nothing left behind. SIGTERM is handled like Ctrl-C by every command: `new` leaves no
staging directory or temporary clone, `update` and its dry run no temporary directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from generator.cli import app
from generator.errors import InvalidAnswerError
from generator.project.answers import RESERVED_PACKAGE_NAMES, check_package_name
from generator.project.reserved_names import DEPENDENCY_IMPORT_NAMES
from tests.support.generated import REPO_ROOT
from tests.support.hostile import alias_bomb
from tests.support.template_factory import git, tagged_template

runner = CliRunner()


def new(dest: Path | str, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["new", str(dest), "--template", str(REPO_ROOT), "--vcs-ref", "HEAD", "--defaults", *args],
    )
    return result.exit_code, result.output


def assert_refused(code: int, output: str, *named: str) -> None:
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("forgeml: error: ")
    assert "Traceback" not in output
    for name in named:
        assert name in lines[0], output


def listing(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


# --- DEST and input files -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dangling symlink", "symlink to an empty directory"])
def test_a_symlinked_destination_is_refused(tmp_path: Path, kind: str) -> None:
    dest = tmp_path / "dest"
    if kind == "dangling symlink":
        dest.symlink_to(tmp_path / "nowhere")
    else:
        (tmp_path / "real").mkdir()
        dest.symlink_to(tmp_path / "real")
    before = listing(tmp_path)

    assert_refused(*new(dest), "DEST", "symbolic link")
    assert listing(tmp_path) == before


def test_a_destination_name_too_long_is_refused(tmp_path: Path) -> None:
    assert_refused(*new(tmp_path / ("a" * 300)), "DEST", "File name too long")
    assert listing(tmp_path) == []


def test_a_parent_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    assert_refused(*new(tmp_path / "afile" / "sub" / "p"), "DEST", "afile is not a directory")
    assert listing(tmp_path) == ["afile"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any directory")
def test_an_unwritable_parent_is_refused(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        assert_refused(*new(parent / "p"), "DEST", "not writable")
        assert listing(parent) == []
    finally:
        parent.chmod(0o755)


def test_a_data_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "answers.yml"
    data.write_bytes(b"description: caf\xe9\n")
    assert_refused(*new(tmp_path / "p", "--data-file", str(data)), "--data-file", "UTF-8")
    assert not (tmp_path / "p").exists()


def test_a_yaml_alias_bomb_is_refused_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "bomb.yml"
    data.write_text("\n".join([*alias_bomb(), "description: *i"]) + "\n")

    assert_refused(*new(tmp_path / "p", "--data-file", str(data)), "--data-file", "alias")
    assert not (tmp_path / "p").exists()


# --- Answers that would make a broken project ----------------------------------------


@pytest.mark.parametrize(
    "value",
    ["A model\x7f", "esc \x1b[31mred", "evil\u202etxt.exe", "two\nlines", "nul\x00"],
)
@pytest.mark.parametrize("field", ["description", "author_name"])
def test_control_characters_in_free_text_are_refused(
    tmp_path: Path, field: str, value: str
) -> None:
    data = tmp_path / "answers.yml"
    data.write_text(yaml.safe_dump({field: value}), encoding="utf-8")
    code, output = new(tmp_path / "p", "--data-file", str(data))
    assert_refused(code, output, field, "control character U+")
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    "name", ["test", "joblib", "setuptools", "pip", "typing_extensions", "json", "starlette"]
)
def test_package_names_shadowing_stdlib_or_dependencies_are_refused(
    tmp_path: Path, name: str
) -> None:
    assert_refused(*new(tmp_path / "p", "--data", f"package_name={name}"), "package_name", name)
    assert listing(tmp_path) == []


def test_a_derived_package_name_that_shadows_a_dependency_is_refused(tmp_path: Path) -> None:
    assert_refused(*new(tmp_path / "p", "--data", "project_name=Joblib"), "package_name")
    assert listing(tmp_path) == []


def test_every_dependency_of_the_generated_project_is_reserved() -> None:
    for name in sorted(DEPENDENCY_IMPORT_NAMES):
        with pytest.raises(InvalidAnswerError):
            check_package_name(name)
    assert {"joblib", "typing_extensions", "sklearn", "mlflow", "yaml"} <= RESERVED_PACKAGE_NAMES


def test_the_reserved_list_is_the_generated_projects_dependency_closure() -> None:
    """Regenerated from a set-up project's environment, the list must not change."""
    python = os.environ.get("FORGEML_PROJECT_PYTHON")
    if not python:
        pytest.skip("set FORGEML_PROJECT_PYTHON to a generated project's .venv/bin/python")
    regenerated = subprocess.run(
        [python, "-m", "generator.project.reserved_names"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert regenerated == (REPO_ROOT / "generator" / "project" / "reserved_names.py").read_text()


@pytest.mark.parametrize(
    ("name", "slug", "package"),
    [("Über Modèle", "uber-modele", "uber_modele"), ("Ølstrøm Straße", "olstrom-strasse", None)],
)
def test_non_ascii_project_names_get_a_transliterated_slug(
    tmp_path: Path, name: str, slug: str, package: str | None
) -> None:
    code, output = new(tmp_path / "p", "--no-git", "--data", f"project_name={name}")
    assert code == 0, output
    answers = yaml.safe_load((tmp_path / "p" / ".copier-answers.yml").read_text())
    assert answers["project_name"] == name
    assert answers["project_slug"] == slug
    assert answers["package_name"] == (package or slug.replace("-", "_"))


def test_plain_copier_defaults_give_a_valid_slug_for_any_name(tmp_path: Path) -> None:
    from copier import run_copy

    for n, name in enumerate(["機械学習", "Ü2 model"]):
        dest = tmp_path / f"p{n}"
        run_copy(
            str(REPO_ROOT),
            dest,
            {"project_name": name},
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
        )
        slug = yaml.safe_load((dest / ".copier-answers.yml").read_text())["project_slug"]
        assert slug[0].isalpha(), slug
        assert slug.replace("-", "").isalnum(), slug


# --- The file system ---------------------------------------------------------------------


def run_forgeml(
    *args: str, cwd: Path, umask: int = 0o022, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: os.umask(umask),
    )


def test_new_respects_the_umask_and_keeps_an_existing_empty_dest(tmp_path: Path) -> None:
    made = run_forgeml(
        "new", "fresh", "--template", str(REPO_ROOT), "--vcs-ref", "HEAD", "--defaults",
        cwd=tmp_path, umask=0o002,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "fresh").stat().st_mode & 0o777 == 0o775
    assert (tmp_path / "fresh" / "src").stat().st_mode & 0o777 == 0o775

    existing = tmp_path / "existing"
    existing.mkdir()
    existing.chmod(0o750)
    inode = existing.stat().st_ino
    # `forgeml new .` inside it: generated in place, the directory itself kept.
    made = run_forgeml(
        "new", ".", "--template", str(REPO_ROOT), "--vcs-ref", "HEAD", "--defaults",
        cwd=existing,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert existing.stat().st_mode & 0o777 == 0o750
    assert existing.stat().st_ino == inode
    assert (existing / ".copier-answers.yml").is_file()
    assert git(existing, "status", "--porcelain") == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing", "fresh"]


def test_new_from_a_template_without_release_tags_is_quiet(tmp_path: Path) -> None:
    template = tmp_path / "template"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-tags", str(REPO_ROOT), str(template)], check=True
    )
    made = run_forgeml("new", "p", "--template", str(template), "--defaults", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "No git tags found" not in made.stderr
    assert made.stderr == ""


# --- Signals -------------------------------------------------------------------------------

SLOW_COPIER_YML = """\
_subdirectory: template
_answers_file: .copier-answers.yml
_templates_suffix: .jinja
_tasks:
  - ["{python}", "-c", "{slow}"]
_migrations:
  - version: "2.0.0"
    command: ["{python}", "-c", "{slow}"]
project_name:
  type: str
  default: demo
"""
SLOW = (
    "import os, pathlib, time; pathlib.Path(os.environ['STARTED']).touch(); "
    "time.sleep(float(os.environ['SLEEP']))"
)


def slow_template(root: Path) -> Path:
    return tagged_template(
        root,
        SLOW_COPIER_YML.format(python=sys.executable, slow=SLOW),
        {version: {"VERSION": version} for version in ("1.0.0", "2.0.0")},
    )


def interrupted(args: list[str], cwd: Path, tmp: Path, signum: int) -> tuple[int, str]:
    """Run forgeml until the template's code starts, send `signum`, return its exit."""
    started = tmp.parent / "started"
    started.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "TMPDIR": str(tmp),
            "STARTED": str(started),
            "SLEEP": "120",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_new_leaves_no_staging_directory_or_clone(
    tmp_path: Path, signum: int
) -> None:
    template = slow_template(tmp_path / "template")
    work, tmp = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    tmp.mkdir()
    code, stderr = interrupted(
        ["new", "p", "--template", str(template), "--defaults", "--trust"], work, tmp, signum
    )
    assert code == 128 + signum, stderr
    assert stderr.strip().splitlines()[-1] == "forgeml: interrupted; nothing was written"
    assert "Traceback" not in stderr
    assert listing(work) == []
    assert listing(tmp) == []


@pytest.mark.parametrize("dry_run", [True, False])
def test_sigterm_during_update_leaves_no_temporary_directory(tmp_path: Path, dry_run: bool) -> None:
    template = slow_template(tmp_path / "template")
    project = tmp_path / "p"
    made = run_forgeml(
        "new", str(project), "--template", str(template), "--vcs-ref", "1.0.0", "--defaults",
        "--trust", cwd=tmp_path, STARTED=str(tmp_path / "task-ran"), SLEEP="0",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    head = git(project, "rev-parse", "HEAD")
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    args = ["update", str(project), "--trust", *(["--dry-run"] if dry_run else [])]
    code, stderr = interrupted(args, tmp_path, tmp, signal.SIGTERM)

    assert code == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("forgeml: interrupted; ")
    assert listing(tmp) == []
    assert git(project, "rev-parse", "HEAD") == head
    if dry_run:
        assert git(project, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("project_name: [a, b]\n", "project_name"),
        ("license:\n", "license"),
        ("ml_task: {a: b}\n", "ml_task"),
    ],
)
def test_an_answer_that_is_not_one_value_names_its_question(
    tmp_path: Path, content: str, field: str
) -> None:
    data = tmp_path / "answers.yml"
    data.write_text(content)
    assert_refused(*new(tmp_path / "p", "--data-file", str(data)), f"invalid answer for {field}")
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("command", [["diff"], ["update", "--dry-run"], ["check-update"]])
def test_an_alias_bomb_in_the_answers_file_is_refused_in_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    project = tmp_path / "p"
    assert new(project, "--no-git")[0] == 0
    bomb = alias_bomb(prefix="x_")
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text() + "\n".join(bomb) + "\n")

    result = runner.invoke(app, [*command, str(project)])

    assert_refused(result.exit_code, result.output, ".copier-answers.yml, line", "alias")
