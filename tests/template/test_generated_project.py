"""Generated projects, for representative answer sets and the full answer matrix.

Static checks (the exact file set, no Jinja left, ruff clean) run for every combination
of answers: rendering is cheap. Installing a project and running its own `make ci`,
training and serving takes about a minute each, so by default it runs for the
representative answer sets only; `pytest -m slow` runs it for the whole matrix.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.commands.new import NewProject
from tests.support.cases import ALL_CASES, MATRIX, REPRESENTATIVE
from tests.support.generated import (
    documented_predict,
    generate,
    project_env,
    request_json,
    run,
    served,
    wait_ready,
)

# Jinja expressions, statements and comments; f-string braces like `{width}}` and
# GitHub Actions expressions `${{ github.ref }}` (in .github/) are fine.
JINJA_SYNTAX = re.compile(r"(?<!\$)\{\{-?\s*[\w(\"']|\{%|%\}|\{#")

INSTALLED_CASES = [pytest.param(name, id=name) for name in REPRESENTATIVE] + [
    pytest.param(name, id=name, marks=pytest.mark.slow) for name in MATRIX
]


def infra_files(answers: dict[str, Any]) -> set[str]:
    """The infrastructure files of a project: Terraform per cloud, Kubernetes manifests,
    and the documentation page about them."""
    cloud = answers.get("cloud", "none")
    if cloud == "none":
        return set()
    terraform = "infra/terraform"
    files = {f"{terraform}/.gitignore"}
    files |= {
        f"{terraform}/modules/ml_service/{name}.tf"
        for name in ("versions", "variables", "main", "identity", "serving", "training", "outputs")
    }
    for env in ("staging", "prod"):
        files |= {
            f"{terraform}/envs/{env}/{name}"
            for name in (
                "versions.tf",
                "backend.tf",
                "backend.hcl.example",
                "main.tf",
                "variables.tf",
                "outputs.tf",
                "terraform.tfvars.example",
            )
        }
    files.add("docs/infrastructure.md")
    # CT on the cloud's job runtime (ct.yml, CT_RUNTIME=job).
    files |= {"scripts/ct-job.sh", "scripts/ct_job_result.py"}
    if answers.get("deploy_target") == "kubernetes":
        files.add("scripts/k8s-validate.sh")
        files |= {"deploy/k8s/training-job/kustomization.yaml", "deploy/k8s/training-job/job.yaml"}
        files |= {
            f"deploy/k8s/base/{name}.yaml"
            for name in (
                "kustomization",
                "serviceaccount",
                "configmap",
                "deployment",
                "service",
                "hpa",
                "networkpolicy",
                "cronjob",
            )
        }
        for env in ("staging", "prod"):
            files |= {
                f"deploy/k8s/overlays/{env}/{name}.yaml"
                for name in ("kustomization", "configmap-patch", "deployment-patch", "hpa-patch")
            }
        if answers.get("engine") == "ray":
            # The suspended RayJob of `tune` on KubeRay, and the script that runs it.
            files |= {
                "deploy/k8s/components/ray/kustomization.yaml",
                "deploy/k8s/components/ray/rayjob.yaml",
                "scripts/rayjob.sh",
            }
    return files


def engine_files(answers: dict[str, Any]) -> set[str]:
    """The Ray engine's module, its tests and its page (engine = ray)."""
    if answers.get("engine", "local") != "ray":
        return set()
    return {
        f"src/{answers['package_name']}/ray_engine.py",
        "tests/test_ray_engine.py",
        "docs/ray.md",
    }


def example_pictures(answers: dict[str, Any]) -> set[str]:
    """The docs' example figures (scripts/example_figures.py draws them)."""
    per_task = (
        ["confusion_matrix", "roc_curve", "precision_recall"]
        if answers.get("ml_task", "classification") == "classification"
        else ["prediction_error", "residuals"]
    )
    names = [
        *per_task,
        "permutation_importance",
        "promotion",
        "loadtest_latency_histogram",
        "loadtest_throughput",
    ]
    # The drift report's panels are SVG, as the report inlines them.
    drift = {"docs/images/drift_numeric.svg", "docs/images/drift_categorical.svg"}
    return {f"docs/images/{name}.png" for name in names} | drift


def data_files(answers: dict[str, Any]) -> set[str]:
    """The storage tests of the project's cloud (against a local S3 or Azure endpoint;
    GCS has no emulator to test against), and DVC's files with data_versioning=dvc."""
    files = {
        "aws": {"tests/test_storage_s3.py"},
        "azure": {"tests/test_storage_azure.py"},
    }.get(answers.get("cloud", "none"), set())
    if answers.get("data_versioning", "none") == "dvc":
        files |= {"dvc.yaml", ".dvcignore", ".dvc/config", ".dvc/.gitignore"}
    return files


def expected_files(answers: dict[str, Any]) -> set[str]:
    """Every file a project with these answers must contain, and nothing else."""
    package = f"src/{answers['package_name']}"
    optional = infra_files(answers) | data_files(answers) | engine_files(answers)
    return optional | {
        ".copier-answers.yml",
        ".gitignore",
        ".pre-commit-config.yaml",
        "LICENSE",
        "Makefile",
        "README.md",
        "contract.yaml",
        "data/sample.csv",
        f"data/{'wine' if answers['ml_task'] == 'classification' else 'diabetes'}.csv",
        "forgeml-policy.toml",
        "params.yaml",
        "pyproject.toml",
        # The project's documentation site (`make docs`).
        "mkdocs.yml",
        "docs/data.md",
        "docs/index.md",
        "docs/operations.md",
        "docs/own-data.md",
        "docs/pipeline.md",
        "docs/serving.md",
        *example_pictures(answers),
        # CI/CT/CD: workflows, their local actions, images and the scripts they run.
        ".dockerignore",
        ".github/actions/cloud-auth/action.yml",
        ".github/actions/registry-login/action.yml",
        ".github/dependabot.yml",
        ".github/workflows/cd.yml",
        ".github/workflows/ci.yml",
        ".github/workflows/ct.yml",
        ".github/workflows/monitor.yml",
        ".github/workflows/template-update.yml",
        ".hadolint.yaml",
        "Dockerfile",
        "scripts/alert.sh",
        "scripts/ct.sh",
        "scripts/deploy.sh",
        "scripts/deploy/apprunner.sh",
        "scripts/deploy/cloudrun.sh",
        "scripts/deploy/containerapp.sh",
        "scripts/deploy/docker.sh",
        "scripts/deploy/kubernetes.sh",
        "scripts/forgeml_source.py",
        "scripts/health.sh",
        "scripts/model_version.py",
        "scripts/monitor.sh",
        "scripts/template-update.sh",
        f"{package}/__init__.py",
        f"{package}/__main__.py",
        f"{package}/cli.py",
        f"{package}/config.py",
        f"{package}/contract.py",
        f"{package}/errors.py",
        f"{package}/evaluate.py",
        f"{package}/explain.py",
        f"{package}/features.py",
        f"{package}/figures.py",
        f"{package}/drift_report.py",
        f"{package}/svg_charts.py",
        f"{package}/infer.py",
        f"{package}/ingest.py",
        f"{package}/loadtest.py",
        f"{package}/local_registry.py",
        f"{package}/limits.py",
        f"{package}/observe.py",
        f"{package}/metrics.py",
        f"{package}/model_card.py",
        f"{package}/monitor.py",
        f"{package}/predict.py",
        f"{package}/promote.py",
        f"{package}/registry.py",
        f"{package}/schemas.py",
        f"{package}/scorer.py",
        f"{package}/serve.py",
        f"{package}/storage.py",
        f"{package}/yamlfile.py",
        f"{package}/train.py",
        f"{package}/validate.py",
        "tests/conftest.py",
        "tests/test_cli.py",
        "tests/test_config.py",
        "tests/test_contract.py",
        "tests/test_data_contract.py",
        "tests/test_explain.py",
        "tests/test_features.py",
        "tests/test_figures.py",
        "tests/test_ingest.py",
        "tests/test_loadtest.py",
        "tests/test_local_registry.py",
        "tests/test_model_card.py",
        "tests/test_monitor.py",
        "tests/test_pipeline.py",
        "tests/test_predict.py",
        "tests/test_promote.py",
        "tests/test_quality_gates.py",
        "tests/test_scorer.py",
        "tests/test_svg_charts.py",
        "tests/test_serve.py",
        "tests/test_storage.py",
    }


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], NewProject]:
    """Render each case at most once per session, with git, as a user would get it."""
    root = tmp_path_factory.mktemp("rendered")
    projects: dict[str, NewProject] = {}

    def render_case(case: str) -> NewProject:
        if case not in projects:
            projects[case] = generate(root / case, **ALL_CASES[case])
        return projects[case]

    return render_case


def _tracked_files(project: Path) -> set[str]:
    listing = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True
    )
    return set(listing.stdout.splitlines())


@pytest.mark.parametrize("case", ALL_CASES)
def test_generated_files_are_exactly_the_expected_set(
    render: Callable[[str], NewProject], case: str
) -> None:
    project = render(case)
    on_disk = {
        path.relative_to(project.path).as_posix()
        for path in project.path.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project.path).parts
    }
    assert on_disk == expected_files(project.answers)
    assert _tracked_files(project.path) == on_disk, "the first commit holds every file"


@pytest.mark.parametrize("case", ALL_CASES)
def test_no_template_syntax_is_left_in_any_file(
    render: Callable[[str], NewProject], case: str
) -> None:
    project = render(case)
    for relative in _tracked_files(project.path):
        if relative.endswith(".png"):  # the docs' example pictures: binary, never rendered
            continue
        text = (project.path / relative).read_text(encoding="utf-8")
        leftover = JINJA_SYNTAX.search(text)
        assert leftover is None, f"{relative} contains {leftover.group()!r}"


@pytest.mark.parametrize("case", ALL_CASES)
def test_ruff_check_and_format_are_clean(render: Callable[[str], NewProject], case: str) -> None:
    project = render(case)
    run(project.path, "ruff", "check", "--no-cache", ".")
    run(project.path, "ruff", "format", "--check", "--no-cache", ".")


@pytest.mark.parametrize("case", ALL_CASES)
def test_answers_reach_the_files_that_use_them(
    render: Callable[[str], NewProject], case: str
) -> None:
    project = render(case)
    answers = project.answers
    pyproject = (project.path / "pyproject.toml").read_text(encoding="utf-8")
    assert f'name = "{answers["project_slug"]}"' in pyproject
    assert 'requires-python = ">=3.11"' in pyproject, "the floor stays testable on 3.11"
    assert json.dumps(answers["description"], ensure_ascii=False) in pyproject
    license_text = (project.path / "LICENSE").read_text(encoding="utf-8")
    if answers["license"] == "Apache-2.0":
        assert "Apache License" in license_text
    else:
        assert answers["author_name"] in license_text
        assert ".." not in license_text
    params = yaml.safe_load((project.path / "params.yaml").read_text(encoding="utf-8"))
    assert params, "params.yaml parses"
    readme = (project.path / "README.md").read_text(encoding="utf-8")
    assert answers["project_name"] in readme
    cloud, target = answers.get("cloud", "none"), answers.get("deploy_target")
    assert ("## Infrastructure and deployment" in readme) == (cloud != "none")
    assert ("deploy/k8s" in readme) == (target == "kubernetes" and cloud != "none")
    if cloud != "none":
        for env in ("staging", "prod"):
            example = project.path / f"infra/terraform/envs/{env}/terraform.tfvars.example"
            text = example.read_text(encoding="utf-8")
            assert ("create_service = false" in text) == (target == "kubernetes")
            assert f'/{answers["project_slug"]}"' in text


@pytest.fixture(scope="module", params=INSTALLED_CASES)
def installed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project with its environment installed by its own `make setup`."""
    case = request.param
    project = generate(tmp_path_factory.mktemp("installed") / case, **ALL_CASES[case])
    run(project.path, "make", "setup")
    return project.path


def test_make_ci_passes(installed: Path) -> None:
    # As from a shell with another environment activated (forgeml's own, say): uv used to
    # warn that VIRTUAL_ENV does not match .venv once per command.
    other = {"VIRTUAL_ENV": str(installed.parent / "another-venv")}
    completed = run(installed, "make", "ci", env=other)
    assert "ci: all checks passed" in completed.stdout
    assert "VIRTUAL_ENV" not in completed.stdout + completed.stderr
    assert (installed / "site" / "index.html").is_file(), "make ci builds the docs"


def test_make_docs_fails_on_a_broken_link(installed: Path) -> None:
    run(installed, "make", "docs")
    page = installed / "docs" / "pipeline.md"
    original = page.read_text(encoding="utf-8")
    page.write_text(original + "\nSee [the runbook](runbook.md).\n", encoding="utf-8")
    try:
        completed = subprocess.run(
            ["make", "docs"],
            cwd=installed,
            env=project_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        page.write_text(original, encoding="utf-8")
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, f"a link to a missing page must fail the build:\n{output}"
    assert "runbook.md" in output, output


def test_train_then_serve_answers_predict(installed: Path, tmp_path: Path) -> None:
    run(installed, "make", "train")
    with served(installed, tmp_path / "serve.log") as (base, server):
        wait_ready(base, server, tmp_path / "serve.log")

        assert request_json(f"{base}/health")[0] == 200
        status, metadata = request_json(f"{base}/metadata")
        assert status == 200
        assert metadata["model_version"]

        # The record of the contract's examples: every feature, in its JSON type.
        contract = yaml.safe_load((installed / "contract.yaml").read_text(encoding="utf-8"))
        record = {feature["name"]: feature["example"] for feature in contract["features"]}
        status, body = request_json(f"{base}/predict", {"records": [record, record]})
        assert status == 200, body
        assert len(body["predictions"]) == 2
        assert body["model_version"] == metadata["model_version"]

        status, body = request_json(f"{base}/predict", {"records": [{"not_a_feature": 1.0}]})
        assert status == 422, body

        # The example of docs/serving.md works and its response has the real shape.
        example, documented = documented_predict(installed)
        status, body = request_json(f"{base}/predict", example)
        assert status == 200, body
        assert body.keys() == documented.keys()
        assert body["model_name"] == documented["model_name"]
        for got, shown in zip(body["predictions"], documented["predictions"], strict=True):
            assert got.keys() == shown.keys()
            assert got.get("probabilities", {}).keys() == shown.get("probabilities", {}).keys()

        _flood_with_bad_requests(installed, base, tmp_path)

    # The champion's model card, figures included, becomes the docs site's page
    # model-card/ (make model-card-docs, then make docs); the site builds without it too.
    run(installed, "make", "model-card-docs")
    try:
        run(installed, "make", "docs")
        page = (installed / "site" / "model-card" / "index.html").read_text(encoding="utf-8")
        images = re.findall(r'<img alt="[^"]*" src="([^"]+)"', page)
        assert "figures/permutation_importance.png" in images
        for source in images:
            picture = installed / "site" / "model-card" / source
            assert picture.read_bytes().startswith(b"\x89PNG"), source
    finally:
        shutil.rmtree(installed / "artifacts" / "model_card")
        shutil.rmtree(installed / "docs" / "model-card", ignore_errors=True)


def _flood_with_bad_requests(installed: Path, base: str, tmp_path: Path) -> None:
    """The project's own load test floods the real service with requests that break the
    contract, 32 clients sending 1,000 records each (every value out of bounds, of the
    wrong type or missing): every answer is a 422 and /health keeps answering within 1 s.
    The flood queues (large requests take turns), so on a busy machine some clients may
    time out waiting; none may get another answer."""
    report = tmp_path / "flood.json"
    pyproject = tomllib.loads((installed / "pyproject.toml").read_text(encoding="utf-8"))
    (cli,) = pyproject["project"]["scripts"]
    completed = subprocess.run(
        [
            *("uv", "run", "--frozen", cli, "loadtest", "--base-url", base),
            *("--bad-payload", "--records-per-request", "1000", "--concurrency", "32"),
            *("--duration", "5", "--max-requests", "100000", "--report", str(report)),
        ],
        cwd=installed,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert report.exists(), output
    body = json.loads(report.read_text(encoding="utf-8"))
    assert body["outcomes"].get("422", 0) >= 10, output
    assert set(body["outcomes"]) <= {"422", "ReadTimeout"}, output
    assert body["probes"]["count"] >= 10, output
    assert body["probes"]["failed"] == 0, output
    assert body["probes"]["max_ms"] < 1000, output
    # The service is still well: a good request is answered, and /metrics counted the flood.
    status, _ = request_json(f"{base}/health")
    assert status == 200
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert re.search(r'contract_violations_total\{kind="(contract|schema)"\} [1-9]', metrics)


def test_dvc_reproduces_the_pipeline_and_round_trips_the_data(
    installed: Path, tmp_path: Path
) -> None:
    """With data_versioning=dvc, real DVC and a local remote: the data tracked with
    `dvc add`, `make repro` runs the stages (then has nothing to do), the run records
    DVC's md5 as its data version, and `make data-push`/`make data-pull` round-trip it."""
    answers = yaml.safe_load((installed / ".copier-answers.yml").read_text(encoding="utf-8"))
    if answers.get("data_versioning") != "dvc":
        pytest.skip("this case has no DVC (data_versioning = none)")
    data = f"data/{'wine' if answers['ml_task'] == 'classification' else 'diabetes'}.csv"
    dvc = ("uv", "run", "--frozen", "dvc")
    # The remote of a cloud answer is the project's bucket: a local one stands in, as a
    # developer's override in .dvc/config.local (git-ignored).
    run(installed, *dvc, "remote", "modify", "--local", "storage", "url", str(tmp_path / "remote"))
    run(installed, "git", "rm", "--quiet", "--cached", data)
    run(installed, *dvc, "add", data)
    pointer = yaml.safe_load((installed / f"{data}.dvc").read_text(encoding="utf-8"))
    md5 = pointer["outs"][0]["md5"]

    completed = run(installed, "make", "repro")
    for stage in ("validate", "train", "evaluate"):
        assert f"Running stage '{stage}'" in completed.stdout, completed.stdout
    lock = yaml.safe_load((installed / "dvc.lock").read_text(encoding="utf-8"))
    assert set(lock["stages"]) == {"validate", "train", "evaluate"}
    assert {"split", "model"} <= set(lock["stages"]["train"]["params"]["params.yaml"])
    trained = json.loads((installed / "artifacts/dvc/train.json").read_text(encoding="utf-8"))
    assert trained["model_version"]
    card = run(installed, "make", "model-card", f"MODEL_VERSION={trained['model_version']}")
    assert f"`md5:{md5}` (the version committed with DVC)" in card.stdout
    again = run(installed, "make", "repro")
    assert "Running stage" not in again.stdout, again.stdout

    run(installed, "make", "data-push")
    assert any(path.is_file() for path in (tmp_path / "remote").rglob("*"))
    shutil.rmtree(installed / ".dvc" / "cache")
    (installed / data).unlink()
    run(installed, "make", "data-pull")
    assert hashlib.md5((installed / data).read_bytes(), usedforsecurity=False).hexdigest() == md5
