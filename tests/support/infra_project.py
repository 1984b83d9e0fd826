"""One generated project with infrastructure, shared by tests/template/test_infra.py and
tests/template/test_k8s.py: generating a project takes tens of seconds on a busy machine, so
it is generated at most once per session and cloud. AWS is generated with the service on
Kubernetes (deploy/k8s, the most files), GCP and Azure with their managed services, so
both deploy targets are covered. tests/template/test_generated_project.py checks the exact
file sets of the other answer combinations, `cloud = none` included."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.generated import generate

ANSWERS = {
    "aws": {"cloud": "aws", "deploy_target": "kubernetes"},
    "gcp": {"cloud": "gcp", "deploy_target": "managed"},
    "azure": {"cloud": "azure", "deploy_target": "managed"},
}
_generated: dict[str, Path] = {}


def infra_project(tmp_path_factory: pytest.TempPathFactory, cloud: str = "aws") -> Path:
    if cloud not in _generated:
        root = tmp_path_factory.mktemp(f"infra-project-{cloud}")
        _generated[cloud] = generate(root / "ml-project", **ANSWERS[cloud]).path
    return _generated[cloud]
