"""Family `files`: files every project must have."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.checks.model import Check, Finding

if TYPE_CHECKING:
    from generator.checks.context import RepoContext
    from generator.policy.file import Policy


def required_files(context: RepoContext, policy: Policy) -> list[Finding] | None:
    if not policy.required_files:
        return None
    return [
        Finding(f"{relpath} is missing")
        for relpath in policy.required_files
        if not (context.path / relpath).exists()
    ]


CHECKS = (
    Check(
        code="FML301",
        family="files",
        title="Required files exist",
        fix=(
            "Add the file. If the template renders it, `forgeml diff` prints the template's "
            "version to restore."
        ),
        run=required_files,
    ),
)
