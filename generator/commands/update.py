"""`forgeml update`: bring a generated project to a newer template release.

copier's 3-way update does the merge. forgeml decides what may be updated and reports
what happened:
- refuses, touching nothing, when the project is not a generated project, not a git
  repository, or has uncommitted changes (see `project.py`);
- resolves the target release itself (default: the latest PEP 440 tag) and refuses
  downgrades;
- `--dry-run` runs the same update in a throwaway clone (`scratch.py`): copier's own
  `pretend` mode does not cover the apply step;
- `--data` answer changes are rehearsed in a throwaway clone first and must pass the
  checks `forgeml new` applies, so an invalid answer never reaches the project;
- the result lists files updated, added, removed and in conflict (`changes.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.backend import copier
from generator.backend.copier import ConflictStyle, Rendered
from generator.backend.git import run_git, status
from generator.errors import EXIT_OK, EXIT_PROBLEMS, ForgemlError, parse_choice
from generator.project.answers import (
    check_final_answers,
    check_given_answers,
    check_known_questions,
)
from generator.project.changes import ChangeSet, collect_changes, rejects_present
from generator.project.generated import (
    GeneratedProject,
    RepositoryState,
    load_project,
    require_clean_repository,
)
from generator.project.scratch import scratch_clone
from generator.templates.location import TemplateLocation, locate_template, template_releases
from generator.templates.releases import latest, parse_release
from generator.templates.trust import Trust, load_trust

if TYPE_CHECKING:
    from packaging.version import Version


class PartialUpdateError(ForgemlError):
    """copier stopped half-way (a failing migration) and left part of the update behind.

    `cause` is the failure itself, for callers that discard the half-updated tree.
    """

    def __init__(self, cause: ForgemlError) -> None:
        super().__init__(
            f"{cause.message}; the project is partly updated: review it with `git status`"
            ", undo it with `git reset --hard && git clean -fd`"
        )
        self.cause = cause


@dataclass(frozen=True)
class UpdateResult:
    path: Path
    source: str
    from_version: str
    to_version: str
    dry_run: bool
    changes: ChangeSet
    # Releases whose template `_migrations` ran (or would run, in a dry run).
    migrations: tuple[str, ...] = ()
    # A dry run's unified diff of everything the update would change.
    diff: str | None = None
    # True when the project already was at the target release and nothing ran.
    already_current: bool = False

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if self.changes.conflicts else EXIT_OK


def update_project(
    path: Path,
    *,
    to: str | None = None,
    dry_run: bool = False,
    conflict: str = ConflictStyle.INLINE,
    data: Mapping[str, Any] | None = None,
    trust: Trust | None = None,
) -> UpdateResult:
    """Update the project at `path`; template code runs only if `trust` trusts its source."""
    answers = dict(data or {})
    trust = trust or load_trust()
    style = parse_choice(ConflictStyle, conflict, "--conflict")
    project = load_project(path)
    check_given_answers(answers)
    repo = require_clean_repository(project)
    location = locate_template(project.src_path, (project.commit, to))
    target = to or _latest_release(location)
    if _nothing_to_do(project.commit, target, explicit=to is not None, answers=answers):
        return UpdateResult(
            path=project.path,
            source=location.describe(),
            from_version=project.commit,
            to_version=project.commit,
            dry_run=dry_run,
            changes=ChangeSet(),
            already_current=True,
        )
    run = _Run(location, project.commit, target, answers, style, trust)
    if dry_run or answers:
        with scratch_clone(repo.toplevel, repo.head) as clone:
            clone_repo = replace(repo, toplevel=clone)
            rehearsal = run.rehearse(clone / repo.prefix, clone_repo, dry_run=dry_run)
        if dry_run:
            return replace(rehearsal, path=project.path)
    return run.apply(project.path, repo)


def _latest_release(location: TemplateLocation) -> str:
    newest = latest(template_releases(location))
    if newest is None:
        raise ForgemlError(
            f"the template {location.describe()} has no release tags (PEP 440); "
            "pass --to REF to update to a branch or commit"
        )
    return newest


def _nothing_to_do(
    current: str, target: str, *, explicit: bool, answers: Mapping[str, Any]
) -> bool:
    """Whether the project already is at `target`; refuses a downgrade asked for by name."""
    have, want = parse_release(current), parse_release(target)
    if have is None or want is None:
        return False  # a branch or commit: copier decides
    if want < have:
        if explicit:
            raise ForgemlError(
                f"--to {target} is older than the project's template release {current}; "
                "downgrades are not supported"
            )
        return True  # the project is past the latest release (a described commit)
    return want == have and not answers


@dataclass(frozen=True)
class _Run:
    location: TemplateLocation
    from_version: str
    target: str
    answers: dict[str, Any]
    conflict: ConflictStyle
    trust: Trust

    def rehearse(self, project_dir: Path, repo: RepositoryState, *, dry_run: bool) -> UpdateResult:
        """The update in a throwaway clone: checks `--data` answers, diffs for a dry run."""
        result, updated, rendered = self._update(project_dir, repo)
        if self.answers:
            check_known_questions(self.answers, rendered.questions)
            check_final_answers(updated.answers, rendered.questions, rendered.jinja_env)
        return replace(result, dry_run=dry_run, diff=_staged_diff(project_dir) if dry_run else None)

    def apply(self, project_dir: Path, repo: RepositoryState) -> UpdateResult:
        """The update in the project itself."""
        try:
            result, _, _ = self._update(project_dir, repo)
        except ForgemlError as error:
            if not status(repo.toplevel, f":(top){repo.prefix}"):
                raise
            # copier stopped half-way (a failing migration): the tree was clean before,
            # so git can show, and undo, exactly what the update did.
            raise PartialUpdateError(error) from error
        return result

    def _update(
        self, project_dir: Path, repo: RepositoryState
    ) -> tuple[UpdateResult, GeneratedProject, Rendered]:
        """copier's update, and the project as it left it (its answers file read once)."""
        rejects_before = rejects_present(repo.toplevel, repo.prefix)
        rendered = copier.update(
            project_dir,
            self.location,
            vcs_ref=self.target,
            data=self.answers,
            conflict=self.conflict,
            trust=self.trust,
        )
        updated = load_project(project_dir)
        result = UpdateResult(
            path=project_dir,
            source=self.location.describe(),
            from_version=self.from_version,
            to_version=updated.commit,
            dry_run=False,
            changes=collect_changes(repo.toplevel, repo.prefix, rejects_before),
            migrations=tuple(sorted(rendered.migrations, key=_release_order)),
        )
        return result, updated, rendered


def _staged_diff(project_dir: Path) -> str:
    """Everything the update changed, as one unified diff (only ever run in a clone)."""
    run_git(project_dir, "add", "--all", "--", ".")
    return run_git(
        project_dir,
        "-c",
        "core.quotePath=false",
        "diff",
        "--cached",
        "--no-color",
        "--no-ext-diff",
        "--find-renames",
        "--relative",
        "HEAD",
    )


def _release_order(ref: str) -> tuple[int, Version | None, str]:
    version = parse_release(ref)
    return (0, version, ref) if version is not None else (1, None, ref)
