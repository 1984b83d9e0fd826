"""The CLI's one error path (`reported`): ForgemlError and Ctrl-C become one line and an exit code.

The commands are replaced by stand-ins that raise, so every command's wiring is covered
without running one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.errors import ForgemlError

runner = CliRunner()
REPO_ROOT = Path(__file__).resolve().parents[2]


def _raise(error: BaseException) -> Callable[..., None]:
    def stand_in(*args: object, **kwargs: object) -> None:
        raise error

    return stand_in


COMMANDS = [
    # (argv, module, function the command calls, what Ctrl-C prints)
    (
        ["new", "DEST"],
        "generator.commands.new",
        "create_project",
        "interrupted; nothing was written",
    ),
    (
        ["update", "--dry-run"],
        "generator.commands.update",
        "update_project",
        "interrupted; nothing was changed",
    ),
    (
        ["update"],
        "generator.commands.update",
        "update_project",
        "interrupted; see `git status` for a partial update",
    ),
    (
        ["fleet", "status", "ROOT"],
        "generator.commands.fleet",
        "run_fleet",
        "interrupted; nothing was changed",
    ),
    (
        ["fleet", "update", "ROOT"],
        "generator.commands.fleet",
        "run_fleet",
        "interrupted; unfinished updates were discarded (no branch, no worktree)",
    ),
]


@pytest.mark.parametrize(("argv", "module", "function", "said"), COMMANDS)
def test_ctrl_c_says_what_was_left_and_exits_130(
    argv: list[str],
    module: str,
    function: str,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ROOT").mkdir()
    monkeypatch.setattr(f"{module}.{function}", _raise(KeyboardInterrupt()))
    if function == "run_fleet":
        monkeypatch.setattr("generator.commands.fleet.discover", lambda roots: [])
    result = runner.invoke(app, argv)
    assert result.exit_code == 130
    assert result.stderr == f"forgeml: {said}\n"


@pytest.mark.parametrize(
    ("argv", "module", "function"),
    [
        (["new", "DEST"], "generator.commands.new", "create_project"),
        (["update"], "generator.commands.update", "update_project"),
        (["diff"], "generator.commands.diff", "find_drift"),
        (["check-update"], "generator.commands.check_update", "check_update"),
        (["check"], "generator.commands.check", "check_projects"),
        (["fleet", "check", "ROOT"], "generator.commands.fleet", "discover"),
    ],
)
def test_a_forgeml_error_is_one_line_with_its_exit_code(
    argv: list[str],
    module: str,
    function: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    error = ForgemlError("the reason, in one line")
    error.exit_code = 1
    monkeypatch.setattr(f"{module}.{function}", _raise(error))
    result = runner.invoke(app, argv)
    assert result.exit_code == 1
    assert result.stderr == "forgeml: error: the reason, in one line\n"


def test_ctrl_c_in_a_read_only_command_says_nothing_was_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only command says so too: one line, exit 130, no traceback."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("generator.commands.diff.find_drift", _raise(KeyboardInterrupt()))
    result = runner.invoke(app, ["diff"])
    assert result.exit_code == 130
    assert result.stderr == "forgeml: interrupted; nothing was changed\n"


def test_sigterm_exits_143(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM arrives as `signals.Terminated`; the exit code names the signal."""
    from generator.signals import Terminated

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("generator.commands.update.update_project", _raise(Terminated(15)))
    result = runner.invoke(app, ["update"])
    assert result.exit_code == 143
    assert result.stderr == "forgeml: interrupted; see `git status` for a partial update\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["update", "--format", "yaml"], "--format must be one of text, json"),
        (["update", "--conflict", "both"], "--conflict must be one of inline, rej"),
        (["check-update", "--format", "sarif"], "--format must be one of text, json"),
        (["check", "--format", "xml"], "--format must be one of text, json, sarif, markdown"),
        (["fleet", "status", "ROOT", "--format", "md"], "--format must be one of text, json"),
    ],
)
def test_choices_are_checked_before_any_work(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for target in (
        "generator.commands.update.load_project",
        "generator.commands.check_update.load_project",
        "generator.commands.check.check_projects",
        "generator.commands.fleet.discover",
    ):
        monkeypatch.setattr(target, _raise(AssertionError("ran before the choice was checked")))
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    assert result.stderr == f"forgeml: error: {message}\n"


# An import hook that raises `interrupt` when rich is first imported, i.e. while
# `generator.cli` is loading, the moment before `reported` can handle anything.
_INTERRUPTED_START = """
import sys
from generator.signals import Terminated

class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "rich":
            raise {interrupt}
        return None

sys.meta_path.insert(0, Interrupt())
from generator.__main__ import main
main()
"""


@pytest.mark.parametrize(
    ("interrupt", "code"), [("KeyboardInterrupt()", 130), ("Terminated(15)", 143)]
)
def test_an_interrupt_while_forgeml_starts_is_one_line(interrupt: str, code: int) -> None:
    """Ctrl-C or SIGTERM during the imports of the command line: no traceback."""
    script = _INTERRUPTED_START.format(interrupt=interrupt)
    completed = subprocess.run(
        [sys.executable, "-c", script, "check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert completed.returncode == code, completed.stderr
    assert completed.stderr == "forgeml: interrupted; nothing was changed\n"
    assert completed.stdout == ""


def test_the_console_script_enters_through_main() -> None:
    """The installed `forgeml` and `python -m generator` run the same guarded entry."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["forgeml"] == "generator.__main__:main"
    completed = subprocess.run(
        [sys.executable, "-m", "generator", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip()
