"""`forgeml check` reports: a rich table, JSON, SARIF 2.1.0 and Markdown.

- text: one table per project, for people at a terminal or reading a CI log;
- json: the whole report, stable, for scripts (`fleet check --format json` embeds it);
- sarif: for GitHub code scanning (`github/codeql-action/upload-sarif`), every finding
  at its file and line, paths relative to the repository root as GitHub expects;
- markdown: for `$GITHUB_STEP_SUMMARY` and pull-request comments.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

import generator
from generator.checks import CHECKS
from generator.checks.model import Check, CheckResult, Finding, Status
from generator.commands.check import CheckReport, ProjectReport
from generator.project.answers import ANSWERS_FILE

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/forgeml/forgeml/blob/main/docs/policy.md"

_SYMBOL: dict[Status, tuple[str, str]] = {
    "pass": ("✔", "green"),
    "fail": ("✘", "bold red"),
    "skip": ("-", "dim"),
    "error": ("!", "yellow"),
}
_EMOJI: dict[Status, str] = {"pass": "✅", "fail": "❌", "skip": "⏭️", "error": "⚠️"}


def shown_path(path: Path) -> str:
    """A project's path as reports print it: relative when it is under the current one."""
    try:
        relative = path.relative_to(Path.cwd())
    except ValueError:
        return str(path)
    return relative.as_posix() if relative.parts else "."


def verdict(project: ProjectReport) -> str:
    if project.errors:
        return f"could not be fully checked ({_plural(len(project.errors), 'check')} errored)"
    if project.failed:
        return f"does not conform ({_plural(len(project.failed), 'check')} failed)"
    return "conforms"


def summary(project: ProjectReport) -> str:
    labels: tuple[tuple[Status, str], ...] = (
        ("pass", "passed"),
        ("fail", "failed"),
        ("skip", "skipped"),
        ("error", "errored"),
    )
    return ", ".join(f"{project.count(status)} {label}" for status, label in labels)


# --- text -------------------------------------------------------------------------------


def text_report(report: CheckReport) -> RenderableType:
    parts: list[RenderableType] = []
    for project in report.projects:
        parts.append(Text.assemble(("forgeml check ", "bold"), shown_path(project.path)))
        parts.append(Text(f"policy: {project.policy}", style="dim"))
        parts.append(_table(project))
        failed = [result for result in project.results if result.status == "fail"]
        if failed:
            parts.append(_findings(failed))
        style = "green" if project.exit_code == 0 else "bold red"
        parts.append(Text(f"{verdict(project)}: {summary(project)}.\n", style=style))
    return Group(*parts)


def _table(project: ProjectReport) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("Code", no_wrap=True)
    table.add_column("Family", no_wrap=True)
    table.add_column("Check")
    table.add_column("Result")
    for result in project.results:
        symbol, style = _SYMBOL[result.status]
        table.add_row(
            Text(symbol, style=style),
            Text(result.code, style=style),
            result.family,
            result.title,
            Text(_outcome(result), style=style if result.status != "pass" else ""),
        )
    return table


def _outcome(result: CheckResult) -> str:
    if result.status == "pass":
        return "passed"
    if result.status == "fail":
        return _plural(len(result.findings), "finding")
    return result.detail


def _findings(failed: list[CheckResult]) -> Table:
    """Each failed check's findings, one a line, then how to fix them."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for result in failed:
        for finding in result.findings:
            grid.add_row(Text(result.code, style="bold red"), _located(finding))
        grid.add_row("", Text(f"fix: {result.fix}", style="dim"))
    return grid


def _located(finding: Finding) -> str:
    if finding.path is None:
        return finding.message
    where = finding.path if finding.line is None else f"{finding.path}:{finding.line}"
    return f"{where}: {finding.message}"


# --- json -------------------------------------------------------------------------------


def json_report(report: CheckReport) -> str:
    payload = {
        "forgeml_version": generator.__version__,
        "exit_code": report.exit_code,
        "projects": [project_payload(project) for project in report.projects],
    }
    return json.dumps(payload, indent=2) + "\n"


def project_payload(project: ProjectReport) -> dict[str, Any]:
    return {
        "path": str(project.path),
        "policy": project.policy,
        "exit_code": project.exit_code,
        "summary": {status: project.count(status) for status in _SYMBOL},
        "results": [
            {
                "code": result.code,
                "family": result.family,
                "title": result.title,
                "status": result.status,
                "detail": result.detail,
                "fix": result.fix,
                "findings": [
                    {"message": f.message, "path": f.path, "line": f.line} for f in result.findings
                ],
            }
            for result in project.results
        ],
    }


# --- markdown ---------------------------------------------------------------------------


def markdown_report(report: CheckReport) -> str:
    lines = ["## forgeml check", ""]
    for project in report.projects:
        lines.append(
            f"### {_EMOJI['pass' if project.exit_code == 0 else 'fail']} "
            f"`{shown_path(project.path)}` {verdict(project)}"
        )
        lines.append("")
        lines.append(f"{summary(project).capitalize()}. Policy: `{project.policy}`.")
        lines.append("")
        lines.append("| | Code | Family | Check | Details |")
        lines.append("|---|---|---|---|---|")
        for result in project.results:
            cells = [
                _EMOJI[result.status],
                f"`{result.code}`",
                result.family,
                _cell(result.title),
                _markdown_details(result),
            ]
            lines.append(f"| {' | '.join(cells)} |")
        lines.append("")
    return "\n".join(lines)


def _markdown_details(result: CheckResult) -> str:
    if result.status != "fail":
        return _cell(result.detail)
    findings = "<br>".join(_cell(_located(finding)) for finding in result.findings)
    return f"{findings}<br>**Fix:** {_cell(result.fix)}"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


# --- sarif ------------------------------------------------------------------------------


def sarif_report(report: CheckReport) -> str:
    rule_index = {check.code: index for index, check in enumerate(CHECKS)}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for project in report.projects:
        for result in project.results:
            if result.status == "error":
                notifications.append(
                    {
                        "level": "error",
                        "message": {"text": f"{shown_path(project.path)}: {result.detail}"},
                        "descriptor": {"id": result.code, "index": rule_index[result.code]},
                    }
                )
            for finding in result.findings:
                results.append(_sarif_result(project, result, finding, rule_index[result.code]))
    run = {
        "tool": {
            "driver": {
                "name": "forgeml",
                "version": generator.__version__,
                "informationUri": INFORMATION_URI,
                "rules": [_sarif_rule(check) for check in CHECKS],
            }
        },
        "invocations": [
            {
                "executionSuccessful": not notifications,
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": results,
    }
    payload = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(payload, indent=2) + "\n"


def _sarif_rule(check: Check) -> dict[str, Any]:
    return {
        "id": check.code,
        "name": check.family.capitalize() + check.code,
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": f"{check.title}."},
        "help": {"text": check.fix, "markdown": check.fix},
        "helpUri": f"{INFORMATION_URI}#{check.code.lower()}",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["forgeml", check.family]},
    }


def _sarif_result(
    project: ProjectReport, result: CheckResult, finding: Finding, index: int
) -> dict[str, Any]:
    # Code scanning needs a file for every alert; a finding about something missing
    # (a deleted file, an absent CI job) is shown on the answers file, whose recorded
    # release is what the template and the policy are compared against.
    path = finding.path or ANSWERS_FILE
    line = finding.line if finding.path else None
    return {
        "ruleId": result.code,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(project.prefix + path)},
                    "region": {"startLine": line or 1},
                }
            }
        ],
    }


def _uri(relpath: str) -> str:
    """A repository-relative path as a URI reference (spaces and such percent-encoded)."""
    return quote(relpath)


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
