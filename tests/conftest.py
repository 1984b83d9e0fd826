"""Shared fixtures: where the template lives and how tests generate projects from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.create import NewProject, create_project

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bundled-template cache must never leak between tests or into the user's home.
    monkeypatch.setenv("FORGEML_CACHE_DIR", str(tmp_path_factory.mktemp("forgeml-cache")))


@pytest.fixture(autouse=True)
def _trusted_test_templates(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The operator's configuration in tests: templates the tests build are trusted.

    Fixture templates run `_migrations`; forgeml runs them only from trusted sources
    (generator/trust.py). Tests of trust itself point FORGEML_CONFIG elsewhere.
    """
    base = tmp_path_factory.getbasetemp()
    config = base / "forgeml-config.toml"
    if not config.is_file():
        config.write_text(f'[trust]\nsources = ["{base}"]\n', encoding="utf-8")
    monkeypatch.setenv("FORGEML_CONFIG", str(config))
    return config


def generate(dest: Path, **answers: Any) -> NewProject:
    """Render the working tree of this repository (HEAD plus uncommitted edits)."""
    return create_project(
        dest, data=answers, template=str(REPO_ROOT), vcs_ref="HEAD", defaults=True
    )


@pytest.fixture
def default_project(tmp_path: Path) -> NewProject:
    return generate(tmp_path / "project")
