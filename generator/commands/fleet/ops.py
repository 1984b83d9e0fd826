"""What `forgeml fleet` does in one repository: status, check or update.

Each operation returns plain data (it crosses from a worker process to the parent) and
never raises: whatever goes wrong in one repository, a missing directory, a broken
answers file, a template that cannot be reached or a bug, becomes that repository's
result, so the rest of the fleet carries on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.checks import SELECTORS
from generator.commands.check import ProjectReport, project_context, run_checks
from generator.commands.fleet.branch_update import BranchUpdate, update_on_branch
from generator.errors import EXIT_OK, EXIT_PROBLEMS, ForgemlError
from generator.policy.file import Policy, find_policy
from generator.templates.location import ReleaseIndex
from generator.templates.releases import latest, newer_than
from generator.templates.trust import Trust

Operation = Literal["status", "check", "update"]
OPERATIONS: tuple[Operation, ...] = ("status", "check", "update")


@dataclass(frozen=True)
class RepoStatus:
    path: Path
    version: str | None = None
    latest: str | None = None
    behind: int | None = None
    # Codes of the policy checks that failed, and of those that could not run.
    violations: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    # Template-managed files that differ from the recorded release (None: unknown).
    drifted: tuple[str, ...] | None = None
    # What could not be found out, one message each.
    errors: tuple[str, ...] = ()

    @property
    def needs_attention(self) -> bool:
        return bool(self.behind or self.violations or self.unchecked or self.drifted or self.errors)


@dataclass(frozen=True)
class RepoCheck:
    path: Path
    report: ProjectReport | None = None
    error: str | None = None

    @property
    def needs_attention(self) -> bool:
        return self.report is None or self.report.exit_code != EXIT_OK


@dataclass(frozen=True)
class RepoUpdate:
    path: Path
    result: BranchUpdate | None = None
    error: str | None = None

    @property
    def needs_attention(self) -> bool:
        return self.result is None or self.result.needs_attention


RepoResult = RepoStatus | RepoCheck | RepoUpdate


def exit_code(result: RepoResult) -> int:
    return EXIT_PROBLEMS if result.needs_attention else EXIT_OK


def run_one(
    operation: Operation,
    path: Path,
    policy: Policy | None,
    releases: ReleaseIndex,
    trust: Trust | None = None,
) -> RepoResult:
    """One repository's result; every failure is caught and becomes part of it."""
    try:
        if operation == "status":
            return repo_status(path, policy, releases)
        if operation == "check":
            return repo_check(path, policy, releases)
        return RepoUpdate(path, result=update_on_branch(path, releases, trust))
    except ForgemlError as error:
        return failed(operation, path, error.message)
    except Exception as error:  # a bug must cost one repository, not the fleet run
        return failed(operation, path, f"internal error: {type(error).__name__}: {error}")


def repo_check(path: Path, policy: Policy | None, releases: ReleaseIndex) -> RepoCheck:
    context = project_context(path, releases)
    return RepoCheck(path, run_checks(context, policy or find_policy(context.path, SELECTORS)))


def repo_status(path: Path, policy: Policy | None, releases: ReleaseIndex) -> RepoStatus:
    context = project_context(path, releases)
    errors: list[str] = []
    version = latest_release = behind = drifted = None
    try:
        version = context.project.commit
        tags = context.release_tags
        latest_release = latest(tags)
        behind = len(newer_than(version, tags))
    except ForgemlError as error:
        errors.append(error.message)
    if version is not None:
        try:
            # Every managed file, rendered once: the policy's drift check below reuses it.
            drifted = tuple(item.path for item in context.drift.files)
        except ForgemlError as error:
            errors.append(f"drift unknown: {error.message}")
    report = run_checks(context, policy or find_policy(context.path, SELECTORS))
    return RepoStatus(
        path=context.path,
        version=version,
        latest=latest_release,
        behind=behind,
        violations=tuple(result.code for result in report.failed),
        unchecked=tuple(result.code for result in report.errors),
        drifted=drifted,
        errors=tuple(dict.fromkeys(errors)),
    )


def failed(operation: Operation, path: Path, message: str) -> RepoResult:
    """The result of a repository whose operation failed, or whose worker crashed."""
    if operation == "status":
        return RepoStatus(path, errors=(message,))
    if operation == "check":
        return RepoCheck(path, error=message)
    return RepoUpdate(path, error=message)
