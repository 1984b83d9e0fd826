"""`forgeml fleet` on a fleet file: clone or fetch, run, then push and open pull requests.

The repositories of the fleet file are brought into the cache workspace, the operation
runs on those clones exactly as on local ones (same workers, same results), and for
`update`, each update branch is pushed and its pull request opened or refreshed when
asked. A repository that cannot be cloned is that repository's failure, not the run's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.backend.github import GitHubClient
from generator.checks import SELECTORS
from generator.commands.fleet import FleetReport, ProgressCallback, run_fleet
from generator.commands.fleet.fleetfile import FleetFile, FleetRepository, render_fleet_file
from generator.commands.fleet.ops import Operation, RepoResult, RepoUpdate, failed
from generator.commands.fleet.publish import Publication, publish, publishable
from generator.commands.fleet.workspace import Checkout, locked, sync_all
from generator.errors import EXIT_OK, EXIT_PROBLEMS
from generator.policy.file import Policy, load_policy
from generator.templates.trust import Trust


@dataclass(frozen=True)
class Rollout:
    report: FleetReport
    # In the fleet file's order, like the report's results.
    repositories: tuple[FleetRepository, ...]
    publications: tuple[Publication | None, ...]

    @property
    def exit_code(self) -> int:
        unpublished = any(
            publication is not None and publication.needs_attention
            for publication in self.publications
        )
        return max(self.report.exit_code, EXIT_PROBLEMS if unpublished else EXIT_OK)


def run_rollout(
    operation: Operation,
    fleet: FleetFile,
    workspace: Path,
    *,
    jobs: int,
    policy: Policy | None = None,
    push: bool = False,
    github: GitHubClient | None = None,
    label: str | None = None,
    on_result: ProgressCallback | None = None,
    trust: Trust | None = None,
) -> Rollout:
    # Every policy is read before anything is cloned: a bad one is bad input (exit 2).
    policies = {
        path: load_policy(path, SELECTORS)
        for path in dict.fromkeys(repository.policy for repository in fleet.repositories)
        if path is not None and policy is None
    }
    # The lock covers every step that touches the clones: sync, update, push.
    with locked(workspace):
        checkouts = sync_all(fleet.repositories, workspace, jobs)
        results: dict[Path, RepoResult] = {}
        for checkout in checkouts:
            if checkout.error is not None:
                results[checkout.path] = failed(operation, checkout.path, checkout.error)
        # One fleet run per policy: `--policy` for all, else each repository's own setting.
        groups: dict[Path | None, list[Path]] = {}
        for checkout in checkouts:
            if checkout.error is None:
                key = None if policy is not None else checkout.repository.policy
                groups.setdefault(key, []).append(checkout.path)
        for policy_path, paths in groups.items():
            chosen = policy if policy_path is None else policies[policy_path]
            ran = run_fleet(
                operation, paths, jobs=jobs, policy=chosen, on_result=on_result, trust=trust
            )
            results.update((result.path, result) for result in ran.results)
        ordered = tuple(results[checkout.path] for checkout in checkouts)
        publications = tuple(
            _publish(checkout, result, push, github, label)
            for checkout, result in zip(checkouts, ordered, strict=True)
        )
        return Rollout(
            FleetReport(operation, ordered),
            tuple(checkout.repository for checkout in checkouts),
            publications,
        )


def _publish(
    checkout: Checkout,
    result: RepoResult,
    push: bool,
    github: GitHubClient | None,
    label: str | None,
) -> Publication | None:
    if not isinstance(result, RepoUpdate) or not publishable(result.result):
        return None
    assert result.result is not None  # publishable() says so
    if not push:
        return Publication("not pushed", f"branch kept in the workspace {checkout.path}")
    return publish(checkout, result.result, github=github, label=label)


def discovered_fleet(client: GitHubClient, org: str) -> str:
    """A fleet file of `org`'s repositories that are not archived."""
    repositories = [
        FleetRepository(url=found.clone_url, branch=found.default_branch, github=found.full_name)
        for found in client.organization_repositories(org)
    ]
    header = (
        f"forgeml fleet file: the repositories of {org} (archived ones left out),\n"
        'written by `forgeml fleet discover`. Edit freely: add policy = "..." per repository.'
    )
    return render_fleet_file(repositories, header)
