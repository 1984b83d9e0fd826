"""Pushing a fleet update's branch to its repository and opening its pull request.

The branch `forgeml/update-<release>` is forgeml's own: a re-run replaces it (with a
lease, so a push that raced with someone else's is refused, not lost), but only while
it still holds nothing but forgeml's single update commit. Once someone has pushed a
fix on it (say, resolved the conflicts), forgeml leaves it alone. When the new update
is the same as the pushed one (same parent, same files), nothing is pushed, so re-runs
do not churn the pull request's commits.

A newer release's pull request supersedes the older ones still open (forgeml/update-0.2.0
when forgeml/update-0.3.0 is opened): they are closed with a comment pointing at the new
one, the way dependency bots do, so a repository has one template pull request to review.
Their branches stay, so a closed pull request can be reopened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.backend.git import (
    commits_between,
    parent_of,
    push_with_lease,
    resolve_commit,
    subject_of,
    tree_of,
)
from generator.backend.github import GitHubClient
from generator.commands.fleet.branch_update import BRANCH_PREFIX, BranchUpdate
from generator.commands.fleet.workspace import Checkout
from generator.errors import ForgemlError

PushOutcome = Literal["pushed", "unchanged", "kept", "not pushed", "failed"]
COMMIT_SUBJECT = "Update template from "


@dataclass(frozen=True)
class Publication:
    push: PushOutcome
    detail: str | None = None
    pull_request: str | None = None
    # "created" or "updated", when a pull request was opened or refreshed.
    pull_request_action: str | None = None
    # What went wrong pushing or with the pull request.
    error: str | None = None
    # Older forgeml pull requests this one superseded and closed.
    superseded: tuple[str, ...] = ()

    @property
    def needs_attention(self) -> bool:
        return self.error is not None


def publishable(update: BranchUpdate | None) -> bool:
    return update is not None and update.outcome in {"updated", "conflicts"} and bool(update.branch)


def publish(
    checkout: Checkout,
    update: BranchUpdate,
    *,
    github: GitHubClient | None,
    label: str | None,
) -> Publication:
    """Push the update branch, then open or refresh its pull request when `github` is given."""
    try:
        push = push_update(checkout, update)
    except ForgemlError as error:
        return Publication("failed", error=error.message)
    if push.push == "kept" or github is None:
        return push
    slug = checkout.repository.github
    if slug is None:
        return Publication(
            push.push, push.detail, error="no pull request: not a GitHub URL (set github = ...)"
        )
    try:
        pull = github.open_pull_request(
            slug,
            head=update.branch or "",
            base=checkout.branch or "",
            title=pull_request_title(update),
            body=pull_request_body(update),
            draft=bool(update.changes.conflicts),
            label=label,
        )
        superseded = github.close_superseded(
            slug,
            head_prefix=BRANCH_PREFIX,
            keep=update.branch or "",
            comment=f"Superseded by {pull.url} ({pull_request_title(update)}).",
        )
    except ForgemlError as error:
        return Publication(push.push, push.detail, error=error.message)
    except Exception as error:  # a bug or a malformed answer costs one repository
        detail = f"internal error: {type(error).__name__}: {error}"
        return Publication(push.push, push.detail, error=detail)
    return Publication(push.push, push.detail, pull.url, pull.action, superseded=superseded)


def push_update(checkout: Checkout, update: BranchUpdate) -> Publication:
    repo, branch, commit = checkout.path, update.branch or "", update.commit or ""
    remote = resolve_commit(repo, f"refs/remotes/origin/{branch}")
    if remote is not None:
        if tree_of(repo, remote) == tree_of(repo, commit) and parent_of(repo, remote) == parent_of(
            repo, commit
        ):
            return Publication("unchanged", f"origin/{branch} already holds this update")
        if not _only_forgeml(checkout, remote):
            return Publication(
                "kept", f"origin/{branch} has commits forgeml did not make; left alone"
            )
    push_with_lease(repo, branch, remote)
    return Publication("pushed")


def _only_forgeml(checkout: Checkout, remote: str) -> bool:
    """Whether the remote branch is forgeml's single update commit on the base branch."""
    base = f"refs/remotes/origin/{checkout.branch}"
    return commits_between(checkout.path, base, remote) <= 1 and subject_of(
        checkout.path, remote
    ).startswith(COMMIT_SUBJECT)


def pull_request_title(update: BranchUpdate) -> str:
    return f"Update template from {update.from_version} to {update.to_version}"


def pull_request_body(update: BranchUpdate) -> str:
    """The update report, in Markdown: what changed and what to resolve."""
    changes = update.changes
    lines = [
        f"forgeml updated this repository's template from **{update.from_version}** "
        f"to **{update.to_version}** with copier's 3-way update: local edits are kept.",
        "",
    ]
    if changes.conflicts:
        lines += [
            "### Conflicts to resolve",
            "",
            "This pull request is a draft: the files below hold conflict markers "
            "(or `.rej` files). Resolve them on this branch, then mark it ready.",
            "",
            *(f"- `{item.path}`: {item.reason}" for item in changes.conflicts),
            "",
        ]
    for title, paths in (
        ("Updated", changes.updated),
        ("Added", changes.added),
        ("Removed", changes.removed),
    ):
        if paths:
            lines += [f"### {title} ({len(paths)})", "", *(f"- `{path}`" for path in paths), ""]
    lines += [
        "---",
        "Opened by `forgeml fleet update --pull-requests`. A re-run refreshes this pull "
        "request; once you push to its branch, forgeml leaves the branch alone.",
    ]
    return "\n".join(lines) + "\n"
