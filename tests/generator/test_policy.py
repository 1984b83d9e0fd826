"""The policy file: parsing, validation errors that name key and line, and discovery."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from generator.checks import SELECTORS
from generator.errors import ForgemlError
from generator.policy.file import (
    POLICY_FILE,
    PolicyError,
    bundled_policy_path,
    find_policy,
    load_policy,
    parse_policy,
    policy_schema,
)
from generator.policy.toml_lines import key_line

REPO_ROOT = Path(__file__).resolve().parents[2]

FULL = """\
# every key
[answers]
locked = { license = "MIT", python_version = "3.12" }
allowed = { ml_task = ["classification", "regression"] }

[template]
oldest_release = "0.2.0"
max_releases_behind = 1

[files]
required = ["README.md", "docs/index.md"]

[drift]
protected = ["Makefile", ".github/*"]

[ci]
required_jobs = ["test", "conventions"]

[leftovers]
files = ["*.rej"]
conflict_markers = true

[checks]
select = ["FML101", "drift", "leftovers"]
ignore = { FML602 = "generated fixtures contain markers on purpose" }
"""


def test_every_key_is_read() -> None:
    policy = parse_policy(FULL, "org.toml", SELECTORS)

    assert policy.source == "org.toml"
    assert policy.locked_answers == {"license": "MIT", "python_version": "3.12"}
    assert policy.allowed_answers == {"ml_task": ("classification", "regression")}
    assert policy.oldest_release == "0.2.0"
    assert policy.max_releases_behind == 1
    assert policy.required_files == ("README.md", "docs/index.md")
    assert policy.protected_files == ("Makefile", ".github/*")
    assert policy.required_jobs == ("test", "conventions")
    assert policy.leftover_files == ("*.rej",)
    assert policy.conflict_markers is True
    assert policy.select == ("FML101", "drift", "leftovers")
    assert policy.ignore == {"FML602": "generated fixtures contain markers on purpose"}


def test_an_empty_policy_configures_nothing() -> None:
    policy = parse_policy("", "empty.toml", SELECTORS)
    assert policy.locked_answers == {}
    assert policy.max_releases_behind is None
    assert policy.conflict_markers is False
    assert policy.select == ()


def test_the_default_policy_shipped_with_the_template_is_valid() -> None:
    path = REPO_ROOT / "template" / POLICY_FILE
    assert bundled_policy_path() == path
    policy = load_policy(path, SELECTORS)
    assert policy.oldest_release is not None
    assert ".copier-answers.yml" in policy.protected_files
    assert policy.conflict_markers


def _error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "p.toml", SELECTORS)
    return raised.value


def test_a_toml_syntax_error_gives_the_line() -> None:
    error = _error('[template]\noldest_release = "0.1.0"\nmax_releases_behind 2\n')
    assert error.message.startswith("invalid policy p.toml: not valid TOML: ")
    assert "line 3" in error.message
    assert error.exit_code == 2


@pytest.mark.parametrize(
    ("text", "key", "line", "problem"),
    [
        ("[answer]\nlocked = {}\n", "answer", 1, "unknown table; known: answers, template"),
        ("[answers]\n\nlockd = {}\n", "answers.lockd", 3, "unknown key; [answers] has locked"),
        (
            "[template]\nmax_releases_behind = -1\n",
            "template.max_releases_behind",
            2,
            "whole number of releases (0 or more), not -1",
        ),
        (
            "[template]\nmax_releases_behind = true\n",
            "template.max_releases_behind",
            2,
            "not True",
        ),
        (
            '[template]\n# comment\noldest_release = "latest"\n',
            "template.oldest_release",
            3,
            "PEP 440 release",
        ),
        (
            '[answers]\nlocked = { license = "MIT", cloud = ["aws"] }\n',
            "answers.locked.cloud",
            2,
            "must be a string, number or boolean, not a list",
        ),
        (
            '[answers.allowed]\nlicense = ["MIT"]\n"python_version" = []\n',
            "answers.allowed.python_version",
            3,
            "non-empty list of values",
        ),
        (
            '[files]\nrequired = [\n  "README.md",\n  "../secrets",\n]\n',
            "files.required",
            2,
            "'../secrets' must be a path inside the project",
        ),
        (
            "[leftovers]\nconflict_markers = 'yes'\n",
            "leftovers.conflict_markers",
            2,
            "true or false",
        ),
        (
            '[checks]\nselect = ["FML999"]\n',
            "checks.select",
            2,
            "'FML999' is neither a check code (FML001",
        ),
        (
            '[checks.ignore]\nFML202 = "pinned until Q3"\nFML401 = ""\n',
            "checks.ignore.FML401",
            3,
            "must give the reason it is ignored",
        ),
        ("template = 3\n", "template", 1, "must be a table, not int 3"),
    ],
)
def test_semantic_errors_name_the_key_and_its_line(
    text: str, key: str, line: int, problem: str
) -> None:
    error = _error(text)
    assert error.key == key
    assert error.line == line
    assert error.message.startswith(f"invalid policy p.toml, line {line}: {key}: ")
    assert problem in error.message


def test_a_missing_policy_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ForgemlError, match="does not exist") as raised:
        load_policy(tmp_path / "nope.toml", SELECTORS)
    assert raised.value.exit_code == 2


def test_policy_lookup_order(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    explicit = tmp_path / "org.toml"
    explicit.write_text("[template]\nmax_releases_behind = 0\n")

    assert find_policy(project, SELECTORS).source == str(bundled_policy_path())
    (project / POLICY_FILE).write_text("[template]\nmax_releases_behind = 5\n")
    assert find_policy(project, SELECTORS).max_releases_behind == 5
    assert find_policy(project, SELECTORS, explicit).max_releases_behind == 0


# --- key_line: the line scanner behind those messages --------------------------------------

DOC = '''\
title = "a # not a comment"  # comment
[answers]  # the answers
locked = { license = "MIT" }
notes = """
fake = 1
[fake]
"""
"quoted.key" = 2
a.b.c = 3

[answers.allowed]
python_version = [
  "3.12",
]

[[runs]]
name = "x"
'''


@pytest.mark.parametrize(
    ("key", "line"),
    [
        (("title",), 1),
        (("answers",), 2),
        (("answers", "locked"), 3),
        (("answers", "locked", "license"), 3),  # inside an inline table: its line
        (("answers", "quoted.key"), 8),
        (("answers", "a", "b", "c"), 9),
        (("answers", "allowed", "python_version"), 12),
        (("answers", "allowed", "unknown"), 11),  # falls back to the enclosing table
        (("runs", "name"), 17),
        (("fake",), None),  # inside a multi-line string
    ],
)
def test_key_line(key: tuple[str, ...], line: int | None) -> None:
    assert key_line(DOC, key) == line


# --- The published JSON Schema, for editors -----------------------------------------------

SCHEMA_FILE = REPO_ROOT / "docs" / "policy.schema.json"


def test_the_published_schema_is_current() -> None:
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == policy_schema(SELECTORS), (
        "docs/policy.schema.json is stale: regenerate it with "
        "`python -m generator.checks.schema > docs/policy.schema.json`"
    )


def test_the_schema_accepts_the_shipped_policy_and_rejects_typos() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    shipped = tomllib.loads((REPO_ROOT / "template" / POLICY_FILE).read_text(encoding="utf-8"))
    jsonschema.validate(shipped, schema)
    for typo in (
        {"answers": {"lockd": {}}},
        {"checks": {"select": ["FML999"]}},
        {"template": {"max_releases_behind": -1}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(typo, schema)
