"""Which template `forgeml new` renders, and what the answers file records about it."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from generator import __version__, create, template_source
from generator.errors import ForgemlError
from generator.template_cache import ensure_release
from generator.template_source import CANONICAL_TEMPLATE_URL, resolve_template
from tests.conftest import REPO_ROOT
from tests.template_factory import build_template, git


def _package_template(dest: Path) -> Path:
    """Lay out the template the way the wheel does (generator/_template/...)."""
    dest.mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "copier.yml", dest / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", dest / "template")
    return dest


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def test_source_checkout_renders_the_repository_itself() -> None:
    source = resolve_template(None, None, __version__)
    assert source.src == str(REPO_ROOT)
    assert source.recorded_src is None


def test_explicit_template_path_is_used_as_given(tmp_path: Path) -> None:
    packaged = _package_template(tmp_path / "fork")
    source = resolve_template(str(packaged), "1.2.3", __version__)
    assert source.src == str(packaged)
    assert source.vcs_ref == "1.2.3"


def test_git_urls_are_passed_to_copier_untouched() -> None:
    url = "https://git.example.com/platform/ml-template.git"
    assert resolve_template(url, None, __version__).src == url


def test_missing_template_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ForgemlError, match="no such directory"):
        resolve_template(str(tmp_path / "nope"), None, __version__)


def test_installed_wheel_records_canonical_url_and_release_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(template_source, "CHECKOUT_ROOT", tmp_path / "not-a-checkout")
    monkeypatch.setattr(
        template_source, "PACKAGED_TEMPLATE", _package_template(tmp_path / "_template")
    )
    project = create.create_project(tmp_path / "demo", data={}, defaults=True)
    answers = yaml.safe_load((project.path / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == CANONICAL_TEMPLATE_URL
    assert answers["_commit"] == __version__
    assert project.template_version == __version__


def test_cache_keeps_every_installed_release(tmp_path: Path) -> None:
    packaged = _package_template(tmp_path / "v1")
    repo = ensure_release(packaged, "0.1.0", tmp_path / "cache")
    (packaged / "template" / "NEW.md").write_text("added in 0.2.0\n")
    assert ensure_release(packaged, "0.2.0", tmp_path / "cache") == repo
    head = _git(repo, "rev-parse", "HEAD")
    assert ensure_release(packaged, "0.1.0", tmp_path / "cache") == repo
    assert _git(repo, "rev-parse", "HEAD") == head, "an existing release is never re-committed"
    assert _git(repo, "tag", "--list").split() == ["0.1.0", "0.2.0"]
    assert "NEW.md" not in _git(repo, "ls-tree", "-r", "--name-only", "0.1.0")
    assert "template/NEW.md" in _git(repo, "ls-tree", "-r", "--name-only", "0.2.0")


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is needed to build and install a wheel")
def test_wheel_ships_the_template_and_generates_without_the_repository(tmp_path: Path) -> None:
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("forgeml-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "generator/_template/copier.yml" in names
    assert "generator/_template/template/{{_copier_conf.answers_file}}.jinja" in names

    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "--quiet", str(venv)], check=True)
    subprocess.run(
        ["uv", "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)],
        check=True,
    )
    dest = tmp_path / "demo"
    subprocess.run(
        [str(venv / "bin" / "forgeml"), "new", str(dest), "--defaults"],
        check=True,
        cwd=tmp_path,
        capture_output=True,
        # The installed wheel, not a checkout a PYTHONPATH may point at.
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    )
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == CANONICAL_TEMPLATE_URL
    assert answers["_commit"] == __version__


def test_a_project_inside_the_template_checkout_is_refused(tmp_path: Path) -> None:
    """copier copies a dirty local template by committing it: a project inside the
    checkout would be part of every later copy."""
    template = build_template(tmp_path / "template")
    with pytest.raises(
        ForgemlError, match=r"inside the template checkout .*forgeml new \.\./inner$"
    ):
        create.create_project(template / "inner", data={}, template=str(template), defaults=True)
    assert not (template / "inner").exists()
    assert git(template, "status", "--porcelain", "--ignored") == ""


def test_an_untracked_repository_in_the_template_checkout_is_refused_by_name(
    tmp_path: Path,
) -> None:
    template = build_template(tmp_path / "template")
    nested = template / "my-ml-project"
    nested.mkdir()
    git(nested, "init", "--quiet")
    dest = tmp_path / "project"
    with pytest.raises(ForgemlError, match="untracked git repository my-ml-project/, which"):
        create.create_project(dest, data={}, template=str(template), defaults=True)
    assert not dest.exists()
    # Ignored, it is never copied, and the template renders.
    (template / ".git" / "info" / "exclude").write_text("/my-ml-project/\n", encoding="utf-8")
    project = create.create_project(dest, data={}, template=str(template), defaults=True)
    assert project.template_version == "2.0.0"


def test_a_failing_git_command_of_copier_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plumbum import ProcessExecutionError

    def fail(*args: object, **kwargs: object) -> None:
        raise ProcessExecutionError(
            ["git", "clone"], 128, "", "Cloning into 'x'...\nfatal: repository not found\n"
        )

    monkeypatch.setattr("copier.run_copy", fail)
    template = build_template(tmp_path / "template")
    with pytest.raises(
        ForgemlError, match=r"^copier could not read the template: fatal: repository not found$"
    ):
        create.create_project(tmp_path / "project", data={}, template=str(template), defaults=True)
    assert not (tmp_path / "project").exists()
