"""Helpers for tests that work inside a generated project: its environment and commands."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Variables of forgeml's own environment that would leak into the generated project's uv.
_LEAKY = {"VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT", "PYTHONHOME"}


def project_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _LEAKY}
    # Only this machine's interpreter may be used; uv must never try to download one.
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


def run(project: Path, *argv: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run a command in the project; on failure the assertion shows its whole output."""
    completed = subprocess.run(
        argv,
        cwd=project,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, (
        f"{' '.join(argv)} exited {completed.returncode} in {project}\n"
        f"--- stdout ---\n{completed.stdout[-6000:]}\n--- stderr ---\n{completed.stderr[-6000:]}"
    )
    return completed
