"""Cloud CLIs replaced at their command-line boundary, for the scripts that call them.

A fake is a Python script installed under a program's name (aws, gcloud, az, kubectl)
in a directory put first on PATH. Every call is appended to a JSON state file
(FAKE_CLOUD_STATE), which also holds what the fake cloud answers; a test sets that
state up, runs the real script, then reads the calls back. Each test module writes
the answers of the commands its script uses after ``HEADER``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CLOUD_PROGRAMS = ("aws", "gcloud", "az", "kubectl")

# What every fake starts with: its call recorded, `option(flag)` to read an argument,
# `finish(...)` to save the state and answer.
HEADER = r'''#!/usr/bin/env python3
"""A stand-in for aws, gcloud, az and kubectl (by the name it is called by)."""
import json, os, subprocess, sys
from pathlib import Path

state_file = Path(os.environ["FAKE_CLOUD_STATE"])
state = json.loads(state_file.read_text())
program, args = Path(sys.argv[0]).name, sys.argv[1:]
state["calls"].append([program, *args])


def option(flag):
    return args[args.index(flag) + 1] if flag in args else None


def finish(code=0, out=None, err=""):
    state_file.write_text(json.dumps(state))
    if out is not None:
        print(out if isinstance(out, str) else json.dumps(out))
    sys.stderr.write(err)
    sys.exit(code)

'''


def install(bin_dir: Path, script: str, programs: tuple[str, ...] = CLOUD_PROGRAMS) -> None:
    """Write ``script`` as each of ``programs`` in ``bin_dir``, run by this Python."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for program in programs:
        fake = bin_dir / program
        fake.write_text(script.replace("/usr/bin/env python3", sys.executable, 1))
        fake.chmod(0o755)


class FakeCloudState:
    """The state file the fakes share: what they answer, and every call they got."""

    def __init__(self, state_file: Path) -> None:
        self.state_file = state_file

    def save(self, **changes: Any) -> None:
        state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        self.state_file.write_text(json.dumps({**state, **changes}))

    @property
    def state(self) -> dict[str, Any]:
        return json.loads(self.state_file.read_text())

    def calls(self, program: str) -> list[list[str]]:
        """The arguments of every call of ``program``, in order."""
        return [call[1:] for call in self.state["calls"] if call[0] == program]
