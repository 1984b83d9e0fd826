"""A template update committed on a new branch, leaving the checked-out branch alone.

`forgeml fleet update` runs this in every repository. The update happens in a separate
git worktree on a new branch `forgeml/update-<version>`, started at the repository's
HEAD, so the branch a repository has checked out (usually its default branch), its
index and its work tree are never written to, even when the update fails half-way.
The worktree starts detached and the branch is created, in one `git update-ref`,
only once the update is committed: a run killed at any moment (SIGKILL included)
never leaves an empty branch that a later run would report as already done. The
worktree is removed afterwards; the branch stays, with one commit holding the update
(conflict markers included, so the pull request shows what to resolve). A failed
update leaves no branch behind, so the next fleet run tries again; an empty
`forgeml/update-*` branch left by an older forgeml (its tip already in HEAD, so it
holds no work) is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from generator.backend.git import (
    branch_exists,
    commit_to_new_branch,
    current_branch,
    delete_branch,
    is_ancestor,
    resolve_commit,
    scratch_worktree,
)
from generator.commands.update import PartialUpdateError, update_project
from generator.errors import ForgemlError
from generator.project.changes import ChangeSet
from generator.project.generated import load_project, require_repository
from generator.templates.location import ReleaseIndex
from generator.templates.releases import latest, newer_than
from generator.templates.trust import Trust

BRANCH_PREFIX = "forgeml/update-"
Outcome = Literal["updated", "conflicts", "current", "exists", "failed"]


@dataclass(frozen=True)
class BranchUpdate:
    path: Path
    outcome: Outcome
    from_version: str | None = None
    to_version: str | None = None
    branch: str | None = None
    # The commit on `branch` holding the update, and the branch (or commit) it started from.
    commit: str | None = None
    base: str | None = None
    changes: ChangeSet = field(default_factory=ChangeSet)
    # Why nothing was updated: the existing branch, or the failure.
    detail: str | None = None

    @property
    def needs_attention(self) -> bool:
        return self.outcome in {"conflicts", "failed"}


def update_on_branch(
    path: Path, releases: ReleaseIndex | None = None, trust: Trust | None = None
) -> BranchUpdate:
    """Update the project at `path` to the latest release on a new branch."""
    project = load_project(path)
    # Uncommitted work in the checkout does not matter: the update starts from HEAD in
    # another worktree and never touches this one.
    repo = require_repository(project)
    tags = (releases or ReleaseIndex()).tags(project.src_path)
    target = latest(tags)
    if target is None:
        raise ForgemlError(f"the template {project.src_path} has no release tags (PEP 440)")
    if not newer_than(project.commit, tags):
        return BranchUpdate(project.path, "current", project.commit, project.commit)
    branch = f"{BRANCH_PREFIX}{target}"
    if branch_exists(repo.toplevel, branch) and is_ancestor(repo.toplevel, branch, repo.head):
        delete_branch(repo.toplevel, branch)  # empty: holds no work, only a false "done"
    if branch_exists(repo.toplevel, branch):
        return BranchUpdate(
            project.path,
            "exists",
            project.commit,
            target,
            branch,
            detail=f"branch {branch} already exists (an earlier run?); delete it to redo",
        )
    before = (current_branch(repo.toplevel), resolve_commit(repo.toplevel, "HEAD"))
    result = _update_in_worktree(repo.toplevel, repo.head, repo.prefix, branch, target, trust)
    after = (current_branch(repo.toplevel), resolve_commit(repo.toplevel, "HEAD"))
    if after != before:  # never expected: the update ran in another worktree
        raise ForgemlError(f"the checked-out branch of {repo.toplevel} changed during the update")
    changes, commit = result
    return BranchUpdate(
        path=project.path,
        outcome="conflicts" if changes.conflicts else "updated",
        from_version=project.commit,
        to_version=target,
        branch=branch,
        commit=commit,
        base=before[0] or repo.head[:12],
        changes=changes,
    )


def _update_in_worktree(
    toplevel: Path, head: str, prefix: str, branch: str, target: str, trust: Trust | None
) -> tuple[ChangeSet, str]:
    with scratch_worktree(toplevel, head, "forgeml-fleet-") as worktree:
        try:
            result = update_project(worktree / prefix, to=target, trust=trust)
        except PartialUpdateError as error:
            # The half-updated worktree is discarded below, so the undo advice does not apply.
            raise ForgemlError(f"{error.cause.message} (nothing was kept)") from error
        except ForgemlError as error:
            raise ForgemlError(f"{error.message} (nothing was kept)") from error
        commit = commit_to_new_branch(
            worktree,
            toplevel,
            branch,
            _commit_message(result.from_version, target, result.changes),
        )
    return result.changes, commit


def _commit_message(from_version: str, to_version: str, changes: ChangeSet) -> str:
    lines = [
        f"Update template from {from_version} to {to_version}",
        "",
        "forgeml fleet update: copier's 3-way update; local edits are kept.",
    ]
    if changes.conflicts:
        lines += ["", "Conflicts to resolve before merging (markers are committed):"]
        lines += [f"- {conflict.path}" for conflict in changes.conflicts]
    return "\n".join(lines) + "\n"
