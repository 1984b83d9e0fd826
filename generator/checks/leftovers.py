"""Family `leftovers`: debris of unfinished merges and updates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.checks.model import Check, Finding
from generator.project.changes import conflict_marker_line
from generator.project.patterns import matches

if TYPE_CHECKING:
    from generator.checks.context import RepoContext
    from generator.policy.file import Policy

# Larger files are data, not merged text; reading them would only cost time.
_MAX_SCANNED_BYTES = 2 * 1024 * 1024


def leftover_files(context: RepoContext, policy: Policy) -> list[Finding] | None:
    patterns = policy.leftover_files
    if not patterns:
        return None
    # Ignored files too: a `*.rej` rule in .gitignore hides them from git, not from review.
    candidates = set(context.files) | set(context.ignored_files(patterns))
    return [
        Finding("leftover of an update or merge", relpath)
        for relpath in sorted(candidates)
        if matches(relpath, patterns) and (context.path / relpath).exists()
    ]


def conflict_markers(context: RepoContext, policy: Policy) -> list[Finding] | None:
    if not policy.conflict_markers:
        return None
    findings: list[Finding] = []
    for relpath in context.files:
        path = context.path / relpath
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_SCANNED_BYTES:
                continue
            content = path.read_bytes()
        except OSError:
            continue
        if b"\0" in content[:8192]:
            continue  # binary
        line = conflict_marker_line(content)
        if line is not None:
            findings.append(Finding("unresolved conflict markers", relpath, line))
    return findings


CHECKS = (
    Check(
        code="FML601",
        family="leftovers",
        title="No leftover files of updates or merges",
        fix=(
            "Apply by hand what the file holds that is still wanted (a .rej lists the hunks "
            "that did not apply), then delete it."
        ),
        run=leftover_files,
    ),
    Check(
        code="FML602",
        family="leftovers",
        title="No unresolved conflict markers",
        fix=(
            "Resolve the conflict: keep the right lines between <<<<<<<, ======= and "
            ">>>>>>>, delete the markers, and commit."
        ),
        run=conflict_markers,
    ),
)
