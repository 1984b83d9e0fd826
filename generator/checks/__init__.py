"""The registry of checks: every check forgeml knows, in the order they run and print.

One module per family. A new check goes into its family's `CHECKS` with the next free
code of that family's hundred; codes are never reused or renumbered, because policies,
ignore lists and code-scanning alerts refer to them.
"""

from __future__ import annotations

from generator.checks import answers, ci, drift, files, leftovers, project, template
from generator.checks.model import Check
from generator.policy.file import Selectors

CHECKS: tuple[Check, ...] = (
    *project.CHECKS,
    *answers.CHECKS,
    *template.CHECKS,
    *files.CHECKS,
    *drift.CHECKS,
    *ci.CHECKS,
    *leftovers.CHECKS,
)
BY_CODE: dict[str, Check] = {check.code: check for check in CHECKS}
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(check.family for check in CHECKS))
# What a policy's `[checks]` may select or ignore.
SELECTORS = Selectors(tuple(BY_CODE), FAMILIES)

__all__ = ["BY_CODE", "CHECKS", "FAMILIES", "SELECTORS", "Check"]
