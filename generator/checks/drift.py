"""Family `drift`: template-managed files that must not be edited by hand."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from generator.checks.model import Check, Finding

if TYPE_CHECKING:
    from generator.checks.context import RepoContext
    from generator.policy.file import Policy
    from generator.project.drift import FileDrift

# The project side of a unified diff's first hunk: `@@ -12,3 +12,4 @@` -> 12.
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)", re.MULTILINE)


def protected_files(context: RepoContext, policy: Policy) -> list[Finding] | None:
    if not policy.protected_files:
        return None
    drift = context.drift_of(policy.protected_files)
    return [_finding(item, drift.version) for item in drift.files]


def _finding(item: FileDrift, version: str) -> Finding:
    if item.kind == "deleted":
        return Finding(f"{item.path} was deleted, but template {version} manages it")
    if item.kind == "mode":
        return Finding(f"executable bit differs from template {version}", item.path)
    return Finding(
        f"edited by hand: differs from template {version}",
        item.path,
        _first_changed_line(item.diff),
    )


def _first_changed_line(diff: str) -> int | None:
    """The project's line number where the first hunk of `diff` starts changing things."""
    hunk = _HUNK.search(diff)
    if hunk is None:
        return None  # a binary file or a symbolic link
    line = int(hunk.group(1))
    for body in diff[hunk.end() :].splitlines()[1:]:
        if not body.startswith(" "):
            break
        line += 1
    return max(line, 1)


CHECKS = (
    Check(
        code="FML401",
        family="drift",
        title="Protected template files are not edited by hand",
        fix=(
            "Restore the template's version (`forgeml diff` shows the difference) and propose "
            "the change to the template instead, so every project gets it."
        ),
        run=protected_files,
        requires=("FML001",),
    ),
)
