"""SIGTERM handled like Ctrl-C, so a cancelled CI job cleans up like an interrupted user.

Python turns SIGINT into `KeyboardInterrupt`, which unwinds every `finally` and context
manager: staging directories, temporary clones and worktrees are removed on the way
out. SIGTERM's default action kills the process on the spot and skips all of that.
`install()` makes SIGTERM raise `Terminated`, a `KeyboardInterrupt`, so one code path
handles both; the exit status is the shell's convention, 128 + the signal number.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM (or another terminating signal) arrived; unwinds like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


def install() -> None:
    """Make SIGTERM (and SIGHUP, a closed terminal) unwind the process like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set handlers (forgeml called from a thread)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # `nohup` asked to ignore it
            signal.signal(signum, _raise_terminated)


def exit_code(interrupt: KeyboardInterrupt) -> int:
    """128 + the signal number: 130 for Ctrl-C, 143 for SIGTERM, as shells report them."""
    return 128 + getattr(interrupt, "signum", signal.SIGINT)


@contextmanager
def deferred() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM while cleanup that must finish runs.

    A second Ctrl-C (users press it twice) must not interrupt the removal of a
    worktree half-way. The previous handlers come back afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals (and may set handlers)
        return
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in saved:
        signal.signal(signum, signal.SIG_IGN)
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
