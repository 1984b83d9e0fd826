"""Text and JSON renderings of what `update`, `diff` and `check-update` found.

Plain text without colour or wrapping: the output ends up in CI logs and pull-request
bodies as often as in terminals. The JSON forms are stable, for scripts and workflows.
"""

from __future__ import annotations

import json
from typing import Any

from generator.commands.check_update import UpdateCheck
from generator.commands.update import UpdateResult
from generator.project.drift import DriftResult

_LABEL_WIDTH = 10


def update_text(result: UpdateResult) -> str:
    if result.already_current:
        return f"{result.path} is already at template {result.to_version}; nothing to do.\n"
    changes = result.changes
    lines: list[str] = []
    if result.dry_run and result.diff:
        lines.append(result.diff.rstrip("\n"))
        lines.append("")
    verb = "Would update" if result.dry_run else "Updated"
    lines.append(
        f"{verb} {result.path} from template {result.from_version} to {result.to_version}"
        f" ({result.source})"
    )
    for label, paths in (
        ("updated", changes.updated),
        ("added", changes.added),
        ("removed", changes.removed),
    ):
        lines.extend(f"  {label:<{_LABEL_WIDTH}} {path}" for path in paths)
    lines.extend(f"  {'conflict':<{_LABEL_WIDTH}} {c.path} ({c.reason})" for c in changes.conflicts)
    if result.migrations:
        lines.append(f"Template migrations run: {', '.join(result.migrations)}")
    lines.append(
        f"{len(changes.updated)} updated, {len(changes.added)} added, "
        f"{len(changes.removed)} removed, {_count(len(changes.conflicts), 'conflict')}."
    )
    lines.append(_next_step(result))
    return "\n".join(lines) + "\n"


def _next_step(result: UpdateResult) -> str:
    conflicts = result.changes.conflicts
    if result.dry_run:
        warning = f" {_count(len(conflicts), 'file')} would conflict." if conflicts else ""
        return f"Dry run: nothing was changed.{warning}"
    if conflicts:
        return (
            "Resolve the conflicts listed above (markers <<<<<<< / >>>>>>>, or the .rej "
            "files), then review with `git diff` and commit."
        )
    if result.changes.empty:
        return "Nothing changed in the project's files."
    return "Review with `git status` and `git diff`, then commit."


def update_json(result: UpdateResult) -> str:
    changes = result.changes
    payload: dict[str, Any] = {
        "path": str(result.path),
        "source": result.source,
        "from_version": result.from_version,
        "to_version": result.to_version,
        "dry_run": result.dry_run,
        "already_current": result.already_current,
        "updated": list(changes.updated),
        "added": list(changes.added),
        "removed": list(changes.removed),
        "conflicts": [{"path": c.path, "reason": c.reason} for c in changes.conflicts],
        "migrations": list(result.migrations),
        "exit_code": result.exit_code,
    }
    if result.diff is not None:
        payload["diff"] = result.diff
    return json.dumps(payload, indent=2) + "\n"


def drift_text(result: DriftResult) -> str:
    if not result.drifted:
        return (
            f"No drift: the {result.checked} template-managed files of {result.path} "
            f"match template {result.version}.\n"
        )
    lines = [drift.diff.rstrip("\n") for drift in result.files if drift.diff]
    lines.append("")
    lines.append(
        f"{len(result.files)} of {result.checked} template-managed files differ from "
        f"template {result.version} ({result.source}):"
    )
    lines.extend(f"  {drift.kind:<{_LABEL_WIDTH}} {drift.path}" for drift in result.files)
    return "\n".join(lines) + "\n"


def check_text(check: UpdateCheck) -> str:
    if check.update_available:
        return (
            f"Update available for {check.path}: template {check.current} -> {check.latest} "
            f"(newer releases: {', '.join(check.newer)}). Run `forgeml update`.\n"
        )
    latest = check.latest or "none"
    return (
        f"{check.path} is up to date: template {check.current} "
        f"(latest release of {check.source}: {latest}).\n"
    )


def check_json(check: UpdateCheck) -> str:
    payload = {
        "path": str(check.path),
        "source": check.source,
        "current": check.current,
        "latest": check.latest,
        "newer": list(check.newer),
        "update_available": check.update_available,
    }
    return json.dumps(payload, indent=2) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
