"""Answers given on the command line: parsing `--data`/`--data-file` and checking them.

copier already enforces the validators and choices written in `copier.yml` for answers
passed with `--data`. It does not check defaults derived from other answers, nor answers
whose name no question has, and a Jinja validator cannot know Python's module list.
This module adds exactly those checks, so they run the same way for every template source.
"""

from __future__ import annotations

import keyword
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from generator.backend.copier import JinjaEnvironment, strip_field_prefix
from generator.errors import ForgemlError, InvalidAnswerError

# Where copier records a project's answers, `_src_path` and `_commit` (copier.yml's
# `_answers_file`); every maintenance command starts by reading it.
ANSWERS_FILE = ".copier-answers.yml"

# Import names the generated project depends on or uses as top-level folders: a package
# with one of these names would shadow it and break the project in confusing ways.
RESERVED_PACKAGE_NAMES = frozenset(
    {
        "alembic",
        "fastapi",
        "httpx",
        "mlflow",
        "numpy",
        "pandas",
        "pandera",
        "pyarrow",
        "pydantic",
        "pytest",
        "scipy",
        "skops",
        "sklearn",
        "sqlalchemy",
        "src",
        "tests",
        "typer",
        "uvicorn",
        "yaml",
    }
)


def parse_data(pairs: Sequence[str], data_file: Path | None = None) -> dict[str, Any]:
    """Merge answers from a YAML file and KEY=VALUE pairs; the pairs win, as in copier."""
    answers: dict[str, Any] = {}
    if data_file is not None:
        answers.update(_read_data_file(data_file))
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ForgemlError(f"--data expects KEY=VALUE, got {pair!r}")
        answers[key.strip()] = value
    return answers


def _read_data_file(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ForgemlError(f"--data-file {path}: cannot read ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise ForgemlError(f"--data-file {path}: not valid YAML ({_first_line(error)})") from error
    if loaded is None:
        return {}
    if not isinstance(loaded, dict) or not all(isinstance(key, str) for key in loaded):
        raise ForgemlError(f"--data-file {path}: must be a mapping of question names to answers")
    return loaded


def check_package_name(name: str) -> None:
    """Rules for the import name that copier.yml's Jinja validator cannot express."""
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise InvalidAnswerError("package_name", f"{name!r} is a Python keyword")
    if name in sys.stdlib_module_names:
        raise InvalidAnswerError(
            "package_name", f"{name!r} would shadow the standard-library module {name}"
        )
    if name in RESERVED_PACKAGE_NAMES:
        raise InvalidAnswerError(
            "package_name", f"{name!r} would shadow {name}, which generated projects use"
        )


def check_given_answers(answers: Mapping[str, Any]) -> None:
    """Fail fast, before any rendering, on the answers forgeml can judge alone."""
    package_name = answers.get("package_name")
    if isinstance(package_name, str):
        check_package_name(package_name)


def check_known_questions(answers: Mapping[str, Any], questions: Mapping[str, Any]) -> None:
    """copier ignores answers no question asks for; a typo there must not pass silently."""
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        known = ", ".join(sorted(questions))
        raise ForgemlError(f"unknown question {unknown[0]!r} in --data; the template asks: {known}")


def check_final_answers(
    answers: Mapping[str, Any],
    questions: Mapping[str, Mapping[str, Any]],
    jinja_env: JinjaEnvironment,
) -> None:
    """Re-run every validator on the final answers, derived defaults included.

    copier validates only answers it was given or asked for, so a default derived from
    another answer (package_name from project_name) can still be invalid.
    """
    for name, question in questions.items():
        validator = question.get("validator")
        if not validator or name not in answers:
            continue
        message = jinja_env.from_string(validator).render(**answers).strip()
        if message:
            raise InvalidAnswerError(name, strip_field_prefix(name, message))
    package_name = answers.get("package_name")
    if isinstance(package_name, str):
        check_package_name(package_name)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def record_source(answers_path: Path, src: str) -> None:
    """Point `_src_path` at the canonical template, keeping the file's other lines as written."""
    lines = answers_path.read_text(encoding="utf-8").splitlines(keepends=True)
    rewritten = [f"_src_path: {src}\n" if line.startswith("_src_path:") else line for line in lines]
    answers_path.write_text("".join(rewritten), encoding="utf-8")
