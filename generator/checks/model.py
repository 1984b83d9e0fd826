"""What a check is and what running one produces.

The concepts are repo-review's (see docs/policy.md for why forgeml does not use it
directly): a check has a stable code, a family, a one-line title and a fix hint, may
require other checks to pass first, and can be selected or ignored (with a reason) by
code or by family. Unlike a repo-review check, which answers pass or fail once per
repository, a forgeml check returns findings, each with the file and line it is about,
because SARIF and code scanning show every finding where it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from generator.checks.context import RepoContext
    from generator.policy.file import Policy

Status = Literal["pass", "fail", "skip", "error"]


@dataclass(frozen=True)
class Finding:
    """One violation. `path` is project-relative and names a file that exists."""

    message: str
    path: str | None = None
    line: int | None = None


# A check's function: None when the policy does not configure it (the check is then
# skipped), else the findings, none meaning it passed. A ForgemlError it raises means it
# could not be evaluated (a template that cannot be reached, for instance).
CheckFunction = Callable[["RepoContext", "Policy"], Sequence[Finding] | None]


@dataclass(frozen=True)
class Check:
    code: str
    family: str
    title: str
    fix: str
    run: CheckFunction
    # Codes that must pass before this check means anything.
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """A check's outcome for one project; plain data, so it crosses process boundaries."""

    code: str
    family: str
    title: str
    fix: str
    status: Status
    findings: tuple[Finding, ...] = ()
    # Why a check was skipped, or why it could not be evaluated.
    detail: str = ""
