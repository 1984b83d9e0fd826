"""Shared fixtures. Helpers live in tests/support/, never here: tests import them from there."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.commands.new import NewProject
from generator.templates import render_cache
from tests.support.generated import generate
from tests.support.template_factory import build_template


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bundled-template cache must never leak between tests or into the user's home,
    # nor may this process's renderings (render_cache) outlive the test that made them.
    monkeypatch.setenv("FORGEML_CACHE_DIR", str(tmp_path_factory.mktemp("forgeml-cache")))
    render_cache.forget()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny two-release template (tests/support/template_factory.py), built once.

    Read-only: a test that changes a template builds its own with `build_template`.
    """
    return build_template(tmp_path_factory.mktemp("fixture-template") / "tpl")


@pytest.fixture(autouse=True)
def _trusted_test_templates(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The operator's configuration in tests: templates the tests build are trusted.

    Fixture templates run `_migrations`; forgeml runs them only from trusted sources
    (generator/templates/trust.py). Tests of trust itself point FORGEML_CONFIG elsewhere.
    """
    base = tmp_path_factory.getbasetemp()
    config = base / "forgeml-config.toml"
    if not config.is_file():
        config.write_text(f'[trust]\nsources = ["{base}"]\n', encoding="utf-8")
    monkeypatch.setenv("FORGEML_CONFIG", str(config))
    return config


@pytest.fixture
def default_project(tmp_path: Path) -> NewProject:
    return generate(tmp_path / "project")
