"""The few git operations forgeml needs, run through the git command line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

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
        reason = detail[-1] if detail else f"exit code {completed.returncode}"
        raise ForgemlError(f"git {args[0]} failed in {repo}: {reason}")
    return completed.stdout


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
