"""`forgeml diff`: where a project's template-managed files differ from their release.

The comparison itself lives in `project/drift.py`, because `forgeml check` and
`forgeml fleet status` compare projects too; this module is the command.
"""

from __future__ import annotations

from pathlib import Path

from generator.project.drift import DriftResult, find_drift


def diff(path: Path) -> DriftResult:
    """Render the recorded release with the recorded answers and compare every file."""
    return find_drift(path)
