"""`forgeml fleet update` killed, interrupted or crashing: real signals to real processes.

The template's 2.0.0 migration announces itself (a file per process) and then sleeps,
so a test knows the workers are inside an update when it sends the signal. Its 2.0.0
README uses a Jinja filter from an extension that segfaults (a real SIGSEGV, through
ctypes) for the project named "crash": a worker dying in native code.
After any of these, no repository may hold an update branch a later run would take
for done, nor a registered worktree, and no forgeml process may be left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.commands.fleet import discover
from tests.support.template_factory import git, tagged_template

COPIER_YML = """\
_subdirectory: template
_answers_file: .copier-answers.yml
_templates_suffix: .jinja
_jinja_extensions:
  - crashing_extension.Crashing
_migrations:
  - version: "2.0.0"
    when: "{{{{ _stage == 'before' }}}}"
    command: ["{python}", "-c", "{slow}"]
project_name:
  type: str
  default: demo
"""
# Announce the update (one file per process), then take long enough to be killed in.
# It ignores SIGINT like any program that is not forgeml's to judge: its own traceback on
# a terminal's Ctrl-C would be the template's output, not a forgeml worker's.
SLOW = (
    "import os, pathlib, signal, time; "
    "signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "pathlib.Path(os.environ['FLEET_STARTED'], str(os.getpid())).touch(); "
    "time.sleep(float(os.environ.get('FLEET_SLEEP', '0')))"
)
EXTENSION = '''\
"""A Jinja extension whose filter crashes the process in native code on request."""
import ctypes
from jinja2.ext import Extension


def maybe_crash(value):
    if value == "crash":
        ctypes.string_at(0)  # SIGSEGV
    return value


class Crashing(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["maybe_crash"] = maybe_crash
'''


def build_template(root: Path) -> Path:
    return tagged_template(
        root,
        COPIER_YML.format(python=sys.executable, slow=SLOW),
        {
            "1.0.0": {"README.md.jinja": "# {{ project_name }}\n"},
            "2.0.0": {"README.md.jinja": "# {{ project_name | maybe_crash }}\n\nRelease 2.\n"},
        },
    )


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    extension_dir = tmp_path / "ext"
    extension_dir.mkdir()
    (extension_dir / "crashing_extension.py").write_text(EXTENSION)
    started = tmp_path / "started"
    started.mkdir()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    return {
        "template": build_template(tmp_path / "template"),
        "ext": extension_dir,
        "started": started,
        "tmp": scratch,
        "repos": tmp_path / "repos",
    }


def env(world: dict[str, Path], sleep: float) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path.cwd()), str(world["ext"])]),
        "FLEET_STARTED": str(world["started"]),
        "FLEET_SLEEP": str(sleep),
        "TMPDIR": str(world["tmp"]),
    }


def make_repos(world: dict[str, Path], names: list[str]) -> list[Path]:
    repos = []
    for name in names:
        dest = world["repos"] / name
        subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "new",
                str(dest),
                "--defaults",
                "--trust",
                "--template",
                str(world["template"]),
                "--vcs-ref",
                "1.0.0",
                "--data",
                f"project_name={name}",
            ],
            env=env(world, 0),
            check=True,
            capture_output=True,
        )
        repos.append(dest)
    return repos


def start_fleet(world: dict[str, Path], sleep: float, jobs: int = 2) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generator",
            "fleet",
            "update",
            str(world["repos"]),
            "--jobs",
            str(jobs),
        ],
        env=env(world, sleep),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: "the terminal" of the test
    )


def wait_for(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def session_processes(session: int) -> list[int]:
    """Processes still alive in the fleet's session (its workers and their children)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def assert_nothing_left(repos: list[Path], world: dict[str, Path], session: int) -> None:
    wait_for(lambda: not session_processes(session), timeout=30)
    for repo in repos:
        assert git(repo, "branch", "--list", "forgeml/*") == "", repo
        assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1, repo
        assert git(repo, "status", "--porcelain") == "", repo


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_parent_stops_everything_and_leaves_nothing(
    world: dict[str, Path], signum: signal.Signals
) -> None:
    repos = make_repos(world, ["a", "b", "c"])
    fleet = start_fleet(world, sleep=120)
    wait_for(lambda: len(list(world["started"].iterdir())) >= 2)

    if signum == signal.SIGINT:  # Ctrl-C in a terminal reaches the whole process group
        os.killpg(fleet.pid, signum)
    else:  # a cancelled CI job signals the process it started
        fleet.send_signal(signum)
    _, stderr = fleet.communicate(timeout=60)

    assert fleet.returncode == 128 + signum
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines() == [
        "forgeml: interrupted; unfinished updates were discarded (no branch, no worktree)"
    ]
    assert_nothing_left(repos, world, fleet.pid)
    assert list(world["tmp"].iterdir()) == []


def test_workers_die_with_a_killed_parent(world: dict[str, Path]) -> None:
    repos = make_repos(world, ["a", "b"])
    fleet = start_fleet(world, sleep=120)
    wait_for(lambda: len(list(world["started"].iterdir())) >= 2)

    fleet.kill()  # SIGKILL: the parent cannot clean up; its workers must not outlive it
    fleet.communicate(timeout=30)

    assert_nothing_left(repos, world, fleet.pid)


def test_a_crashing_worker_costs_only_its_repository(world: dict[str, Path]) -> None:
    repos = make_repos(world, ["a", "crash", "c", "d"])
    fleet = start_fleet(world, sleep=0, jobs=2)
    stdout, stderr = fleet.communicate(timeout=300)

    assert fleet.returncode == 1, stdout + stderr
    assert "Traceback" not in stderr
    assert "SIGSEGV" in stdout
    for repo in repos:
        branches = git(repo, "branch", "--list", "forgeml/*").split()
        assert branches == ([] if repo.name == "crash" else ["forgeml/update-2.0.0"]), repo
        assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1, repo
    assert list(world["tmp"].iterdir()) == []


def test_a_repository_reached_twice_is_processed_once(tmp_path: Path) -> None:
    repo = tmp_path / "repos" / "a"
    repo.mkdir(parents=True)
    (repo / ".copier-answers.yml").write_text("_commit: 1.0.0\n")
    (tmp_path / "repos" / "a-link").symlink_to(repo)
    listing = tmp_path / "list.txt"
    listing.write_text(f"{repo}\n{tmp_path / 'repos' / 'a-link'}\n")

    assert discover([tmp_path / "repos", listing, repo]) == [repo]


def test_an_empty_update_branch_left_by_a_killed_run_is_redone_not_reported_done(
    world: dict[str, Path],
) -> None:
    """Older forgeml created the branch before updating; a kill left it at HEAD."""
    (repo,) = make_repos(world, ["a"])
    git(repo, "branch", "forgeml/update-2.0.0")
    fleet = start_fleet(world, sleep=0, jobs=1)
    stdout, stderr = fleet.communicate(timeout=300)

    assert fleet.returncode == 0, stdout + stderr
    assert "updated" in stdout
    tip = git(repo, "rev-parse", "forgeml/update-2.0.0").strip()
    assert tip != git(repo, "rev-parse", "HEAD").strip()
    assert "Release 2." in git(repo, "show", f"{tip}:README.md")
