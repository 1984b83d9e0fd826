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
from typing import TYPE_CHECKING, Any, cast

from generator import copier_calls
from generator.answers import check_final_answers, check_given_answers, check_known_questions
from generator.changes import ChangeSet, collect_changes, rejects_present
from generator.copier_calls import ConflictStyle
from generator.errors import EXIT_OK, EXIT_PROBLEMS, ForgemlError
from generator.gitops import run_git, status
from generator.project import RepositoryState, load_project, require_clean_repository
from generator.releases import latest, parse_release
from generator.scratch import scratch_clone
from generator.template_location import TemplateLocation, locate_template, template_releases
from generator.trust import Trust, load_trust

if TYPE_CHECKING:
    from copier._main import Worker
    from packaging.version import Version

CONFLICT_STYLES = ("inline", "rej")


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
    conflict: str = "inline",
    data: Mapping[str, Any] | None = None,
    trust: Trust | None = None,
) -> UpdateResult:
    """Update the project at `path`; template code runs only if `trust` trusts its source."""
    answers = dict(data or {})
    trust = trust or load_trust()
    if conflict not in CONFLICT_STYLES:
        raise ForgemlError(f"--conflict must be one of {', '.join(CONFLICT_STYLES)}")
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
    run = _Run(location, project.commit, target, answers, cast(ConflictStyle, conflict), trust)
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
        result, worker = self._update(project_dir, repo)
        if self.answers:
            questions = worker.template.questions_data
            check_known_questions(self.answers, questions)
            check_final_answers(load_project(project_dir).answers, questions, worker.jinja_env)
        return replace(result, dry_run=dry_run, diff=_staged_diff(project_dir) if dry_run else None)

    def apply(self, project_dir: Path, repo: RepositoryState) -> UpdateResult:
        """The update in the project itself."""
        try:
            result, _ = self._update(project_dir, repo)
        except ForgemlError as error:
            if not status(repo.toplevel, f":(top){repo.prefix}"):
                raise
            # copier stopped half-way (a failing migration): the tree was clean before,
            # so git can show, and undo, exactly what the update did.
            raise ForgemlError(
                f"{error.message}; the project is partly updated: review it with `git status`"
                ", undo it with `git reset --hard && git clean -fd`"
            ) from error
        return result

    def _update(self, project_dir: Path, repo: RepositoryState) -> tuple[UpdateResult, Worker]:
        rejects_before = rejects_present(repo.toplevel, repo.prefix)
        worker = copier_calls.update(
            project_dir,
            self.location,
            vcs_ref=self.target,
            data=self.answers,
            conflict=self.conflict,
            trust=self.trust,
        )
        result = UpdateResult(
            path=project_dir,
            source=self.location.describe(),
            from_version=self.from_version,
            to_version=load_project(project_dir).commit,
            dry_run=False,
            changes=collect_changes(repo.toplevel, repo.prefix, rejects_before),
            migrations=_migrations(worker),
        )
        return result, worker


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


def _migrations(worker: Worker) -> tuple[str, ...]:
    """The releases whose `_migrations` this update crossed, for the report.

    Read from copier's worker after the fact; only informative, so a copier release
    that reorganises these attributes costs the report a line, never the update.
    """
    try:
        old = worker.subproject.template
        tasks = [
            *worker.template.migration_tasks("before", old),
            *worker.template.migration_tasks("after", old),
        ]
    except (AttributeError, TypeError):
        return ()
    versions = {str(task.extra_vars.get("version_current", "every update")) for task in tasks}
    return tuple(sorted(versions, key=_release_order))


def _release_order(ref: str) -> tuple[int, Version | None, str]:
    version = parse_release(ref)
    return (0, version, ref) if version is not None else (1, None, ref)
