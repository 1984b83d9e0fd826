"""The Ray engine of a generated project (engine = ray).

By default: the RayJob of a Kubernetes project, rendered by the real kustomize in each
overlay and validated against KubeRay's RayJob schema (tests/support, trimmed from
KubeRay v1.7.0's CRD); scripts/rayjob.sh driven against a kubectl replaced at its
command line; shellcheck. The file sets and ruff of engine=ray projects are
tests/template/test_generated_project.py's cases.

Under `-m slow`: a generated engine=ray project installed with its own `make setup`
runs its Ray tests (`make test-ray`) on a local Ray instance: a two-sample search whose
best configuration is trained through the gates, and map_batches scoring compared
with `predict`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.generated import generate, run
from tests.support.validators import console_script
from tests.template.test_k8s import kustomize

SCHEMA = Path(__file__).parents[1] / "support" / "kuberay_rayjob_v1.7.0.schema.json"
ENVS = ("staging", "prod")
ANSWERS = {"engine": "ray", "cloud": "aws", "deploy_target": "kubernetes"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("ray-k8s") / "ml-project", **ANSWERS).path


def _rayjobs(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == "RayJob"]


@pytest.mark.parametrize("env", ENVS)
def test_each_overlay_renders_one_suspended_rayjob_valid_for_kuberay(
    project: Path, env: str
) -> None:
    manifests = kustomize(project / "deploy" / "k8s" / "overlays" / env)
    (rayjob,) = _rayjobs(manifests)
    jsonschema.validate(rayjob, json.loads(SCHEMA.read_text("utf-8")))
    spec = rayjob["spec"]
    assert rayjob["apiVersion"] == "ray.io/v1"
    assert rayjob["metadata"]["namespace"] == f"ml-project-{env}"
    assert spec["suspend"] is True, "applying the overlay must not start work"
    assert spec["entrypoint"] == "ml-project tune --promote --params /app/params.yaml"
    assert spec["shutdownAfterJobFinishes"] is True
    cluster = spec["rayClusterSpec"]
    pods = [cluster["headGroupSpec"]["template"]] + [
        group["template"] for group in cluster["workerGroupSpecs"]
    ]
    for pod in pods:
        (container,) = pod["spec"]["containers"]
        # The overlay's image, and the registry address of the overlay's ConfigMap.
        assert container["image"] == "registry.example.com/ml-project:set-by-cd"
        assert container["envFrom"] == [{"configMapRef": {"name": "ml-project-config"}}]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp", "/dev/shm"}
        # Not selected by the service's NetworkPolicy, which only opens port 8000.
        assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == "ml-project-ray"
    # The rest of the overlay is unchanged: the local engine's manifests plus the RayJob.
    assert len(manifests) == 8


def test_the_schema_rejects_what_kuberay_would_not_take(project: Path) -> None:
    (rayjob,) = _rayjobs(kustomize(project / "deploy" / "k8s" / "overlays" / "staging"))
    schema = json.loads(SCHEMA.read_text("utf-8"))
    assert "v1.7.0" in schema["$comment"]
    typo = json.loads(json.dumps(rayjob))
    typo["spec"]["suspnd"] = typo["spec"].pop("suspend")
    with pytest.raises(jsonschema.ValidationError, match="suspnd"):
        jsonschema.validate(typo, schema)
    wrong_type = json.loads(json.dumps(rayjob))
    wrong_type["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["minReplicas"] = "one"
    with pytest.raises(jsonschema.ValidationError, match="integer"):
        jsonschema.validate(wrong_type, schema)


def test_a_local_project_has_no_ray(tmp_path: Path) -> None:
    project = generate(tmp_path / "local", cloud="aws", deploy_target="kubernetes").path
    assert not _rayjobs(kustomize(project / "deploy" / "k8s" / "overlays" / "prod"))
    pyproject = (project / "pyproject.toml").read_text("utf-8")
    assert "ray[" not in pyproject
    assert "tune:" not in (project / "params.yaml").read_text("utf-8")
    assert "\ntune:" not in (project / "Makefile").read_text("utf-8")


def test_ray_projects_depend_on_ray_data_and_tune(project: Path) -> None:
    pyproject = (project / "pyproject.toml").read_text("utf-8")
    assert '"ray[data,tune]>=' in pyproject
    assert '"-m", "not ray"' in pyproject, "make ci leaves the Ray tests out"
    makefile = (project / "Makefile").read_text("utf-8")
    for target in ("tune:", "predict-ray:", "test-ray:"):
        assert f"\n{target}" in makefile
    params = yaml.safe_load((project / "params.yaml").read_text("utf-8"))
    assert params["tune"]["metric"] in params["gates"]


# ---- scripts/rayjob.sh against a kubectl replaced at its command line ----

FAKE_KUBECTL = """#!/usr/bin/env bash
# Records each call; `kustomize` is the real one; `get` answers the next status line.
set -euo pipefail
printf '%s\\n' "$*" >>"$FAKE/calls"
case $1 in
kustomize) exec "$REAL_KUBECTL" "$@" ;;
apply) cp "$3" "$FAKE/applied.yaml" ;;
patch) printf '%s' "${@: -1}" >"$FAKE/patch.json" ;;
get)
	line=$(head -n 1 "$FAKE/statuses")
	if [ "$(wc -l <"$FAKE/statuses")" -gt 1 ]; then sed -i 1d "$FAKE/statuses"; fi
	printf '%b' "$line"
	;;
logs) echo "entrypoint log: registered 'ml-project' version 3 as challenger" ;;
esac
"""


def _rayjob_sh(
    project: Path, tmp_path: Path, statuses: list[str], **env: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    fake = tmp_path / "fake"
    fake.mkdir()
    kubectl = fake / "kubectl"
    kubectl.write_text(FAKE_KUBECTL, "utf-8")
    kubectl.chmod(0o755)
    (fake / "statuses").write_text("\n".join(statuses) + "\n", "utf-8")
    settings = {
        "KUBECTL": str(kubectl),
        "REAL_KUBECTL": console_script("kubectl"),
        "FAKE": str(fake),
        "TRAIN_IMAGE": "registry.example.com/ml-project-train@sha256:abc",
        "TUNE_STORAGE_PATH": "s3://bucket/ray-results",
        "RAYJOB_POLL": "0",
        **env,
    }
    completed = subprocess.run(
        ["bash", "scripts/rayjob.sh"],
        cwd=project,
        env={**os.environ, **settings},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return completed, fake


def test_rayjob_sh_submits_the_overlays_rayjob_and_waits_for_success(
    project: Path, tmp_path: Path
) -> None:
    completed, fake = _rayjob_sh(
        project, tmp_path, [";Initializing;", "RUNNING;Running;", "SUCCEEDED;Complete;"]
    )
    assert completed.returncode == 0, completed.stderr
    assert "registered 'ml-project' version 3" in completed.stdout, "the job's log is shown"
    calls = (fake / "calls").read_text("utf-8").splitlines()
    verbs = [call.split()[0] for call in calls]
    assert verbs[:4] == ["kustomize", "delete", "apply", "patch"]
    assert verbs.count("get") == 3
    assert "rayjob ml-project-tune --namespace ml-project-staging" in calls[1]
    assert "--selector app.kubernetes.io/component=ray-training" in calls[2]
    (applied,) = _rayjobs(list(yaml.safe_load_all((fake / "applied.yaml").read_text("utf-8"))))
    assert applied["spec"]["suspend"] is True
    patch = {op["path"]: op["value"] for op in json.loads((fake / "patch.json").read_text())}
    assert patch["/spec/suspend"] is False
    images = [value for path, value in patch.items() if path.endswith("/image")]
    assert images == ["registry.example.com/ml-project-train@sha256:abc"] * 2
    assert {"name": "TUNE_STORAGE_PATH", "value": "s3://bucket/ray-results"} in patch.values()


def test_rayjob_sh_exits_with_the_entrypoints_code(project: Path, tmp_path: Path) -> None:
    message = "Job entrypoint command failed with exit code 4, last available logs: ..."
    completed, _ = _rayjob_sh(project, tmp_path, [f"FAILED;Complete;{message}"])
    assert completed.returncode == 4, completed.stderr
    assert "ended FAILED (exit code 4)" in completed.stderr


def test_rayjob_sh_fails_when_the_cluster_does_not_start(project: Path, tmp_path: Path) -> None:
    completed, _ = _rayjob_sh(project, tmp_path, [";Failed;RayCluster could not start"])
    assert completed.returncode == 3
    assert "failed before the job ended: RayCluster could not start" in completed.stderr


def test_rayjob_sh_gives_up_after_its_timeout(project: Path, tmp_path: Path) -> None:
    completed, _ = _rayjob_sh(
        project, tmp_path, ["RUNNING;Running;"], RAYJOB_TIMEOUT="1", RAYJOB_POLL="1"
    )
    assert completed.returncode == 3
    assert "did not end within 1s (last status: RUNNING, Running)" in completed.stderr


@pytest.mark.parametrize(
    ("unset", "message"),
    [("TRAIN_IMAGE", "set TRAIN_IMAGE"), ("TUNE_STORAGE_PATH", "set TUNE_STORAGE_PATH")],
)
def test_rayjob_sh_refuses_without_its_settings(
    project: Path, tmp_path: Path, unset: str, message: str
) -> None:
    completed, fake = _rayjob_sh(project, tmp_path, ["SUCCEEDED;Complete;"], **{unset: ""})
    assert completed.returncode == 2
    assert message in completed.stderr
    assert not (fake / "calls").exists(), "nothing was sent to the cluster"


def test_ct_sh_runs_the_rayjob_when_ct_runtime_is_rayjob(project: Path, tmp_path: Path) -> None:
    """CT_RUNTIME=rayjob: ct.sh hands the run to rayjob.sh and reads the outcome from
    the job's log; the exit code is the job's."""
    fake = tmp_path / "fake"
    fake.mkdir()
    script = project / "scripts" / "rayjob.sh"
    original = script.read_text("utf-8")
    try:
        script.write_text(
            "#!/usr/bin/env bash\n"
            "echo \"registered 'ml-project' version 5 as challenger\"\n"
            "echo 'promoted: no champion yet'\necho 'champion is now version 5'\n",
            "utf-8",
        )
        output = tmp_path / "github_output"
        completed = subprocess.run(
            ["bash", "scripts/ct.sh"],
            cwd=project,
            env={
                **os.environ,
                "CLI": "false",
                "CT_RUNTIME": "rayjob",
                "CT_DIR": str(tmp_path / "ct"),
                "GITHUB_OUTPUT": str(output),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        script.write_text(original, "utf-8")
    assert completed.returncode == 0, completed.stderr
    assert "promoted=true\nchampion=5\nchallenger=5\n" in output.read_text("utf-8")
    summary = (tmp_path / "ct" / "summary.md").read_text("utf-8")
    assert "| runtime | rayjob |" in summary
    assert "### rayjob" in summary


def test_ct_sh_refuses_an_unknown_runtime(project: Path, tmp_path: Path) -> None:
    completed = subprocess.run(
        ["bash", "scripts/ct.sh"],
        cwd=project,
        env={**os.environ, "CLI": "false", "CT_RUNTIME": "lambda", "CT_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "CT_RUNTIME is runner or rayjob here" in completed.stderr
    assert "not lambda" in completed.stderr


def test_scripts_are_shellcheck_clean(project: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    run(project, shellcheck, "--external-sources", "scripts/rayjob.sh", "scripts/ct.sh")


# ---- The generated project's own Ray tests, on a local Ray instance ----


@pytest.mark.slow
def test_generated_ray_tests_pass_on_a_local_ray_instance(tmp_path: Path) -> None:
    """`make test-ray` in an installed engine=ray project: ray.init(num_cpus=2) in
    process, a two-sample Tune search trained through the gates and promoted,
    map_batches scoring equal to `predict`. Minutes on a loaded 2-core machine."""
    project = generate(tmp_path / "ray-project", engine="ray").path
    run(project, "make", "setup", timeout=1800)
    completed = run(project, "make", "test-ray", timeout=3000)
    summary = completed.stdout.strip().splitlines()[-1]
    assert " passed" in summary, summary
    assert "failed" not in summary, summary
    assert "skipped" not in summary, summary
