"""One generated project with infrastructure, shared by tests/test_infra.py and
tests/test_k8s.py: generating a project takes tens of seconds on a busy machine, so it is
generated at most once per session. The answers cover the most files: AWS Terraform with
the service on Kubernetes (deploy/k8s). tests/test_generated_project.py checks the exact
file sets of the other answer combinations, `cloud = none` included."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import generate

ANSWERS = {"cloud": "aws", "deploy_target": "kubernetes"}
_generated: dict[str, Path] = {}


def infra_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if "project" not in _generated:
        root = tmp_path_factory.mktemp("infra-project")
        _generated["project"] = generate(root / "ml-project", **ANSWERS).path
    return _generated["project"]
