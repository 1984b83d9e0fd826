"""Answers given on the command line: parsing `--data`/`--data-file` and checking them.

copier already enforces the validators and choices written in `copier.yml` for answers
passed with `--data`. It does not check defaults derived from other answers, nor answers
whose name no question has, and a Jinja validator cannot know Python's module list.
This module adds exactly those checks, so they run the same way for every template source.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from generator.backend.copier import JinjaEnvironment, strip_field_prefix
from generator.errors import ForgemlError, InvalidAnswerError
from generator.project.reserved_names import DEPENDENCY_IMPORT_NAMES, TOOLING_AND_LAYOUT_NAMES

# Where copier records a project's answers, `_src_path` and `_commit` (copier.yml's
# `_answers_file`); every maintenance command starts by reading it.
ANSWERS_FILE = ".copier-answers.yml"

# Import names a package must not take: the generated project's whole dependency
# closure (computed, see reserved_names.py), build tools and the project's own folders.
RESERVED_PACKAGE_NAMES = DEPENDENCY_IMPORT_NAMES | TOOLING_AND_LAYOUT_NAMES

# Bidirectional-text controls: invisible, and they reorder how code reads (CVE-2021-42574).
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
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
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ForgemlError(
            f"--data-file {path}: not UTF-8 text (byte 0x{error.object[error.start]:02x} "
            f"at offset {error.start})"
        ) from None
    except OSError as error:
        raise ForgemlError(f"--data-file {path}: cannot read ({error.strerror})") from error
    try:
        refuse_yaml_aliases(text, f"--data-file {path}")
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ForgemlError(f"--data-file {path}: not valid YAML ({_first_line(error)})") from error
    if loaded is None:
        return {}
    if not isinstance(loaded, dict) or not all(isinstance(key, str) for key in loaded):
        raise ForgemlError(f"--data-file {path}: must be a mapping of question names to answers")
    return loaded


def refuse_yaml_aliases(text: str, where: str) -> None:
    """Answers never need YAML aliases, and nested aliases expand exponentially
    (a "billion laughs" file of 400 bytes holds 10^9 strings once rendered)."""
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise ForgemlError(
                f"{where}, line {line}: YAML aliases (*{event.anchor}) are not "
                "allowed in answers; write each value out"
            )


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
            "package_name",
            f"{name!r} would shadow the module {name}, which generated projects install or use",
        )


def check_text(field: str, value: str) -> None:
    """Free text lands in TOML, YAML, Markdown and Python: control characters break them.

    A DEL in a description made pyproject.toml unparseable; bidirectional controls make
    text read differently from what it is. Both are refused, named by code point.
    """
    for char in value:
        if unicodedata.category(char) in {"Cc", "Cs", "Co"} or char in _BIDI_CONTROLS:
            raise InvalidAnswerError(
                field, f"contains the control character U+{ord(char):04X}; use printable text"
            )


def slug_for(project_name: str) -> str:
    """The project_slug copier.yml derives, after transliterating to ASCII (Ü -> U, 機 -> Ji).

    copier.yml's default (plain `copier copy`) can only drop what is not ASCII, which
    turns "Über Modèle" into "ber-mod-le"; forgeml transliterates first.
    """
    from anyascii import anyascii

    slug = re.sub("[^a-z0-9]+", "-", anyascii(project_name).lower()).strip("-")
    return slug[:48].rstrip("-")


def with_derived_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """`answers` plus a transliterated project_slug when only project_name was given."""
    derived = dict(answers)
    name = derived.get("project_name")
    if isinstance(name, str) and "project_slug" not in derived and not name.isascii():
        slug = slug_for(name)
        if slug and slug[0].isalpha():
            derived["project_slug"] = slug
    return derived


def check_given_answers(answers: Mapping[str, Any]) -> None:
    """Fail fast, before any rendering, on the answers forgeml can judge alone."""
    for field, value in answers.items():
        if value is None or isinstance(value, (list, dict, set, tuple)):
            kind = "empty (null)" if value is None else f"a {type(value).__name__}"
            raise InvalidAnswerError(
                field, f"must be one value (text, a number or true/false), not {kind}"
            )
        if isinstance(value, str):
            check_text(field, value)
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
    for name, value in answers.items():
        if isinstance(value, str):
            check_text(name, value)
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
