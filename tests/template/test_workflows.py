"""The CI/CT/CD workflows of generated projects: validators, structure, and local runs.

1. Validators (tests/support/validators.py) on every representative answer set: actionlint
   with shellcheck on `run:` blocks, `zizmor --offline` with zero findings, the
   GitHub JSON schemas of check-jsonschema, yamllint; shellcheck on scripts/.
2. Structure: the hardening rules (least privilege, SHA pins with a version comment,
   no credentials left in checkouts, concurrency, timeouts, no expression expanded in a
   script), the four CT triggers, the CD environments, the rollback and the contract
   that every step is a make target or the forgeml CLI.
3. "Local CI": each workflow's `run:` steps, parsed from the YAML, run for real in one
   installed project: the lint and test jobs of ci.yml, the policy job, CT's training
   job, the drift check, CD's model lookup and smoke test against a served model, and
   the template update. Steps that need GitHub (`uses:` actions: checkout, setup-*,
   uploads, OIDC, registry login) are skipped by design; so is anything that needs a
   Docker engine, which this machine does not have (deploy.sh runs against a fake
   `docker` that records the calls).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import __version__
from generator.commands.new import create_project
from tests.support.cases import ALL_CASES, REPRESENTATIVE
from tests.support.generated import REPO_ROOT, generate, project_env, run, served
from tests.support.template_factory import (
    build_template,
    commit_all,
    commit_and_tag,
    generate_project,
)
from tests.support.validators import YAMLLINT_CONFIG, check, require

WORKFLOWS = ("ci", "ct", "cd", "monitor", "template-update")
ACTIONS = ("cloud-auth", "registry-login")

# Every third-party action, pinned to the commit of the release in the comment. One
# table, so a typo in one workflow's SHA, or two workflows on different releases,
# fails here. Template releases move them (generated projects' Dependabot covers uv.lock only).
PINS = {
    "actions/checkout": ("08c6903cd8c0fde910a37f88322edcfb5dd907a8", "v5.0.0"),
    "actions/setup-python": ("e797f83bcb11b83ae66e0230d6156d7c80228e7c", "v6.0.0"),
    "astral-sh/setup-uv": ("85856786d1ce8acfbcc2f13a5f3fbd6b938f9f41", "v7.1.2"),
    "actions/upload-artifact": ("330a01c490aca151604b8cf639adc76d48f6c5d4", "v5.0.0"),
    "actions/cache": ("0057852bfaa89a56745cba8c7296529d2fc39830", "v4.3.0"),
    "github/codeql-action/upload-sarif": ("0499de31b99561a6d14a36a5f662c2a54f91beee", "v4.31.2"),
    "peter-evans/create-pull-request": ("271a8d0340265f705b14b6d32b9829c1cb33d45e", "v7.0.8"),
    "aws-actions/configure-aws-credentials": (
        "a03048d87541d1d9fcf2ecf528a4a65ba9bd7838",
        "v5.0.0",
    ),
    "docker/login-action": ("5e57cd118135c172c3672efd75eb46360885c0ef", "v3.6.0"),
    "actions/download-artifact": ("634f93cb2916e3fdff6788551b99b062d0335ce0", "v5.0.0"),
    "google-github-actions/auth": ("7c6bc770dae815cd3e89ee6cdf493a5fab2cc093", "v3.0.0"),
    "azure/login": ("a457da9ea143d694b1b9c7c869ebb04ebe844ef5", "v2.3.0"),
}
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"^\s+# (?P<version>v\d+\.\d+\.\d+)$")

# What a `run:` line may be: a make target, the forgeml CLI, installing forgeml, or a
# make target's output stored as a step output. Anything else is logic in YAML.
RUN_LINE = re.compile(
    r"""^(?:make\ [\w-]+.*
        |forgeml\ .*
        |python\ -m\ pip\ install\ --disable-pip-version-check\ "\$FORGEML_SPEC"
        |echo\ "[\w-]+=\$\(make\ --silent\ [\w-]+\)"\ >>\ "\$GITHUB_OUTPUT")$""",
    re.VERBOSE,
)


# --- helpers ------------------------------------------------------------------------


def load(project: Path, name: str) -> dict[str, Any]:
    """A generated workflow; YAML 1.1 reads the key `on` as True, put it back."""
    data = yaml.safe_load((project / ".github" / "workflows" / f"{name}.yml").read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def action(project: Path, name: str) -> dict[str, Any]:
    return yaml.safe_load((project / ".github" / "actions" / name / "action.yml").read_text())


def jobs(project: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name in WORKFLOWS:
        for job_id, job in load(project, name)["jobs"].items():
            yield name, job_id, job


def steps(project: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job_id, job in jobs(project):
        for step in job.get("steps", []):
            yield f"{name}/{job_id}", step
    for name in ACTIONS:
        for step in action(project, name)["runs"]["steps"]:
            yield f"action {name}", step


def step_named(job: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = (step for step in job["steps"] if step.get("name") == name)
    return found


def make_targets(project: Path) -> set[str]:
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))


# The representative answer sets, plus every cloud and deploy target: the workflows
# authenticate and deploy differently for each.
WORKFLOW_CASES = [
    *REPRESENTATIVE,
    "cloud-aws",
    "cloud-gcp-kubernetes",
    "cloud-azure",
    "cloud-aws-kubernetes-longest-names",
    # CT_RUNTIME=rayjob's settings and cluster credentials in ct.yml.
    "engine-ray-regression-cloud-azure-kubernetes",
]


@pytest.fixture(scope="module", params=WORKFLOW_CASES)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project (with git) per representative answer set."""
    return generate(
        tmp_path_factory.mktemp("workflows") / request.param, **ALL_CASES[request.param]
    ).path


@pytest.fixture(scope="module")
def default_rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("workflows-default") / "project").path


# --- 1. validators --------------------------------------------------------------------


def test_actionlint_with_shellcheck_passes(rendered: Path) -> None:
    actionlint = require("actionlint")
    shellcheck = require("shellcheck")
    check(rendered, actionlint, "-shellcheck", shellcheck, "-color=false")


def test_actionlint_and_shellcheck_really_report_problems(tmp_path: Path) -> None:
    """The validators above can fail: a bad expression and an unquoted variable."""
    actionlint = require("actionlint")
    shellcheck = require("shellcheck")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: rm -rf $DIR/*\n      - run: echo ${{ github.nope }}\n"
    )
    found = subprocess.run(
        [actionlint, "-shellcheck", shellcheck, "-color=false", str(workflows / "bad.yml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 1
    assert "SC2086" in found.stdout, found.stdout
    assert "nope" in found.stdout


def test_zizmor_offline_has_no_findings(rendered: Path) -> None:
    zizmor = require("zizmor")
    report = check(rendered, zizmor, "--offline", "--format", "json", ".")
    assert json.loads(report.stdout) == []


def test_zizmor_really_reports_findings(tmp_path: Path) -> None:
    zizmor = require("zizmor")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    found = subprocess.run(
        [zizmor, "--offline", "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    audits = {finding["ident"] for finding in json.loads(found.stdout)}
    assert {"template-injection", "unpinned-uses", "artipacked"} <= audits, audits


def test_github_json_schemas_accept_workflows_actions_and_dependabot(rendered: Path) -> None:
    checker = require("check-jsonschema")
    github = rendered / ".github"
    check(
        rendered,
        checker,
        "--builtin-schema",
        "vendor.github-workflows",
        *(str(github / "workflows" / f"{name}.yml") for name in WORKFLOWS),
    )
    check(
        rendered,
        checker,
        "--builtin-schema",
        "vendor.github-actions",
        *(str(github / "actions" / name / "action.yml") for name in ACTIONS),
    )
    check(
        rendered, checker, "--builtin-schema", "vendor.dependabot", str(github / "dependabot.yml")
    )


def test_yamllint_is_clean(rendered: Path) -> None:
    yamllint = require("yamllint")
    check(rendered, yamllint, "--strict", "--config-data", YAMLLINT_CONFIG, ".github")


def test_scripts_are_shellcheck_clean(rendered: Path) -> None:
    shellcheck = require("shellcheck")
    # deploy.sh sources one file per kind of target from scripts/deploy/: each file is
    # checked on its own and, followed (--external-sources), as part of deploy.sh.
    scripts = sorted(str(path) for path in (rendered / "scripts").rglob("*.sh"))
    # scripts/k8s-validate.sh comes with the Kubernetes manifests, scripts/ct-job.sh with
    # a cloud, scripts/rayjob.sh with both and the ray engine.
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    kubernetes = (rendered / "deploy" / "k8s").is_dir()
    rayjob = kubernetes and answers.get("engine") == "ray"
    assert len(scripts) == 11 + kubernetes + (answers["cloud"] != "none") + rayjob
    check(rendered, shellcheck, "--severity=style", "--external-sources", *scripts)


# --- 2. structure -----------------------------------------------------------------------


def test_generated_workflows_are_exactly_these(rendered: Path) -> None:
    github = rendered / ".github"
    assert sorted(path.stem for path in (github / "workflows").iterdir()) == sorted(WORKFLOWS)
    assert sorted(path.name for path in (github / "actions").iterdir()) == sorted(ACTIONS)


def test_permissions_are_read_only_at_the_top_and_narrow_per_job(rendered: Path) -> None:
    writes: dict[str, set[str]] = {}
    for name in WORKFLOWS:
        top = load(rendered, name)["permissions"]
        assert top in ({}, {"contents": "read"}), f"{name}: top-level permissions {top}"
    for name, job_id, job in jobs(rendered):
        assert "permissions" in job, f"{name}/{job_id} has no permissions"
        granted = {scope for scope, level in job["permissions"].items() if level == "write"}
        writes[f"{name}/{job_id}"] = granted
    expected = {
        "ci/policy": {"security-events"},
        "ct/train": {"id-token"},
        "ct/deliver": {"packages", "id-token"},
        # The build hands its images on as an artifact: no registry, no cloud identity.
        "cd/staging": {"packages", "id-token"},
        "cd/production": {"packages", "id-token"},
        "monitor/drift": {"id-token"},
        "monitor/fallback": {"id-token"},
        "monitor/redeploy": {"packages", "id-token"},
        "monitor/alert": {"issues"},
        "monitor/retrain": {"packages", "id-token"},
        "template-update/update": {"contents", "pull-requests"},
    }
    assert {job: granted for job, granted in writes.items() if granted} == expected


def test_every_job_has_a_timeout(rendered: Path) -> None:
    for name, job_id, job in jobs(rendered):
        if "uses" in job:
            # A job that calls a reusable workflow cannot set one: the called
            # workflow's jobs do, and they are checked here too.
            assert job["uses"].startswith("$/.github/workflows/"), job["uses"]
            continue
        limit = 60
        if (name, job_id) == ("ct", "train") and "CT_RUNTIME" in job["env"]:
            # With a cloud, CT's job may wait for the training job on the job runtime,
            # which ct-job.sh stops after CT_JOB_TIMEOUT (2 hours, as the runtimes' own).
            limit = int(job["env"]["CT_JOB_TIMEOUT"]) // 60 + 30
        assert 0 < job["timeout-minutes"] <= limit, f"{name}/{job_id}"


def test_every_workflow_has_a_concurrency_group(rendered: Path) -> None:
    for name in WORKFLOWS:
        concurrency = load(rendered, name)["concurrency"]
        assert concurrency["group"], name
    # Deliveries and trainings queue; they are never cancelled half-way.
    for name in ("ct", "cd", "template-update"):
        assert load(rendered, name)["concurrency"]["cancel-in-progress"] is False


def test_every_action_is_pinned_to_a_full_sha_with_its_version(rendered: Path) -> None:
    github = rendered / ".github"
    files = [*(github / "workflows").glob("*.yml"), *(github / "actions").glob("*/action.yml")]
    seen = set()
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = USES_LINE.match(line)
            if match is None:
                continue
            where = f"{path.relative_to(rendered)}:{number}"
            ref = match["ref"]
            if ref.startswith("$/"):  # this repository, at the workflow's own commit
                assert (rendered / ref[2:]).exists(), where
                continue
            pinned = PINNED.match(ref)
            assert pinned, f"{where}: {ref} is not pinned to a full commit SHA"
            comment = VERSION_COMMENT.match(match["comment"])
            assert comment, f"{where}: no `# vX.Y.Z` comment"
            assert PINS[pinned["action"]] == (pinned["sha"], comment["version"]), where
            seen.add(pinned["action"])
    assert seen == set(PINS), "every pin in the table is used"


def test_checkouts_keep_no_credentials(rendered: Path) -> None:
    checkouts = 0
    for where, step in steps(rendered):
        if step.get("uses", "").startswith("actions/checkout@"):
            checkouts += 1
            assert step["with"]["persist-credentials"] is False, where
    assert checkouts >= 10


def test_no_expression_is_expanded_inside_a_script(rendered: Path) -> None:
    """Inputs, event data and outputs reach scripts through `env:`, never `${{ }}`."""
    scripts = 0
    for where, step in steps(rendered):
        if "run" in step:
            scripts += 1
            assert "${{" not in step["run"], f"{where}: {step['run']}"
    assert scripts >= 20


def test_every_step_is_a_make_target_or_the_cli(rendered: Path) -> None:
    targets = make_targets(rendered)
    called = set()
    for where, step in steps(rendered):
        if "run" not in step or where.startswith("action "):
            continue
        for line in step["run"].strip().splitlines():
            assert RUN_LINE.match(line), f"{where}: `{line}` is logic, not a make target"
            if line.startswith("make "):
                called |= {word for word in line.split()[1:] if re.fullmatch(r"[a-z][\w-]*", word)}
            elif line.startswith("echo "):
                called.add(re.search(r"make --silent ([\w-]+)", line)[1])  # type: ignore[index]
    assert called - {"--silent"} <= targets, f"no such make target: {called - targets}"


def test_ct_has_all_four_triggers_in_one_place(rendered: Path) -> None:
    ct = load(rendered, "ct")
    triggers = ct["on"]
    assert set(triggers) == {"schedule", "workflow_dispatch", "push", "workflow_call"}
    assert triggers["schedule"][0]["cron"]
    assert {"reason", "params", "deliver"} <= set(triggers["workflow_dispatch"]["inputs"])
    dvc = {"dvc.yaml", "dvc.lock"} if _answers(rendered).get("data_versioning") == "dvc" else set()
    assert set(triggers["push"]["paths"]) == {"data/**", "params.yaml", "contract.yaml", *dvc}
    assert set(triggers["workflow_call"]["inputs"]) == set(triggers["workflow_dispatch"]["inputs"])
    # The drift alarm: monitor.yml calls ct.yml when, and only when, drift was found.
    retrain = load(rendered, "monitor")["jobs"]["retrain"]
    assert retrain["uses"] == "$/.github/workflows/ct.yml"
    assert retrain["needs"] == "drift"
    assert "needs.drift.outputs.drifted == 'true'" in retrain["if"]
    drift = load(rendered, "monitor")["jobs"]["drift"]
    assert drift["outputs"]["drifted"] == "${{ steps.drift.outputs.drifted }}"
    # A broken feed alerts (one issue) and never retrains; a live-performance breach, or
    # a failing health check right after a promotion, falls back to the previous
    # champion, redeploys it (cd.yml), then alerts; a failing health check later alerts
    # without a fallback.
    monitor = load(rendered, "monitor")["jobs"]
    assert (
        step_named(
            monitor["drift"], "Health of the service (when the variable SERVICE_URL is set)"
        )["run"]
        == 'make health URL="$SERVICE_URL"'
    )
    assert drift["outputs"]["promoted-recently"] == "${{ steps.health.outputs.promoted-recently }}"
    assert monitor["fallback"]["needs"] == "drift"
    assert "needs.drift.outputs.performance == 'breach'" in monitor["fallback"]["if"]
    assert "needs.drift.outputs.promoted-recently == 'true'" in monitor["fallback"]["if"]
    assert "outputs.health" not in monitor["fallback"]["if"]
    rollback = step_named(
        monitor["fallback"], "Move the champion alias back (audit in artifacts/rollback/)"
    )
    assert rollback["run"] == 'make rollback-model REASON="$REASON"'
    redeploy = monitor["redeploy"]
    assert redeploy["uses"] == "$/.github/workflows/cd.yml"
    assert redeploy["needs"] == "fallback"
    assert "needs.fallback.result == 'success'" in redeploy["if"]
    assert redeploy["with"]["model-version"] == "${{ needs.fallback.outputs.champion }}"
    assert monitor["alert"]["needs"] == ["drift", "fallback"]
    assert "needs.drift.outputs.verdict == 'contract'" in monitor["alert"]["if"]
    assert "needs.drift.outputs.health == 'failure'" in monitor["alert"]["if"]
    alerts = {step["run"]: step["if"] for step in monitor["alert"]["steps"] if "run" in step}
    assert set(alerts) == {f"make alert KIND={kind}" for kind in ("contract", "rollback", "health")}
    assert "needs.drift.outputs.verdict == 'contract'" in alerts["make alert KIND=contract"]
    assert "needs.fallback.result == 'success'" in alerts["make alert KIND=rollback"]
    health_alert = alerts["make alert KIND=health"]
    assert "needs.drift.outputs.health == 'failure'" in health_alert
    assert "needs.drift.outputs.promoted-recently != 'true'" in health_alert


def test_ct_trains_gates_promotes_summarises_and_delivers_only_a_better_model(
    rendered: Path,
) -> None:
    ct = load(rendered, "ct")
    train = ct["jobs"]["train"]
    assert step_named(train, "Validate, train, promote, evaluate")["run"] == "make ct"
    uploads = [s for s in train["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads
    assert uploads[0]["with"]["path"] == "artifacts/ct/"
    deliver = ct["jobs"]["deliver"]
    assert deliver["uses"] == "$/.github/workflows/cd.yml"
    assert "needs.train.outputs.promoted == 'true'" in deliver["if"]
    assert deliver["with"]["model-version"] == "${{ needs.train.outputs.champion }}"


# Where CT trains by default with each cloud and deploy target (scripts/ct-job.sh).
DEFAULT_CT_JOB_TARGET = {
    ("aws", "managed"): "ecs",
    ("aws", "kubernetes"): "eks",
    ("gcp", "managed"): "cloudrun",
    ("gcp", "kubernetes"): "gke",
    ("azure", "managed"): "containerapp",
    ("azure", "kubernetes"): "aks",
}
CT_JOB_SETTINGS = {
    "ecs": {
        *("ECS_CLUSTER", "ECS_TASK_DEFINITION", "ECS_SUBNETS", "ECS_SECURITY_GROUP"),
        "ECS_LOG_GROUP",
    },
    "cloudrun": {"CLOUD_RUN_JOB", "GCP_PROJECT", "GCP_REGION"},
    "containerapp": {"CONTAINER_APP_JOB", "AZURE_RESOURCE_GROUP"},
    "eks": {"KUBE_CLUSTER", "KUBE_NAMESPACE"},
    "gke": {"KUBE_CLUSTER", "KUBE_NAMESPACE", "GCP_PROJECT", "GCP_REGION"},
    "aks": {"KUBE_CLUSTER", "KUBE_NAMESPACE", "AZURE_RESOURCE_GROUP"},
}


def test_ct_trains_on_the_job_runtime_with_a_cloud_and_on_the_runner_without(
    rendered: Path,
) -> None:
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    train = load(rendered, "ct")["jobs"]["train"]
    on_runner = step_named(train, "Validate, train, promote, evaluate")
    names = [step.get("name") for step in train["steps"]]
    if answers["cloud"] == "none":
        assert "if" not in on_runner
        assert "CT_RUNTIME" not in train["env"]
        assert not {"Build and push the training image", "Log in to the registry"} & set(names)
        assert train["outputs"]["promoted"] == "${{ steps.ct.outputs.promoted }}"
        assert "ct-job" not in make_targets(rendered)
        return
    env = train["env"]
    # The job reports through the tracking server: without one, the runner.
    assert env["CT_RUNTIME"] == (
        "${{ vars.CT_RUNTIME || (vars.MLFLOW_TRACKING_URI != '' && 'job') || 'runner' }}"
    )
    target = DEFAULT_CT_JOB_TARGET[(answers["cloud"], answers["deploy_target"])]
    assert env["CT_JOB_TARGET"] == "${{ vars.CT_JOB_TARGET || '" + target + "' }}"
    # Every setting of that runtime is the GitHub variable of the same name.
    for name in CT_JOB_SETTINGS[target] | {"REGISTRY"}:
        assert env[name] == "${{ vars." + name + " }}", name
    assert env["IMAGE_TAG"] == "ct-${{ github.sha }}-${{ github.run_id }}-${{ github.run_attempt }}"
    # One of the two: the runner's `make ct`, or the image and the job.
    assert on_runner["if"] == "${{ env.CT_RUNTIME != 'job' }}"
    login = step_named(train, "Log in to the registry")
    image = step_named(train, "Build and push the training image")
    job = step_named(train, "Train on the job runtime, wait, read the outcome from the registry")
    for step in (login, image, job):
        assert step["if"] == "${{ env.CT_RUNTIME == 'job' }}"
    assert names.index(login["name"]) < names.index(image["name"]) < names.index(job["name"])
    assert login["uses"] == "$/.github/actions/registry-login"
    assert (image["run"], job["run"], job["id"]) == ("make ct-image", "make ct-job", "job")
    assert job["env"] == on_runner["env"]
    for output in ("promoted", "champion"):
        assert train["outputs"][output] == (
            "${{ steps.ct.outputs." + output + " || steps.job.outputs." + output + " }}"
        )
    # The job's timeout fits inside the workflow job's.
    assert int(env["CT_JOB_TIMEOUT"]) < train["timeout-minutes"] * 60


def test_cd_stages_then_production_with_smoke_tests_loadtest_and_rollback(rendered: Path) -> None:
    cd = load(rendered, "cd")
    assert set(cd["on"]) == {"push", "workflow_dispatch", "workflow_call"}
    build, staging, production = (cd["jobs"][name] for name in ("build", "staging", "production"))

    # Built once, without credentials, and handed to each environment as an artifact.
    assert build["permissions"] == {"contents": "read"}
    assert not any("cloud-auth" in step.get("uses", "") for step in build["steps"])
    save = step_named(build, "Build and save the serve and train images")
    assert save["run"] == "make docker-build docker-save"
    tag = save["env"]["IMAGE_TAG"]
    assert "github.sha" in tag
    assert "steps.model.outputs.version" in tag
    assert build["outputs"]["image-tag"] == tag
    upload = step_named(build, "Hand the images to the environment jobs")
    assert upload["with"]["path"] == cd["env"]["IMAGE_ARCHIVE"]

    for job in (staging, production):
        names = [step.get("name") for step in job["steps"]]
        order = [
            names.index(name)
            for name in (
                "Cloud credentials",
                "Log in to the registry",
                "Download the images",
                "Push the images to this environment's registry",
            )
        ]
        assert order == sorted(order)
        push = job["steps"][order[-1]]
        assert push["run"] == "make docker-load docker-push"
        assert job["env"]["IMAGE_TAG"] == "${{ needs.build.outputs.image-tag }}"
        assert job["env"]["REGISTRY"] == "${{ vars.REGISTRY }}"

    assert staging["environment"]["name"] == "staging"
    assert staging["needs"] == "build"
    assert production["environment"]["name"] == "production"
    assert production["needs"] == ["build", "staging"]

    names = [step.get("name") for step in staging["steps"]]
    deploy, smoke, load_test = (
        names.index(name)
        for name in ("Deploy to staging", "Smoke test /health and /predict", "Load test")
    )
    assert deploy < smoke < load_test, "the load test runs after the staging smoke test"
    assert staging["steps"][load_test]["run"] == 'make loadtest BASE_URL="$SERVICE_URL"'

    for job in (staging, production):
        rollback = next(step for step in job["steps"] if step.get("run") == "make rollback")
        assert "failure()" in rollback["if"]
        assert "steps.deploy.outputs.previous-image != ''" in rollback["if"]
        assert rollback["env"]["PREVIOUS_IMAGE"] == "${{ steps.deploy.outputs.previous-image }}"
        assert job["steps"].index(rollback) > [s.get("name") for s in job["steps"]].index(
            "Smoke test /health and /predict"
        )


CLOUD_AUTH_INPUTS = {
    "none": {"aws-role-arn", "aws-region"},
    "aws": {"aws-role-arn", "aws-region"},
    "gcp": {"gcp-workload-identity-provider", "gcp-service-account"},
    "azure": {"azure-client-id", "azure-tenant-id", "azure-subscription-id"},
}
DEFAULT_DEPLOY_TARGET = {
    ("none", "managed"): "docker",
    ("aws", "managed"): "apprunner",
    ("aws", "kubernetes"): "eks",
    ("gcp", "managed"): "cloudrun",
    ("gcp", "kubernetes"): "gke",
    ("azure", "managed"): "containerapp",
    ("azure", "kubernetes"): "aks",
}


def test_every_job_authenticates_to_the_projects_cloud_and_deploys_to_its_service(
    rendered: Path,
) -> None:
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    cloud = answers["cloud"]
    declared = set(action(rendered, "cloud-auth")["inputs"])
    auth_steps = [
        (where, step)
        for where, step in steps(rendered)
        if step.get("uses") == "$/.github/actions/cloud-auth"
    ]
    assert {where for where, _ in auth_steps} == {
        "cd/staging",
        "cd/production",
        "ct/train",
        "monitor/drift",
        "monitor/fallback",
    }
    for where, step in auth_steps:
        assert set(step["with"]) == CLOUD_AUTH_INPUTS[cloud], where
        assert set(step["with"]) <= declared, where
        for name, value in step["with"].items():
            variable = name.upper().replace("-", "_")
            assert value == "${{ vars." + variable + " }}", (where, name)

    target = DEFAULT_DEPLOY_TARGET[(cloud, answers.get("deploy_target", "managed"))]
    for job_id in ("staging", "production"):
        env = load(rendered, "cd")["jobs"][job_id]["env"]
        assert env["DEPLOY_TARGET"] == "${{ vars.DEPLOY_TARGET || '" + target + "' }}"
        # Every other setting is the variable of the same name.
        for name, value in env.items():
            if name not in {"DEPLOY_ENV", "DEPLOY_TARGET", "IMAGE_TAG", "MODEL_VERSION"}:
                reference = "${{ vars." + name
                assert value in (reference + " }}", reference + " || 'http://127.0.0.1:8000' }}"), (
                    job_id,
                    name,
                    value,
                )


def test_policy_job_uploads_sarif_and_writes_the_summary(rendered: Path) -> None:
    policy = load(rendered, "ci")["jobs"]["policy"]
    runs = [step.get("run", "") for step in policy["steps"]]
    assert 'forgeml check --format sarif > "$RUNNER_TEMP/forgeml.sarif"' in runs
    assert 'forgeml check --format markdown >> "$GITHUB_STEP_SUMMARY"' in runs
    upload = next(s for s in policy["steps"] if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ runner.temp }}/forgeml.sarif"
    assert "!cancelled()" in upload["if"]


def test_template_update_opens_a_pull_request_and_never_pushes_main(rendered: Path) -> None:
    workflow = load(rendered, "template-update")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (job,) = workflow["jobs"].values()
    assert step_named(job, "Update the project")["run"] == "make template-update"
    pull_request = step_named(job, "Open the pull request")
    assert pull_request["uses"].startswith("peter-evans/create-pull-request@")
    assert pull_request["with"]["branch"] == "forgeml/template-update"
    assert pull_request["with"]["body-path"] == "${{ steps.update.outputs.body-path }}"
    cache = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == "~/.cache/forgeml"


def test_answers_and_versions_reach_the_workflows(rendered: Path) -> None:
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    dockerfile = (rendered / "Dockerfile").read_text()
    uv_image = re.search(r"^FROM ghcr.io/astral-sh/uv:(\S+) AS uv$", dockerfile, re.MULTILINE)
    assert uv_image
    for name in ("ci", "ct", "cd", "monitor", "template-update"):
        env = load(rendered, name)["env"]
        assert env["PYTHON_VERSION"] == answers["python_version"], name
        if name != "template-update":
            assert env["UV_PYTHON"] == answers["python_version"]
            assert env["UV_PYTHON_DOWNLOADS"] == "never"
            assert env["UV_VERSION"] == uv_image[1], "CI and the image use the same uv"
    for name in ("ci", "template-update"):
        # An organisation-controlled source, never a default bare name on a public index
        # (tests/test_ci_install_source.py: the recorded template commit otherwise).
        assert load(rendered, name)["env"]["FORGEML_SPEC"] == "${{ vars.FORGEML_SPEC }}"
        assert "forgeml==" not in (rendered / ".github" / "workflows" / f"{name}.yml").read_text()


# --- 3a. scripts that need no installed project ----------------------------------------

FAKE_DOCKER = r'''#!/usr/bin/env python3
"""A stand-in for the docker CLI: keeps containers in a JSON file, logs every call."""
import json, os, sys
from pathlib import Path

state_file = Path(os.environ["FAKE_DOCKER_STATE"])
empty = {"containers": {}, "calls": []}
state = json.loads(state_file.read_text()) if state_file.exists() else empty
args = sys.argv[1:]
state["calls"].append(args)
code, out = 0, ""
if args[0] == "inspect":
    container = state["containers"].get(args[-1])
    if container is None:
        code = 1
    else:
        out = json.dumps([{"Config": {"Image": container["image"], "Labels": container["labels"]}}])
elif args[0] == "pull":
    code = 1 if args[-1].startswith("unpullable/") else 0
elif args[0] == "image":
    code = 1
elif args[0] == "rm":
    state["containers"].pop(args[-1], None)
elif args[0] == "run":
    labels, env, rest, i = {}, [], args[1:], 0
    name = None
    while rest[i].startswith("--"):
        flag = rest[i]
        if flag in ("--detach",):
            i += 1
            continue
        value = rest[i + 1]
        if flag == "--name":
            name = value
        elif flag == "--label":
            key, _, label = value.partition("=")
            labels[key] = label
        elif flag in ("--env", "--env-file"):
            env.append(value)
        i += 2
    state["containers"][name] = {
        "image": rest[i], "command": rest[i + 1:], "labels": labels, "env": env
    }
    out = "0123456789ab"
state_file.write_text(json.dumps(state))
print(out)
sys.exit(code)
'''


@pytest.fixture
def fake_docker(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose `docker` is FAKE_DOCKER, and the file holding its state."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER.replace("/usr/bin/env python3", sys.executable, 1))
    docker.chmod(0o755)
    state = tmp_path / "docker.json"
    env = project_env()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["FAKE_DOCKER_STATE"] = str(state)
    for leaked in ("DOCKER_HOST", "RUNNER_ENVIRONMENT", "DEPLOY_TARGET"):
        env.pop(leaked, None)
    return env, state


class Runner:
    """Runs a workflow job's `run:` steps as GitHub would, in a local project.

    Workflow, job and step `env:` entries without expressions apply as written; an
    entry with a `${{ }}` expression takes its value from `values` (what GitHub would
    evaluate it to) or is left out. UV_PYTHON is left out too: the interpreter
    setup-python provides is not on this machine, uv uses the one that is.
    """

    def __init__(self, project: Path, tmp: Path, base_env: dict[str, str] | None = None) -> None:
        self.project = project
        self.tmp = tmp
        self.summary = tmp / "step-summary.md"
        self.outputs_file = tmp / "github-output"
        (tmp / "runner-temp").mkdir(parents=True, exist_ok=True)
        self.base_env = {
            **(base_env or project_env()),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(self.outputs_file),
            "GITHUB_SHA": "0" * 40,
            "RUNNER_TEMP": str(tmp / "runner-temp"),
        }
        self.ran: list[str] = []

    def env(self, *scopes: dict[str, Any] | None, values: dict[str, str]) -> dict[str, str]:
        env = dict(self.base_env)
        for scope in scopes:
            for key, value in (scope or {}).items():
                if "${{" not in str(value):
                    env[key] = str(value)
                elif key in values:
                    env[key] = values[key]
                else:
                    env.pop(key, None)
        env.pop("UV_PYTHON", None)
        return env

    def job(
        self,
        workflow: str,
        job_id: str,
        *,
        values: dict[str, str] | None = None,
        only: tuple[str, ...] | None = None,
        skip: dict[str, str] | None = None,
        check: bool = True,
    ) -> list[subprocess.CompletedProcess[str]]:
        data = load(self.project, workflow)
        job = data["jobs"][job_id]
        results = []
        for step in job["steps"]:
            name = step.get("name", step.get("run", step.get("uses")))
            if "run" not in step:
                print(f"{workflow}/{job_id}: skipped `{name}` (a GitHub action: {step['uses']})")
                continue
            if only is not None and name not in only:
                continue
            if skip and name in skip:
                print(f"{workflow}/{job_id}: skipped `{name}` ({skip[name]})")
                continue
            env = self.env(data.get("env"), job.get("env"), step.get("env"), values=values or {})
            completed = subprocess.run(
                ["bash", "--noprofile", "--norc", "-e", "-c", step["run"]],
                cwd=self.project,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            self.ran.append(step["run"])
            if check:
                assert completed.returncode == 0, (
                    f"{workflow}/{job_id} step `{name}` exited {completed.returncode}: "
                    f"{step['run']}\n--- stdout ---\n{completed.stdout[-6000:]}"
                    f"\n--- stderr ---\n{completed.stderr[-6000:]}"
                )
            results.append(completed)
        return results

    def outputs(self) -> dict[str, str]:
        if not self.outputs_file.exists():
            return {}
        lines = self.outputs_file.read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)


def containers(state: Path) -> dict[str, Any]:
    return json.loads(state.read_text())["containers"]


def test_cd_deploys_records_the_previous_image_and_rolls_back(
    default_rendered: Path, tmp_path: Path, fake_docker: tuple[dict[str, str], Path]
) -> None:
    env, state = fake_docker
    service = "ml-project-staging"
    deploy_env = {"DEPLOY_TARGET": "docker", "MLFLOW_TRACKING_URI": "https://mlflow.example"}

    def deploy(tag: str, version: str) -> dict[str, str]:
        runner = Runner(default_rendered, tmp_path / tag, base_env=env)
        runner.job(
            "cd",
            "staging",
            only=("Deploy to staging",),
            values={
                **deploy_env,
                "REGISTRY": "registry.example",
                "IMAGE_TAG": tag,
                "MODEL_VERSION": version,
            },
        )
        return runner.outputs()

    first = deploy("aaa-model-3", "3")
    assert first == {"previous-image": "", "previous-model-version": ""}
    running = containers(state)[service]
    assert running["image"] == "registry.example/ml-project:aaa-model-3"
    assert running["command"] == [
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
        "--model-version",
        "3",
    ]
    assert running["labels"] == {"org.forgeml.model-version": "3"}
    # The registry URI reaches the container by name: its value is never on a command line.
    assert running["env"] == ["MLFLOW_TRACKING_URI"]

    second = deploy("bbb-model-4", "4")
    assert second == {
        "previous-image": "registry.example/ml-project:aaa-model-3",
        "previous-model-version": "3",
    }
    assert containers(state)[service]["image"].endswith("bbb-model-4")

    # The failed smoke test's rollback step, with the outputs the deploy step recorded.
    runner = Runner(default_rendered, tmp_path, base_env=env)
    runner.job(
        "cd",
        "staging",
        only=("Roll staging back",),
        values={
            **deploy_env,
            "PREVIOUS_IMAGE": second["previous-image"],
            "PREVIOUS_MODEL_VERSION": second["previous-model-version"],
        },
    )
    restored = containers(state)[service]
    assert restored["image"] == "registry.example/ml-project:aaa-model-3"
    assert restored["command"][-2:] == ["--model-version", "3"]


def test_cd_builds_once_and_pushes_the_same_images_to_each_registry(
    default_rendered: Path, tmp_path: Path, fake_docker: tuple[dict[str, str], Path]
) -> None:
    env, state = fake_docker
    tag = "abc123-model-3"
    runner = Runner(default_rendered, tmp_path / "build", base_env=env)
    runner.job(
        "cd",
        "build",
        only=("Build and save the serve and train images",),
        values={"MODEL_VERSION": "3", "IMAGE_TAG": tag},
    )
    calls = json.loads(state.read_text())["calls"]
    builds = [call for call in calls if call[0] == "build"]
    # Built under the default registry: the build job knows no environment's registry.
    assert [call[call.index("--tag") + 1] for call in builds] == [
        "localhost/ml-project:abc123-model-3",
        "localhost/ml-project-train:abc123-model-3",
    ]
    assert ["save", "localhost/ml-project:" + tag, "localhost/ml-project-train:" + tag] in calls

    for environment, registry in (
        ("staging", "staging.example/acme"),
        ("production", "prod.example"),
    ):
        state.write_text(json.dumps({"containers": {}, "calls": []}))
        runner = Runner(default_rendered, tmp_path / environment, base_env=env)
        runner.job(
            "cd",
            environment,
            only=("Push the images to this environment's registry",),
            values={"REGISTRY": registry, "IMAGE_TAG": tag},
        )
        assert json.loads(state.read_text())["calls"] == [
            ["load", "--input", "artifacts/images.tar.gz"],
            ["tag", f"localhost/ml-project:{tag}", f"{registry}/ml-project:{tag}"],
            ["tag", f"localhost/ml-project-train:{tag}", f"{registry}/ml-project-train:{tag}"],
            ["push", f"{registry}/ml-project:{tag}"],
            ["push", f"{registry}/ml-project-train:{tag}"],
        ], environment

    # An environment without REGISTRY stops before touching docker, naming the variable.
    state.write_text(json.dumps({"containers": {}, "calls": []}))
    runner = Runner(default_rendered, tmp_path / "unset", base_env=env)
    (result,) = runner.job(
        "cd",
        "staging",
        only=("Push the images to this environment's registry",),
        values={"IMAGE_TAG": tag},
        check=False,
    )
    assert result.returncode == 2
    assert "set the variable REGISTRY" in result.stderr
    assert json.loads(state.read_text())["calls"] == []


def test_deploy_refuses_production_on_a_hosted_runners_own_docker(
    default_rendered: Path, tmp_path: Path, fake_docker: tuple[dict[str, str], Path]
) -> None:
    env, state = fake_docker
    runner = Runner(
        default_rendered, tmp_path, base_env={**env, "RUNNER_ENVIRONMENT": "github-hosted"}
    )
    (result,) = runner.job(
        "cd",
        "production",
        only=("Deploy to production",),
        values={
            "DEPLOY_TARGET": "docker",
            "REGISTRY": "registry.example",
            "IMAGE_TAG": "1",
            "MODEL_VERSION": "1",
        },
        check=False,
    )
    assert result.returncode != 0
    assert "refusing to run production" in result.stderr
    assert not [call for call in json.loads(state.read_text())["calls"] if call[0] == "run"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEPLOY_TARGET": "ecs"}, "unknown DEPLOY_TARGET 'ecs'"),
        ({"DEPLOY_ENV": "Prod Env"}, "DEPLOY_ENV must be a lowercase name"),
        ({"DEPLOY_ENV": ""}, "set DEPLOY_ENV"),
    ],
)
def test_deploy_rejects_bad_settings_with_exit_code_2(
    default_rendered: Path,
    fake_docker: tuple[dict[str, str], Path],
    env: dict[str, str],
    message: str,
) -> None:
    base, _ = fake_docker
    completed = subprocess.run(
        ["bash", "scripts/deploy.sh", "deploy"],
        cwd=default_rendered,
        env={**base, "SERVICE_NAME": "svc", "DEPLOY_ENV": "staging", "IMAGE": "x:1", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert message in completed.stderr


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("tiny") / "template")


def _tiny_project(template: Path, dest: Path, script: Path, version: str = "1.0.0") -> Path:
    project = generate_project(template, dest, version=version)
    (project / "scripts").mkdir(exist_ok=True)
    shutil.copy2(script, project / "scripts" / "template-update.sh")
    return project


def test_template_update_stages_the_update_and_lists_conflicts(
    default_rendered: Path, tiny_template: Path, tmp_path: Path
) -> None:
    project = _tiny_project(
        tiny_template, tmp_path / "project", default_rendered / "scripts" / "template-update.sh"
    )
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("Run `make run`.", "Run `make run` locally."))
    commit_all(project)
    outputs = tmp_path / "github-output"
    completed = subprocess.run(
        ["bash", "scripts/template-update.sh"],
        cwd=project,
        env={**os.environ, "GITHUB_OUTPUT": str(outputs), "UPDATE_DIR": str(tmp_path / "update")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert result == {
        "update": "true",
        "version": "2.0.0",
        "conflicts": "1",
        "body-path": str(tmp_path / "update" / "pr-body.md"),
    }
    body = Path(result["body-path"]).read_text()
    assert "from 1.0.0 to 2.0.0" in body
    assert "| `README.md` |" in body
    assert "`CONTRIBUTING.md`" in body
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    # Everything staged, nothing unmerged (UU): the pull-request action can commit it.
    assert status
    assert all(line[1] == " " for line in status), status
    assert "<<<<<<<" in readme.read_text()
    assert not list(project.glob("*.json")), "the report stays out of the work tree"


def test_template_update_does_nothing_when_up_to_date_and_fails_on_a_refusal(
    default_rendered: Path, tiny_template: Path, tmp_path: Path
) -> None:
    script = default_rendered / "scripts" / "template-update.sh"
    current = _tiny_project(tiny_template, tmp_path / "current", script, version="2.0.0")
    commit_all(current)
    outputs = tmp_path / "github-output"
    env = {**os.environ, "GITHUB_OUTPUT": str(outputs)}
    completed = subprocess.run(
        ["bash", "scripts/template-update.sh"],
        cwd=current,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert outputs.read_text() == "update=false\n"

    dirty = _tiny_project(tiny_template, tmp_path / "dirty", script)  # script uncommitted
    completed = subprocess.run(
        ["bash", "scripts/template-update.sh"],
        cwd=dirty,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert "refused or failed" in completed.stderr


# --- 3b. local CI in one installed project --------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default project from a tagged release of this checkout, set up, uv.lock committed."""
    root = tmp_path_factory.mktemp("local-ci")
    release = root / "template"
    release.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", release / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", release / "template")
    subprocess.run(["git", "init", "--quiet"], cwd=release, check=True)
    commit_and_tag(release, __version__)
    project = create_project(
        root / "project", data={}, template=str(release), vcs_ref=__version__, defaults=True
    ).path
    run(project, "make", "setup")
    commit_all(project, "Lock the environment")
    return project


@pytest.fixture(scope="module")
def trained(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """ct.yml's training job, run once: the model the later tests use."""
    tmp = tmp_path_factory.mktemp("ct")
    runner = Runner(installed, tmp)
    runner.job("ct", "train", values={"CT_REASON": "local CI test", "PARAMS": "params.yaml"})
    return {"outputs": runner.outputs(), "summary": runner.summary.read_text(), "ran": runner.ran}


def test_ci_lint_and_test_jobs_pass_locally(installed: Path, tmp_path: Path) -> None:
    runner = Runner(installed, tmp_path)
    runner.job("ci", "lint")
    runner.job("ci", "test")
    assert runner.ran == [
        "make lock-check",
        "make sync",
        "make precommit",
        "make lint",
        "make docs",
        "make sync",
        "make coverage",
        "make validate",
    ]
    coverage = (installed / "artifacts" / "coverage.xml").read_text()
    assert "<coverage" in coverage


def test_ci_policy_job_checks_the_project(installed: Path, tmp_path: Path) -> None:
    runner = Runner(installed, tmp_path)
    runner.job(
        "ci",
        "policy",
        skip={"Install forgeml": "forgeml is installed in the test environment"},
    )
    sarif = json.loads((tmp_path / "runner-temp" / "forgeml.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"] == []
    assert "## forgeml check" in runner.summary.read_text()


def test_ct_job_trains_promotes_and_summarises(trained: dict[str, Any]) -> None:
    assert trained["ran"] == ["make sync", "make ct"]
    assert trained["outputs"] == {"promoted": "true", "champion": "1", "challenger": "1"}
    summary = trained["summary"]
    assert "## Continuous training" in summary
    assert "| trigger | local CI test |" in summary
    assert "challenger promoted" in summary
    for heading in ("### validate", "### train", "### promote", "### evaluate"):
        assert heading in summary
    assert "quality gates:" in summary


def test_monitor_job_tells_a_broken_feed_from_drift(
    installed: Path, trained: dict[str, Any], tmp_path: Path
) -> None:
    with (installed / "data" / "sample.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    shifted = tmp_path / "shifted.csv"
    with shifted.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({key: float(value) * 1.5 for key, value in row.items()} for row in rows)
    broken = tmp_path / "broken.csv"
    with broken.open("w", newline="") as handle:  # a column is missing
        writer = csv.DictWriter(handle, fieldnames=list(rows[0])[1:], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    cases = (
        ("data/sample.csv", "ok", "false"),
        (str(shifted), "drift", "true"),
        (str(broken), "contract", "false"),
    )
    for batch, verdict, drifted in cases:
        runner = Runner(installed, tmp_path / verdict)
        runner.job(
            "monitor",
            "drift",
            values={"CURRENT": batch},
            skip={"Health of the service (when the variable SERVICE_URL is set)": "no URL"},
        )
        assert runner.outputs() == {
            "verdict": verdict,
            "drifted": drifted,
            "performance": "skipped",
        }
        summary = runner.summary.read_text()
        assert "## Monitor" in summary
        assert ("**drift detected**" in summary) == (verdict == "drift")
        assert ("**the feed broke its data contract**" in summary) == (verdict == "contract")
        report = json.loads((installed / "artifacts" / "monitor" / "drift_report.json").read_text())
        assert report["verdict"] == verdict


def test_cd_model_lookup_and_smoke_test_against_a_served_model(
    installed: Path, trained: dict[str, Any], tmp_path: Path
) -> None:
    runner = Runner(installed, tmp_path)
    runner.job("cd", "build", only=("Model version to serve",), values={"MODEL_VERSION": ""})
    assert runner.outputs() == {"version": trained["outputs"]["champion"]}

    with served(installed, tmp_path / "serve.log") as (url, _):
        (smoke,) = runner.job(
            "cd", "staging", only=("Smoke test /health and /predict",), values={"SERVICE_URL": url}
        )
        assert f"smoke test passed: {url} answers with model version 1" in smoke.stdout

    # Nothing answers any more: the same step fails, which is what triggers the rollback.
    runner.base_env["SMOKE_TIMEOUT"] = "3"
    started = time.monotonic()
    (failed,) = runner.job(
        "cd",
        "production",
        only=("Smoke test /health and /predict",),
        values={"SERVICE_URL": url},
        check=False,
    )
    assert failed.returncode != 0
    assert "smoke test failed" in failed.stderr
    assert time.monotonic() - started < 60


def test_monitor_health_check_blames_only_a_recent_promotion(
    installed: Path, trained: dict[str, Any], tmp_path: Path
) -> None:
    """scripts/health.sh as the monitor's drift job runs it: a healthy service; a dead
    one whose champion was promoted minutes ago (by the `trained` fixture: fall back);
    the same with a window shorter than that (an alert, no fallback)."""
    step = ("Health of the service (when the variable SERVICE_URL is set)",)
    with served(installed, tmp_path / "serve.log") as (url, _):
        runner = Runner(installed, tmp_path / "healthy")
        runner.job("monitor", "drift", only=step, values={"SERVICE_URL": url})
        assert runner.ran == ['make health URL="$SERVICE_URL"']
        assert runner.outputs() == {"health": "ok", "promoted-recently": ""}

    params = yaml.safe_load((installed / "params.yaml").read_text(encoding="utf-8"))
    params["promotion"]["fallback_window_hours"] = 1e-6  # under 4 ms
    short_window = tmp_path / "short-window.yaml"
    short_window.write_text(yaml.safe_dump(params), encoding="utf-8")
    cases = (
        ("params.yaml", "true", "right after a promotion"),
        (str(short_window), "false", "not just promoted"),
    )
    for params_path, recent, summary in cases:
        runner = Runner(installed, tmp_path / recent)
        runner.base_env["SMOKE_TIMEOUT"] = "3"  # nothing answers at url any more
        runner.base_env["PARAMS"] = params_path
        (completed,) = runner.job("monitor", "drift", only=step, values={"SERVICE_URL": url})
        assert runner.outputs() == {"health": "failure", "promoted-recently": recent}
        assert summary in runner.summary.read_text()
        assert "smoke test failed" in completed.stderr


def test_template_update_job_finds_the_project_up_to_date(installed: Path, tmp_path: Path) -> None:
    runner = Runner(installed, tmp_path)
    runner.job(
        "template-update",
        "update",
        skip={"Install forgeml": "forgeml is installed in the test environment"},
        values={"UPDATE_DIR": str(tmp_path / "update")},
    )
    assert runner.ran == ["make template-update"]
    assert runner.outputs() == {"update": "false"}


def _answers(rendered: Path) -> dict[str, Any]:
    return yaml.safe_load((rendered / ".copier-answers.yml").read_text(encoding="utf-8"))


def test_ct_pulls_and_reproduces_dvc_data_only_with_dvc(rendered: Path) -> None:
    answers = _answers(rendered)
    train = load(rendered, "ct")["jobs"]["train"]
    names = [step.get("name") for step in train["steps"]]
    pull, repro = "Pull the versioned data (DVC)", "Reproduce the DVC pipeline"
    if answers.get("data_versioning") != "dvc":
        assert pull not in names
        assert repro not in names
        return
    # After the environment is installed, before CT's own training (and its image).
    assert names.index("Install the locked environment") < names.index(pull)
    assert names.index(pull) < names.index(repro)
    assert names.index(repro) < names.index("Validate, train, promote, evaluate")
    assert step_named(train, pull)["run"] == "make data-pull"
    assert step_named(train, repro)["run"] == "make repro REPRO_ARGS=--allow-missing"
    if answers.get("cloud", "none") != "none":
        # Training on the job runtime happens there, not on the runner.
        assert step_named(train, repro)["if"] == "${{ env.CT_RUNTIME != 'job' }}"
    assert {"data-pull", "repro", "data-push"} <= make_targets(rendered)
