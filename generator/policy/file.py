"""The policy file: an organisation's conventions for generated projects, as TOML.

`forgeml check` reads the policy given with `--policy`, else the project's own
`forgeml-policy.toml` (the template ships one), else the default that ships with the
template bundled in forgeml. Every key is optional: a check whose key is absent is
skipped. Unknown tables and keys are errors, so a typo never disables a rule silently;
every error names the key and its line (docs/policy.md lists the keys).

The document is validated by pydantic models, one per table, which also give editors
a JSON Schema (docs/policy.schema.json). pydantic's own messages are not used: each
field's validator raises the one-line problem forgeml prints, and `parse_policy` adds
the key and the line it is written on.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic import ValidationInfo as Info

from generator.errors import ForgemlError
from generator.policy.toml_lines import key_line
from generator.templates import source as template_source
from generator.templates.releases import parse_release

POLICY_FILE = "forgeml-policy.toml"


@dataclass(frozen=True)
class Selectors:
    """What `[checks] select` and `ignore` may name: the check registry's codes and families.

    Given by the caller (`generator.checks.SELECTORS`): the policy layer sits below the
    checks and does not import them.
    """

    codes: tuple[str, ...]
    families: tuple[str, ...]


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


class _Invalid(ValueError):
    """A value's problem, raised by a validator; `subkey` narrows down where it is.

    A ValueError, so pydantic records it (with its location) instead of letting it escape.
    """

    def __init__(self, problem: str, subkey: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.subkey = subkey


# --- Validators: each takes the TOML value and returns what the model stores -------------


Scalar = str | int | float | bool


def _scalar(value: Any) -> Scalar:
    if isinstance(value, (str, int, float, bool)):
        return value
    raise _Invalid(f"must be a string, number or boolean, not {_kind(value)}")


def _locked(value: Any) -> dict[str, Scalar]:
    table = _table(value, "a table of answer names and the value each must have")
    for name, answer in table.items():
        try:
            _scalar(answer)
        except _Invalid as error:
            raise _Invalid(error.problem, name) from None
    return dict(table)


def _allowed(value: Any) -> dict[str, tuple[Scalar, ...]]:
    table = _table(value, "a table of answer names and the list of values each may have")
    allowed: dict[str, tuple[Scalar, ...]] = {}
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


def _selectors(value: Any, info: Info) -> tuple[str, ...]:
    selectors = _strings(value)
    for selector in selectors:
        _known_selector(selector, _selectors_of(info))
    return selectors


def _reasons(value: Any, info: Info) -> dict[str, str]:
    table = _table(value, "a table of codes or families and the reason each is ignored")
    for selector, reason in table.items():
        try:
            _known_selector(selector, _selectors_of(info))
        except _Invalid as error:
            raise _Invalid(error.problem, selector) from None
        if not isinstance(reason, str) or not reason.strip():
            raise _Invalid("must give the reason it is ignored, as a non-empty string", selector)
    return dict(table)


def _selectors_of(info: Info) -> Selectors:
    """The selectors `parse_policy` passes as the validation context."""
    if not isinstance(info.context, Selectors):
        raise TypeError("validate a policy with parse_policy, which knows the check codes")
    return info.context


def _known_selector(selector: str, known: Selectors) -> None:
    if selector not in known.codes and selector not in known.families:
        raise _Invalid(
            f"{selector!r} is neither a check code ({', '.join(known.codes)}) "
            f"nor a family ({', '.join(known.families)})"
        )


def _table(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"must be {what}, not {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    names = {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), f"{type(value).__name__} {value!r}")


# --- The document: one model per table ----------------------------------------------------

Patterns = Annotated[
    tuple[str, ...],
    BeforeValidator(_strings),
    Field(description=".gitignore patterns of project-relative paths"),
]


class _Table(BaseModel):
    # Unknown keys are errors: a misspelt key must never disable its rule silently.
    # Validators are built on first use, without pydantic's plugins (_no_plugins).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class AnswersTable(_Table):
    """`[answers]`: answers every project must have, or may only have."""

    locked: Annotated[dict[str, Scalar], BeforeValidator(_locked)] = Field(
        default_factory=dict, description="answer name -> the value it must have (FML101)"
    )
    allowed: Annotated[dict[str, tuple[Scalar, ...]], BeforeValidator(_allowed)] = Field(
        default_factory=dict, description="answer name -> the values it may have (FML102)"
    )


class TemplateTable(_Table):
    """`[template]`: how old a project's template release may be."""

    oldest_release: Annotated[str | None, BeforeValidator(_release)] = Field(
        default=None, description='the oldest template release allowed, e.g. "0.2.0" (FML201)'
    )
    max_releases_behind: Annotated[int | None, BeforeValidator(_count)] = Field(
        default=None, ge=0, description="how many newer releases a project may lag behind (FML202)"
    )
    allow_unreleased: Annotated[bool, BeforeValidator(_flag)] = Field(
        default=False,
        description="whether a project of an unreleased template commit passes FML201",
    )


class FilesTable(_Table):
    """`[files]`: files every project must have."""

    required: Annotated[tuple[str, ...], BeforeValidator(_relative_paths)] = Field(
        default=(), description="project-relative paths that must exist (FML301)"
    )


class DriftTable(_Table):
    """`[drift]`: template-managed files that must stay as the template renders them."""

    protected: Patterns = ()


class CiTable(_Table):
    """`[ci]`: jobs some workflow in .github/workflows/ must define."""

    required_jobs: Annotated[tuple[str, ...], BeforeValidator(_strings)] = Field(
        default=(), description="job ids (FML501)"
    )


class LeftoversTable(_Table):
    """`[leftovers]`: debris of updates and merges that must not stay in a project."""

    files: Patterns = ()
    conflict_markers: Annotated[bool, BeforeValidator(_flag)] = Field(
        default=False, description="fail on conflict markers in tracked files (FML602)"
    )


class ChecksTable(_Table):
    """`[checks]`: which checks run."""

    select: Annotated[tuple[str, ...], BeforeValidator(_selectors)] = Field(
        default=(), description="check codes or families to run (empty: all)"
    )
    ignore: Annotated[dict[str, str], BeforeValidator(_reasons)] = Field(
        default_factory=dict, description="check code or family -> why it is skipped"
    )


class PolicyDocument(_Table):
    """A `forgeml-policy.toml`: every table and key optional."""

    model_config = ConfigDict(title="forgeml policy")

    answers: AnswersTable = AnswersTable.model_construct()
    template: TemplateTable = TemplateTable.model_construct()
    files: FilesTable = FilesTable.model_construct()
    drift: DriftTable = DriftTable.model_construct()
    ci: CiTable = CiTable.model_construct()
    leftovers: LeftoversTable = LeftoversTable.model_construct()
    checks: ChecksTable = ChecksTable.model_construct()


# Defaults are made without validation (model_construct: what validating no keys gives),
# so importing this module builds no validator.
_EMPTY = PolicyDocument.model_construct()


@contextmanager
def _no_plugins() -> Iterator[None]:
    """Build the policy models' validators without pydantic plugins.

    The first validator pydantic builds in a process looks for plugins in the entry
    points of every installed distribution: about 40 ms, a tenth of a fresh `forgeml
    check`. forgeml's own policy models need none (typer builds its adapters the same
    way).
    """
    previous = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "1"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = previous


def parse_policy(text: str, source: str, known: Selectors) -> Policy:
    """Validate a policy document; `source` names it in errors and reports."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(source, f"not valid TOML: {error}") from None
    try:
        with _no_plugins():
            parsed = PolicyDocument.model_validate(document, context=known)
    except ValidationError as invalid:
        raise _first_error(text, source, invalid) from None
    return Policy(
        source=source,
        locked_answers=parsed.answers.locked,
        allowed_answers=parsed.answers.allowed,
        oldest_release=parsed.template.oldest_release,
        max_releases_behind=parsed.template.max_releases_behind,
        allow_unreleased=parsed.template.allow_unreleased,
        required_files=parsed.files.required,
        protected_files=parsed.drift.protected,
        required_jobs=parsed.ci.required_jobs,
        leftover_files=parsed.leftovers.files,
        conflict_markers=parsed.leftovers.conflict_markers,
        select=parsed.checks.select,
        ignore=parsed.checks.ignore,
    )


def policy_schema(known: Selectors) -> dict[str, Any]:
    """The JSON Schema of a policy file, for editors (docs/policy.schema.json).

    The check codes and families are listed, so an editor completes and checks them.
    """
    with _no_plugins():
        # The tables' defaults are written into the schema by their own serializers.
        for table in _Table.__subclasses__():
            table.model_rebuild(force=True)
        schema = PolicyDocument.model_json_schema()
    selectors = {"enum": [*known.codes, *known.families]}
    checks = schema["$defs"]["ChecksTable"]["properties"]
    checks["select"]["items"] = selectors
    checks["ignore"]["propertyNames"] = selectors
    return schema


def _first_error(text: str, source: str, invalid: ValidationError) -> PolicyError:
    """The problem written first in the file, in forgeml's words."""
    errors = [_error(text, source, *_described(error)) for error in invalid.errors()]
    return min(errors, key=lambda error: error.line or 0)


def _described(error: Any) -> tuple[tuple[str, ...], str]:
    """(the key path, the problem) of one of pydantic's errors."""
    path = tuple(str(part) for part in error["loc"])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, _Invalid):
        return (*path, cause.subkey) if cause.subkey else path, cause.problem
    if error["type"] == "extra_forbidden" and len(path) == 1:
        return path, f"unknown table; known: {', '.join(PolicyDocument.model_fields)}"
    if error["type"] == "extra_forbidden":
        keys = ", ".join(type(getattr(_EMPTY, path[0])).model_fields)
        return path, f"unknown key; [{path[0]}] has {keys}"
    if error["type"] == "model_type":
        return path, f"must be a table, not {_kind(error['input'])}"
    return path, str(error["msg"])


def _error(text: str, source: str, key: tuple[str, ...], problem: str) -> PolicyError:
    return PolicyError(source, problem, ".".join(key), key_line(text, key))


def load_policy(path: Path, known: Selectors) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ForgemlError(f"policy file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ForgemlError(f"policy file {path} cannot be read: {error}") from None
    return parse_policy(text, str(path), known)


def bundled_policy_path() -> Path:
    """The default policy of the template this forgeml ships (checkout or wheel)."""
    in_checkout = template_source.CHECKOUT_ROOT / "template" / POLICY_FILE
    if in_checkout.is_file():
        return in_checkout
    return template_source.PACKAGED_TEMPLATE / "template" / POLICY_FILE


def find_policy(project: Path, known: Selectors, explicit: Path | None = None) -> Policy:
    """The policy for `project`: `--policy`, else the project's own, else the default."""
    if explicit is not None:
        return load_policy(explicit, known)
    own = project / POLICY_FILE
    if own.is_file():
        return load_policy(own, known)
    return load_policy(bundled_policy_path(), known)
