"""The Dockerfile of generated projects: hadolint, its design rules, and its build steps.

There is no Docker engine on forgeml's CI machine, so no image is built here. What is
checked instead: hadolint (with the project's .hadolint.yaml) for every representative
answer set; the design (multi-stage with a pinned uv, dependencies in their own layer,
slim runtime, numeric non-root user, exec-form commands, a /health HEALTHCHECK,
serve and train targets); that the allow-list .dockerignore sends every file a COPY
needs; and the builder stage's commands, replayed outside Docker on the project's
real uv.lock, producing an environment that runs without the source tree.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.generated import generate
from tests.support.generated import project_env, run
from tests.support.cases import ALL_CASES, REPRESENTATIVE
from tests.support.validators import check, require


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments gone."""
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    pairs = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def stages(dockerfile: str) -> dict[str, list[tuple[str, str]]]:
    """The instructions of each named stage, in order."""
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for keyword, rest in instructions(dockerfile):
        if keyword == "FROM":
            name = rest.split(" AS ")[1].strip()
            current = found.setdefault(name, [])
        if current is not None:
            current.append((keyword, rest))
    return found


@pytest.fixture(scope="module", params=list(REPRESENTATIVE))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = request.param
    return generate(tmp_path_factory.mktemp("docker") / case, **ALL_CASES[case]).path


def test_hadolint_is_clean_at_every_severity(rendered: Path) -> None:
    hadolint = require("hadolint")
    config = yaml.safe_load((rendered / ".hadolint.yaml").read_text())
    assert config["failure-threshold"] == "info"
    assert "ignored" not in config, "no rule is ignored"
    check(rendered, hadolint, "--config", ".hadolint.yaml", "Dockerfile")


def test_hadolint_really_reports_problems(tmp_path: Path) -> None:
    hadolint = require("hadolint")
    (tmp_path / "Dockerfile").write_text("FROM python:latest\nUSER app\nCMD python app.py\n")
    found = subprocess.run(
        [hadolint, "--format", "json", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    codes = {finding["code"] for finding in json.loads(found.stdout)}
    assert {"DL3007", "DL3025"} <= codes, codes


def test_design_multi_stage_slim_non_root_exec_form_healthcheck(rendered: Path) -> None:
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    dockerfile = (rendered / "Dockerfile").read_text()
    assert f"ARG PYTHON_VERSION={answers['python_version']}\n" in dockerfile
    found = stages(dockerfile)
    assert list(found) == ["uv", "builder", "runtime", "train", "serve"]
    assert found["uv"][0] == ("FROM", "ghcr.io/astral-sh/uv:0.13.8 AS uv")
    for name in ("builder", "runtime"):
        assert found[name][0] == ("FROM", f"python:${{PYTHON_VERSION}}-slim AS {name}")

    # Dependencies (pyproject.toml and uv.lock only) before the source: their layer is
    # rebuilt when they change, not on every code change. Everything from uv.lock.
    builder = found["builder"]
    syncs = [rest for keyword, rest in builder if keyword == "RUN" and "uv sync" in rest]
    assert len(syncs) == 2
    assert "uv sync --frozen --no-dev --no-install-project" in syncs[0]
    assert "source=uv.lock" in syncs[0]
    assert "source=pyproject.toml" in syncs[0]
    assert "uv sync --frozen --no-dev --no-editable" in syncs[1]
    copies = [rest for keyword, rest in builder if keyword == "COPY"]
    assert builder.index(("COPY", "src ./src")) > builder.index(
        next(item for item in builder if item[0] == "RUN")
    )
    assert "UV_PYTHON_DOWNLOADS=never" in dockerfile
    assert copies[0] == "--from=uv /uv /usr/local/bin/uv"

    # The runtime has the environment, not the build tools or the source.
    runtime = found["runtime"]
    assert ("COPY", "--from=builder /app/.venv /app/.venv") in runtime
    assert not any(keyword == "COPY" and rest.startswith("src") for keyword, rest in runtime)
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    assert users == ["10001:10001"], "a numeric, non-root user"
    (entrypoint,) = [rest for keyword, rest in runtime if keyword == "ENTRYPOINT"]
    assert json.loads(entrypoint) == [answers["project_slug"]]

    serve = dict(found["serve"][1:])
    assert json.loads(serve["CMD"]) == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert serve["EXPOSE"] == "8000"
    healthcheck = serve["HEALTHCHECK"]
    probe = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert probe[0] == "python"
    assert "http://127.0.0.1:8000/health" in probe[2]
    train = dict(found["train"][1:])
    assert json.loads(train["CMD"])[0] == "train"
    assert dockerfile.rstrip().splitlines()[-1].startswith("CMD"), "serve is the last stage"


def test_the_healthcheck_probe_fails_without_a_server(rendered: Path) -> None:
    """The HEALTHCHECK's command, run as is: it must fail when nothing answers."""
    serve = stages((rendered / "Dockerfile").read_text())["serve"]
    healthcheck = dict(serve[1:])["HEALTHCHECK"]
    probe = json.loads(healthcheck.split(" CMD ", 1)[1])
    free = probe[2].replace("127.0.0.1:8000", "127.0.0.1:9")
    completed = subprocess.run(
        [shutil.which("python3") or "python3", "-c", free], capture_output=True, check=False
    )
    assert completed.returncode != 0


def _ignored(dockerignore: str) -> tuple[list[str], list[str]]:
    patterns = [line for line in dockerignore.splitlines() if line and not line.startswith("#")]
    allowed = [line[1:].rstrip("/") for line in patterns if line.startswith("!")]
    return patterns, allowed


def test_dockerignore_sends_only_what_the_copies_need(rendered: Path) -> None:
    patterns, allowed = _ignored((rendered / ".dockerignore").read_text())
    assert patterns[0] == "*", "an allow-list: everything else stays out of the context"
    needed = set()
    for stage in stages((rendered / "Dockerfile").read_text()).values():
        for keyword, rest in stage:
            if keyword == "COPY" and not rest.startswith("--from"):
                needed |= {source.rstrip("/") for source in rest.split()[:-1]}
            if keyword == "RUN":
                needed |= set(re.findall(r"type=bind,source=([^,\s]+)", rest))
    assert needed == set(allowed)
    for source in needed - {"uv.lock"}:  # uv.lock: made by `make setup`, then committed
        assert (rendered / source).exists(), source
    for secret in (".env", ".git", ".venv", "mlflow.db", "mlruns"):
        assert secret not in allowed


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default project with the uv.lock its `make setup` would write."""
    project = generate(tmp_path_factory.mktemp("docker-build") / "project").path
    run(project, "uv", "lock")
    return project


def test_builder_stage_replayed_gives_an_environment_that_needs_no_source(
    locked: Path, tmp_path: Path
) -> None:
    """The builder's two `uv sync` runs, on the files its COPYs and mounts provide."""
    builder = stages((locked / "Dockerfile").read_text())["builder"]
    app = tmp_path / "app"
    app.mkdir()
    env = project_env()
    for setting in next(rest for keyword, rest in builder if keyword == "ENV").split():
        key, _, value = setting.partition("=")
        env[key] = value.replace("/app", str(app))
    env.pop("UV_PYTHON")  # python3.X of the image: here, the interpreter of this machine
    # Copies and bytecode make image layers self-contained; here they only cost time.
    env["UV_LINK_MODE"] = "hardlink"
    env.pop("UV_COMPILE_BYTECODE")
    for keyword, rest in builder:
        if keyword == "COPY" and not rest.startswith("--from"):
            *sources, _ = rest.split()
            for source in sources:
                if (locked / source).is_dir():
                    shutil.copytree(locked / source, app / source)
                else:
                    shutil.copy2(locked / source, app / source)
        if keyword == "RUN":
            mounts = re.findall(r"type=bind,source=([^,\s]+),target=([^,\s]+)", rest)
            for source, target in mounts:
                shutil.copy2(locked / source, app / target)
            command = rest[rest.index("uv sync") :]
            subprocess.run(command.split(), cwd=app, env=env, check=True, capture_output=True)
            for _, target in mounts:  # a bind mount leaves nothing in the layer
                (app / target).unlink()
    # The train stage: the environment, params.yaml, the contract and data, no source tree.
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    shutil.copy2(locked / "params.yaml", runtime / "params.yaml")
    shutil.copy2(locked / "contract.yaml", runtime / "contract.yaml")
    shutil.copytree(locked / "data", runtime / "data")
    cli = (
        app
        / ".venv"
        / "bin"
        / yaml.safe_load((locked / ".copier-answers.yml").read_text())["project_slug"]
    )
    shutil.rmtree(app / "src")
    completed = subprocess.run(
        [str(cli), "validate"],
        cwd=runtime,
        env=project_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "training data meets its contract" in completed.stdout
    dev_tools = list((app / ".venv" / "bin").glob("pytest")) + list(
        (app / ".venv" / "bin").glob("mypy")
    )
    assert dev_tools == [], "--no-dev: the image carries no test tooling"
