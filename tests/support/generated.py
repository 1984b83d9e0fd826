"""Helpers for tests that work inside a generated project: its environment, commands and docs."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from generator.commands.new import NewProject, create_project

# This checkout: the template the template tests render, HEAD plus uncommitted edits.
REPO_ROOT = Path(__file__).resolve().parents[2]
# Variables of forgeml's own environment that would leak into the generated project's uv.
_LEAKY = {"VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT", "PYTHONHOME"}


def generate(dest: Path, **answers: Any) -> NewProject:
    """Render the working tree of this repository (HEAD plus uncommitted edits)."""
    return create_project(
        dest, data=answers, template=str(REPO_ROOT), vcs_ref="HEAD", defaults=True
    )


def project_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _LEAKY}
    # Only this machine's interpreter may be used; uv must never try to download one.
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(project: Path, log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`make serve` of the project on a free loopback port: its base URL and the process,
    whose whole group (make, uv, uvicorn) is stopped on exit. Output goes to `log_path`."""
    port = free_port()
    with log_path.open("w") as log:
        server = subprocess.Popen(
            ["make", "serve", f"PORT={port}"],
            cwd=project,
            env=project_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield f"http://127.0.0.1:{port}", server
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


def run(
    project: Path, *argv: str, timeout: float = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command in the project; on failure the assertion shows its whole output."""
    completed = subprocess.run(
        argv,
        cwd=project,
        env={**project_env(), **(env or {})},
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


# docs/serving.md shows POST /predict as `curl ... -d @- <<'JSON'` with the request body
# as the here-document, followed by the response as the page's first ```json block.
_REQUEST = re.compile(r"<<'JSON'\n(.*?)\nJSON\n", re.DOTALL)
_JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.DOTALL)


def documented_predict(project: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request and the response docs/serving.md shows for POST /predict."""
    page = (project / "docs" / "serving.md").read_text(encoding="utf-8")
    request = _REQUEST.search(page)
    response = _JSON_BLOCK.search(page)
    assert request is not None, "docs/serving.md lost its curl <<'JSON' request example"
    assert response is not None, "docs/serving.md lost its ```json response example"
    return json.loads(request.group(1)), json.loads(response.group(1))


def request_json(url: str, payload: object | None = None) -> tuple[int, Any]:
    """GET `url`, or POST `payload` as JSON; the status and the decoded answer."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Wait (up to 2 minutes) for the service's /ready; fail with its log if it never is."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if request_json(f"{base}/ready")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    pytest.fail(f"the service never became ready:\n{log.read_text()}")
