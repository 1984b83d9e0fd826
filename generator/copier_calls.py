"""The copier calls `update` and `diff` make, with copier's failures as one-line errors.

Trust: a project's `_src_path` is written by whoever can commit to the project, so
naming a project is no reason to run its template's code. Both calls pass
`unsafe=True` only when the operator trusts the source (`trust.py`); otherwise copier
checks the template (and, for an update, the project's old release) for `_tasks`,
`_migrations` and `_jinja_extensions` before doing anything and refuses, which
becomes forgeml's one-line refusal naming the source and the flag that trusts it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from generator.answers import describe_copier_value_error
from generator.errors import ForgemlError
from generator.template_location import TemplateLocation, redirected
from generator.trust import Trust, load_trust

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
    trust: Trust,
) -> Worker:
    """copier's 3-way update of `project_dir` to `vcs_ref`, non-interactive.

    Recorded answers are kept, `data` overrides them, and a question new in `vcs_ref`
    takes its default: an unattended update must never stop at a prompt.
    """
    from copier import run_update

    with _translated_errors(location, trust), redirected(location):
        return run_update(
            project_dir,
            dict(data),
            vcs_ref=vcs_ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=trust.trusts(location.recorded),
            conflict=conflict,
        )


def render(
    location: TemplateLocation,
    dest: Path,
    *,
    vcs_ref: str,
    answers: Mapping[str, Any],
    exclude: Sequence[str] = (),
    trust: Trust | None = None,
) -> Worker:
    """Render release `vcs_ref` with `answers` into `dest`, without running tasks.

    `exclude` adds copier exclusion patterns (.gitignore syntax) to the template's own.
    Tasks are skipped; only `_jinja_extensions` would still run code, and only from a
    trusted source (default: the bundled template and the configured allowlist).
    """
    from copier import run_copy

    # diff, check and fleet status have no --trust: only the configuration trusts here.
    trust = trust or load_trust(flag=None)
    with _translated_errors(location, trust), redirected(location):
        return run_copy(
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


@contextmanager
def _translated_errors(location: TemplateLocation, trust: Trust) -> Iterator[None]:
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
        raise trust.refusal(location.recorded, unsafe_features(error)) from error
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


def unsafe_features(error: Exception) -> list[str]:
    """The features copier's UnsafeTemplateError names (tasks, migrations, ...).

    copier keeps them only in its message ("...unsafe features: migrations, tasks.").
    """
    first_line = str(error).splitlines()[0] if str(error) else ""
    _, colon, listed = first_line.partition(": ")
    features = [item.strip() for item in listed.rstrip(".").split(",") if item.strip()]
    return features if colon and features else ["tasks, migrations or Jinja extensions"]


def _one_line(text: str) -> str:
    return " ".join(text.split())
