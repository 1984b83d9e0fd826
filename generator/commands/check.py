"""`forgeml check`: run the registered checks on projects under a policy.

Selection works the way repo-review's does: `select` (codes or families; empty means
all) picks the checks that are reported, `ignore` skips checks and reports each with its
reason, so exceptions stay visible. A check whose requirement did not pass is skipped
rather than run on a project it cannot understand; a requirement that was not selected
is still evaluated (unreported) for the checks that need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.checks import BY_CODE, CHECKS, SELECTORS
from generator.checks.context import RepoContext
from generator.checks.model import Check, CheckResult, Finding, Status
from generator.errors import EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED, ForgemlError
from generator.policy.file import Policy, find_policy, load_policy
from generator.project.answers import ANSWERS_FILE
from generator.templates.location import ReleaseIndex


@dataclass(frozen=True)
class ProjectReport:
    path: Path
    # Where the policy came from.
    policy: str
    results: tuple[CheckResult, ...]
    # Where the project sits in its git repository ('' or 'a/b/'): SARIF paths start there.
    prefix: str = ""

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(result for result in self.results if result.status == "fail")

    @property
    def errors(self) -> tuple[CheckResult, ...]:
        return tuple(result for result in self.results if result.status == "error")

    @property
    def exit_code(self) -> int:
        # A check that could not run means conformance is unknown: that is not a pass,
        # and not a violation either (docs/cli.md, exit codes).
        if self.errors:
            return EXIT_REFUSED
        return EXIT_PROBLEMS if self.failed else EXIT_OK

    def count(self, status: Status) -> int:
        return sum(1 for result in self.results if result.status == status)


@dataclass(frozen=True)
class CheckReport:
    projects: tuple[ProjectReport, ...]

    @property
    def exit_code(self) -> int:
        return max((project.exit_code for project in self.projects), default=EXIT_OK)


def check_projects(paths: list[Path], policy_path: Path | None = None) -> CheckReport:
    """Check each project under `--policy`, or under the policy each one finds."""
    releases = ReleaseIndex()
    explicit = load_policy(policy_path, SELECTORS) if policy_path is not None else None
    return CheckReport(
        tuple(check_project(path, explicit, releases=releases) for path in paths or [Path()])
    )


def check_project(
    path: Path, policy: Policy | None = None, *, releases: ReleaseIndex | None = None
) -> ProjectReport:
    """Check one project; refuses (ForgemlError) a directory that is not a project."""
    context = project_context(path, releases)
    return run_checks(context, policy or find_policy(context.path, SELECTORS))


def project_context(path: Path, releases: ReleaseIndex | None = None) -> RepoContext:
    context = RepoContext(path, releases)
    if not context.path.is_dir():
        raise ForgemlError(f"{context.path} is not a directory")
    if not (context.path / ANSWERS_FILE).is_file():
        raise ForgemlError(f"{context.path} is not a generated project: it has no {ANSWERS_FILE}")
    return context


def run_checks(context: RepoContext, policy: Policy) -> ProjectReport:
    statuses: dict[str, Status] = {}
    results: list[CheckResult] = []
    for check in CHECKS:
        if not _selected(check, policy.select):
            continue
        reason = _ignore_reason(check, policy.ignore)
        if reason is not None:
            results.append(_result(check, "skip", detail=f"ignored: {reason}"))
            continue
        result = _evaluate(check, context, policy, statuses)
        statuses[check.code] = result.status
        results.append(result)
    return ProjectReport(
        path=context.path,
        policy=policy.source,
        results=tuple(results),
        prefix=context.repo_prefix,
    )


def _evaluate(
    check: Check, context: RepoContext, policy: Policy, statuses: dict[str, Status]
) -> CheckResult:
    for required in check.requires:
        if required not in statuses:
            statuses[required] = _evaluate(BY_CODE[required], context, policy, statuses).status
        if statuses[required] != "pass":
            return _result(check, "skip", detail=f"needs {required}, which did not pass")
    try:
        findings = check.run(context, policy)
    except (ForgemlError, OSError) as error:
        message = error.message if isinstance(error, ForgemlError) else str(error)
        return _result(check, "error", detail=f"could not be checked: {message}")
    if findings is None:
        return _result(check, "skip", detail="not configured")
    return _result(check, "fail" if findings else "pass", findings=tuple(findings))


def _result(
    check: Check, status: Status, *, findings: tuple[Finding, ...] = (), detail: str = ""
) -> CheckResult:
    return CheckResult(
        code=check.code,
        family=check.family,
        title=check.title,
        fix=check.fix,
        status=status,
        findings=findings,
        detail=detail,
    )


def _selected(check: Check, select: tuple[str, ...]) -> bool:
    return not select or check.code in select or check.family in select


def _ignore_reason(check: Check, ignore: dict[str, str]) -> str | None:
    return ignore.get(check.code, ignore.get(check.family))
