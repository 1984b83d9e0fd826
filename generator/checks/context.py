"""What checks read about a project, computed once per project and only when asked for.

These are repo-review's "fixtures": the answers file, the project's files, the template's
releases and the drift from the recorded release are each derived on first use and
shared by every check that needs them. Rendering the template for drift is by far the
most expensive (copier renders the whole release), so no check pays for it unless the
policy configures a drift check, and `fleet status` reuses the same rendering.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from functools import cached_property
from pathlib import Path

from generator.backend.git import WorkTree, project_files, work_tree
from generator.project.answers import ANSWERS_FILE
from generator.project.drift import DriftResult, find_drift
from generator.project.generated import GeneratedProject, load_project
from generator.project.patterns import matches
from generator.templates.location import ReleaseIndex

# Directories a project outside git never wants scanned (environments, caches).
_UNSCANNED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__"})
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


class RepoContext:
    def __init__(self, path: Path, releases: ReleaseIndex | None = None) -> None:
        self.path = path.expanduser().absolute()
        self._releases = releases or ReleaseIndex()
        self._partial_drift: dict[tuple[str, ...], DriftResult] = {}

    @cached_property
    def project(self) -> GeneratedProject:
        return load_project(self.path)

    @cached_property
    def answer_lines(self) -> dict[str, int]:
        """The line of each top-level key of the answers file, for precise locations."""
        try:
            text = (self.path / ANSWERS_FILE).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return {}
        lines: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            match = _TOP_LEVEL_KEY.match(line)
            if match:
                lines.setdefault(match.group(1), number)
        return lines

    @cached_property
    def work_tree(self) -> WorkTree | None:
        return work_tree(self.path)

    @property
    def in_git(self) -> bool:
        return self.work_tree is not None

    @property
    def repo_prefix(self) -> str:
        """Where the project sits in its repository ('' at the root, else 'a/b/')."""
        return self.work_tree.prefix if self.work_tree else ""

    @cached_property
    def files(self) -> list[str]:
        """The project's files, relative: in git, tracked plus untracked non-ignored ones."""
        if self.in_git:
            return project_files(self.path)
        return sorted(_walk(self.path))

    def ignored_files(self, patterns: tuple[str, ...]) -> list[str]:
        """Ignored, untracked files matching shell `patterns` (none outside git)."""
        if not self.in_git or not patterns:
            return []
        # The same rule as `matches`: a pattern without a slash matches at any depth.
        pathspecs = [f":(glob){p}" if "/" in p else f":(glob)**/{p}" for p in patterns]
        return project_files(self.path, *pathspecs, ignored=True)

    @cached_property
    def release_tags(self) -> list[str]:
        return self._releases.tags(self.project.src_path)

    @cached_property
    def drift(self) -> DriftResult:
        """Drift of every template-managed file (what `forgeml diff` shows)."""
        return find_drift(self.path)

    def drift_of(self, patterns: tuple[str, ...]) -> DriftResult:
        """Drift of the managed files matching `patterns`: a subset of `drift`, rendered
        alone (far cheaper) unless the whole drift was already computed."""
        if "drift" not in self.__dict__ and patterns not in self._partial_drift:
            self._partial_drift[patterns] = find_drift(self.path, only=patterns)
        if patterns in self._partial_drift:
            return self._partial_drift[patterns]
        whole = self.drift
        return replace(whole, files=tuple(f for f in whole.files if matches(f.path, patterns)))


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [name for name in subdirs if name not in _UNSCANNED_DIRS]
        base = Path(directory).relative_to(root)
        found.extend((base / name).as_posix() for name in files)
    return found
