"""`forgeml adopt`: bring an existing git repository under the template.

The template is rendered into a scratch directory with answers read from the repository
(`inference.py`), `--data` and the template's defaults, then merged into the repository
as one reviewable commit on a new branch `forgeml/adopt-<release>`, in a separate git
worktree (as `forgeml fleet update` does): the checked-out branch, its index and work
tree are never written to. Per template file:

- **add**: the repository has no such file;
- **same**: it has the file, byte for byte;
- **keep**: it has the file and the template creates it only once (`ownership.py`), so
  the repository's version stays;
- **merge** / **conflict**: it has a different file; `git merge-file` merges the two with
  an empty base, so nothing is silently overwritten: where they differ, both versions
  are committed between conflict markers for the reviewer to resolve. Binary files,
  symbolic links and files where the template needs a directory keep the repository's
  version and are reported as conflicts.

Template code never runs: copier renders with tasks skipped and its safety check on
(`backend.copier.render_untrusted`), whatever the source. The repository then records
the answers and the release in `.copier-answers.yml`, so `forgeml update`, `diff`,
`check` and `fleet` treat it like a generated project.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from generator import __version__
from generator.backend import copier as copier_calls
from generator.backend.git import (
    WorkTree,
    add_paths,
    branch_exists,
    commit_to_new_branch,
    current_branch,
    git_available,
    merge_file,
    project_files,
    resolve_commit,
    scratch_worktree,
    status,
    work_tree,
)
from generator.errors import EXIT_OK, EXIT_PROBLEMS, ForgemlError
from generator.project.answers import (
    ANSWERS_FILE,
    check_final_answers,
    check_given_answers,
    check_known_questions,
    record_source,
)
from generator.project.changes import conflict_marker_line
from generator.project.inference import infer_answers
from generator.project.ownership import ownership
from generator.templates.location import TemplateLocation
from generator.templates.source import is_remote, resolve_template

BRANCH_PREFIX = "forgeml/adopt-"
Action = Literal["add", "same", "keep", "merge", "conflict"]
_LABELS = ("project", "empty base", "template")


@dataclass(frozen=True)
class FilePlan:
    path: str
    action: Action
    reason: str = ""
    # What the file on the branch holds (merges and conflicts); None: leave it as it is.
    content: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class AdoptResult:
    path: Path
    source: str
    release: str
    branch: str
    dry_run: bool
    # The recorded answers, and for each inferred one the place it was read from.
    answers: dict[str, Any]
    inferred_from: dict[str, str]
    files: tuple[FilePlan, ...]
    commit: str | None = None
    base: str | None = None

    def paths(self, action: Action) -> tuple[str, ...]:
        return tuple(plan.path for plan in self.files if plan.action == action)

    @property
    def conflicts(self) -> tuple[FilePlan, ...]:
        return tuple(plan for plan in self.files if plan.action == "conflict")

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if self.conflicts else EXIT_OK


def adopt_repository(
    path: Path,
    *,
    data: Mapping[str, Any],
    template: str | None = None,
    vcs_ref: str | None = None,
    defaults: bool = True,
    dry_run: bool = False,
) -> AdoptResult:
    """Adopt the repository at `path`; `defaults=False` lets copier ask what is missing."""
    path = path.expanduser().absolute()
    tree = _adoptable(path)
    check_given_answers(data)
    source = resolve_template(template, vcs_ref, __version__)
    location = TemplateLocation(source.src)
    questions = copier_calls.questions(location, vcs_ref=source.vcs_ref)
    check_known_questions(data, questions)
    inferred = infer_answers(path, questions)
    proposed = {k: v for k, v in inferred.answers.items() if k not in data}
    with tempfile.TemporaryDirectory(prefix="forgeml-adopt-") as scratch:
        rendered = Path(scratch) / path.name
        rendering = copier_calls.render_untrusted(
            location,
            rendered,
            vcs_ref=source.vcs_ref,
            data=data,
            user_defaults=proposed,
            defaults=defaults,
        )
        if not (rendered / ANSWERS_FILE).is_file():
            raise ForgemlError(
                f"the template wrote no {ANSWERS_FILE}; without it the repository could "
                "never be updated"
            )
        answers = yaml.safe_load((rendered / ANSWERS_FILE).read_text(encoding="utf-8")) or {}
        given = {k: v for k, v in answers.items() if not str(k).startswith("_")}
        check_final_answers(given, rendering.questions, rendering.jinja_env)
        release = _recorded_release(answers, source.src)
        if source.recorded_src is not None:
            record_source(rendered / ANSWERS_FILE, source.recorded_src)
        branch = f"{BRANCH_PREFIX}{release}"
        if branch_exists(tree.root, branch):
            raise ForgemlError(
                f"branch {branch} already exists in {tree.root} (an earlier adoption?); "
                "delete it to adopt again"
            )
        plans = _plan(rendered, path, rendering.skip_if_exists)
        result = AdoptResult(
            path=path,
            source=source.recorded_src or str(answers.get("_src_path", source.src)),
            release=release,
            branch=branch,
            dry_run=dry_run,
            answers=given,
            # Only where the recorded answer still is the inferred one (a prompt may differ).
            inferred_from={
                k: v
                for k, v in inferred.sources.items()
                if k in proposed and given.get(k) == proposed[k]
            },
            files=tuple(plans),
        )
        if dry_run:
            return result
        commit, base = _commit_on_branch(tree, branch, rendered, plans, release)
    return replace(result, commit=commit, base=base)


def _adoptable(path: Path) -> WorkTree:
    """The repository's work tree, or a refusal naming why it cannot be adopted."""
    if not path.is_dir():
        raise ForgemlError(f"{path} is not a directory")
    if not git_available():
        raise ForgemlError("git is not installed; forgeml adopt needs it")
    tree = work_tree(path)
    if tree is None:
        raise ForgemlError(
            f"{path} is not a git repository; forgeml adopt commits the template on a new "
            "branch: run `git init` and commit the repository first"
        )
    if tree.head is None:
        raise ForgemlError(f"{tree.root} has no commits yet; commit the repository first")
    if (path / ANSWERS_FILE).exists():
        raise ForgemlError(
            f"{path} already has {ANSWERS_FILE}: it follows a template already; "
            "run `forgeml update` to bring it to a newer release"
        )
    dirty = [entry.path for entry in status(tree.root)]
    if dirty:
        more = f" and {len(dirty) - 3} more" if len(dirty) > 3 else ""
        raise ForgemlError(
            f"{tree.root} has uncommitted changes ({', '.join(dirty[:3])}{more}); "
            "commit or stash them first"
        )
    return tree


def _recorded_release(answers: Mapping[str, Any], src: str) -> str:
    """The release the answers record; refuses one that later updates could not find."""
    release = answers.get("_commit")
    if not release:
        raise ForgemlError(
            f"the template {src} is not a git repository with release tags, so the adoption "
            "could record no release to update from; use a tagged template"
        )
    if not is_remote(src) and resolve_commit(Path(src), str(release)) is None:
        raise ForgemlError(
            f"the template {src} has uncommitted changes, so the release it rendered "
            f"({release}) exists nowhere else; commit the template first"
        )
    return str(release)


def _plan(rendered: Path, project: Path, created_once: tuple[str, ...]) -> list[FilePlan]:
    """What happens to each template file, judged against the repository's HEAD.

    Only tracked files count: ignored files in the checkout are not part of the commit
    the branch starts from (the work tree is clean, so tracked files equal HEAD).
    """
    tracked = set(project_files(project))
    directories = {parent for file in tracked for parent in _parents(file)}
    plans = []
    for item in sorted(rendered.rglob("*")):
        if item.is_dir() and not item.is_symlink():
            continue
        relpath = item.relative_to(rendered).as_posix()
        plans.append(_plan_file(item, project, relpath, tracked, directories, created_once))
    return plans


def _parents(relpath: str) -> list[str]:
    parts = relpath.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _plan_file(
    rendered: Path,
    project: Path,
    relpath: str,
    tracked: set[str],
    directories: set[str],
    created_once: tuple[str, ...],
) -> FilePlan:
    blocker = next((parent for parent in _parents(relpath) if parent in tracked), None)
    if blocker is not None:
        return FilePlan(relpath, "conflict", f"the template needs a directory where {blocker} is")
    if relpath in directories:
        return FilePlan(relpath, "conflict", "a directory here; the template has a file")
    if relpath not in tracked:
        return FilePlan(relpath, "add")
    if ownership(relpath, created_once) == "created once":
        return FilePlan(relpath, "keep", "created once: the repository's file stays")
    return _merge(rendered, project / relpath, relpath)


def _merge(rendered: Path, target: Path, relpath: str) -> FilePlan:
    """The repository's `target` and the template's `rendered` version of one file."""
    if rendered.is_symlink() or target.is_symlink():
        if _link_or_bytes(rendered) == _link_or_bytes(target):
            return FilePlan(relpath, "same")
        return FilePlan(relpath, "conflict", "symbolic link differs; the repository's is kept")
    ours, theirs = target.read_bytes(), rendered.read_bytes()
    if ours == theirs:
        return FilePlan(relpath, "same")
    if b"\0" in ours or b"\0" in theirs:
        return FilePlan(relpath, "conflict", "binary file differs; the repository's is kept")
    merged = merge_file(ours, b"", theirs, _LABELS)
    if conflict_marker_line(merged) is not None:
        return FilePlan(relpath, "conflict", "conflict markers", merged)
    return FilePlan(relpath, "merge", content=merged)


def _link_or_bytes(path: Path) -> bytes:
    return str(path.readlink()).encode() if path.is_symlink() else path.read_bytes()


def _commit_on_branch(
    tree: WorkTree, branch: str, rendered: Path, plans: list[FilePlan], release: str
) -> tuple[str, str]:
    """Write the plan into a new worktree and commit it, then create `branch` there;
    returns the commit and the branch (or commit) it started from. The branch exists only
    once the commit does, so a failure or a signal leaves no branch behind."""
    assert tree.head is not None  # checked by _adoptable
    base = current_branch(tree.root) or tree.head[:12]
    with scratch_worktree(tree.root, tree.head, "forgeml-adopt-") as worktree:
        project = worktree / tree.prefix
        written = [_write(plan, rendered, project) for plan in plans]
        add_paths(worktree, [f"{tree.prefix}{path}" for path in written if path])
        commit = commit_to_new_branch(worktree, tree.root, branch, _commit_message(release, plans))
    return commit, base


def _write(plan: FilePlan, rendered: Path, project: Path) -> str | None:
    """Apply one file's plan in the worktree; returns its path when it wrote something."""
    source, target = rendered / plan.path, project / plan.path
    if plan.action == "add":
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(source.readlink())
        else:
            shutil.copyfile(source, target)
            shutil.copymode(source, target)
        return plan.path
    if plan.content is not None:
        target.write_bytes(plan.content)
        if os.access(source, os.X_OK):  # the template's executable bit wins
            target.chmod(target.stat().st_mode | 0o111)
        return plan.path
    return None


def _commit_message(release: str, plans: list[FilePlan]) -> str:
    lines = [
        f"Adopt forgeml template {release}",
        "",
        "forgeml adopt: template files this repository lacked are added; files it has",
        "are merged, or both versions are kept between conflict markers.",
    ]
    conflicts = [plan for plan in plans if plan.action == "conflict"]
    if conflicts:
        lines += ["", "Conflicts to resolve before merging (markers are committed):"]
        lines += [f"- {plan.path}: {plan.reason}" for plan in conflicts]
    return "\n".join(lines) + "\n"
