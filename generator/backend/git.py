"""The few git operations forgeml needs, run through the git command line."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from generator import signals
from generator.errors import ForgemlError


def git_available() -> bool:
    return shutil.which("git") is not None


def run_git(repo: Path, *args: str) -> str:
    """Run git in `repo` and return its stdout; a failure becomes a one-line ForgemlError."""
    completed = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        # git's first `fatal:`/`error:` line names the problem; later lines are hints.
        errors = [line for line in detail if line.startswith(("fatal:", "error:"))]
        reason = (errors or detail or [f"exit code {completed.returncode}"])[0]
        raise ForgemlError(f"git {_subcommand(args)} failed in {repo}: {reason}")
    return completed.stdout


def _subcommand(args: tuple[str, ...]) -> str:
    """The git command word of `args`, past global options such as `-c key=value`."""
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
        elif arg in {"-c", "-C"}:
            skip_next = True
        elif not arg.startswith("-"):
            return arg
    return args[0] if args else "git"


def has_identity(repo: Path) -> bool:
    """Whether git knows who commits here (user config, repo config or environment)."""
    probe = subprocess.run(
        ["git", "var", "GIT_COMMITTER_IDENT"], cwd=repo, capture_output=True, check=False
    )
    return probe.returncode == 0


def commit_all(repo: Path, message: str, fallback_name: str, fallback_email: str) -> None:
    """Stage everything and commit, borrowing an identity only when git has none."""
    identity: list[str] = []
    if not has_identity(repo):
        identity = ["-c", f"user.name={fallback_name}", "-c", f"user.email={fallback_email}"]
    run_git(repo, "add", "--all")
    run_git(repo, *identity, "commit", "--quiet", "--no-verify", "-m", message)


def init_repository(path: Path) -> None:
    run_git(path, "init", "--quiet")


# --- Reading a project's repository (forgeml update, diff) ---------------------------------
# Read-only calls pass `--no-optional-locks`: a plain `git status` refreshes and rewrites
# .git/index, and `forgeml update --dry-run` promises to change no byte of the project.
_READ_ONLY = ("--no-optional-locks",)


@dataclass(frozen=True)
class StatusEntry:
    """One line of `git status --porcelain`: two status letters and a repository path."""

    code: str
    path: str
    # The source of a rename or copy (`R`/`C` entries), else None.
    origin: str | None = None

    @property
    def unmerged(self) -> bool:
        return "U" in self.code or self.code in {"AA", "DD"}

    @property
    def untracked(self) -> bool:
        return self.code == "??"


@dataclass(frozen=True)
class WorkTree:
    root: Path
    # Where the inspected directory sits inside the work tree ('' at the root, else 'a/b/').
    prefix: str
    # The commit HEAD points at; None in a repository without commits.
    head: str | None


def work_tree(path: Path) -> WorkTree | None:
    """The git work tree holding `path`, or None when it is not in one (one git call)."""
    probe = subprocess.run(
        [
            "git",
            *_READ_ONLY,
            "rev-parse",
            "--show-toplevel",
            "--show-prefix",
            "--verify",
            "--quiet",
            "HEAD^{commit}",
        ],
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = probe.stdout.splitlines()
    if len(lines) < 2 or not lines[0]:  # not a work tree (or git itself failed)
        return None
    # Without commits, HEAD does not verify: git fails after printing the first two lines.
    head = lines[2] if probe.returncode == 0 and len(lines) > 2 else None
    return WorkTree(root=Path(lines[0]), prefix=lines[1], head=head)


def status(repo: Path, *pathspec: str) -> list[StatusEntry]:
    """Every change against HEAD, untracked (non-ignored) files listed one by one.

    `--untracked-files=all` is explicit so a user's `status.showUntrackedFiles=no`
    cannot hide new files from forgeml.
    """
    out = run_git(
        repo,
        *_READ_ONLY,
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--",
        *pathspec,
    )
    fields = out.split("\0")
    entries: list[StatusEntry] = []
    index = 0
    while index < len(fields):
        field = fields[index]
        index += 1
        if len(field) < 4:
            continue
        code, path = field[:2], field[3:]
        origin = None
        if code[0] in "RC":  # -z prints the rename's source as the next field
            origin = fields[index]
            index += 1
        entries.append(StatusEntry(code, path, origin))
    return entries


def other_files(repo: Path, *pathspec: str) -> set[str]:
    """Files git does not track, ignored ones included, as repository paths."""
    out = run_git(repo, *_READ_ONLY, "ls-files", "--others", "--full-name", "-z", "--", *pathspec)
    return {path for path in out.split("\0") if path}


def untracked_repositories(repo: Path) -> list[str]:
    """Untracked, not ignored directories of `repo` that are git repositories themselves."""
    out = run_git(
        repo, *_READ_ONLY, "ls-files", "--others", "--exclude-standard", "--directory", "-z"
    )
    return sorted(
        path.rstrip("/")
        for path in out.split("\0")
        if path.endswith("/") and (repo / path / ".git").exists()
    )


def clone_detached(source: Path, dest: Path, commit: str) -> None:
    """A throwaway clone of `source` at `commit` that borrows its objects read-only.

    `--shared` makes git read the source's object store through alternates and write
    any new object into the clone's own store, so nothing in `source` changes.
    """
    run_git(dest.parent, "clone", "--quiet", "--shared", "--no-checkout", str(source), str(dest))
    run_git(dest, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit)


def project_files(project: Path, *pathspec: str, ignored: bool = False) -> list[str]:
    """Files under `project` (a directory in a work tree), relative to it, sorted.

    By default: tracked files plus untracked files that are not ignored, i.e. what the
    repository holds or is about to. `ignored=True` lists only the ignored, untracked
    files matching `pathspec` (give a pathspec: ignored trees such as `.venv` are large).
    """
    listed = ("--ignored",) if ignored else ("--cached",)
    out = run_git(
        project,
        *_READ_ONLY,
        "ls-files",
        "-z",
        "--others",
        "--exclude-standard",
        *listed,
        "--",
        *pathspec,
    )
    return sorted({path for path in out.split("\0") if path})


def ls_remote_tags(source: str) -> list[str]:
    """Tag names of a repository given as a path or URL (no work tree needed)."""
    out = run_git(Path(tempfile.gettempdir()), "ls-remote", "--tags", "--refs", "--", source)
    return [line.split("\t", 1)[1].removeprefix("refs/tags/") for line in out.splitlines()]


# --- Branches and worktrees (forgeml fleet update) ----------------------------------------
# A fleet update commits on a new branch in a separate worktree, so the branch a
# repository has checked out, its index and its work tree are never written to.


def current_branch(repo: Path) -> str | None:
    """The branch checked out in `repo`, None when HEAD is detached."""
    return _read_optional(repo, "symbolic-ref", "--quiet", "--short", "HEAD")


def resolve_commit(repo: Path, ref: str) -> str | None:
    """The commit `ref` names in `repo`, None when it names none."""
    return _read_optional(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")


def _read_optional(repo: Path, *args: str) -> str | None:
    """A read-only git query whose failure means "no such thing", not an error."""
    probe = subprocess.run(
        ["git", *_READ_ONLY, *args], cwd=repo, capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return None
    return probe.stdout.strip() or None


def branch_exists(repo: Path, branch: str) -> bool:
    return resolve_commit(repo, f"refs/heads/{branch}") is not None


def add_worktree(repo: Path, dest: Path, start: str) -> None:
    """Check out `start` detached in a new worktree `dest` (no branch until there is work)."""
    run_git(repo, "worktree", "add", "--quiet", "--detach", str(dest), start)


def create_branch(repo: Path, branch: str, commit: str) -> None:
    """Create `branch` at `commit` in one step; fails if it already exists."""
    run_git(repo, "update-ref", f"refs/heads/{branch}", commit, "0" * len(commit))


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    probe = subprocess.run(
        ["git", "merge-base", "--is-ancestor", ancestor, descendant],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def prune_worktrees(repo: Path) -> None:
    """Forget worktrees whose directory is gone (a killed update's scratch directory)."""
    subprocess.run(["git", "worktree", "prune"], cwd=repo, capture_output=True, check=False)


def remove_worktree(repo: Path, dest: Path) -> None:
    """Remove the worktree `dest` (its branch stays); tolerant of a half-made one."""
    subprocess.run(
        ["git", "worktree", "remove", "--force", "--force", str(dest)],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    run_git(repo, "worktree", "prune")


@contextmanager
def scratch_worktree(repo: Path, start: str, prefix: str) -> Iterator[Path]:
    """A detached worktree of `repo` at `start` in a new temporary directory, removed on
    the way out, also on Ctrl-C or SIGTERM (a second signal cannot stop the removal)."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    worktree = scratch / repo.name
    try:
        add_worktree(repo, worktree, start)
        yield worktree
    finally:
        with signals.deferred():
            remove_worktree(repo, worktree)
            shutil.rmtree(scratch, ignore_errors=True)


def commit_to_new_branch(worktree: Path, repo: Path, branch: str, message: str) -> str:
    """Commit the worktree's changes, then create `branch` of `repo` at that commit.

    The branch is created only once its commit exists, so a failure or a signal never
    leaves an empty branch that a later run would take for finished work.
    """
    commit_all(worktree, message, fallback_name="forgeml", fallback_email="forgeml@localhost")
    commit = resolve_commit(worktree, "HEAD") or ""
    create_branch(repo, branch, commit)
    return commit


def delete_branch(repo: Path, branch: str) -> None:
    run_git(repo, "branch", "--quiet", "-D", branch)


# --- Adoption (forgeml adopt) -------------------------------------------------------------


def config_value(repo: Path, key: str) -> str | None:
    """A git configuration value as `repo` sees it (repository, user or system), or None."""
    return _read_optional(repo, "config", "--get", key)


def merge_file(ours: bytes, base: bytes, theirs: bytes, labels: tuple[str, str, str]) -> bytes:
    """`git merge-file`'s 3-way merge of three versions of a text; conflicts get markers.

    Returns the merged bytes; whether conflicts remain is for the caller to read from
    the markers (git's exit status counts them, capped at 127, and errors are negative).
    """
    with tempfile.TemporaryDirectory(prefix="forgeml-merge-") as scratch:
        paths = []
        for name, content in zip(("ours", "base", "theirs"), (ours, base, theirs), strict=True):
            path = Path(scratch) / name
            path.write_bytes(content)
            paths.append(str(path))
        done = subprocess.run(
            ["git", "merge-file", "--stdout", *(f"-L{label}" for label in labels), *paths],
            capture_output=True,
            check=False,
        )
    if done.returncode < 0 or done.returncode > 127:
        reason = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise ForgemlError(f"git merge-file failed: {reason}")
    return done.stdout


def add_paths(repo: Path, paths: list[str]) -> None:
    """Stage exactly `paths`, even where the repository's .gitignore would hide them:
    a template file the project ignores (its `/data/`, say) must still reach the branch."""
    if paths:
        run_git(repo, "add", "--force", "--", *paths)


# --- Remotes (forgeml fleet on a fleet file) ----------------------------------------------
# A fleet file names repositories by URL; forgeml keeps its own clone of each in a cache
# workspace, refreshes it before every run and pushes the update branch back.


def clone_partial(url: str, dest: Path, branch: str | None) -> None:
    """Clone `url` into `dest` without file contents until a checkout needs them.

    `--filter=blob:none` keeps every commit and tree (pushing and comparing branches
    need history) but fetches a file's contents only when it is checked out; a server
    without partial-clone support sends everything, which is only slower.
    """
    chosen = ["--branch", branch] if branch else []
    run_git(
        dest.parent, "clone", "--quiet", "--filter=blob:none", "--no-tags", *chosen,
        "--", url, str(dest),
    )  # fmt: skip


def fetch_origin(repo: Path) -> None:
    """Every branch of `origin`, pruning the remote-tracking refs of deleted ones."""
    run_git(repo, "fetch", "--quiet", "--prune", "--no-tags", "origin")


def origin_default_branch(repo: Path) -> str:
    """The branch `origin`'s HEAD points at, asked of the remote itself."""
    run_git(repo, "remote", "set-head", "origin", "--auto")
    ref = run_git(repo, "symbolic-ref", "--short", "refs/remotes/origin/HEAD").strip()
    return ref.removeprefix("origin/")


def reset_to_remote(repo: Path, branch: str) -> None:
    """Check out local `branch` exactly at `origin/branch`, discarding everything else.

    Only for forgeml's own cache clones: nobody works in them.
    """
    run_git(repo, "checkout", "--quiet", "--force", "-B", branch, f"refs/remotes/origin/{branch}")
    run_git(repo, "clean", "--quiet", "-ffdx")


def local_branches(repo: Path, prefix: str) -> list[str]:
    """Local branches whose name starts with `prefix`."""
    out = run_git(repo, "for-each-ref", "--format=%(refname:short)", f"refs/heads/{prefix}*")
    return [line for line in out.splitlines() if line]


def tree_of(repo: Path, commit: str) -> str | None:
    return _read_optional(repo, "rev-parse", "--verify", "--quiet", f"{commit}^{{tree}}")


def parent_of(repo: Path, commit: str) -> str | None:
    return resolve_commit(repo, f"{commit}^")


def commits_between(repo: Path, base: str, tip: str) -> int:
    """How many commits `tip` has that `base` does not."""
    return int(run_git(repo, "rev-list", "--count", f"{base}..{tip}").strip() or 0)


def subject_of(repo: Path, commit: str) -> str:
    return run_git(repo, "log", "-1", "--format=%s", commit).strip()


def push_with_lease(repo: Path, branch: str, expected: str | None) -> None:
    """Push local `branch` to `origin`, replacing it only if it is still at `expected`.

    `expected` None means the branch must not exist on the remote yet. The lease makes a
    re-run safe against someone (or another run) having pushed in the meantime: git
    refuses instead of overwriting their commits.
    """
    ref = f"refs/heads/{branch}"
    run_git(
        repo, "push", "--quiet", "--no-verify", f"--force-with-lease={ref}:{expected or ''}",
        "origin", f"{ref}:{ref}",
    )  # fmt: skip
