"""Reports of `forgeml fleet` on a fleet file: repositories by name, pushes, pull requests."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from generator.commands.fleet import FleetReport
from generator.commands.fleet.rollout import Rollout
from generator.reports.fleet import fleet_json, fleet_text


def rollout_text(rollout: Rollout) -> RenderableType:
    """The fleet table with each repository's name instead of its workspace clone."""
    named = FleetReport(
        rollout.report.operation,
        tuple(
            dataclasses.replace(result, path=Path(repository.name))
            for result, repository in zip(rollout.report.results, rollout.repositories, strict=True)
        ),
    )
    parts: list[RenderableType] = [fleet_text(named)]
    published = [
        (repository, publication)
        for repository, publication in zip(rollout.repositories, rollout.publications, strict=True)
        if publication is not None
    ]
    if published:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for header in ("Repository", "Push", "Pull request", "Notes"):
            table.add_column(header, overflow="fold")
        for repository, publication in published:
            pull = publication.pull_request or "-"
            if publication.pull_request_action:
                pull = f"{pull} ({publication.pull_request_action})"
            closed = (
                f"closed superseded {', '.join(publication.superseded)}"
                if publication.superseded
                else None
            )
            notes = "; ".join(filter(None, (publication.error, publication.detail, closed)))
            style = "bold red" if publication.needs_attention else ""
            table.add_row(Text(repository.name, style=style), publication.push, pull, notes)
        parts += [Text(""), table]
    return Group(*parts)


def rollout_json(rollout: Rollout) -> str:
    payload: dict[str, Any] = json.loads(fleet_json(rollout.report))
    payload["exit_code"] = rollout.exit_code
    for entry, repository, publication in zip(
        payload["repositories"], rollout.repositories, rollout.publications, strict=True
    ):
        entry.update(name=repository.name, url=repository.url, github=repository.github)
        if publication is not None:
            entry["publication"] = dataclasses.asdict(publication)
    return json.dumps(payload, indent=2) + "\n"
