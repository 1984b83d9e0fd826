"""scripts/deploy.sh on the cloud targets, against fake aws, gcloud, az and kubectl.

The fakes (one Python script under four names, first on PATH) keep one service in a
JSON file: its image, its environment variables and how the next rollout ends. They
answer in the JSON shapes of the real CLIs, only the fields deploy.sh reads, and log
every call. The docker target has its own tests in test_workflows.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_cloud import HEADER, FakeCloudState, install
from tests.support.generated import generate
from tests.support.generated import project_env

FAKE_CLI = HEADER + r'''
def env_list():
    return [{"name": key, "value": value} for key, value in state["env"].items()]


def roll(image, set_env=None, remove_env=None):
    """The outcome the test chose: ok applies the change, fail leaves the old one."""
    if state["outcome"] == "ok":
        state["image"] = image
        state["env"].update(set_env or {})
        for key in remove_env or []:
            state["env"].pop(key, None)
    return state["outcome"] == "ok"


def the_service(name):
    if name != state["name"]:
        finish(1, err=f"{program}: no service {name}\n")


command = args[:2]
if program == "aws" and command == ["apprunner", "describe-service"]:
    the_service(option("--service-arn"))
    repository = {
        "ImageIdentifier": state["image"],
        "ImageRepositoryType": "ECR",
        "ImageConfiguration": {"Port": "8000", "RuntimeEnvironmentVariables": state["env"]},
    }
    source = {
        "ImageRepository": repository,
        "AutoDeploymentsEnabled": False,
        "AuthenticationConfiguration": {"AccessRoleArn": "arn:aws:iam::1:role/ecr"},
    }
    finish(out={"Service": {"Status": "RUNNING", "SourceConfiguration": source}})
elif program == "aws" and command == ["apprunner", "update-service"]:
    the_service(option("--service-arn"))
    source = json.loads(Path(option("--source-configuration").removeprefix("file://")).read_text())
    state["updates"].append(source)
    repository = source["ImageRepository"]
    variables = repository["ImageConfiguration"]["RuntimeEnvironmentVariables"]
    ok = roll(repository["ImageIdentifier"], variables, set(state["env"]) - set(variables))
    status = {"ok": "SUCCEEDED", "fail": "ROLLBACK_SUCCEEDED"}.get(state["outcome"], "IN_PROGRESS")
    state["operations"].insert(0, {"Id": f"op-{len(state['operations'])}", "Status": status})
    finish(out={"Service": {}, "OperationId": state["operations"][0]["Id"]})
elif program == "aws" and command == ["apprunner", "list-operations"]:
    the_service(option("--service-arn"))
    finish(out={"OperationSummaryList": state["operations"]})
elif program == "gcloud" and args[:3] == ["run", "services", "describe"]:
    the_service(args[3])
    container = {"image": state["image"], "env": env_list()}
    finish(out={"spec": {"template": {"spec": {"containers": [container]}}}})
elif program == "gcloud" and command == ["run", "deploy"]:
    the_service(args[2])
    update = option("--update-env-vars")
    set_env = dict([update.split("=", 1)]) if update else {}
    removed = option("--remove-env-vars")
    if not roll(option("--image"), set_env, [removed] if removed else []):
        finish(1, err="ERROR: (gcloud.run.deploy) Revision is not ready\n")
    finish()
elif program == "az" and command == ["containerapp", "show"]:
    the_service(option("--name"))
    app = {
        "provisioningState": "Succeeded",
        "latestRevisionName": state["revision"],
        "latestReadyRevisionName": state["ready_revision"],
        "template": {"containers": [{"name": "serve", "image": state["image"], "env": env_list()}]},
    }
    finish(out={"properties": app})
elif program == "az" and command == ["containerapp", "update"]:
    the_service(option("--name"))
    update = option("--set-env-vars")
    removed = option("--remove-env-vars")
    state["revision"] += 1
    set_env = dict([update.split("=", 1)]) if update else {}
    if roll(option("--image"), set_env, [removed] if removed else []):
        state["ready_revision"] = state["revision"]
    finish()
elif program == "kubectl" and command == ["get", "deployment"]:
    the_service(args[2])
    containers = [
        {"name": "log-shipper", "image": "fluent-bit:3"},
        {"name": "serve", "image": state["image"], "env": env_list()},
    ]
    finish(out={"spec": {"template": {"spec": {"containers": containers}}}})
elif program == "kubectl" and command == ["patch", "deployment"]:
    the_service(args[2])
    (container,) = json.loads(option("--patch"))["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "serve", container
    for variable in container["env"]:
        if variable.get("$patch") == "delete":
            state["env"].pop(variable["name"], None)
        else:
            state["env"][variable["name"]] = variable["value"]
    state["image"] = container["image"]
    finish(out=f"deployment.apps/{args[2]} patched")
elif program == "kubectl" and command == ["set", "image"]:
    # The retraining CronJob: `set image cronjob/<name> <container>=<image>`.
    kind, name = args[2].split("/", 1)
    if kind != "cronjob" or name != state.get("cronjob"):
        finish(1, err=f'Error from server (NotFound): {kind} "{name}" not found\n')
    container, image = args[3].split("=", 1)
    assert container == "train", container
    state["train_image"] = image
    finish(out=f"cronjob.batch/{name} image updated")
elif program == "kubectl" and command == ["rollout", "status"]:
    if state["outcome"] != "ok":
        finish(1, err="error: timed out waiting for the condition\n")
    finish(out=f"{args[2]} successfully rolled out")
elif command in (
    ["eks", "update-kubeconfig"], ["container", "clusters"], ["aks", "get-credentials"],
):
    # The real ones report on stdout (aws) or stderr (gcloud, az).
    finish(out=f"Updated context {args[-1]} in ~/.kube/config")
finish(2, err=f"fake {program}: unexpected call {args}\n")
'''

OLD = "registry.example/churn:aaa-model-3"
NEW = "registry.example/churn:bbb-model-4"


@dataclass(frozen=True)
class Target:
    name: str
    service: str  # the name the fake knows the service by
    settings: dict[str, str]
    required: tuple[str, ...]
    failure: str  # what deploy.sh says when the rollout fails
    extra_state: dict[str, Any] = field(default_factory=dict)


K8S_FAILURE = "the Deployment churn did not become ready in 0s"
ARN = "arn:aws:apprunner:eu-west-1:123456789012:service/churn-staging/0123"
TARGETS = {
    target.name: target
    for target in (
        Target(
            "apprunner",
            ARN,
            {"APPRUNNER_SERVICE_ARN": ARN, "AWS_REGION": "eu-west-1"},
            ("APPRUNNER_SERVICE_ARN",),
            "App Runner update op-0 failed: ROLLBACK_SUCCEEDED",
            {"operations": [], "updates": []},
        ),
        Target(
            "cloudrun",
            "churn-staging",
            {
                "CLOUD_RUN_SERVICE": "churn-staging",
                "GCP_PROJECT": "acme-ml",
                "GCP_REGION": "europe-west1",
            },
            ("CLOUD_RUN_SERVICE", "GCP_PROJECT", "GCP_REGION"),
            f"Cloud Run did not roll churn-staging to {NEW}",
        ),
        Target(
            "containerapp",
            "ca-churn-staging",
            {"CONTAINER_APP": "ca-churn-staging", "AZURE_RESOURCE_GROUP": "rg-churn-staging"},
            ("CONTAINER_APP", "AZURE_RESOURCE_GROUP"),
            # The new revision never gets ready (DEPLOY_TIMEOUT=0 in the test).
            "Container App ca-churn-staging is not ready after 0s: revision 2 is starting",
            {"revision": 1, "ready_revision": 1},
        ),
        Target("kubernetes", "churn", {}, ("SERVICE_NAME",), K8S_FAILURE),
        Target("eks", "churn", {"KUBE_CLUSTER": "ml"}, ("SERVICE_NAME",), K8S_FAILURE),
        Target(
            "gke",
            "churn",
            {"KUBE_CLUSTER": "ml", "GCP_PROJECT": "acme-ml", "GCP_REGION": "europe-west1"},
            ("GCP_PROJECT", "GCP_REGION"),
            K8S_FAILURE,
        ),
        Target(
            "aks",
            "churn",
            {"KUBE_CLUSTER": "ml", "AZURE_RESOURCE_GROUP": "rg-churn"},
            ("AZURE_RESOURCE_GROUP",),
            K8S_FAILURE,
        ),
    )
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("deploy-targets") / "project").path


class Cloud(FakeCloudState):
    """One service behind the fake CLIs, and deploy.sh run against it."""

    def __init__(self, project: Path, tmp: Path, target: Target) -> None:
        self.project = project
        self.target = target
        super().__init__(tmp / "cloud.json")
        self.github_output = tmp / "github-output"
        bin_dir = tmp / "bin"
        install(bin_dir, FAKE_CLI)
        self.env = project_env()
        for leaked in ("GITHUB_OUTPUT", "DEPLOY_STATE_FILE", "KUBE_NAMESPACE", "KUBECONFIG"):
            self.env.pop(leaked, None)
        self.env.update(
            PATH=f"{bin_dir}{os.pathsep}{self.env['PATH']}",
            FAKE_CLOUD_STATE=str(self.state_file),
            DEPLOY_TARGET=target.name,
            DEPLOY_ENV="staging",
            SERVICE_NAME="churn",
            **target.settings,
        )
        self.save(
            name=target.service,
            image=OLD,
            env={"MODEL_VERSION": "3", "MLFLOW_TRACKING_URI": "https://mlflow.example"},
            outcome="ok",
            calls=[],
            **target.extra_state,
        )

    def run(self, command: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "scripts/deploy.sh", command],
            cwd=self.project,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def outputs(self) -> dict[str, str]:
        lines = self.github_output.read_text().splitlines()
        return dict(line.split("=", 1) for line in lines)


@pytest.fixture(params=list(TARGETS))
def cloud(request: pytest.FixtureRequest, project: Path, tmp_path: Path) -> Cloud:
    return Cloud(project, tmp_path, TARGETS[request.param])


def test_deploy_records_the_previous_service_and_rollback_restores_it(
    cloud: Cloud, tmp_path: Path
) -> None:
    state_file = tmp_path / "deploy-state"
    deployed = cloud.run(
        "deploy",
        IMAGE=NEW,
        MODEL_VERSION="4",
        GITHUB_OUTPUT=str(cloud.github_output),
        DEPLOY_STATE_FILE=str(state_file),
    )
    assert deployed.returncode == 0, deployed.stderr
    assert cloud.outputs() == {"previous-image": OLD, "previous-model-version": "3"}
    assert state_file.read_text() == f"PREVIOUS_IMAGE={OLD}\nPREVIOUS_MODEL_VERSION=3\n"
    assert f"previously running: {OLD} (model version 3)" in deployed.stderr
    state = cloud.state
    assert state["image"] == NEW
    # The service's other variables (the registry's address) are left alone.
    assert state["env"] == {"MODEL_VERSION": "4", "MLFLOW_TRACKING_URI": "https://mlflow.example"}

    current = cloud.run("current")
    assert current.returncode == 0, current.stderr
    assert current.stdout == f"{NEW} 4\n"

    rolled_back = cloud.run("rollback", PREVIOUS_IMAGE=OLD, PREVIOUS_MODEL_VERSION="3")
    assert rolled_back.returncode == 0, rolled_back.stderr
    assert (cloud.state["image"], cloud.state["env"]["MODEL_VERSION"]) == (OLD, "3")


def test_serving_the_champion_removes_the_model_version(cloud: Cloud) -> None:
    deployed = cloud.run("deploy", IMAGE=NEW, MODEL_VERSION="")
    assert deployed.returncode == 0, deployed.stderr
    assert cloud.state["env"] == {"MLFLOW_TRACKING_URI": "https://mlflow.example"}
    assert cloud.run("current").stdout == f"{NEW} \n"


def test_a_failed_rollout_exits_1(cloud: Cloud) -> None:
    cloud.save(outcome="fail")
    deployed = cloud.run("deploy", IMAGE=NEW, MODEL_VERSION="4", DEPLOY_TIMEOUT="0")
    assert deployed.returncode == 1, deployed.stderr
    assert deployed.stderr.splitlines()[-1] == f"deploy.sh: {cloud.target.failure}"


@pytest.mark.parametrize(
    ("target", "variable"),
    [(target.name, variable) for target in TARGETS.values() for variable in target.required],
)
def test_a_missing_setting_exits_2_and_names_it(
    project: Path, tmp_path: Path, target: str, variable: str
) -> None:
    cloud = Cloud(project, tmp_path, TARGETS[target])
    for command in ("deploy", "rollback", "current"):
        completed = cloud.run(command, IMAGE=NEW, PREVIOUS_IMAGE=OLD, **{variable: ""})
        assert completed.returncode == 2, completed.stderr
        assert completed.stderr.splitlines()[-1] == (
            f"deploy.sh: set {variable} (see the comment at the top of scripts/deploy.sh)"
        )
    assert cloud.state["image"] == OLD


def test_an_unknown_target_or_timeout_exits_2(project: Path, tmp_path: Path) -> None:
    cloud = Cloud(project, tmp_path, TARGETS["kubernetes"])
    unknown = cloud.run("current", DEPLOY_TARGET="ecs")
    assert unknown.returncode == 2
    assert unknown.stderr == (
        "deploy.sh: unknown DEPLOY_TARGET 'ecs' (supported: docker, apprunner, cloudrun,"
        " containerapp, kubernetes, eks, gke, aks)\n"
    )
    timeout = cloud.run("current", DEPLOY_TIMEOUT="15m")
    assert timeout.returncode == 2
    assert "DEPLOY_TIMEOUT must be a number of seconds, got '15m'" in timeout.stderr


# --- what each platform is asked ---------------------------------------------------------


def test_apprunner_keeps_the_source_configuration_and_waits_for_the_update(
    project: Path, tmp_path: Path
) -> None:
    cloud = Cloud(project, tmp_path, TARGETS["apprunner"])
    assert cloud.run("deploy", IMAGE=NEW, MODEL_VERSION="4").returncode == 0
    (update,) = cloud.state["updates"]
    assert update == {
        "ImageRepository": {
            "ImageIdentifier": NEW,
            "ImageRepositoryType": "ECR",
            "ImageConfiguration": {
                "Port": "8000",
                "RuntimeEnvironmentVariables": {
                    "MODEL_VERSION": "4",
                    "MLFLOW_TRACKING_URI": "https://mlflow.example",
                },
            },
        },
        "AutoDeploymentsEnabled": False,
        "AuthenticationConfiguration": {"AccessRoleArn": "arn:aws:iam::1:role/ecr"},
    }
    assert ["apprunner", "list-operations", "--service-arn", ARN, "--output", "json"] in (
        cloud.calls("aws")
    )

    # App Runner rolls a failed update back by itself: the service is RUNNING again,
    # but the operation tells.
    cloud.save(outcome="fail")
    failed = cloud.run("deploy", IMAGE=NEW, MODEL_VERSION="5")
    assert failed.returncode == 1
    assert "App Runner update op-1 failed: ROLLBACK_SUCCEEDED" in failed.stderr

    cloud.save(outcome="stuck")
    stuck = cloud.run("deploy", IMAGE=NEW, MODEL_VERSION="5", DEPLOY_TIMEOUT="0")
    assert stuck.returncode == 1
    assert "App Runner update op-2 is not ready after 0s: IN_PROGRESS" in stuck.stderr


def test_cloudrun_and_containerapp_name_the_project_region_and_group(
    project: Path, tmp_path: Path
) -> None:
    cloudrun = Cloud(project, tmp_path / "gcp", TARGETS["cloudrun"])
    assert cloudrun.run("deploy", IMAGE=NEW, MODEL_VERSION="4").returncode == 0
    assert cloudrun.calls("gcloud")[-1] == [
        *("run", "deploy", "churn-staging", "--project", "acme-ml", "--region", "europe-west1"),
        *("--image", NEW, "--update-env-vars", "MODEL_VERSION=4", "--quiet"),
    ]
    containerapp = Cloud(project, tmp_path / "azure", TARGETS["containerapp"])
    assert containerapp.run("deploy", IMAGE=NEW, MODEL_VERSION="").returncode == 0
    assert containerapp.calls("az")[1] == [
        *("containerapp", "update", "--name", "ca-churn-staging"),
        *("--resource-group", "rg-churn-staging", "--image", NEW),
        *("--remove-env-vars", "MODEL_VERSION", "--output", "none"),
    ]


@pytest.mark.parametrize(
    ("deploy_env", "namespace"), [("staging", "churn-staging"), ("production", "churn-prod")]
)
def test_kubernetes_uses_the_namespaces_of_the_overlays(
    project: Path, tmp_path: Path, deploy_env: str, namespace: str
) -> None:
    cloud = Cloud(project, tmp_path, TARGETS["kubernetes"])
    deployed = cloud.run("deploy", IMAGE=NEW, MODEL_VERSION="4", DEPLOY_ENV=deploy_env)
    assert deployed.returncode == 0, deployed.stderr
    get, patch, rollout = cloud.calls("kubectl")
    assert get == ["get", "deployment", "churn", "--namespace", namespace, "--output", "json"]
    assert patch[:4] == ["patch", "deployment", "churn", "--namespace"]
    assert patch[4] == namespace
    assert rollout == [
        *("rollout", "status", "deployment/churn", "--namespace", namespace),
        *("--timeout", "900s"),
    ]

    custom = cloud.run("current", KUBE_NAMESPACE="ml", KUBE_DEPLOYMENT="api")
    assert cloud.calls("kubectl")[-1][:5] == ["get", "deployment", "api", "--namespace", "ml"]
    assert custom.returncode == 1  # the fake knows no Deployment api
    assert "cannot read the Deployment api in the namespace ml" in custom.stderr


@pytest.mark.parametrize(
    ("target", "credentials"),
    [
        ("eks", ["aws", "eks", "update-kubeconfig", "--name", "ml"]),
        (
            "gke",
            [
                *("gcloud", "container", "clusters", "get-credentials", "ml"),
                *("--project", "acme-ml", "--region", "europe-west1"),
            ],
        ),
        (
            "aks",
            [
                *("az", "aks", "get-credentials", "--name", "ml"),
                *("--resource-group", "rg-churn", "--overwrite-existing"),
            ],
        ),
    ],
)
def test_managed_kubernetes_fetches_the_clusters_credentials_first(
    project: Path, tmp_path: Path, target: str, credentials: list[str]
) -> None:
    cloud = Cloud(project, tmp_path, TARGETS[target])
    current = cloud.run("current")
    # The CLI's "Updated context" message stays off the answer on stdout.
    assert current.stdout == f"{OLD} 3\n"
    assert [call[0] for call in cloud.state["calls"]] == [credentials[0], "kubectl"]
    assert cloud.state["calls"][0] == credentials

    without_cluster = Cloud(project, tmp_path / "current-context", TARGETS[target])
    assert without_cluster.run("current", KUBE_CLUSTER="").stdout == f"{OLD} 3\n"
    assert [call[0] for call in without_cluster.state["calls"]] == ["kubectl"]


TRAIN = "registry.example/churn-train:bbb-model-4"


@pytest.mark.parametrize(
    ("deploy_env", "namespace"), [("staging", "churn-staging"), ("production", "churn-prod")]
)
def test_training_points_the_retraining_cronjob_at_the_new_image(
    project: Path, tmp_path: Path, deploy_env: str, namespace: str
) -> None:
    """CD's last step on Kubernetes: the CronJob of deploy/k8s/base/cronjob.yaml
    (container `train`) retrains with the training image built with the service."""
    cloud = Cloud(project, tmp_path, TARGETS["kubernetes"])
    cloud.save(cronjob="churn-train", train_image=OLD)
    moved = cloud.run("training", TRAIN_IMAGE=TRAIN, DEPLOY_ENV=deploy_env)
    assert moved.returncode == 0, moved.stderr
    assert cloud.calls("kubectl") == [
        ["set", "image", "cronjob/churn-train", f"train={TRAIN}", "--namespace", namespace]
    ]
    assert cloud.state["train_image"] == TRAIN
    assert cloud.state["image"] == OLD, "the service is not touched"
    assert f"{namespace}/churn-train now retrains with {TRAIN}" in moved.stderr

    missing = cloud.run("training", TRAIN_IMAGE=TRAIN, KUBE_CRONJOB="nightly")
    assert missing.returncode == 1
    assert "cannot update the CronJob nightly in the namespace" in missing.stderr
    unset = cloud.run("training", TRAIN_IMAGE="")
    assert unset.returncode == 2
    assert "set TRAIN_IMAGE" in unset.stderr


@pytest.mark.parametrize("target", ["apprunner", "cloudrun", "containerapp", "docker"])
def test_training_is_nothing_to_do_without_a_cronjob(
    project: Path, tmp_path: Path, target: str
) -> None:
    """The other targets retrain through CT on their job runtime, with the training
    image CT builds: nothing to point anywhere, and no CLI is called."""
    cloud = Cloud(project, tmp_path, TARGETS["kubernetes"])
    done = cloud.run("training", DEPLOY_TARGET=target, TRAIN_IMAGE=TRAIN)
    assert done.returncode == 0, done.stderr
    assert "has no retraining CronJob: nothing to do" in done.stderr
    assert cloud.state["calls"] == []
