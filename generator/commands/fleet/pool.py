"""Worker processes for `forgeml fleet` that survive each other and die with the parent.

`concurrent.futures.ProcessPoolExecutor` marks the whole pool broken when one worker
dies (a segfault in a native library, an out-of-memory kill), failing every
repository still queued; and a parent killed by SIGTERM left its workers running as
orphans. This pool keeps one pipe per worker process instead:
- a worker that dies costs only the repository it was working on: the parent reports
  that repository, removes the worker's scratch directory, prunes the worktree it may
  have registered, and starts a fresh worker for the rest of the queue;
- every worker's temporary files (clones, worktrees, copier mirrors) live in its own
  directory under one scratch root the parent removes, whatever happened;
- on Ctrl-C or SIGTERM the parent stops the workers with SIGTERM (which unwinds them
  like Ctrl-C, so their `finally` blocks remove worktrees), waits for them, then
  cleans up; workers ignore SIGINT themselves, so a Ctrl-C in a terminal, which
  reaches the whole process group, prints no worker tracebacks;
- on Linux a worker asks the kernel (`PR_SET_PDEATHSIG`) for SIGTERM when its parent
  dies, even by SIGKILL, so no worker outlives the run.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Generic, TypeVar

from generator import signals
from generator.backend.git import prune_worktrees

Result = TypeVar("Result")
# How long stopped workers get to remove their worktrees before they are killed.
_STOP_GRACE_SECONDS = 30.0
_PR_SET_PDEATHSIG = 1


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    scratch: Path
    current: Path | None = None


@dataclass
class Pool(Generic[Result]):
    """Run `task(path, *args)` for every path in worker processes (started with spawn).

    `task` must be a module-level function (spawn pickles it by name) that never
    raises; `crashed(path, reason)` makes the result of a repository whose worker died.
    """

    task: Callable[..., Result]
    args: tuple[Any, ...]
    crashed: Callable[[Path, str], Result]
    jobs: int
    on_result: Callable[[Result], None] | None = None
    _workers: list[_Worker] = field(default_factory=list)

    def run(self, paths: Sequence[Path]) -> dict[Path, Result]:
        results: dict[Path, Result] = {}
        queue = deque(paths)
        root = Path(tempfile.mkdtemp(prefix="forgeml-fleet-"))
        context = multiprocessing.get_context("spawn")
        try:
            while queue or self._workers:
                while queue and len(self._workers) < self.jobs:
                    self._workers.append(self._start(context, root, queue.popleft()))
                self._wait_for_any(results, queue)
        except BaseException:
            with signals.deferred():
                self._stop_all()
            raise
        finally:
            with signals.deferred():
                shutil.rmtree(root, ignore_errors=True)
        return results

    def _start(self, context: Any, root: Path, first: Path) -> _Worker:
        scratch = Path(tempfile.mkdtemp(prefix="worker-", dir=root))
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(child_end, scratch, self.task, self.args),
            name=f"forgeml-fleet-{scratch.name}",
            daemon=True,
        )
        # Ignored signals stay ignored across exec: the child cannot be interrupted by a
        # terminal's Ctrl-C even before `_serve` runs (no half-started tracebacks).
        with _sigint_ignored():
            process.start()
        child_end.close()
        worker = _Worker(process, parent_end, scratch)
        self._assign(worker, first)
        return worker

    def _assign(self, worker: _Worker, path: Path) -> None:
        worker.current = path
        worker.conn.send(path)

    def _wait_for_any(self, results: dict[Path, Result], queue: deque[Path]) -> None:
        waitables = [w.conn for w in self._workers] + [w.process.sentinel for w in self._workers]
        ready = set(wait(waitables))
        for worker in list(self._workers):
            if worker.conn in ready or worker.process.sentinel in ready:
                self._collect(worker, results, queue)

    def _collect(self, worker: _Worker, results: dict[Path, Result], queue: deque[Path]) -> None:
        path = worker.current
        assert path is not None
        try:
            result: Result = worker.conn.recv()
        except (EOFError, OSError):  # the worker died before it answered
            worker.process.join()
            result = self.crashed(path, _death(worker.process.exitcode))
            self._retire(worker, crashed_in=path)
        else:
            if queue:
                self._assign(worker, queue.popleft())
            else:
                worker.conn.send(None)  # no more work: the worker exits
                self._retire(worker)
        results[path] = result
        if self.on_result is not None:
            self.on_result(result)

    def _retire(self, worker: _Worker, crashed_in: Path | None = None) -> None:
        worker.process.join(_STOP_GRACE_SECONDS)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
        self._workers.remove(worker)
        shutil.rmtree(worker.scratch, ignore_errors=True)
        if crashed_in is not None and crashed_in.is_dir():
            # The dead worker may have registered a worktree in its scratch directory.
            prune_worktrees(crashed_in)

    def _stop_all(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after a grace period) and clean up."""
        for worker in self._workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in list(self._workers):
            current = worker.current
            self._retire(worker, crashed_in=current)


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        return f"the worker process died ({name}) while working on this repository"
    return f"the worker process exited (code {exitcode}) while working on this repository"


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; the worker ignores SIGINT itself
        return
    saved = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, saved)


def _die_with_parent() -> None:
    """Linux: the kernel sends this process SIGTERM when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return


def _serve(
    conn: Connection, scratch: Path, task: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    """A worker: run `task` on each path the parent sends until it sends None."""
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; see the module doc
    signals.install()  # SIGTERM unwinds: worktrees and clones are removed
    os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = str(scratch)
    try:
        while True:
            path = conn.recv()
            if path is None:
                return
            conn.send(task(path, *args))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        return  # stopped by the parent, or the parent is gone: exit quietly
