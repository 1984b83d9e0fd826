"""The GitHub REST API, through PyGithub: the only module that talks to GitHub.

forgeml needs these things of it: the open pull request of a branch, creating one,
refreshing its title, body and draft status, labelling it, closing the ones a newer one supersedes,
and listing an organisation's repositories. PyGithub is an optional dependency
(`pip install forgeml[github]`), imported only here and only when one of these is asked
for.

Transient failures are PyGithub's `GithubRetry`: 5xx and 429 answers are retried with
exponential backoff, and a 403 or 429 that signals a rate limit waits for the limit's
reset (its `Retry-After` or `X-RateLimit-Reset` header), bounded by `max_wait`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from generator.errors import ForgemlError

if TYPE_CHECKING:
    from github import Github

DEFAULT_API_URL = "https://api.github.com"
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
# GitHub asks integrators to space content-creating requests out by a second (secondary
# rate limits), and retries back off exponentially from BACKOFF seconds.
SECONDS_BETWEEN_WRITES = 1.0
BACKOFF = 1.0


@dataclass(frozen=True)
class PullRequestRef:
    number: int
    url: str
    # "created" or "updated"
    action: str
    draft: bool


@dataclass(frozen=True)
class OrgRepository:
    full_name: str
    clone_url: str
    default_branch: str | None


def token_from_environment() -> str:
    for name in TOKEN_VARIABLES:
        token = os.environ.get(name, "").strip()
        if token:
            return token
    raise ForgemlError(
        "the GitHub API needs a token: set GITHUB_TOKEN or GH_TOKEN "
        "(a GitHub App installation token, so the pull requests run CI)"
    )


def _write_interval() -> float:
    """Seconds between writes: FORGEML_GITHUB_WRITE_INTERVAL (a GitHub Enterprise Server
    with other limits, a local test server), else GitHub's one second."""
    value = os.environ.get("FORGEML_GITHUB_WRITE_INTERVAL", "").strip()
    if not value:
        return SECONDS_BETWEEN_WRITES
    try:
        interval = float(value)
    except ValueError:
        interval = -1.0
    if not 0 <= interval <= 60:  # a minute per write is already absurd
        raise ForgemlError("FORGEML_GITHUB_WRITE_INTERVAL must be seconds between 0 and 60")
    return interval


def api_url_from_environment() -> str:
    """GitHub Actions sets GITHUB_API_URL (also on GitHub Enterprise Server)."""
    return os.environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL


class GitHubClient:
    """A session with the GitHub API; every failure is one ForgemlError line."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        retries: int = 5,
        max_wait: float = 900.0,
    ) -> None:
        try:
            from github import Auth, Github, GithubRetry
        except ImportError:
            raise ForgemlError(
                "pull requests and discovery need PyGithub: pip install 'forgeml[github]'"
            ) from None
        interval = _write_interval()
        retry = GithubRetry(
            total=retries,
            backoff_factor=BACKOFF,
            status_forcelist=[429, *range(500, 600)],
            max_rate_limit_wait=max_wait,
        )
        self._api: Github = Github(
            auth=Auth.Token(token),
            base_url=api_url.rstrip("/"),
            retry=retry,
            seconds_between_requests=None,
            seconds_between_writes=interval or None,
            timeout=30,
            # Objects are fetched only when a field is read: fewer requests per repository.
            lazy=True,
        )

    def open_pull_request(
        self,
        repository: str,
        *,
        head: str,
        base: str,
        title: str,
        body: str,
        draft: bool,
        label: str | None,
    ) -> PullRequestRef:
        """Open the pull request of `head` into `base`, or refresh the one already open.

        Idempotent: the open pull request is looked up by its head branch first, so a
        re-run edits it instead of opening a second one, and moves it in or out of draft
        when the update's conflicts come or go (GraphQL mutations: the REST API sets
        draft status only when a pull request is opened).
        """
        with _errors(f"pull request for {repository}"):
            repo = self._api.get_repo(repository)
            owner = repository.split("/", 1)[0]
            existing = self._find_open(repo, owner, head, base)
            if existing is not None:
                existing.edit(title=title, body=body)
                _set_draft(existing, draft)
                pull, action = existing, "updated"
            else:
                pull, action = self._create(repo, owner, head, base, title, body, draft), "created"
            if label:
                pull.add_to_labels(label)
            return PullRequestRef(pull.number, pull.html_url, action, bool(pull.draft))

    def close_superseded(
        self, repository: str, *, head_prefix: str, keep: str, comment: str
    ) -> tuple[str, ...]:
        """Close the open pull requests from this repository's `head_prefix*` branches
        other than `keep`, each with `comment`; the URLs of those closed.

        Only pull requests whose head is in the repository itself (not a fork) count:
        a contributor's fork can name a branch anything. Branches are left in place, so
        a closed pull request can be reopened with its commits.
        """
        closed: list[str] = []
        with _errors(f"superseded pull requests of {repository}"):
            repo = self._api.get_repo(repository)
            owner = repository.split("/", 1)[0]
            for pull in repo.get_pulls(state="open"):
                head = pull.head
                if head.label != f"{owner}:{head.ref}" or head.ref == keep:
                    continue
                if head.ref.startswith(head_prefix):
                    pull.create_issue_comment(comment)
                    pull.edit(state="closed")
                    closed.append(pull.html_url)
        return tuple(closed)

    def _find_open(self, repo: Any, owner: str, head: str, base: str) -> Any:
        for pull in repo.get_pulls(state="open", head=f"{owner}:{head}", base=base):
            return pull
        return None

    def _create(
        self, repo: Any, owner: str, head: str, base: str, title: str, body: str, draft: bool
    ) -> Any:
        from github import GithubException

        try:
            return repo.create_pull(base=base, head=head, title=title, body=body, draft=draft)
        except GithubException as error:
            # A retried POST whose first attempt did arrive: the pull request exists now.
            found = self._find_open(repo, owner, head, base) if error.status == 422 else None
            if found is None:
                raise
            found.edit(title=title, body=body)
            return found

    def organization_repositories(self, org: str) -> list[OrgRepository]:
        """The organisation's repositories that can still change: archived ones are left out."""
        with _errors(f"repositories of {org}"):
            listed = self._api.get_organization(org).get_repos(type="all", sort="full_name")
            return [
                OrgRepository(repo.full_name, repo.clone_url, repo.default_branch)
                for repo in listed
                if not repo.archived
            ]


def _set_draft(pull: Any, draft: bool) -> None:
    if bool(pull.draft) == draft:
        return
    if draft:
        pull.convert_to_draft()
    else:
        pull.mark_ready_for_review()


@contextmanager
def _errors(what: str) -> Iterator[None]:
    """PyGithub's and the network's exceptions, as one ForgemlError line."""
    from github import GithubException

    try:
        yield
    except GithubException as error:
        data = error.data if isinstance(error.data, dict) else {}
        message = error.message or data.get("message") or "no message"
        raise ForgemlError(f"GitHub API: {what}: HTTP {error.status}: {message}") from None
    except OSError as error:  # requests' connection errors, timeouts and exhausted retries
        raise ForgemlError(f"GitHub API: {what}: {type(error).__name__}: {error}") from None
