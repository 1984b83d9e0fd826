"""scripts/ct-job.sh: continuous training on the cloud's job runtime, against fake CLIs.

The fakes (one Python script under the names aws, gcloud, az and kubectl, first on PATH)
keep one job in a JSON file and answer in the JSON shapes of the real CLIs, only the
fields ct-job.sh reads, logging every call; `kubectl kustomize` is handed to the real
kubectl, so the Kubernetes Job is rendered by the real kustomize. The outcome the job
leaves in the tracking server is the other boundary: CT_JOB_RESULT is a fake that prints
what the test chose (tests/template/test_ct_job_e2e.py runs the real one against a real
MLflow store). One generated project serves every runtime: the script is the same for
every cloud answer.
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

from tests.support.fake_cloud import HEADER, FakeCloudState, install
from tests.support.generated import generate, project_env, run
from tests.support.infra_project import infra_project
from tests.support.validators import console_script

FAKE_CLI = HEADER + r'''
# The job's life: "ok" ends with 0, "fail" with state["exit_code"], "never" runs on,
# "no-exit-code" ends without one (ECS: the image could not be pulled).
outcome = state["outcome"]
ended = outcome != "never"
exit_code = 0 if outcome == "ok" else state["exit_code"]
command = args[:2]

if program == "aws" and command == ["ecs", "describe-task-definition"]:
    task = {
        "taskDefinitionArn": "arn:aws:ecs:eu-west-1:1:task-definition/churn-staging-training:3",
        "family": option("--task-definition"),
        "revision": 3,
        "status": "ACTIVE",
        "compatibilities": ["EC2", "FARGATE"],
        "requiresAttributes": [{"name": "ecs.capability.execution-role-awslogs"}],
        "registeredAt": "2026-11-30T10:00:00+00:00",
        "registeredBy": "arn:aws:sts::1:assumed-role/ci",
        "cpu": "2048",
        "containerDefinitions": [
            {"name": "log-router", "image": "fluent-bit:3"},
            {"name": "train", "image": "old/train:1", "command": ["train"]},
        ],
    }
    finish(out={"taskDefinition": task})
elif program == "aws" and command == ["ecs", "register-task-definition"]:
    path = option("--cli-input-json").removeprefix("file://")
    state["registered"] = json.loads(Path(path).read_text())
    arn = f"arn:aws:ecs:eu-west-1:1:task-definition/{state['registered']['family']}:4"
    finish(out={"taskDefinition": {"taskDefinitionArn": arn}})
elif program == "aws" and command == ["ecs", "run-task"]:
    finish(out={"tasks": [{"taskArn": "arn:aws:ecs:eu-west-1:1:task/churn-staging/abc123"}],
                "failures": []})
elif program == "aws" and command == ["ecs", "describe-tasks"]:
    task = {"lastStatus": "STOPPED" if ended else "RUNNING", "containers": [
        {"name": "log-router", "exitCode": 0}, {"name": "train"}]}
    if outcome == "no-exit-code":
        task["stoppedReason"] = "CannotPullContainerError: not found"
    elif ended:
        task["containers"][1]["exitCode"] = exit_code
    finish(out={"tasks": [task]})
elif program == "aws" and command == ["ecs", "stop-task"]:
    finish(out={"task": {}})
elif program == "aws" and command == ["logs", "get-log-events"]:
    finish(out={"events": [{"message": "logged MLflow run r1"}, {"message": "the end"}]})
elif program == "gcloud" and args[:3] == ["run", "jobs", "update"]:
    finish()
elif program == "gcloud" and args[:3] == ["run", "jobs", "execute"]:
    finish(out={"metadata": {"name": "churn-staging-train-x7k2p"}})
elif program == "gcloud" and args[:4] == ["run", "jobs", "executions", "describe"]:
    status = "Unknown" if not ended else ("True" if exit_code == 0 else "False")
    finish(out={"status": {"runningCount": 0 if ended else 1,
                           "conditions": [{"type": "Ready", "status": "True"},
                                          {"type": "Completed", "status": status}]}})
elif program == "gcloud" and args[:5] == ["run", "jobs", "executions", "tasks", "list"]:
    finish(out=[{"status": {"lastAttemptResult": {"exitCode": exit_code}}}])
elif program == "gcloud" and args[:4] == ["run", "jobs", "executions", "cancel"]:
    finish()
elif program == "az" and args[:3] == ["containerapp", "job", "show"]:
    container = {
        "name": "train",
        "image": "old/train:1",
        "args": ["train"],
        "env": [{"name": "AZURE_CLIENT_ID", "value": "c1"},
                {"name": "MLFLOW_TRACKING_URI", "value": "https://old.example"}],
        "resources": {"cpu": 2.0, "memory": "4Gi", "ephemeralStorage": "8Gi"},
        "probes": [],
    }
    finish(out={"name": option("--name"), "properties": {"template": {"containers": [container]}}})
elif program == "az" and args[:3] == ["containerapp", "job", "start"]:
    state["execution"] = json.loads(Path(option("--yaml")).read_text())
    name = "caj-churn-train-q1w2e"
    finish(out={"id": f"/subscriptions/s/jobs/caj-churn-train/executions/{name}", "name": name})
elif program == "az" and args[:4] == ["containerapp", "job", "execution", "show"]:
    status = "Running" if not ended else ("Succeeded" if exit_code == 0 else "Failed")
    finish(out={"name": option("--job-execution-name"), "properties": {"status": status}})
elif program == "az" and args[:3] == ["containerapp", "job", "stop"]:
    finish()
elif program == "kubectl" and command[0] == "kustomize":
    real = subprocess.run([os.environ["REAL_KUBECTL"], *args], capture_output=True, text=True)
    finish(real.returncode, out=real.stdout.rstrip("\n"), err=real.stderr)
elif program == "kubectl" and command[0] == "apply":
    state["applied"] = Path(option("--filename")).read_text()
    finish(out="job.batch/created")
elif program == "kubectl" and command == ["get", "job"]:
    conditions = []
    if ended:
        conditions = [{"type": "Complete" if exit_code == 0 else "Failed", "status": "True"}]
    finish(out={"status": {"active": 0 if ended else 1, "conditions": conditions}})
elif program == "kubectl" and command == ["get", "pods"]:
    terminated = {"terminated": {"exitCode": exit_code}}
    statuses = [{"name": "train", "state": terminated}]
    finish(out={"items": [{"status": {"containerStatuses": statuses}}]})
elif program == "kubectl" and command[0] == "logs":
    finish(out="logged MLflow run r1")
elif program == "kubectl" and command[0] == "delete":
    finish(out="job.batch deleted")
elif command in (
    ["eks", "update-kubeconfig"], ["container", "clusters"], ["aks", "get-credentials"],
):
    finish(out=f"Updated context {args[-1]} in ~/.kube/config")
finish(2, err=f"fake {program}: unexpected call {args}\n")
'''

# The tracking server's side: what the job's runs left there (scripts/ct_job_result.py).
FAKE_RESULT = r"""#!/usr/bin/env python3
import json, os, sys
from pathlib import Path

state_file = Path(os.environ["FAKE_CLOUD_STATE"])
state = json.loads(state_file.read_text())
state["calls"].append(["result", *sys.argv[1:]])
state_file.write_text(json.dumps(state))
if state["result"] is None:
    sys.stderr.write("error: cannot reach the tracking server\n")
    sys.exit(2)
sys.stdout.write("".join(f"{key}={value}\n" for key, value in state["result"].items()))
"""

IMAGE = "registry.example/churn-train:ct-abc-7-1"
TRACKING = "https://mlflow.example"
PROMOTED = {
    "run": "r1",
    "challenger": "5",
    "champion": "5",
    "promoted": "true",
    "metrics": "accuracy 0.9722, f1_macro 0.971",
}
SETTINGS = {
    "ecs": {
        "ECS_CLUSTER": "churn-staging",
        "ECS_TASK_DEFINITION": "churn-staging-training",
        "ECS_SUBNETS": "subnet-0a, subnet-0b",
        "ECS_SECURITY_GROUP": "sg-0123",
        "ECS_LOG_GROUP": "/ml/churn-staging/training",
    },
    "cloudrun": {
        "CLOUD_RUN_JOB": "churn-staging-train",
        "GCP_PROJECT": "acme-ml",
        "GCP_REGION": "europe-west1",
    },
    "containerapp": {
        "CONTAINER_APP_JOB": "caj-churn-staging-train",
        "AZURE_RESOURCE_GROUP": "rg-churn-staging",
    },
    "kubernetes": {"SERVICE_NAME": "ml-project"},
}
HANDLES = {
    "ecs": "arn:aws:ecs:eu-west-1:1:task/churn-staging/abc123",
    "cloudrun": "churn-staging-train-x7k2p",
    "containerapp": "caj-churn-train-q1w2e",
    "kubernetes": "ct-train-gh-7-1",
}
# What each runtime is asked to stop a job that runs too long.
STOPS = {
    "ecs": ["aws", "ecs", "stop-task", "--cluster", "churn-staging", "--task", HANDLES["ecs"]],
    "cloudrun": ["gcloud", "run", "jobs", "executions", "cancel", HANDLES["cloudrun"]],
    "containerapp": ["az", "containerapp", "job", "stop", "--name", "caj-churn-staging-train"],
    "kubernetes": ["kubectl", "delete", "job", HANDLES["kubernetes"]],
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # AWS with the service on Kubernetes: deploy/k8s/training-job is there too.
    return infra_project(tmp_path_factory, "aws")


class Runtime(FakeCloudState):
    """One job behind the fake CLIs, and ct-job.sh run against it."""

    def __init__(self, project: Path, tmp: Path, target: str) -> None:
        self.project = project
        self.tmp = tmp
        self.target = target
        super().__init__(tmp / "cloud.json")
        bin_dir = tmp / "bin"
        install(bin_dir, FAKE_CLI)
        install(bin_dir, FAKE_RESULT, programs=("ct-result",))
        result = bin_dir / "ct-result"
        self.env = project_env()
        for leaked in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "KUBE_NAMESPACE", "KUBECONFIG"):
            self.env.pop(leaked, None)
        self.env.update(
            PATH=f"{bin_dir}{os.pathsep}{self.env['PATH']}",
            FAKE_CLOUD_STATE=str(self.state_file),
            REAL_KUBECTL=console_script("kubectl") if target == "kubernetes" else "kubectl",
            CT_JOB_TARGET=target,
            TRAIN_IMAGE=IMAGE,
            MLFLOW_TRACKING_URI=TRACKING,
            CT_JOB_RESULT=str(result),
            CT_DIR=str(tmp / "ct"),
            CT_REASON="drift alarm",
            GITHUB_RUN_ID="7",
            GITHUB_RUN_ATTEMPT="1",
            GITHUB_OUTPUT=str(tmp / "github-output"),
            GITHUB_STEP_SUMMARY=str(tmp / "step-summary.md"),
            **SETTINGS[target],
        )
        self.save(outcome="ok", exit_code=0, result=PROMOTED, calls=[])

    def run(self, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "scripts/ct-job.sh"],
            cwd=self.project,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def outputs(self) -> dict[str, str]:
        lines = (self.tmp / "github-output").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines)

    def summary(self) -> str:
        return (self.tmp / "step-summary.md").read_text()


@pytest.fixture(params=list(SETTINGS))
def runtime(request: pytest.FixtureRequest, project: Path, tmp_path: Path) -> Runtime:
    return Runtime(project, tmp_path, request.param)


def test_a_promoting_job_reports_its_run_and_the_new_champion(runtime: Runtime) -> None:
    completed = runtime.run()
    assert completed.returncode == 0, completed.stderr
    assert runtime.outputs() == {"promoted": "true", "champion": "5", "challenger": "5"}
    summary = runtime.summary()
    assert "| outcome | challenger promoted: version 5 is the champion |" in summary
    assert "| trigger | drift alarm |" in summary
    assert f"| where | {runtime.target} job `{HANDLES[runtime.target]}` (`{IMAGE}`) |" in summary
    assert "| MLflow run | r1 (tag `ct_job=gh-7-1`) |" in summary
    assert "| holdout metrics | accuracy 0.9722, f1_macro 0.971 |" in summary
    # The outcome is read back from the tracking server, for this run's tag.
    assert runtime.calls("result") == [["gh-7-1", "--params", "params.yaml"]]
    assert completed.stderr.splitlines()[-1] == (
        "ct-job.sh: challenger promoted: version 5 is the champion"
        f" (summary: {runtime.tmp}/ct/summary.md)"
    )


def test_a_kept_champion_is_a_success_without_delivery(runtime: Runtime) -> None:
    runtime.save(result={**PROMOTED, "champion": "4", "promoted": "false"})
    completed = runtime.run()
    assert completed.returncode == 0, completed.stderr
    assert runtime.outputs() == {"promoted": "false", "champion": "4", "challenger": "5"}
    assert "| outcome | champion kept: version 4 |" in runtime.summary()


@pytest.mark.parametrize("target", ["ecs", "cloudrun", "kubernetes"])
@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (1, "failed (exit code 1): nothing was promoted"),
        (
            4,
            "**the training data broke its contract** (exit code 4):"
            " nothing was trained or promoted",
        ),
    ],
)
def test_the_jobs_exit_code_is_the_scripts(
    project: Path, tmp_path: Path, target: str, code: int, outcome: str
) -> None:
    runtime = Runtime(project, tmp_path, target)
    runtime.save(outcome="fail", exit_code=code, result={"run": "", "champion": "4"})
    completed = runtime.run()
    assert completed.returncode == code, completed.stderr
    assert runtime.outputs() == {"promoted": "false", "champion": "4", "challenger": ""}
    assert f"| outcome | {outcome} |" in runtime.summary()


@pytest.mark.parametrize(
    ("result", "code"),
    [({"run": "r1", "champion": "4"}, 1), ({"run": "", "champion": "4"}, 3)],
)
def test_container_apps_reports_no_exit_code_the_registry_tells(
    project: Path, tmp_path: Path, result: dict[str, str], code: int
) -> None:
    """A run in the registry with no version registered failed its gates (1); no run at
    all is a job that broke before training (3)."""
    runtime = Runtime(project, tmp_path, "containerapp")
    runtime.save(outcome="fail", exit_code=1, result=result)
    completed = runtime.run()
    assert completed.returncode == code, completed.stderr
    assert f"containerapp reports no exit code (failed): counted as {code}" in completed.stderr


def test_ecs_without_an_exit_code_gives_the_stopped_reason(project: Path, tmp_path: Path) -> None:
    runtime = Runtime(project, tmp_path, "ecs")
    runtime.save(outcome="no-exit-code", result={"run": ""})
    completed = runtime.run()
    assert completed.returncode == 3, completed.stderr
    assert "ecs reports no exit code (CannotPullContainerError: not found): counted as 3" in (
        completed.stderr
    )


def test_a_job_that_never_ends_is_stopped_at_the_deadline(runtime: Runtime) -> None:
    runtime.save(outcome="never")
    completed = runtime.run(CT_JOB_TIMEOUT="0")
    assert completed.returncode == 3, completed.stderr
    handle = HANDLES[runtime.target]
    assert completed.stderr.splitlines()[-1].startswith(
        f"ct-job.sh: the training job {handle} did not end within 0s (last status: "
    )
    assert completed.stderr.splitlines()[-1].endswith(
        "and was stopped; raise CT_JOB_TIMEOUT or look at its log"
    )
    stop = STOPS[runtime.target]
    assert any(call[: len(stop)] == stop for call in runtime.state["calls"]), runtime.state["calls"]
    assert runtime.calls("result") == []  # nothing to read back


def test_a_job_that_left_no_run_in_the_registry_fails(runtime: Runtime) -> None:
    runtime.save(result={"run": "", "champion": "4"})
    completed = runtime.run()
    assert completed.returncode == 3, completed.stderr
    assert completed.stderr.splitlines()[-1] == (
        f"ct-job.sh: the training job {HANDLES[runtime.target]} succeeded but no run tagged"
        f" ct_job=gh-7-1 is in {TRACKING}: does the job register to the same tracking server?"
    )


def test_an_unreadable_registry_fails_with_exit_code_3(project: Path, tmp_path: Path) -> None:
    runtime = Runtime(project, tmp_path, "ecs")
    runtime.save(result=None)
    completed = runtime.run()
    assert completed.returncode == 3, completed.stderr
    assert "error: cannot reach the tracking server" in completed.stderr
    assert completed.stderr.splitlines()[-1] == (
        f"ct-job.sh: the training job {HANDLES['ecs']} ended (exit code 0) but its outcome"
        f" cannot be read from the tracking server {TRACKING}"
    )


@pytest.mark.parametrize(
    ("target", "variable"),
    [
        ("ecs", name)
        for name in ("ECS_CLUSTER", "ECS_TASK_DEFINITION", "ECS_SUBNETS", "ECS_SECURITY_GROUP")
    ]
    + [("cloudrun", name) for name in ("CLOUD_RUN_JOB", "GCP_PROJECT", "GCP_REGION")]
    + [("containerapp", name) for name in ("CONTAINER_APP_JOB", "AZURE_RESOURCE_GROUP")]
    + [("kubernetes", "SERVICE_NAME")]
    + [("ecs", name) for name in ("TRAIN_IMAGE", "MLFLOW_TRACKING_URI", "CT_JOB_RESULT")],
)
def test_a_missing_setting_exits_2_and_names_it(
    project: Path, tmp_path: Path, target: str, variable: str
) -> None:
    runtime = Runtime(project, tmp_path, target)
    completed = runtime.run(**{variable: ""})
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.splitlines()[-1] == (
        f"ct-job.sh: set {variable} (see the comment at the top of scripts/ct-job.sh)"
    )
    assert [call[0] for call in runtime.state["calls"]] == []  # nothing started


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            {"CT_JOB_TARGET": "batch"},
            "unknown CT_JOB_TARGET 'batch'"
            " (supported: ecs, cloudrun, containerapp, kubernetes, eks, gke, aks)",
        ),
        ({"CT_JOB_TIMEOUT": "2h"}, "CT_JOB_TIMEOUT must be a number of seconds, got '2h'"),
        (
            {"PARAMS": "params-big.yaml"},
            "PARAMS must be params.yaml on the job runtime (the image's), got 'params-big.yaml':"
            " train with another file on the runner (CT_RUNTIME=runner)",
        ),
        (
            {"CT_JOB_ID": "Nightly_1"},
            "CT_JOB_ID must be 1-40 lowercase letters, digits and dashes, got 'Nightly_1'",
        ),
    ],
)
def test_bad_settings_exit_2(
    project: Path, tmp_path: Path, setting: dict[str, str], message: str
) -> None:
    runtime = Runtime(project, tmp_path, "ecs")
    completed = runtime.run(**setting)
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr == f"ct-job.sh: {message}\n"


# --- what each runtime is asked ------------------------------------------------------------


def test_ecs_registers_a_revision_with_the_image_and_runs_it(project: Path, tmp_path: Path) -> None:
    runtime = Runtime(project, tmp_path, "ecs")
    assert runtime.run().returncode == 0
    registered = runtime.state["registered"]
    # The same task, read-only fields left out, only the training container's image changed.
    assert registered == {
        "family": "churn-staging-training",
        "cpu": "2048",
        "containerDefinitions": [
            {"name": "log-router", "image": "fluent-bit:3"},
            {"name": "train", "image": IMAGE, "command": ["train"]},
        ],
    }
    run = next(call for call in runtime.calls("aws") if call[:2] == ["ecs", "run-task"])
    options = dict(zip(run[2::2], run[3::2], strict=True))
    assert options["--cluster"] == "churn-staging"
    assert options["--task-definition"] == (
        "arn:aws:ecs:eu-west-1:1:task-definition/churn-staging-training:4"
    )
    assert options["--launch-type"] == "FARGATE"
    assert options["--started-by"] == "ct-gh-7-1"
    assert json.loads(options["--network-configuration"]) == {
        "awsvpcConfiguration": {
            "subnets": ["subnet-0a", "subnet-0b"],
            "securityGroups": ["sg-0123"],
            "assignPublicIp": "DISABLED",
        }
    }
    assert json.loads(options["--overrides"]) == {
        "containerOverrides": [
            {
                "name": "train",
                "command": ["train", "--promote", "--params", "params.yaml"],
                "environment": [
                    {"name": "MLFLOW_TRACKING_URI", "value": TRACKING},
                    {"name": "MLFLOW_RUN_CONTEXT", "value": '{"ct_job": "gh-7-1"}'},
                ],
            }
        ]
    }
    logs = next(call for call in runtime.calls("aws") if call[0] == "logs")
    assert logs[logs.index("--log-stream-name") + 1] == "train/train/abc123"
    assert (tmp_path / "ct" / "job.log").read_text() == "logged MLflow run r1\nthe end\n"


def test_cloudrun_sets_the_image_then_executes_with_the_tag(project: Path, tmp_path: Path) -> None:
    runtime = Runtime(project, tmp_path, "cloudrun")
    assert runtime.run().returncode == 0
    where = ["--project", "acme-ml", "--region", "europe-west1"]
    update, execute, describe = runtime.calls("gcloud")
    assert update == [
        "run",
        "jobs",
        "update",
        "churn-staging-train",
        *where,
        "--image",
        IMAGE,
        "--quiet",
    ]
    assert execute == [
        *("run", "jobs", "execute", "churn-staging-train", *where),
        *("--args", "train,--promote,--params,params.yaml"),
        "--update-env-vars",
        f'^@^MLFLOW_TRACKING_URI={TRACKING}@MLFLOW_RUN_CONTEXT={{"ct_job": "gh-7-1"}}',
        *("--async", "--format", "json"),
    ]
    assert describe == [
        *("run", "jobs", "executions", "describe", HANDLES["cloudrun"], *where, "--format", "json")
    ]


def test_containerapp_starts_the_jobs_container_with_the_image_and_the_tag(
    project: Path, tmp_path: Path
) -> None:
    runtime = Runtime(project, tmp_path, "containerapp")
    assert runtime.run().returncode == 0
    show, start, execution = runtime.calls("az")
    group = ("--resource-group", "rg-churn-staging")
    assert show == [
        *("containerapp", "job", "show", "--name", "caj-churn-staging-train", *group),
        *("--output", "json"),
    ]
    assert start == [
        *("containerapp", "job", "start", "--name", "caj-churn-staging-train", *group),
        *("--yaml", str(tmp_path / "ct" / "job-execution.yaml"), "--output", "json"),
    ]
    # The job's own container (its identity's variable, its resources) with this run's
    # image, arguments and settings: an execution's container replaces the job's.
    assert runtime.state["execution"] == {
        "containers": [
            {
                "name": "train",
                "image": IMAGE,
                "args": ["train", "--promote", "--params", "params.yaml"],
                "env": [
                    {"name": "AZURE_CLIENT_ID", "value": "c1"},
                    {"name": "MLFLOW_TRACKING_URI", "value": TRACKING},
                    {"name": "MLFLOW_RUN_CONTEXT", "value": '{"ct_job": "gh-7-1"}'},
                ],
                "resources": {"cpu": 2.0, "memory": "4Gi"},
            }
        ]
    }
    assert execution[:4] == ["containerapp", "job", "execution", "show"]
    assert execution[execution.index("--job-execution-name") + 1] == HANDLES["containerapp"]


@pytest.mark.parametrize(
    ("target", "settings", "credentials"),
    [
        ("kubernetes", {}, None),
        ("eks", {"KUBE_CLUSTER": "ml"}, ["aws", "eks", "update-kubeconfig", "--name", "ml"]),
        (
            "gke",
            {"KUBE_CLUSTER": "ml", "GCP_PROJECT": "acme-ml", "GCP_REGION": "europe-west1"},
            ["gcloud", "container", "clusters", "get-credentials", "ml"],
        ),
        (
            "aks",
            {"KUBE_CLUSTER": "ml", "AZURE_RESOURCE_GROUP": "rg-ml"},
            ["az", "aks", "get-credentials", "--name", "ml"],
        ),
    ],
)
def test_kubernetes_applies_the_training_job_kustomize_renders(
    project: Path,
    tmp_path: Path,
    target: str,
    settings: dict[str, str],
    credentials: list[str] | None,
) -> None:
    runtime = Runtime(project, tmp_path, "kubernetes")
    completed = runtime.run(CT_JOB_TARGET=target, **settings)
    assert completed.returncode == 0, completed.stderr
    calls = runtime.state["calls"]
    if credentials:
        assert calls[0][: len(credentials)] == credentials
    kubectl = runtime.calls("kubectl")
    assert kubectl[0] == ["kustomize", str(tmp_path / "ct" / "job")]
    assert kubectl[1] == ["apply", "--filename", str(tmp_path / "ct" / "job.yaml")]
    namespace = ["--namespace", "ml-project-staging"]
    assert ["get", "job", "ct-train-gh-7-1", *namespace, "--output", "json"] in kubectl
    assert ["logs", "job/ct-train-gh-7-1", *namespace, "--container", "train"] in kubectl
    (job,) = yaml.safe_load_all(runtime.state["applied"])
    assert job["kind"] == "Job"
    assert job["metadata"]["name"] == "ct-train-gh-7-1"
    assert job["metadata"]["namespace"] == "ml-project-staging"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["image"] == IMAGE
    assert container["args"] == ["train", "--promote", "--params", "params.yaml"]
    assert container["env"] == [
        {"name": "TMPDIR", "value": "/tmp"},
        {"name": "MLFLOW_TRACKING_URI", "value": TRACKING},
        {"name": "MLFLOW_RUN_CONTEXT", "value": '{"ct_job": "gh-7-1"}'},
    ]
    # The ConfigMap and ServiceAccount of the overlay's namespace.
    assert container["envFrom"] == [{"configMapRef": {"name": "ml-project-config"}}]
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "ml-project"
    assert (tmp_path / "ct" / "job.log").read_text() == "logged MLflow run r1\n"


def test_the_job_ct_job_sh_applies_validates_strictly(project: Path, tmp_path: Path) -> None:
    runtime = Runtime(project, tmp_path, "kubernetes")
    assert runtime.run(KUBE_NAMESPACE="ml").returncode == 0
    rendered = tmp_path / "ct" / "job.yaml"
    assert yaml.safe_load(rendered.read_text())["metadata"]["namespace"] == "ml"
    completed = subprocess.run(
        [console_script("kubernetes-validate"), "--strict", "--kubernetes-version", "1.31.0", str(rendered)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.count("passed") == 1, completed.stdout


# --- end to end: the job's runs in a real MLflow store, read back by ct_job_result.py -------

# `aws ecs run-task` that runs the job here: the project's own CLI, with the command and
# variables of the run's overrides, as the container would; describe-tasks and the log
# answer with what it did. The other calls as the fake above.
LOCAL_ECS = r"""#!/usr/bin/env python3
import json, os, subprocess, sys
from pathlib import Path

state_file = Path(os.environ["FAKE_CLOUD_STATE"])
state = json.loads(state_file.read_text())
args = sys.argv[1:]
state["calls"].append(["aws", *args])


def option(flag):
    return args[args.index(flag) + 1] if flag in args else None


def finish(out):
    state_file.write_text(json.dumps(state))
    print(json.dumps(out))
    sys.exit(0)


if args[:2] == ["ecs", "describe-task-definition"]:
    finish({"taskDefinition": {"family": "t", "containerDefinitions": [{"name": "train"}]}})
elif args[:2] == ["ecs", "register-task-definition"]:
    finish({"taskDefinition": {"taskDefinitionArn": "arn:aws:ecs:r:1:task-definition/t:2"}})
elif args[:2] == ["ecs", "run-task"]:
    (container,) = json.loads(option("--overrides"))["containerOverrides"]
    env = {**os.environ, **{v["name"]: v["value"] for v in container["environment"]}}
    job = subprocess.run([os.environ["PROJECT_CLI"], *container["command"]], env=env,
                         capture_output=True, text=True)
    state["exit_code"], state["log"] = job.returncode, job.stdout + job.stderr
    finish({"tasks": [{"taskArn": "arn:aws:ecs:r:1:task/c/local1"}], "failures": []})
elif args[:2] == ["ecs", "describe-tasks"]:
    container = {"name": "train", "exitCode": state["exit_code"]}
    finish({"tasks": [{"lastStatus": "STOPPED", "containers": [container]}]})
elif args[:2] == ["logs", "get-log-events"]:
    finish({"events": [{"message": line} for line in state["log"].splitlines()]})
sys.exit(f"fake aws: unexpected call {args}")
"""


@pytest.mark.slow
def test_ct_job_reads_the_jobs_runs_back_from_a_real_mlflow_store(tmp_path: Path) -> None:
    """`make ct-job` with a job that really trains (the project's CLI, run by the fake
    `aws ecs run-task`) into a sqlite MLflow store: the real ct_job_result.py finds the
    job's runs by their tag, the version they registered and the champion."""
    project = generate(tmp_path / "project", cloud="aws").path
    run(project, "uv", "sync", "--compile-bytecode")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    aws = bin_dir / "aws"
    aws.write_text(LOCAL_ECS.replace("/usr/bin/env python3", sys.executable, 1))
    aws.chmod(0o755)
    state = tmp_path / "cloud.json"
    state.write_text(json.dumps({"calls": []}))
    env = {
        **project_env(),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_CLOUD_STATE": str(state),
        "PROJECT_CLI": str(project / ".venv" / "bin" / "ml-project"),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "CT_JOB_TARGET": "ecs",
        "ECS_CLUSTER": "c",
        "ECS_TASK_DEFINITION": "t",
        "ECS_SUBNETS": "subnet-1",
        "ECS_SECURITY_GROUP": "sg-1",
        "ECS_LOG_GROUP": "/ml/t",
        "CT_DIR": str(tmp_path / "ct"),
    }
    outputs = tmp_path / "github-output"

    def ct_job(job_id: str) -> dict[str, str]:
        outputs.write_text("")
        completed = subprocess.run(
            ["make", "ct-job", "IMAGE_TAG=local"],
            cwd=project,
            env={**env, "CT_JOB_ID": job_id, "GITHUB_OUTPUT": str(outputs)},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        return dict(line.split("=", 1) for line in outputs.read_text().splitlines())

    # The first model: registered, and promoted (there was no champion).
    assert ct_job("first") == {"promoted": "true", "champion": "1", "challenger": "1"}
    summary = (tmp_path / "ct" / "summary.md").read_text()
    assert "| outcome | challenger promoted: version 1 is the champion |" in summary
    assert "registered 'ml-project' version 1 as challenger" in summary  # the job's log
    # The same data again: a challenger that does not beat the champion by the margin.
    assert ct_job("second") == {"promoted": "false", "champion": "1", "challenger": "2"}
    assert "| outcome | champion kept: version 1 |" in (tmp_path / "ct" / "summary.md").read_text()
