"""Answers `forgeml adopt` reads from an existing repository instead of asking for them.

Each answer comes from the most authoritative place that states it: packaging metadata
(`pyproject.toml`'s `[project]` or `[tool.poetry]`, then `setup.cfg`), then the files
themselves (`src/<package>/`, `.python-version`, the LICENSE text, the README), then git's
configured identity. An answer is only inferred when the template would accept it (a
Python version among its choices, a licence it knows, a name its validator allows);
anything else is left to `--data` or the template's default, never guessed wider.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.backend.git import config_value
from generator.project.answers import RESERVED_PACKAGE_NAMES

_PROJECT_NAME = re.compile(r"^[^\W\d_][\w .,()&+#-]{0,47}$")
_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_PACKAGE = re.compile(r"^[a-z_][a-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UNDERLINE = re.compile(r"^([=\-~^*#])\1{2,}$")
_POETRY_AUTHOR = re.compile(r"^\s*(?P<name>[^<]+?)\s*(?:<(?P<email>[^>]+)>)?\s*$")
# Top-level directories that hold code but are never the project's package.
_NOT_PACKAGES = frozenset({"tests", "test", "docs", "scripts", "notebooks", "examples", "src"})
_LICENSE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING")
# Distinctive phrases of each licence's text, and the SPDX ids metadata may use.
_LICENSE_TEXTS = (
    ("Apache-2.0", ("Apache License", "Version 2.0")),
    ("BSD-3-Clause", ("Redistribution and use in source and binary forms", "Neither the name")),
    ("MIT", ("Permission is hereby granted, free of charge",)),
)
_LICENSE_NAMES = {
    "mit": "MIT",
    "mit license": "MIT",
    "apache-2.0": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "apache software license": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "bsd-3-clause": "BSD-3-Clause",
    "bsd license": "BSD-3-Clause",
    "proprietary": "Proprietary",
}


@dataclass(frozen=True)
class Inferred:
    """Answers read from a repository, and for each the place it was read from."""

    answers: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


def infer_answers(root: Path, questions: Mapping[str, Mapping[str, Any]]) -> Inferred:
    """What the repository at `root` already says about the template's `questions`."""
    found = _Finder(root, questions)
    metadata = _metadata(root)
    found.name(metadata.get("name"), metadata.get("name_source", ""))
    found.name(root.name, "the directory name")
    found.package(root)
    found.set("description", metadata.get("description"), metadata.get("source", ""))
    found.set("description", _readme_summary(root), "README.md")
    found.python(root, metadata.get("requires_python"))
    found.license(root, metadata.get("license"))
    found.author(metadata.get("author_name"), metadata.get("author_email"), metadata["source"])
    found.author(*_git_identity(root), "git config")
    return Inferred(found.answers, found.sources)


class _Finder:
    """Collects the first acceptable value of each question, with where it came from."""

    def __init__(self, root: Path, questions: Mapping[str, Mapping[str, Any]]) -> None:
        self.root = root
        self.questions = questions
        self.answers: dict[str, str] = {}
        self.sources: dict[str, str] = {}

    def set(self, key: str, value: object, source: str) -> None:
        if key not in self.questions or key in self.answers or not isinstance(value, str):
            return
        value = " ".join(value.split())
        if value and self._allowed(key, value):
            self.answers[key] = value
            self.sources[key] = source

    def _allowed(self, key: str, value: str) -> bool:
        choices = self.questions[key].get("choices")
        if choices is None:
            return True
        values = choices.values() if isinstance(choices, dict) else choices
        return value in {str(choice) for choice in values}

    def name(self, name: object, source: str) -> None:
        if not isinstance(name, str) or "project_name" in self.answers:
            return
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        if not _PROJECT_NAME.match(name) or not _SLUG.match(slug) or len(slug) > 48:
            return
        self.set("project_name", name, source)
        self.set("project_slug", slug, source)

    def package(self, root: Path) -> None:
        for parent, source in ((root / "src", "src/"), (root, "the top-level package")):
            candidates = sorted(
                child.name
                for child in (parent.iterdir() if parent.is_dir() else ())
                if (child / "__init__.py").is_file() and child.name not in _NOT_PACKAGES
            )
            for name in candidates:
                if _PACKAGE.match(name) and name not in RESERVED_PACKAGE_NAMES:
                    self.set("package_name", name, f"{source} ({name}/__init__.py)")
                    return
        slug = self.answers.get("project_slug")
        if slug:
            self.set("package_name", slug.replace("-", "_"), self.sources["project_slug"])

    def python(self, root: Path, requires_python: object) -> None:
        pinned = root / ".python-version"
        if pinned.is_file():
            lines = pinned.read_text(encoding="utf-8", errors="replace").split()
            version = ".".join(lines[0].split(".")[:2]) if lines else ""
            self.set("python_version", version, ".python-version")
        if isinstance(requires_python, str):
            self.set("python_version", self._lowest_allowed(requires_python), "requires-python")

    def _lowest_allowed(self, requires_python: str) -> str | None:
        """The oldest of the template's Python versions that `requires-python` admits."""
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        question = self.questions.get("python_version", {})
        choices = question.get("choices") or {}
        versions = [str(v) for v in (choices.values() if isinstance(choices, dict) else choices)]
        try:
            spec = SpecifierSet(requires_python)
        except InvalidSpecifier:
            return None
        admitted = [v for v in versions if spec.contains(f"{v}.0", prereleases=True)]
        return min(admitted, key=lambda v: tuple(int(p) for p in v.split(".")), default=None)

    def license(self, root: Path, declared: object) -> None:
        for name in _LICENSE_FILES:
            path = root / name
            if path.is_file():
                text = " ".join(path.read_text(encoding="utf-8", errors="replace").split())
                for spdx, phrases in _LICENSE_TEXTS:
                    if all(phrase in text for phrase in phrases):
                        self.set("license", spdx, name)
                        return
        if isinstance(declared, str):
            self.set("license", _LICENSE_NAMES.get(declared.strip().lower()), "pyproject.toml")

    def author(self, name: object, email: object, source: str) -> None:
        if isinstance(name, str) and name.strip():
            self.set("author_name", name, source)
        if isinstance(email, str) and _EMAIL.match(email.strip()):
            self.set("author_email", email.strip(), source)


def _metadata(root: Path) -> dict[str, Any]:
    """Name, description, requires-python, licence and first author from packaging files."""
    found: dict[str, Any] = {"source": ""}
    pyproject = _read_toml(root / "pyproject.toml")
    project = pyproject.get("project", {})
    poetry = pyproject.get("tool", {}).get("poetry", {})
    if isinstance(project, dict) and project.get("name"):
        found.update(_from_pep621(project), source="pyproject.toml", name_source="pyproject.toml")
    elif isinstance(poetry, dict) and poetry.get("name"):
        found.update(_from_poetry(poetry), source="pyproject.toml", name_source="pyproject.toml")
    elif (root / "setup.cfg").is_file():
        found.update(_from_setup_cfg(root / "setup.cfg"), source="setup.cfg")
        found["name_source"] = "setup.cfg"
    return found


def _from_pep621(project: dict[str, Any]) -> dict[str, Any]:
    authors = [a for a in project.get("authors") or [] if isinstance(a, dict)]
    license_value = project.get("license")
    if isinstance(license_value, dict):
        license_value = license_value.get("text")
    for classifier in project.get("classifiers") or []:
        if license_value is None and str(classifier).startswith("License :: OSI Approved :: "):
            license_value = str(classifier).rsplit(" :: ", 1)[-1]
    return {
        "name": project.get("name"),
        "description": project.get("description"),
        "requires_python": project.get("requires-python"),
        "license": license_value,
        "author_name": authors[0].get("name") if authors else None,
        "author_email": authors[0].get("email") if authors else None,
    }


def _from_poetry(poetry: dict[str, Any]) -> dict[str, Any]:
    authors = [str(a) for a in poetry.get("authors") or []]
    author = _POETRY_AUTHOR.match(authors[0]) if authors else None
    python = poetry.get("dependencies", {}).get("python")
    return {
        "name": poetry.get("name"),
        "description": poetry.get("description"),
        "requires_python": _poetry_to_pep440(python) if isinstance(python, str) else None,
        "license": poetry.get("license"),
        "author_name": author.group("name") if author else None,
        "author_email": author.group("email") if author else None,
    }


def _poetry_to_pep440(constraint: str) -> str:
    """Poetry's `^3.10` / `~3.10` as the PEP 440 specifier `>=3.10`."""
    return re.sub(r"[\^~](\d)", r">=\1", constraint)


def _from_setup_cfg(path: Path) -> dict[str, Any]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error:
        return {}
    metadata = dict(parser["metadata"]) if parser.has_section("metadata") else {}
    options = dict(parser["options"]) if parser.has_section("options") else {}
    return {
        "name": metadata.get("name"),
        "description": metadata.get("description"),
        "requires_python": options.get("python_requires"),
        "license": metadata.get("license"),
        "author_name": metadata.get("author"),
        "author_email": metadata.get("author_email"),
    }


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}  # a broken pyproject infers nothing; the merge still shows it


def _readme_summary(root: Path) -> str | None:
    """The README's first line of prose: not a heading (`#` or underlined), badge, HTML
    or list line."""
    for name in ("README.md", "README.rst", "README.txt", "README"):
        path = root / name
        if not path.is_file():
            continue
        lines = [
            line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        ]
        for text, following in zip(lines, [*lines[1:], ""], strict=True):
            if _UNDERLINE.match(following):
                continue  # a Markdown setext or reStructuredText title
            if text and not text.startswith(("#", "<", "[!", "![", "=", "-", "*", "`", "|", ">")):
                return text[:200]
    return None


def _git_identity(root: Path) -> tuple[str | None, str | None]:
    return config_value(root, "user.name"), config_value(root, "user.email")
