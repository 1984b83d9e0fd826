"""Renderings of command results for people and machines (text, JSON, SARIF, Markdown)."""

from __future__ import annotations

from enum import StrEnum


class ReportFormat(StrEnum):
    """`--format` of `update`, `check-update` and `fleet`."""

    TEXT = "text"
    JSON = "json"


class CheckFormat(StrEnum):
    """`--format` of `check`: also SARIF for code scanning, Markdown for pull requests."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"
