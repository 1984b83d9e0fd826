"""Updating projects generated from the template bundled with an installed forgeml.

Such projects record the canonical URL and a forgeml version. The tests simulate two
installed wheels (1.0.0, then 2.0.0) carrying the fixture template's releases, the way
`test_template_source.py` simulates one, and forbid every git transport but local
files: the update must come from the release cache, offline.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from plumbum import local

import generator
from generator.commands import new as create
from generator.commands.check_update import check_update
from generator.commands.update import update_project
from generator.errors import ForgemlError
from generator.project.drift import find_drift
from generator.templates import source as template_source
from generator.templates.cache import cache_root
from generator.templates.source import CANONICAL_TEMPLATE_URL
from tests.support.template_factory import (
    UNTOUCHED_RENDERED,
    commit_all,
    export_release,
    generate_project,
)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """git may only read local repositories (copier's git runs through plumbum's env)."""
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    with local.env(GIT_ALLOW_PROTOCOL="file"):
        yield


@pytest.fixture
def wheels(template: Path, tmp_path: Path) -> dict[str, Path]:
    return {
        tag: export_release(template, tag, tmp_path / f"wheel-{tag}") for tag in ("1.0.0", "2.0.0")
    }


def install(monkeypatch: pytest.MonkeyPatch, wheels: dict[str, Path], version: str) -> None:
    """Pretend forgeml `version` is installed from a wheel (no source checkout around)."""
    monkeypatch.setattr(template_source, "CHECKOUT_ROOT", wheels[version].parent / "no-checkout")
    monkeypatch.setattr(template_source, "PACKAGED_TEMPLATE", wheels[version])
    monkeypatch.setattr(generator, "__version__", version)
    monkeypatch.setattr(create, "__version__", version)


@pytest.fixture
def bundled_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wheels: dict[str, Path], offline: None
) -> Path:
    install(monkeypatch, wheels, "1.0.0")
    project = create.create_project(tmp_path / "demo", data={}, defaults=True).path
    notes = project / UNTOUCHED_RENDERED[1]
    notes.write_text(notes.read_text().replace("notes line 7\n", "notes line 7, ours\n"))
    guide = project / "docs" / "old-guide.md"
    guide.write_text(guide.read_text().replace("Guide step 1:", "Guide step 1 (ours):"))
    commit_all(project)
    return project


def answers(project: Path) -> dict[str, object]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def test_project_from_the_bundled_template_updates_offline_from_the_release_cache(
    bundled_project: Path, monkeypatch: pytest.MonkeyPatch, wheels: dict[str, Path]
) -> None:
    assert answers(bundled_project)["_src_path"] == CANONICAL_TEMPLATE_URL
    assert answers(bundled_project)["_commit"] == "1.0.0"
    install(monkeypatch, wheels, "2.0.0")  # pip install -U forgeml

    preview = update_project(bundled_project, dry_run=True)
    result = update_project(bundled_project)

    assert result.exit_code == 0
    assert (result.from_version, result.to_version) == ("1.0.0", "2.0.0")
    assert result.changes == preview.changes
    assert "release cache" in result.source
    assert answers(bundled_project)["_src_path"] == CANONICAL_TEMPLATE_URL
    assert answers(bundled_project)["_commit"] == "2.0.0"
    assert "notes line 7, ours\n" in (bundled_project / "notes.md").read_text()
    guide = (bundled_project / "docs" / "guide.md").read_text()
    assert "Guide step 1 (ours):" in guide, "the migration lost the edit"
    assert result.migrations == ("2.0.0",)
    # copier's mirror of the redirected URL lives in forgeml's cache, not the user's.
    assert any((cache_root() / "copier-mirrors").iterdir())


def test_check_update_sees_the_release_of_a_newly_installed_forgeml(
    bundled_project: Path, monkeypatch: pytest.MonkeyPatch, wheels: dict[str, Path]
) -> None:
    assert not check_update(bundled_project).update_available

    install(monkeypatch, wheels, "2.0.0")
    check = check_update(bundled_project)

    assert check.update_available
    assert check.newer == ("2.0.0",)


def test_diff_of_a_bundled_template_project_renders_its_release_offline(
    bundled_project: Path,
) -> None:
    drift = find_drift(bundled_project)

    assert sorted(f.path for f in drift.files) == ["docs/old-guide.md", "notes.md"]


def test_release_missing_from_the_cache_is_explained(
    bundled_project: Path, monkeypatch: pytest.MonkeyPatch, wheels: dict[str, Path]
) -> None:
    path = bundled_project / ".copier-answers.yml"
    path.write_text(path.read_text().replace("_commit: 1.0.0", "_commit: 0.9.0"))
    commit_all(bundled_project)
    install(monkeypatch, wheels, "2.0.0")

    with pytest.raises(
        ForgemlError, match=r"the local release cache holds 1\.0\.0, 2\.0\.0, not 0\.9\.0"
    ):
        update_project(bundled_project)


def test_project_from_a_git_url_uses_that_source_directly(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline: None
) -> None:
    monkeypatch.setenv("COPIER_CACHE_DIR", str(tmp_path / "copier-cache"))
    url = f"git+file://{template}"  # how copier spells a git URL of a local repository
    project = generate_project(template, tmp_path / "demo")
    path = project / ".copier-answers.yml"
    path.write_text(path.read_text().replace(f"_src_path: {template}", f"_src_path: {url}"))
    commit_all(project)

    result = update_project(project)

    assert result.exit_code == 0
    assert result.source == url
    assert answers(project)["_src_path"] == url
    assert answers(project)["_commit"] == "2.0.0"
