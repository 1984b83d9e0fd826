"""`forgeml new`: render a project into a staging directory and move it into place.

Nothing appears at the destination unless rendering, validation and the first commit
all succeeded: the project is built in a hidden staging directory on the same
filesystem and renamed into place in one step, so a failure or Ctrl-C leaves nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator import __version__
from generator.backend import copier
from generator.backend.git import commit_all, git_available, init_repository
from generator.errors import ForgemlError
from generator.project.answers import (
    ANSWERS_FILE,
    check_final_answers,
    check_given_answers,
    check_known_questions,
    record_source,
)
from generator.templates.source import TemplateSource, check_local_template, resolve_template


@dataclass(frozen=True)
class NewProject:
    path: Path
    answers: dict[str, Any]
    template_src: str
    template_version: str | None
    file_count: int
    committed: bool
    # The template was a git work tree with uncommitted changes: copier rendered them
    # from a temporary commit, so `_commit` names a revision that exists nowhere else.
    template_dirty: bool = False


def create_project(
    dest: Path,
    *,
    data: Mapping[str, Any],
    template: str | None = None,
    vcs_ref: str | None = None,
    defaults: bool = False,
    git: bool = True,
) -> NewProject:
    dest = dest.expanduser().absolute()
    _check_destination(dest)
    check_given_answers(data)
    source = resolve_template(template, vcs_ref, __version__)
    check_local_template(source, dest)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.forgeml-", dir=_existing_ancestor(dest)))
    try:
        answers, template_dirty = _render(source, staging, data, defaults)
        committed = False
        if git and git_available():
            init_repository(staging)
            commit_all(
                staging,
                f"Generate project from forgeml template {answers.get('_commit', 'HEAD')}",
                fallback_name=str(answers.get("author_name", "forgeml")),
                fallback_email=str(answers.get("author_email", "forgeml@localhost")),
            )
            committed = True
        file_count = sum(1 for p in staging.rglob("*") if p.is_file() and ".git" not in p.parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():  # an empty directory, checked above
            dest.rmdir()
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return NewProject(
        path=dest,
        answers={k: v for k, v in answers.items() if not k.startswith("_")},
        template_src=str(answers.get("_src_path", source.src)),
        template_version=answers.get("_commit"),
        file_count=file_count,
        committed=committed,
        template_dirty=template_dirty,
    )


def _check_destination(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise ForgemlError(f"{dest} exists and is not a directory")
    if dest.is_dir() and any(dest.iterdir()):
        raise ForgemlError(
            f"{dest} is not empty; forgeml new only writes into a new or empty directory"
        )


def _existing_ancestor(path: Path) -> Path:
    """Staging must live on the destination's filesystem for the final rename."""
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    return parent


def _render(
    source: TemplateSource, staging: Path, data: Mapping[str, Any], defaults: bool
) -> tuple[dict[str, Any], bool]:
    rendered = copier.copy(
        source.src, staging, data=data, vcs_ref=source.vcs_ref, defaults=defaults
    )
    questions = rendered.questions
    check_known_questions(data, questions)
    answers_path = staging / ANSWERS_FILE
    if not answers_path.is_file():
        raise ForgemlError(
            f"the template wrote no {ANSWERS_FILE}; without it the project could never be updated"
        )
    answers = yaml.safe_load(answers_path.read_text(encoding="utf-8")) or {}
    check_final_answers(
        {k: v for k, v in answers.items() if not k.startswith("_")}, questions, rendered.jinja_env
    )
    if source.recorded_src is not None:
        record_source(answers_path, source.recorded_src)
        answers["_src_path"] = source.recorded_src
    return answers, rendered.template_dirty
