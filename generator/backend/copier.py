"""The copier adapter: every copier call, every translation of copier's failures and
every read of copier's internals happen in this module, and nowhere else.

copier's API returns its `Worker`, whose attributes (`template.questions_data`,
`jinja_env`, `migration_tasks`) are not a stable interface; this module reads what
forgeml needs from it into `Rendered`, so a copier release that moves them breaks one
module. copier runs git through plumbum, whose failures are translated here as well.

Trust: a project's `_src_path` is written by whoever can commit to the project, so
naming a project is no reason to run its template's code. `copy`, `update` and `render`
pass `unsafe=True` only when the caller's `TrustPolicy` trusts the source
(`templates.trust`); otherwise copier checks the template (and, for an update, the
project's old release) for `_tasks`, `_migrations` and `_jinja_extensions` before doing
anything and refuses, which becomes the policy's one-line refusal naming the source and
the way to trust it. `render_untrusted` (for `forgeml adopt`) never passes `unsafe`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from generator.errors import ForgemlError

if TYPE_CHECKING:
    from copier._main import Worker


class ConflictStyle(StrEnum):
    """How copier leaves a 3-way merge it could not resolve (its `--conflict`)."""

    INLINE = "inline"  # conflict markers in the file, and unmerged index entries
    REJ = "rej"  # the file keeps the local version; the template's hunks go to FILE.rej


class TemplateSource(Protocol):
    """Where copier reads a template from (`templates.location.TemplateLocation`)."""

    @property
    def recorded(self) -> str:
        """`_src_path` as recorded: what copier is given."""

    @property
    def local_repo(self) -> Path | None:
        """The local repository git reads instead of `recorded`, when redirected."""

    @property
    def copier_mirrors(self) -> Path:
        """Where copier keeps its mirrors of the template when redirected."""

    def explain(self, message: str) -> str:
        """`message` with the reason the template had to be reached where it was."""


class TrustPolicy(Protocol):
    """Which template sources may run code (`templates.trust.Trust`)."""

    def trusts(self, src: str) -> bool:
        """Whether copier may run `src`'s tasks, migrations and Jinja extensions."""

    def refusal(self, src: str, features: Sequence[str]) -> ForgemlError:
        """The one-line error for an untrusted `src` that needs `features` to render."""


class JinjaEnvironment(Protocol):
    """The part of a Jinja environment needed to evaluate copier validators."""

    def from_string(self, source: str) -> Any: ...


@dataclass(frozen=True)
class Rendered:
    """What forgeml needs to know of one copier run, read from copier's worker."""

    # copier.yml's questions, by name, as copier parsed them.
    questions: Mapping[str, Mapping[str, Any]]
    # The environment copier renders with, to re-run validators on final answers.
    jinja_env: JinjaEnvironment
    # Releases whose `_migrations` ran (`update` only; unordered, as copier lists them).
    migrations: frozenset[str] = frozenset()
    # The template was a git work tree with uncommitted changes (`copy` only).
    template_dirty: bool = False
    # The release's created-once patterns (`_skip_if_exists`), for file ownership.
    skip_if_exists: tuple[str, ...] = ()


def copy(
    src: str,
    dest: Path,
    *,
    data: Mapping[str, Any],
    vcs_ref: str | None,
    defaults: bool,
    trust: TrustPolicy,
) -> Rendered:
    """`forgeml new`'s render of `src` into `dest`, which the caller then checks."""
    # Imported here: copier is the slowest import and `--help`/`--version` do not need it.
    from copier import run_copy
    from copier.errors import CopierError, DirtyLocalWarning, UnsafeTemplateError
    from plumbum import ProcessExecutionError  # copier runs git through plumbum

    try:
        with warnings.catch_warnings(record=True) as caught:
            # Reported by the CLI in forgeml's words, with what it means for updates.
            warnings.simplefilter("always", DirtyLocalWarning)
            worker = run_copy(
                src,
                dest,
                data=dict(data),
                vcs_ref=vcs_ref,
                defaults=defaults,
                quiet=True,
                cleanup_on_error=False,
                # copier refuses _tasks and _jinja_extensions of an untrusted source
                # before running anything.
                unsafe=trust.trusts(src),
            )
    except KeyboardInterrupt:  # includes copier's CopierAnswersInterrupt at a prompt
        raise
    except UnsafeTemplateError as error:
        raise trust.refusal(src, _unsafe_features(error)) from error
    except ValueError as error:
        raise ForgemlError(describe_copier_value_error(error)) from error
    except CopierError as error:
        raise ForgemlError(f"copier: {_one_line(str(error))}") from error
    except ProcessExecutionError as error:  # a git command copier ran to read the template
        raise ForgemlError(
            f"copier could not read the template: {_first_line(error.stderr)}"
        ) from error

    template_dirty = False
    for warning in caught:
        if issubclass(warning.category, DirtyLocalWarning):
            template_dirty = True
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return _rendered(worker, template_dirty=template_dirty)


def update(
    project_dir: Path,
    location: TemplateSource,
    *,
    vcs_ref: str,
    data: Mapping[str, Any],
    conflict: ConflictStyle,
    trust: TrustPolicy,
) -> Rendered:
    """copier's 3-way update of `project_dir` to `vcs_ref`, non-interactive.

    Recorded answers are kept, `data` overrides them, and a question new in `vcs_ref`
    takes its default: an unattended update must never stop at a prompt.
    """
    from copier import run_update

    with _translated_errors(location, trust), redirected(location):
        worker = run_update(
            project_dir,
            dict(data),
            vcs_ref=vcs_ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=trust.trusts(location.recorded),
            conflict=conflict.value,
        )
    return _rendered(worker, migrations=_migrations(worker))


def render(
    location: TemplateSource,
    dest: Path,
    *,
    vcs_ref: str,
    answers: Mapping[str, Any],
    trust: TrustPolicy,
    exclude: Sequence[str] = (),
) -> Rendered:
    """Render release `vcs_ref` with `answers` into `dest`, without running tasks.

    `exclude` adds copier exclusion patterns (.gitignore syntax) to the template's own.
    Tasks are skipped; only `_jinja_extensions` would still run code, and only from a
    source `trust` trusts.
    """
    from copier import run_copy

    with _translated_errors(location, trust), redirected(location):
        worker = run_copy(
            location.recorded,
            dest,
            dict(answers),
            vcs_ref=vcs_ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=trust.trusts(location.recorded),
            skip_tasks=True,
            exclude=list(exclude),
        )
    return _rendered(worker)


def describe_copier_value_error(error: ValueError) -> str:
    """Turn copier's `Validation error for question 'x': ...` into one clean line."""
    text = " ".join(str(error).split())
    prefix = "Validation error for question "
    if text.startswith(prefix):
        field, _, rule = text[len(prefix) :].partition(": ")
        field = field.strip("'\"")
        return f"invalid answer for {field}: {strip_field_prefix(field, rule)}"
    if text.startswith("Invalid choice for "):
        field, _, rule = text[len("Invalid choice for ") :].partition(": ")
        return f"invalid answer for {field.strip(chr(39))}: {rule}"
    return text


def strip_field_prefix(field: str, message: str) -> str:
    """A validator's message without its leading field name, as one line.

    copier.yml messages start with the field name so plain copier users see it too.
    """
    message = " ".join(message.split())
    return message[len(field) + 1 :] if message.startswith(f"{field} ") else message


def _rendered(
    worker: Worker, *, migrations: frozenset[str] = frozenset(), template_dirty: bool = False
) -> Rendered:
    return Rendered(
        questions=worker.template.questions_data,
        jinja_env=worker.jinja_env,
        migrations=migrations,
        template_dirty=template_dirty,
        skip_if_exists=tuple(str(pattern) for pattern in worker.template.skip_if_exists),
    )


def _migrations(worker: Worker) -> frozenset[str]:
    """The releases whose `_migrations` this update crossed, for the report.

    Read from copier's worker after the fact; only informative, so a copier release
    that reorganises these attributes costs the report a line, never the update.
    """
    try:
        old = worker.subproject.template
        if old is None:  # no recorded release: nothing to migrate from
            return frozenset()
        tasks = [
            *worker.template.migration_tasks("before", old),
            *worker.template.migration_tasks("after", old),
        ]
    except (AttributeError, TypeError):
        return frozenset()
    return frozenset(str(task.extra_vars.get("version_current", "every update")) for task in tasks)


def questions(location: TemplateSource, *, vcs_ref: str | None) -> dict[str, dict[str, Any]]:
    """The questionnaire of release `vcs_ref` (default: the latest), as copier reads it."""
    from copier._main import Worker

    with (
        _translated_errors(location),
        redirected(location),
        Worker(src_path=location.recorded, vcs_ref=vcs_ref, quiet=True) as worker,
    ):
        return {name: dict(spec) for name, spec in worker.template.questions_data.items()}


def render_untrusted(
    location: TemplateSource,
    dest: Path,
    *,
    vcs_ref: str | None,
    data: Mapping[str, Any],
    user_defaults: Mapping[str, Any],
    defaults: bool,
) -> Rendered:
    """Render a template the operator may not have vetted, for `forgeml adopt`.

    Nothing of the template runs: tasks are skipped, and copier's own safety check stays
    on (`unsafe=False`), so a template needing Jinja extensions is refused rather than
    executed. `user_defaults` are proposed answers: copier asks with them as defaults,
    or takes them as they are when `defaults` is set; `data` answers are never asked.
    """
    from copier import run_copy

    with _translated_errors(location), redirected(location):
        worker = run_copy(
            location.recorded,
            dest,
            dict(data),
            user_defaults=dict(user_defaults),
            vcs_ref=vcs_ref,
            defaults=defaults,
            overwrite=True,
            quiet=True,
            unsafe=False,
            skip_tasks=True,
        )
    return _rendered(worker)


@contextmanager
def _translated_errors(
    location: TemplateSource, trust: TrustPolicy | None = None
) -> Iterator[None]:
    """copier's and git's failures as one-line `ForgemlError`s.

    An untrusted template's refusal is `trust`'s; without a policy (`render_untrusted`,
    `questions`) it says no source may run code here.
    """
    from copier.errors import CopierError, DirtyLocalWarning, TaskError, UnsafeTemplateError
    from plumbum.commands.processes import ProcessExecutionError

    try:
        with warnings.catch_warnings():
            # The template source may be a developer's work tree; that is intended.
            warnings.simplefilter("ignore", DirtyLocalWarning)
            yield
    except KeyboardInterrupt:
        raise
    except UnsafeTemplateError as error:
        if trust is not None:
            raise trust.refusal(location.recorded, _unsafe_features(error)) from error
        first = str(error).splitlines()[0]
        raise ForgemlError(
            f"the template {location.recorded} runs code to render, which forgeml does not "
            f"allow here: {first}"
        ) from error
    except TaskError as error:
        command = error.cmd if isinstance(error.cmd, str) else " ".join(map(str, error.cmd))
        raise ForgemlError(
            f"a template migration failed (exit code {error.returncode}): {command}"
        ) from error
    except ValueError as error:  # copier's answer validation, unknown revisions
        raise ForgemlError(describe_copier_value_error(error)) from error
    except CopierError as error:
        raise ForgemlError(f"copier: {_one_line(str(error))}") from error
    except ProcessExecutionError as error:  # git, as copier runs it
        detail = [line for line in str(error.stderr).splitlines() if line.strip()]
        reason = detail[-1].strip() if detail else f"exit code {error.retcode}"
        argv = error.argv if isinstance(error.argv, list) else [str(error.argv)]
        subcommand = next((str(arg) for arg in argv[1:] if not str(arg).startswith("-")), "git")
        raise ForgemlError(location.explain(f"git {subcommand} failed: {reason}")) from error


# Where copier keeps its mirrors of remote templates in this process, when a caller
# needs them private (see `use_private_mirrors`).
_private_mirrors: Path | None = None


def use_private_mirrors(directory: Path) -> None:
    """Give this process its own copier mirror cache, in `directory`.

    copier (9.19) keeps one mirror per remote template, shared by every process, and
    refreshes it (`git remote update`, `git worktree prune`) without locking, so
    concurrent processes updating projects of the same remote template break each
    other's clones. `forgeml fleet` calls this in each worker process.
    """
    global _private_mirrors  # noqa: PLW0603  (a per-process setting, by design)
    _private_mirrors = directory
    os.environ["COPIER_CACHE_DIR"] = str(directory)


def private_mirrors() -> Path | None:
    """This process's private directory (set by `use_private_mirrors`), if it has one:
    scratch space the fleet removes when its worker processes are done."""
    return _private_mirrors


@contextmanager
def redirected(location: TemplateSource) -> Iterator[None]:
    """Make the git processes copier runs read `location.local_repo` for the recorded URL.

    copier runs git through plumbum, whose environment is a copy of `os.environ` taken
    when plumbum was imported, so both are set; both are restored afterwards. copier's
    mirror cache goes under forgeml's cache, so a mirror of the local release cache never
    poses as a mirror of the canonical URL in the user's own copier cache.
    """
    if location.local_repo is None:
        yield
        return
    from plumbum import local

    count = int(local.env.get("GIT_CONFIG_COUNT", "0") or 0)
    overrides = {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": f"url.{location.local_repo}.insteadOf",
        f"GIT_CONFIG_VALUE_{count}": location.recorded,
        "COPIER_CACHE_DIR": str(_private_mirrors or location.copier_mirrors),
    }
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        with local.env(**overrides):
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _unsafe_features(error: Exception) -> list[str]:
    """The features copier's UnsafeTemplateError names (tasks, migrations, ...).

    copier keeps them only in its message ("...unsafe features: migrations, tasks.").
    """
    first_line = str(error).splitlines()[0] if str(error) else ""
    _, colon, listed = first_line.partition(": ")
    features = [item.strip() for item in listed.rstrip(".").split(",") if item.strip()]
    return features if colon and features else ["tasks, migrations or Jinja extensions"]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _first_line(text: str) -> str:
    """git's own diagnosis (its `fatal:` or `error:` line), else its first line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    diagnosed = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (diagnosed or lines or ["git failed"])[0]
