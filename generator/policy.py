"""The policy file: an organisation's conventions for generated projects, as TOML.

`forgeml check` reads the policy given with `--policy`, else the project's own
`forgeml-policy.toml` (the template ships one), else the default that ships with the
template bundled in forgeml. Every key is optional: a check whose key is absent is
skipped. Unknown tables and keys are errors, so a typo never disables a rule silently;
every error names the key and its line (docs/policy.md lists the keys).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from generator import template_source
from generator.checks import BY_CODE, FAMILIES
from generator.errors import ForgemlError
from generator.releases import parse_release
from generator.toml_lines import key_line

POLICY_FILE = "forgeml-policy.toml"


@dataclass(frozen=True)
class Policy:
    # Where the policy was read from, for reports.
    source: str
    locked_answers: dict[str, Any] = field(default_factory=dict)
    allowed_answers: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    oldest_release: str | None = None
    max_releases_behind: int | None = None
    # Whether a project generated from an unreleased template commit (a bare hash in
    # `_commit`: a checkout without release tags) passes FML201.
    allow_unreleased: bool = False
    required_files: tuple[str, ...] = ()
    protected_files: tuple[str, ...] = ()
    required_jobs: tuple[str, ...] = ()
    leftover_files: tuple[str, ...] = ()
    conflict_markers: bool = False
    # Codes or families to run (empty: all) and to skip, each skip with its reason.
    select: tuple[str, ...] = ()
    ignore: dict[str, str] = field(default_factory=dict)


class PolicyError(ForgemlError):
    """An invalid policy file; the message names the file, the line and the key."""

    def __init__(
        self, source: str, problem: str, key: str | None = None, line: int | None = None
    ) -> None:
        where = source if line is None else f"{source}, line {line}"
        super().__init__(f"invalid policy {where}: {f'{key}: ' if key else ''}{problem}")
        self.key = key
        self.line = line


class _Invalid(Exception):
    """A value's problem, raised by a validator; `subkey` narrows down where it is."""

    def __init__(self, problem: str, subkey: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.subkey = subkey


# --- Validators: each takes the TOML value and returns what Policy stores ---------------


def _scalar(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)):
        return value
    raise _Invalid(f"must be a string, number or boolean, not {_kind(value)}")


def _locked(value: Any) -> dict[str, Any]:
    table = _table(value, "a table of answer names and the value each must have")
    for name, answer in table.items():
        try:
            _scalar(answer)
        except _Invalid as error:
            raise _Invalid(error.problem, name) from None
    return dict(table)


def _allowed(value: Any) -> dict[str, tuple[Any, ...]]:
    table = _table(value, "a table of answer names and the list of values each may have")
    allowed: dict[str, tuple[Any, ...]] = {}
    for name, choices in table.items():
        if not isinstance(choices, list) or not choices:
            raise _Invalid(f"must be a non-empty list of values, not {_kind(choices)}", name)
        try:
            allowed[name] = tuple(_scalar(choice) for choice in choices)
        except _Invalid as error:
            raise _Invalid(f"each value {error.problem}", name) from None
    return allowed


def _release(value: Any) -> str:
    if not isinstance(value, str) or parse_release(value) is None:
        raise _Invalid(f'must be a PEP 440 release such as "0.2.0", not {value!r}')
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Invalid(f"must be a whole number of releases (0 or more), not {value!r}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, not {value!r}")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(i, str) and i.strip() for i in value):
        raise _Invalid("must be a list of non-empty strings")
    return tuple(value)


def _relative_paths(value: Any) -> tuple[str, ...]:
    paths = _strings(value)
    for path in paths:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or "\\" in path:
            raise _Invalid(f"{path!r} must be a path inside the project, written with /")
    return paths


def _selectors(value: Any) -> tuple[str, ...]:
    selectors = _strings(value)
    for selector in selectors:
        _known_selector(selector)
    return selectors


def _reasons(value: Any) -> dict[str, str]:
    table = _table(value, "a table of codes or families and the reason each is ignored")
    for selector, reason in table.items():
        try:
            _known_selector(selector)
        except _Invalid as error:
            raise _Invalid(error.problem, selector) from None
        if not isinstance(reason, str) or not reason.strip():
            raise _Invalid("must give the reason it is ignored, as a non-empty string", selector)
    return dict(table)


def _known_selector(selector: str) -> None:
    if selector not in BY_CODE and selector not in FAMILIES:
        raise _Invalid(
            f"{selector!r} is neither a check code ({', '.join(BY_CODE)}) "
            f"nor a family ({', '.join(FAMILIES)})"
        )


def _table(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"must be {what}, not {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    names = {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), f"{type(value).__name__} {value!r}")


# Every table and key a policy may have: (table, key) -> (Policy field, validator).
_SCHEMA: dict[str, dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "answers": {
        "locked": ("locked_answers", _locked),
        "allowed": ("allowed_answers", _allowed),
    },
    "template": {
        "oldest_release": ("oldest_release", _release),
        "max_releases_behind": ("max_releases_behind", _count),
        "allow_unreleased": ("allow_unreleased", _flag),
    },
    "files": {"required": ("required_files", _relative_paths)},
    "drift": {"protected": ("protected_files", _strings)},
    "ci": {"required_jobs": ("required_jobs", _strings)},
    "leftovers": {
        "files": ("leftover_files", _strings),
        "conflict_markers": ("conflict_markers", _flag),
    },
    "checks": {"select": ("select", _selectors), "ignore": ("ignore", _reasons)},
}


def parse_policy(text: str, source: str) -> Policy:
    """Validate a policy document; `source` names it in errors and reports."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(source, f"not valid TOML: {error}") from None
    values: dict[str, Any] = {}
    for table_name, table in document.items():
        keys = _SCHEMA.get(table_name)
        if keys is None:
            raise _error(text, source, (table_name,), f"unknown table; known: {', '.join(_SCHEMA)}")
        if not isinstance(table, dict):
            raise _error(text, source, (table_name,), f"must be a table, not {_kind(table)}")
        for key, value in table.items():
            if key not in keys:
                known = ", ".join(keys)
                raise _error(
                    text, source, (table_name, key), f"unknown key; [{table_name}] has {known}"
                )
            attribute, validate = keys[key]
            try:
                values[attribute] = validate(value)
            except _Invalid as error:
                path = (table_name, key, error.subkey) if error.subkey else (table_name, key)
                raise _error(text, source, path, error.problem) from None
    return Policy(source=source, **values)


def _error(text: str, source: str, key: tuple[str, ...], problem: str) -> PolicyError:
    return PolicyError(source, problem, ".".join(key), key_line(text, key))


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ForgemlError(f"policy file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ForgemlError(f"policy file {path} cannot be read: {error}") from None
    return parse_policy(text, str(path))


def bundled_policy_path() -> Path:
    """The default policy of the template this forgeml ships (checkout or wheel)."""
    in_checkout = template_source.CHECKOUT_ROOT / "template" / POLICY_FILE
    if in_checkout.is_file():
        return in_checkout
    return template_source.PACKAGED_TEMPLATE / "template" / POLICY_FILE


def find_policy(project: Path, explicit: Path | None = None) -> Policy:
    """The policy for `project`: `--policy`, else the project's own, else the default."""
    if explicit is not None:
        return load_policy(explicit)
    own = project / POLICY_FILE
    if own.is_file():
        return load_policy(own)
    return load_policy(bundled_policy_path())
