"""Family `project`: the project is a generated project forgeml can maintain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.checks.model import Check, Finding
from generator.errors import ForgemlError
from generator.project.answers import ANSWERS_FILE

if TYPE_CHECKING:
    from generator.checks.context import RepoContext
    from generator.policy.file import Policy


def answers_file_readable(context: RepoContext, policy: Policy) -> list[Finding]:
    # Always on: every other check of answers and releases stands on this one.
    try:
        context.project  # noqa: B018  (loading it is the check)
    except ForgemlError as error:
        return [Finding(error.message, ANSWERS_FILE)]
    return []


CHECKS = (
    Check(
        code="FML001",
        family="project",
        title="The answers file records the template source and release",
        fix=(
            f"Restore {ANSWERS_FILE} from git history (`git log -p -- {ANSWERS_FILE}`); "
            "never edit it by hand, change answers with `forgeml update --data KEY=VALUE`."
        ),
        run=answers_file_readable,
    ),
)
