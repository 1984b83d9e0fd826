"""Fixtures of the fast loop: one project generated from the fixture template, cloned per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.template_factory import clone_project, generate_project


@pytest.fixture(scope="session")
def origin(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project at release 1.0.0 of the fixture template. Read-only: tests clone it."""
    return generate_project(template, tmp_path_factory.mktemp("origin") / "project")


@pytest.fixture
def project(origin: Path, tmp_path: Path) -> Path:
    """A fresh clone of `origin`, for a test to change."""
    return clone_project(origin, tmp_path / "project")
