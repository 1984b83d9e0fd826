"""`forgeml fleet` reports: a summary table per operation, or JSON for scripts."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from generator.commands.fleet import FleetReport
from generator.commands.fleet.branch_update import Outcome
from generator.commands.fleet.ops import RepoCheck, RepoResult, RepoStatus, RepoUpdate, exit_code
from generator.reports.check import project_payload, shown_path, verdict

_ATTENTION = "bold red"
# How the summary line counts each update outcome.
_OUTCOMES: dict[Outcome, str] = {
    "updated": "updated",
    "conflicts": "with conflicts",
    "current": "already current",
    "exists": "with the branch already there",
    "failed": "failed",
}


def fleet_text(report: FleetReport) -> RenderableType:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Repository", overflow="fold", min_width=12)
    rows: list[list[str]]
    if report.operation == "status":
        for header in ("Template", "Latest", "Behind", "Violations", "Drift", "Notes"):
            table.add_column(header, overflow="fold")
        rows = [_status_row(result) for result in report.results if isinstance(result, RepoStatus)]
    elif report.operation == "check":
        for header in ("Result", "Failed checks", "Notes"):
            table.add_column(header, overflow="fold")
        rows = [_check_row(result) for result in report.results if isinstance(result, RepoCheck)]
    else:
        table.add_column("Outcome", no_wrap=True)
        table.add_column("Release", no_wrap=True)
        table.add_column("Branch", no_wrap=True)
        table.add_column("Notes")
        rows = [_update_row(result) for result in report.results if isinstance(result, RepoUpdate)]
    for result, row in zip(report.results, rows, strict=True):
        style = _ATTENTION if exit_code(result) else ""
        table.add_row(Text(shown_path(result.path), style=style), *row)
    return Group(
        table, Text(fleet_summary(report), style=_ATTENTION if report.exit_code else "green")
    )


def fleet_summary(report: FleetReport) -> str:
    total = len(report.results)
    attention = sum(1 for result in report.results if exit_code(result))
    counted = f"{total} {'repository' if total == 1 else 'repositories'}"
    if report.operation == "status":
        return f"{counted}, {attention} needing attention (behind, violations, drift or errors)."
    if report.operation == "check":
        return f"{counted}, {attention} not conforming or not checkable."
    outcomes = Counter(
        result.result.outcome if result.result else "failed"
        for result in report.results
        if isinstance(result, RepoUpdate)
    )
    shown = ", ".join(
        f"{outcomes[name]} {label}" for name, label in _OUTCOMES.items() if outcomes[name]
    )
    return f"{counted}: {shown}."


def _status_row(result: RepoStatus) -> list[str]:
    drift = "?" if result.drifted is None else str(len(result.drifted))
    return [
        result.version or "?",
        result.latest or "?",
        "?" if result.behind is None else str(result.behind),
        ", ".join(result.violations + tuple(f"{code}?" for code in result.unchecked)) or "-",
        drift if drift != "0" else "-",
        "; ".join(result.errors),
    ]


def _check_row(result: RepoCheck) -> list[str]:
    if result.report is None:
        return ["error", "", result.error or ""]
    failed = ", ".join(check.code for check in result.report.failed) or "-"
    notes = "; ".join(f"{check.code}: {check.detail}" for check in result.report.errors)
    return [verdict(result.report), failed, notes]


def _update_row(result: RepoUpdate) -> list[str]:
    update = result.result
    if update is None:
        return ["failed", "", "", result.error or ""]
    notes = update.detail or ""
    if update.changes.conflicts:
        notes = "conflicts: " + ", ".join(conflict.path for conflict in update.changes.conflicts)
    release = update.from_version or ""
    if update.to_version and update.to_version != update.from_version:
        release = f"{release} -> {update.to_version}"
    return [update.outcome, release, update.branch or "", notes]


def fleet_json(report: FleetReport) -> str:
    payload = {
        "operation": report.operation,
        "exit_code": report.exit_code,
        "summary": fleet_summary(report),
        "repositories": [_result_payload(result) for result in report.results],
    }
    return json.dumps(payload, indent=2) + "\n"


def _result_payload(result: RepoResult) -> dict[str, Any]:
    payload: dict[str, Any] = {"path": str(result.path), "exit_code": exit_code(result)}
    if isinstance(result, RepoStatus):
        payload.update(
            version=result.version,
            latest=result.latest,
            behind=result.behind,
            violations=list(result.violations),
            unchecked=list(result.unchecked),
            drifted=None if result.drifted is None else list(result.drifted),
            errors=list(result.errors),
        )
    elif isinstance(result, RepoCheck):
        payload.update(
            error=result.error,
            report=None if result.report is None else project_payload(result.report),
        )
    else:
        update = result.result
        payload["error"] = result.error
        if update is not None:
            changes = update.changes
            payload.update(
                outcome=update.outcome,
                from_version=update.from_version,
                to_version=update.to_version,
                branch=update.branch,
                base=update.base,
                commit=update.commit,
                updated=list(changes.updated),
                added=list(changes.added),
                removed=list(changes.removed),
                conflicts=[{"path": c.path, "reason": c.reason} for c in changes.conflicts],
                detail=update.detail,
            )
        else:
            payload["outcome"] = "failed"
    return payload
