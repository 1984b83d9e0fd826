"""`forgeml fleet`: status, check or update many local clones, in parallel.

Repositories are found from ROOT arguments: a directory that is a repository itself,
a directory of repositories (its subdirectories holding `.git` or an answers file), or
a text file listing paths, one a line.

Parallelism uses worker processes, not threads: copier changes the working directory
of the whole process (plumbum's `local.cwd` calls `os.chdir`) while it renders and
updates, and forgeml's release-cache redirection sets process-wide environment
variables, so two updates in threads of one process would run git in each other's
directories. Workers are started with "spawn": forking a process whose other threads
(a progress bar's refresher) may hold locks can deadlock the child. Each worker gets
its own copier mirror cache: copier refreshes its shared mirrors of remote templates
without locking, and concurrent processes then break each other's clones.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.backend.copier import use_private_mirrors
from generator.commands.fleet.ops import Operation, RepoResult, exit_code, failed, run_one
from generator.commands.fleet.pool import Pool
from generator.errors import EXIT_OK, ForgemlError
from generator.policy.file import Policy
from generator.project.answers import ANSWERS_FILE
from generator.templates.location import ReleaseIndex
from generator.templates.trust import Trust, load_trust

ProgressCallback = Callable[[RepoResult], None]


@dataclass(frozen=True)
class FleetReport:
    operation: Operation
    # In the order the repositories were given, whatever order they finished in.
    results: tuple[RepoResult, ...]

    @property
    def exit_code(self) -> int:
        return max((exit_code(result) for result in self.results), default=EXIT_OK)


def default_jobs() -> int:
    return max(os.cpu_count() or 1, 1)


def discover(roots: Sequence[Path]) -> list[Path]:
    """The repositories named by `roots`, each once, in the order given."""
    found: list[Path] = []
    for given in roots:
        root = Path(os.path.normpath(given.expanduser().absolute()))
        if root.is_file():
            found.extend(_listed(root))
        elif root.is_dir():
            if _is_repository(root):
                found.append(root)
            else:
                found.extend(
                    child
                    for child in sorted(root.iterdir())
                    if child.is_dir() and not child.name.startswith(".") and _is_repository(child)
                )
        else:
            raise ForgemlError(f"{root} does not exist (give directories or files listing paths)")
    # Keyed by real path: a symlinked or re-listed repository must not be updated twice
    # (two workers in one repository would race for the same branch).
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(_real(path), path)
    repositories = list(unique.values())
    if not repositories:
        shown = ", ".join(str(root) for root in roots)
        raise ForgemlError(f"no repositories found in {shown}")
    return repositories


def _real(path: Path) -> Path:
    """The path with symbolic links resolved; as given when they loop (reported later)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _is_repository(directory: Path) -> bool:
    return (directory / ".git").exists() or (directory / ANSWERS_FILE).is_file()


def _listed(listing: Path) -> list[Path]:
    """Paths in a listing file; relative ones are relative to the file's directory.

    A listed path that does not exist is kept: it is reported as that repository's
    failure rather than silently dropped.
    """
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ForgemlError(f"cannot read the list of repositories {listing}: {error}") from None
    paths: list[Path] = []
    for line in lines:
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        path = Path(entry).expanduser()
        paths.append(Path(os.path.normpath(path if path.is_absolute() else listing.parent / path)))
    return paths


def run_fleet(
    operation: Operation,
    repositories: Sequence[Path],
    *,
    jobs: int,
    policy: Policy | None = None,
    on_result: ProgressCallback | None = None,
    trust: Trust | None = None,
) -> FleetReport:
    """Run `operation` on every repository; one failing (or crashing) never stops the others."""
    if jobs < 1:
        raise ForgemlError("--jobs must be at least 1")
    trust = trust or load_trust(flag="--trust-source PREFIX")
    if jobs == 1 or len(repositories) == 1:
        # In this process (`--jobs 1`: easy to debug, but a crash ends the run).
        releases = ReleaseIndex()
        results = {}
        for path in repositories:
            results[path] = run_one(operation, path, policy, releases, trust)
            if on_result is not None:
                on_result(results[path])
    else:
        pool: Pool[RepoResult] = Pool(
            task=_run_in_worker,
            args=(operation, policy, trust),
            crashed=lambda path, reason: failed(operation, path, reason),
            jobs=min(jobs, len(repositories)),
            on_result=on_result,
        )
        results = pool.run(repositories)
    return FleetReport(operation, tuple(results[path] for path in repositories))


# Each worker process lists a template's releases once for all its repositories.
_worker_releases: ReleaseIndex | None = None


def _run_in_worker(
    path: Path, operation: Operation, policy: Policy | None, trust: Trust
) -> RepoResult:
    global _worker_releases  # noqa: PLW0603  (one per worker process, by design)
    if _worker_releases is None:
        _worker_releases = ReleaseIndex()
        # copier's shared mirror cache of remote templates is not safe across processes;
        # the worker's temporary directory is its own and removed by the parent.
        use_private_mirrors(Path(tempfile.mkdtemp(prefix="mirrors-")))
    return run_one(operation, path, policy, _worker_releases, trust)
