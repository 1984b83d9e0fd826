"""A failing or interrupted `forgeml new` leaves no trace at the destination."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.commands import new as create
from generator.errors import ForgemlError
from tests.support.generated import generate


def _explode(*_args: object, **_kwargs: object) -> None:
    raise KeyboardInterrupt


def test_ctrl_c_during_the_first_commit_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(create, "commit_all", _explode)
    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path / "demo")
    assert list(tmp_path.iterdir()) == []


def test_failure_after_rendering_removes_the_staging_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise ForgemlError("simulated failure")

    monkeypatch.setattr(create, "init_repository", fail)
    with pytest.raises(ForgemlError, match="simulated failure"):
        generate(tmp_path / "demo")
    assert list(tmp_path.iterdir()) == []


def test_a_pre_existing_empty_destination_survives_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "demo"
    dest.mkdir()
    monkeypatch.setattr(create, "commit_all", _explode)
    with pytest.raises(KeyboardInterrupt):
        generate(dest)
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]
    assert list(dest.iterdir()) == []


def test_template_without_answers_file_is_refused(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    (template / "template").mkdir(parents=True)
    (template / "copier.yml").write_text("_subdirectory: template\nname:\n  default: x\n")
    (template / "template" / "README.md").write_text("hello\n")
    with pytest.raises(ForgemlError, match=r"no \.copier-answers\.yml"):
        create.create_project(tmp_path / "demo", data={}, template=str(template), defaults=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tpl"]
