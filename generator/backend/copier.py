"""The copier calls `update` and `diff` make, with copier's failures as one-line errors.

Trust: both calls pass `unsafe=True`, so copier runs the template's `_migrations`
without asking. forgeml only ever points copier at a source it already knows: the
template bundled with forgeml, or the source the project itself records in
`_src_path`, which the user names by asking forgeml to maintain that project. A
template that cannot migrate its own projects could not be updated at all, and
copier's alternative (a `--trust` prompt) does not work unattended on 200 repositories.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from generator.errors import ForgemlError
from generator.project.answers import describe_copier_value_error
from generator.templates.location import TemplateLocation, redirected

if TYPE_CHECKING:
    from copier._main import Worker

ConflictStyle = Literal["inline", "rej"]


def update(
    project_dir: Path,
    location: TemplateLocation,
    *,
    vcs_ref: str,
    data: Mapping[str, Any],
    conflict: ConflictStyle,
) -> Worker:
    """copier's 3-way update of `project_dir` to `vcs_ref`, non-interactive.

    Recorded answers are kept, `data` overrides them, and a question new in `vcs_ref`
    takes its default: an unattended update must never stop at a prompt.
    """
    from copier import run_update

    with _translated_errors(location), redirected(location):
        return run_update(
            project_dir,
            dict(data),
            vcs_ref=vcs_ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=True,
            conflict=conflict,
        )


def render(
    location: TemplateLocation,
    dest: Path,
    *,
    vcs_ref: str,
    answers: Mapping[str, Any],
    exclude: Sequence[str] = (),
) -> Worker:
    """Render release `vcs_ref` with `answers` into `dest`, without running tasks.

    `exclude` adds copier exclusion patterns (.gitignore syntax) to the template's own.
    """
    from copier import run_copy

    with _translated_errors(location), redirected(location):
        return run_copy(
            location.recorded,
            dest,
            dict(answers),
            vcs_ref=vcs_ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=True,
            skip_tasks=True,
            exclude=list(exclude),
        )


def questions(location: TemplateLocation, *, vcs_ref: str | None) -> dict[str, dict[str, Any]]:
    """The questionnaire of release `vcs_ref` (default: the latest), as copier reads it."""
    from copier._main import Worker

    with (
        _translated_errors(location),
        redirected(location),
        Worker(src_path=location.recorded, vcs_ref=vcs_ref, quiet=True) as worker,
    ):
        return {name: dict(spec) for name, spec in worker.template.questions_data.items()}


def render_untrusted(
    location: TemplateLocation,
    dest: Path,
    *,
    vcs_ref: str | None,
    data: Mapping[str, Any],
    user_defaults: Mapping[str, Any],
    defaults: bool,
) -> Worker:
    """Render a template the operator may not have vetted, for `forgeml adopt`.

    Nothing of the template runs: tasks are skipped, and copier's own safety check stays
    on (`unsafe=False`), so a template needing Jinja extensions is refused rather than
    executed. `user_defaults` are proposed answers: copier asks with them as defaults,
    or takes them as they are when `defaults` is set; `data` answers are never asked.
    """
    from copier import run_copy

    with _translated_errors(location), redirected(location):
        return run_copy(
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


@contextmanager
def _translated_errors(location: TemplateLocation) -> Iterator[None]:
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


def _one_line(text: str) -> str:
    return " ".join(text.split())
