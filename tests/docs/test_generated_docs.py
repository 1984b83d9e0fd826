"""The documentation site of generated projects: it builds strictly and matches the code.

Rendered-only checks, for the representative and the infrastructure answer sets: the
pages change with ml_task, cloud and deploy_target, not with the rest of the matrix.
The site is built here with forgeml's own mkdocs; the installed cases of
test_generated_project.py build it with the project's (`make ci`), show that `make docs`
fails on a broken link, and POST the documented request to the running service.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.commands.new import NewProject
from tests.support.cases import REPRESENTATIVE, STATIC_ONLY
from tests.support.docs import nav_pages
from tests.support.generated import documented_predict, generate

CASES = {**REPRESENTATIVE, **STATIC_ONLY}


@pytest.fixture(scope="module", params=CASES)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> NewProject:
    case = request.param
    return generate(tmp_path_factory.mktemp("docs") / case, **CASES[case])


def _leaf_keys(mapping: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        keys.extend(_leaf_keys(value, f"{name}.") if isinstance(value, dict) else [name])
    return keys


def _record_fields(project: NewProject) -> list[str]:
    """The fields of the API's request record: the features of contract.yaml, in order
    (schemas.py builds the request model from it)."""
    contract = yaml.safe_load((project.path / "contract.yaml").read_text(encoding="utf-8"))
    return [feature["name"] for feature in contract["features"]]


def test_site_builds_strictly_with_every_page_in_the_nav(
    project: NewProject, tmp_path: Path
) -> None:
    config = yaml.safe_load((project.path / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["strict"] is True
    assert config["site_name"] == project.answers["project_name"]
    pages = nav_pages(config["nav"])
    on_disk = sorted(path.name for path in (project.path / "docs").glob("*.md"))
    assert sorted(pages) == on_disk
    assert ("infrastructure.md" in pages) == (project.answers.get("cloud", "none") != "none")

    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "WARNING" not in output, output
    for page in pages:
        built = "index.html" if page == "index.md" else f"{page.removesuffix('.md')}/index.html"
        assert (tmp_path / built).is_file(), f"{page} was not built"


def test_pipeline_page_documents_every_key_of_params_yaml(project: NewProject) -> None:
    params = yaml.safe_load((project.path / "params.yaml").read_text(encoding="utf-8"))
    page = (project.path / "docs" / "pipeline.md").read_text(encoding="utf-8")
    missing = [
        key
        for key in _leaf_keys(params)
        if f"`{key}`" not in page and f"`{key.split('.')[0]}.*`" not in page
    ]
    assert not missing, f"docs/pipeline.md does not document {missing}"
    # The documented defaults of the task's settings are the shipped ones.
    promotion = params["promotion"]
    assert f"| `promotion.metric` | `{promotion['metric']}` |" in page
    assert f"| `promotion.min_improvement` | `{promotion['min_improvement']}` |" in page


def test_request_example_has_exactly_the_api_fields(project: NewProject) -> None:
    request, response = documented_predict(project.path)
    fields = _record_fields(project)
    with (project.path / "data" / "sample.csv").open(newline="", encoding="utf-8") as handle:
        columns = next(csv.reader(handle))
    assert fields == columns, "contract.yaml and data/sample.csv disagree"
    (record,) = request["records"]
    assert list(record) == fields, "docs/serving.md's request is not a valid record"
    assert all(isinstance(value, int | float) for value in record.values())
    assert response["model_name"] == project.answers["project_slug"]
    (prediction,) = response["predictions"]
    expected = {"prediction", "probabilities"}
    if project.answers["ml_task"] == "regression":
        expected = {"prediction"}
    assert prediction.keys() == expected


def test_infrastructure_page_follows_the_answers(project: NewProject) -> None:
    answers = project.answers
    page = project.path / "docs" / "infrastructure.md"
    if answers.get("cloud", "none") == "none":
        assert not page.exists()
        return
    text = page.read_text(encoding="utf-8")
    kubernetes = answers.get("deploy_target") == "kubernetes"
    assert ("## Kubernetes (`deploy/k8s`)" in text) == kubernetes
    for path in ("infra/terraform", "envs/staging", "backend.hcl.example"):
        assert path in text
