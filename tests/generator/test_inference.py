"""Answers `forgeml adopt` reads from a repository, against forgeml's own questionnaire."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.project.inference import infer_answers

REPO_ROOT = Path(__file__).resolve().parents[2]
QUESTIONS: dict[str, Any] = {
    name: spec
    for name, spec in yaml.safe_load((REPO_ROOT / "copier.yml").read_text()).items()
    if not name.startswith("_")
}
APACHE = "                    Apache License\n               Version 2.0, January 2004\n"
BSD3 = (
    "Redistribution and use in source and binary forms, with or without\nmodification...\n"
    "3. Neither the name of the copyright holder nor the names of its\ncontributors ...\n"
)


def repo(path: Path, files: dict[str, str], identity: tuple[str, str] | None = None) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "--quiet"], cwd=path, check=True)
    if identity:
        for key, value in zip(("user.name", "user.email"), identity, strict=True):
            subprocess.run(["git", "config", key, value], cwd=path, check=True)
    for relpath, content in files.items():
        (path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (path / relpath).write_text(content)
    return path


def test_pep_621_metadata_and_src_layout(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "checkout",
        {
            "pyproject.toml": (
                '[project]\nname = "Iris-Classifier"\ndescription = "Iris  species"\n'
                'requires-python = ">=3.10"\nlicense = "Apache-2.0"\n'
                'authors = [{ name = "Ada", email = "ada@example.org" }]\n'
            ),
            "src/iris_clf/__init__.py": "",
            "tests/__init__.py": "",
        },
    )
    found = infer_answers(root, QUESTIONS)
    assert found.answers == {
        "project_name": "Iris-Classifier",
        "project_slug": "iris-classifier",
        "package_name": "iris_clf",
        "description": "Iris species",
        "python_version": "3.11",  # the oldest choice >=3.10 admits
        "license": "Apache-2.0",
        "author_name": "Ada",
        "author_email": "ada@example.org",
    }
    assert found.sources["package_name"] == "src/ (iris_clf/__init__.py)"
    assert found.sources["python_version"] == "requires-python"


def test_poetry_metadata_python_version_file_and_licence_text(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "x",
        {
            "pyproject.toml": (
                '[tool.poetry]\nname = "demand"\ndescription = "Demand forecast"\n'
                'authors = ["Grace Hopper <grace@example.org>"]\nlicense = "MIT"\n'
                '[tool.poetry.dependencies]\npython = "^3.12"\n'
            ),
            ".python-version": "3.13.1\n",
            "LICENSE": APACHE,  # the text wins over the declared licence
            "demand/__init__.py": "",
        },
    )
    found = infer_answers(root, QUESTIONS).answers
    assert found["python_version"] == "3.13"
    assert found["license"] == "Apache-2.0"
    assert (found["author_name"], found["author_email"]) == ("Grace Hopper", "grace@example.org")
    assert found["package_name"] == "demand"


def test_setup_cfg_and_bsd_text(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "y",
        {
            "setup.cfg": (
                "[metadata]\nname = sales\nauthor = Sales Team\nauthor_email = sales@example.org\n"
                "[options]\npython_requires = >=3.11,<3.13\n"
            ),
            "LICENSE.txt": BSD3,
        },
    )
    found = infer_answers(root, QUESTIONS).answers
    assert found["project_slug"] == "sales"
    assert found["package_name"] == "sales"
    assert found["python_version"] == "3.11"
    assert found["license"] == "BSD-3-Clause"


def test_no_packaging_uses_directory_readme_and_git_identity(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "fraud-scripts",
        {"README.md": "# Fraud\n\n[![ci](badge.svg)](x)\n\nScripts that score fraud.\n"},
        identity=("Lin", "lin@example.org"),
    )
    found = infer_answers(root, QUESTIONS)
    assert found.answers == {
        "project_name": "fraud-scripts",
        "project_slug": "fraud-scripts",
        "package_name": "fraud_scripts",
        "description": "Scripts that score fraud.",
        "author_name": "Lin",
        "author_email": "lin@example.org",
    }
    assert found.sources["author_email"] == "git config"


@pytest.mark.parametrize(
    ("requires", "expected"),
    [(">=3.9", "3.11"), ("~=3.12", "3.12"), ("<3.10", None), ("not a specifier", None)],
)
def test_python_version_only_from_the_template_choices(
    tmp_path: Path, requires: str, expected: str | None
) -> None:
    root = repo(
        tmp_path / "p",
        {"pyproject.toml": f'[project]\nname = "p"\nrequires-python = "{requires}"\n'},
    )
    assert infer_answers(root, QUESTIONS).answers.get("python_version") == expected


def test_names_the_template_would_reject_are_not_inferred(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "2024_models",  # starts with a digit: no valid project name or slug
        {
            "pyproject.toml": '[project]\nname = "_private"\nlicense = "GPL-3.0"\n',
            "src/__init__.py": "",
            "tests/__init__.py": "",
            "yaml/__init__.py": "",  # would shadow a dependency
        },
    )
    found = infer_answers(root, QUESTIONS).answers
    assert "project_name" not in found
    assert "package_name" not in found
    assert "license" not in found
