"""`forgeml new`: render a project into a staging directory and move it into place.

Nothing appears at the destination unless rendering, validation and the first commit
all succeeded: the project is built in a hidden staging directory on the same
filesystem and renamed into place in one step, so a failure or Ctrl-C leaves nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from generator import __version__, signals
from generator.backend import copier
from generator.backend.git import commit_all, git_available, init_repository
from generator.errors import ForgemlError
from generator.project.answers import (
    ANSWERS_FILE,
    check_final_answers,
    check_given_answers,
    check_known_questions,
    record_source,
    with_derived_answers,
)
from generator.templates.releases import release_tags
from generator.templates.source import TemplateSource, check_local_template, resolve_template
from generator.templates.trust import Trust, load_trust


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
    trust: Trust | None = None,
) -> NewProject:
    dest = dest.expanduser().absolute()
    trust = trust or load_trust()
    _check_destination(dest)
    check_given_answers(data)
    data = with_derived_answers(data)
    source = resolve_template(template, vcs_ref, __version__)
    check_local_template(source, dest)
    source = _untagged_means_head(source)
    # Staged beside DEST (or inside an existing empty DEST, which may be `.`): the same
    # filesystem, so moving it into place is a rename.
    staging_parent = dest if dest.is_dir() else _existing_ancestor(dest)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.forgeml-", dir=staging_parent))
    except OSError as error:
        raise ForgemlError(f"DEST {dest} cannot be created: {error.strerror}") from error
    try:
        # mkdtemp makes a private (0700) directory; the project gets what the umask says.
        staging.chmod(0o777 & ~_umask())
        answers, template_dirty = _render(source, staging, data, defaults, trust)
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
        _move_into_place(staging, dest)
    except BaseException as error:
        with signals.deferred():  # a second Ctrl-C must not leave half a staging directory
            shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):  # the filesystem refused: full, read-only, permissions
            where = f" ({error.filename})" if error.filename else ""
            raise ForgemlError(
                f"DEST {dest} could not be written: {error.strerror}{where}"
            ) from error
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


def _untagged_means_head(source: TemplateSource) -> TemplateSource:
    """Name HEAD ourselves for a template without release tags.

    copier would pick HEAD too, but print "No git tags found" on every run; forgeml's
    report already says the template is unversioned.
    """
    if source.vcs_ref is not None:
        return source
    try:
        tags = release_tags(source.src)
    except ForgemlError:  # not a git repository (a plain directory): copier copies it
        return source
    return source if tags else replace(source, vcs_ref="HEAD")


def _check_destination(dest: Path) -> None:
    """Refuse, before any work, a DEST forgeml could not create or must not replace."""
    try:
        _check_destination_path(dest)
    except OSError as error:  # a name too long, a loop of symbolic links, no permission
        raise ForgemlError(f"DEST {dest} cannot be used: {error.strerror}") from error


def _check_destination_path(dest: Path) -> None:
    if dest.is_symlink():
        raise ForgemlError(
            f"DEST {dest} is a symbolic link (to {dest.readlink()}); give a real directory"
        )
    if dest.exists() and not dest.is_dir():
        raise ForgemlError(f"DEST {dest} exists and is not a directory")
    if dest.is_dir() and any(dest.iterdir()):
        raise ForgemlError(
            f"DEST {dest} is not empty; forgeml new only writes into a new or empty directory"
        )
    for parent in dest.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise ForgemlError(f"DEST {dest} cannot be created: {parent} is not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ForgemlError(f"DEST {dest} cannot be created: {parent} is not writable")
            return


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _move_into_place(staging: Path, dest: Path) -> None:
    """Rename the staged project to DEST; an existing empty DEST keeps its mode and group."""
    if not dest.is_dir():
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(dest)
        return
    moved: list[Path] = []
    try:
        for child in sorted(staging.iterdir()):
            child.rename(dest / child.name)
            moved.append(dest / child.name)
    except BaseException:
        for path in moved:  # put back what was moved, so the cleanup removes all of it
            path.rename(staging / path.name)
        raise
    staging.rmdir()


def _existing_ancestor(path: Path) -> Path:
    """Staging must live on the destination's filesystem for the final rename."""
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    return parent


def _render(
    source: TemplateSource,
    staging: Path,
    data: Mapping[str, Any],
    defaults: bool,
    trust: Trust,
) -> tuple[dict[str, Any], bool]:
    rendered = copier.copy(
        source.src, staging, data=data, vcs_ref=source.vcs_ref, defaults=defaults, trust=trust
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
