"""`forgeml check-update`: is a newer template release available for a project?

Reads the releases (PEP 440 tags) of the project's recorded template source. For a
project generated from the template bundled with forgeml, that is the local release
cache: the newest release is then the newest forgeml installed on this machine, and
upgrading forgeml is how a newer one arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.errors import EXIT_OK, EXIT_PROBLEMS
from generator.project.generated import load_project
from generator.templates.location import locate_template, template_releases
from generator.templates.releases import latest, newer_than


@dataclass(frozen=True)
class UpdateCheck:
    path: Path
    source: str
    current: str
    latest: str | None
    # Releases newer than `current`, oldest first.
    newer: tuple[str, ...]

    @property
    def update_available(self) -> bool:
        return bool(self.newer)

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if self.update_available else EXIT_OK


def check_update(path: Path) -> UpdateCheck:
    project = load_project(path)
    location = locate_template(project.src_path, (None,))
    tags = template_releases(location)
    return UpdateCheck(
        path=project.path,
        source=location.describe(),
        current=project.commit,
        latest=latest(tags),
        newer=tuple(newer_than(project.commit, tags)),
    )
