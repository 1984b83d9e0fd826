"""A generated project as `forgeml update`, `diff` and `check-update` see it.

Loading one checks what every maintenance command needs before anything is touched:
an answers file recording where the template came from (`_src_path`) and which
release rendered it (`_commit`). `require_clean_repository` adds what only `update`
needs: a git work tree with at least one commit and nothing uncommitted, because the
update's 3-way merge is only safe to review (and undo) against a clean HEAD.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.backend.git import git_available, status, work_tree
from generator.errors import ForgemlError
from generator.project.answers import ANSWERS_FILE, refuse_yaml_aliases

# How many offending paths a refusal names before summarising the rest.
_SHOWN_PATHS = 3


@dataclass(frozen=True)
class GeneratedProject:
    path: Path
    src_path: str
    commit: str
    # The questionnaire answers, without copier's `_`-prefixed bookkeeping keys.
    answers: dict[str, Any]

    @property
    def answers_path(self) -> Path:
        return self.path / ANSWERS_FILE


@dataclass(frozen=True)
class RepositoryState:
    toplevel: Path
    head: str
    # The project's directory inside the repository ('' or 'sub/dir/'), as git prints it.
    prefix: str


def load_project(path: Path) -> GeneratedProject:
    """Read the answers file of the project at `path`, refusing anything else."""
    path = path.expanduser().absolute()
    if not path.is_dir():
        raise ForgemlError(f"{path} is not a directory")
    answers_path = path / ANSWERS_FILE
    if not answers_path.is_file():
        raise ForgemlError(
            f"{path} is not a generated project: it has no {ANSWERS_FILE} "
            "(run forgeml new, or forgeml adopt for an existing repository)"
        )
    try:
        text = answers_path.read_text(encoding="utf-8")
        refuse_yaml_aliases(text, str(answers_path))
        recorded = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        reason = " ".join(str(error).split())
        raise ForgemlError(f"{answers_path} cannot be read: {reason}") from error
    if not isinstance(recorded, dict):
        raise ForgemlError(f"{answers_path} is not a mapping of answers")
    missing = [key for key in ("_src_path", "_commit") if not recorded.get(key)]
    if missing:
        raise ForgemlError(
            f"{path} is not an updatable generated project: {ANSWERS_FILE} records no "
            f"{' and no '.join(missing)}"
        )
    return GeneratedProject(
        path=path,
        src_path=str(recorded["_src_path"]),
        commit=str(recorded["_commit"]),
        answers={k: v for k, v in recorded.items() if not str(k).startswith("_")},
    )


def require_repository(project: GeneratedProject) -> RepositoryState:
    """The project's git state, or a refusal when it is not in a repository with commits."""
    if not git_available():
        raise ForgemlError("git is not installed; forgeml update needs it")
    tree = work_tree(project.path)
    if tree is None:
        raise ForgemlError(
            f"{project.path} is not a git repository; commit the project before updating it"
        )
    if tree.head is None:
        raise ForgemlError(f"{tree.root} has no commits yet; commit the project before updating it")
    return RepositoryState(toplevel=tree.root, head=tree.head, prefix=tree.prefix)


def require_clean_repository(project: GeneratedProject) -> RepositoryState:
    """The project's git state, or a refusal when an update could not be reviewed safely."""
    repo = require_repository(project)
    top = repo.toplevel
    # Untracked (non-ignored) files count: the update could overwrite or merge into them
    # and `git checkout .` would not bring them back.
    dirty = [entry.path for entry in status(top)]
    if dirty:
        shown = ", ".join(dirty[:_SHOWN_PATHS])
        more = f" and {len(dirty) - _SHOWN_PATHS} more" if len(dirty) > _SHOWN_PATHS else ""
        raise ForgemlError(
            f"{top} has uncommitted changes ({shown}{more}); commit or stash them first"
        )
    return repo
