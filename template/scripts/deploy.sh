#!/usr/bin/env bash
# Roll the prediction service to an image, smoke-test it, roll it back.
# The CD workflow and people run it through make (deploy, rollback, smoke-test-url).
#
#   scripts/deploy.sh deploy     roll the service to $IMAGE, pinned to $MODEL_VERSION
#   scripts/deploy.sh rollback   roll it back to $PREVIOUS_IMAGE and $PREVIOUS_MODEL_VERSION
#   scripts/deploy.sh smoke      check $SERVICE_URL: /ready, /health and one /predict
#   scripts/deploy.sh current    print the image and model version running now
#   scripts/deploy.sh training   point the retraining CronJob at $TRAIN_IMAGE (kubernetes
#                                targets; the others retrain through CT: nothing to do)
#
# Environment:
#   DEPLOY_ENV      staging or production
#   SERVICE_NAME    name of the service (make passes IMAGE_NAME)
#   IMAGE           image to deploy, e.g. ghcr.io/acme/churn:<commit>-model-3
#   MODEL_VERSION   registry version the service serves (empty: the champion at start)
#   DEPLOY_TARGET   where the service runs; the settings each one reads (* = required):
#     docker        (the default) one container, $SERVICE_NAME-$DEPLOY_ENV, on the Docker
#                   daemon DOCKER_HOST names (this machine's when unset, ssh://user@host
#                   or a docker context); it gets MLFLOW_TRACKING_URI and CONTAINER_ENV_FILE
#                   (the model registry and its credentials) and publishes HOST_PORT (8000)
#     apprunner     AWS App Runner: APPRUNNER_SERVICE_ARN*, AWS_REGION (the AWS CLI's)
#     cloudrun      Google Cloud Run: CLOUD_RUN_SERVICE*, GCP_PROJECT*, GCP_REGION*
#     containerapp  Azure Container Apps: CONTAINER_APP*, AZURE_RESOURCE_GROUP*
#     kubernetes    kubectl's current context: the Deployment KUBE_DEPLOYMENT (default
#                   $SERVICE_NAME), container `serve`, in KUBE_NAMESPACE (default
#                   $SERVICE_NAME-staging or -prod, the namespaces of deploy/k8s/overlays)
#     eks, gke, aks kubernetes on the cluster KUBE_CLUSTER, when set, whose credentials
#                   come first (gke: GCP_PROJECT*, GCP_REGION*; aks: AZURE_RESOURCE_GROUP*)
#                   These services and Deployments exist already (infra/terraform,
#                   deploy/k8s): a deployment changes their image and the variable
#                   MODEL_VERSION, which `serve` reads (removed to serve the champion).
#   DEPLOY_TIMEOUT  seconds a rollout on them may take before it counts as failed (900)
#   TRAIN_IMAGE     image for `training`, e.g. ghcr.io/acme/churn-train:<commit>-model-3; it
#                   goes to the container `train` of the CronJob KUBE_CRONJOB (default
#                   $SERVICE_NAME-train, deploy/k8s/base/cronjob.yaml) in KUBE_NAMESPACE
#   SERVICE_URL     base URL for `smoke` (default http://127.0.0.1:$HOST_PORT)
#   SMOKE_TIMEOUT   seconds to wait for /ready (default 120)
#   SMOKE_SAMPLE    CSV whose first row is the /predict payload (default data/sample.csv)
#
# `deploy` first records what was running (image and model version): in
# $GITHUB_OUTPUT as previous-image and previous-model-version when set (a workflow's
# rollback step reads them), in $DEPLOY_STATE_FILE when set, and on standard error.
#
# Exit codes: 0 done; 1 the deployment or the smoke test failed; 2 bad usage or
# configuration.

# shellcheck source-path=SCRIPTDIR # where to find scripts/deploy/*.sh
set -euo pipefail
# Stop inside $(...) too: a target's current runs in one, and a failure there must
# not pass for an empty answer.
shopt -s inherit_errexit

die() {
	local code=$1
	shift
	echo "deploy.sh: $*" >&2
	exit "$code"
}

require() {
	local name
	for name in "$@"; do
		[[ -n ${!name:-} ]] || die 2 "set $name (see the comment at the top of scripts/deploy.sh)"
	done
}

HOST_PORT=${HOST_PORT:-8000}
TARGETS="docker, apprunner, cloudrun, containerapp, kubernetes, eks, gke, aks"
DEPLOY_TIMEOUT=${DEPLOY_TIMEOUT:-900}
[[ $DEPLOY_TIMEOUT =~ ^[0-9]+$ ]] || die 2 "DEPLOY_TIMEOUT must be a number of seconds, got '$DEPLOY_TIMEOUT'"
POLL_SECONDS=10

service() {
	require SERVICE_NAME DEPLOY_ENV
	[[ $DEPLOY_ENV =~ ^[a-z][a-z0-9-]*$ ]] || die 2 "DEPLOY_ENV must be a lowercase name, got '$DEPLOY_ENV'"
	echo "$SERVICE_NAME-$DEPLOY_ENV"
}

# Polls a command that prints "ready", "failed: <why>" or, while in progress, anything
# else; exit 1 when it fails or is not ready within DEPLOY_TIMEOUT seconds.
wait_until_ready() { # what, command...
	local what=$1 deadline=$((SECONDS + DEPLOY_TIMEOUT)) state
	shift
	while true; do
		state=$("$@")
		case $state in
		ready) return 0 ;;
		failed*) die 1 "$what $state" ;;
		esac
		((SECONDS < deadline)) || die 1 "$what is not ready after ${DEPLOY_TIMEOUT}s: $state"
		sleep "$POLL_SECONDS"
	done
}

# Reads a containers list (JSON on stdin, at a dotted path) as the cloud CLIs print it.
container_current() { # path to the list, container name (empty: the first one)
	python3 -c '
import json, sys
path, name = sys.argv[1], sys.argv[2]
containers = json.load(sys.stdin)
for key in path.split("."):
    containers = containers[key]
found = [c for c in containers if not name or c.get("name") == name]
if not found:
    sys.exit(f"deploy.sh: no container named {name!r}")
env = {variable["name"]: variable.get("value", "") for variable in found[0].get("env") or []}
print(found[0]["image"], env.get("MODEL_VERSION", ""))
' "$1" "${2:-}"
}

# One file per kind of DEPLOY_TARGET, each with <target>_current and <target>_roll_to.
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/deploy/docker.sh"
source "$here/deploy/apprunner.sh"
source "$here/deploy/cloudrun.sh"
source "$here/deploy/containerapp.sh"
source "$here/deploy/kubernetes.sh"

# ---- commands ----

current() { # prints "IMAGE MODEL_VERSION" of what runs now, nothing if nothing does
	case ${DEPLOY_TARGET:=docker} in
	docker) docker_current ;;
	apprunner) apprunner_current ;;
	cloudrun) cloudrun_current ;;
	containerapp) containerapp_current ;;
	kubernetes | eks | gke | aks) kubernetes_current ;;
	*) die 2 "unknown DEPLOY_TARGET '$DEPLOY_TARGET' (supported: $TARGETS)" ;;
	esac
}

record() { # image, model version of what ran before this deployment
	local image=$1 version=$2
	echo "deploy.sh: previously running: ${image:-nothing} (model version ${version:-none})" >&2
	if [[ -n ${GITHUB_OUTPUT:-} ]]; then
		printf 'previous-image=%s\nprevious-model-version=%s\n' "$image" "$version" >>"$GITHUB_OUTPUT"
	fi
	if [[ -n ${DEPLOY_STATE_FILE:-} ]]; then
		printf 'PREVIOUS_IMAGE=%s\nPREVIOUS_MODEL_VERSION=%s\n' "$image" "$version" >"$DEPLOY_STATE_FILE"
	fi
}

roll_to() { # image, model version
	case ${DEPLOY_TARGET:=docker} in
	docker) docker_roll_to "$1" "$2" ;;
	apprunner) apprunner_roll_to "$1" "$2" ;;
	cloudrun) cloudrun_roll_to "$1" "$2" ;;
	containerapp) containerapp_roll_to "$1" "$2" ;;
	kubernetes | eks | gke | aks) kubernetes_roll_to "$1" "$2" ;;
	*) die 2 "unknown DEPLOY_TARGET '$DEPLOY_TARGET' (supported: $TARGETS)" ;;
	esac
}

deploy() {
	require IMAGE
	local before running_image="" running_version=""
	before=$(current)
	if [[ -n $before ]]; then
		read -r running_image running_version <<<"$before"
	fi
	record "$running_image" "$running_version"
	roll_to "${IMAGE:?}" "${MODEL_VERSION:-}"
}

rollback() {
	[[ -n ${PREVIOUS_IMAGE:-} ]] || die 2 "nothing to roll back to: PREVIOUS_IMAGE is empty"
	echo "deploy.sh: rolling back to $PREVIOUS_IMAGE" >&2
	roll_to "$PREVIOUS_IMAGE" "${PREVIOUS_MODEL_VERSION:-}"
}

training() {
	case ${DEPLOY_TARGET:=docker} in
	kubernetes | eks | gke | aks)
		require TRAIN_IMAGE
		kubernetes_training "$TRAIN_IMAGE"
		;;
	docker | apprunner | cloudrun | containerapp)
		echo "deploy.sh: DEPLOY_TARGET=$DEPLOY_TARGET has no retraining CronJob: nothing to do" >&2
		;;
	*) die 2 "unknown DEPLOY_TARGET '$DEPLOY_TARGET' (supported: $TARGETS)" ;;
	esac
}

http_status() { # url: the HTTP status, 000 when nothing answers
	curl --silent --output /dev/null --write-out '%{http_code}' --max-time 10 "$1" || true
}

sample_payload() { # the first row of a CSV as a /predict request body
	python3 -c '
import csv, json, sys
with open(sys.argv[1], newline="", encoding="utf-8") as handle:
    row = next(csv.DictReader(handle))
def value(text):
    try:
        return float(text)
    except ValueError:
        return text
print(json.dumps({"records": [{key: value(text) for key, text in row.items()}]}))
' "$1"
}

smoke() {
	local url=${SERVICE_URL:-http://127.0.0.1:$HOST_PORT}
	local sample=${SMOKE_SAMPLE:-data/sample.csv} timeout=${SMOKE_TIMEOUT:-120}
	url=${url%/}
	[[ -f $sample ]] || die 2 "no sample to send to /predict: $sample"
	local deadline=$((SECONDS + timeout)) status
	until status=$(http_status "$url/ready") && [[ $status == 200 ]]; do
		if ((SECONDS >= deadline)); then
			die 1 "smoke test failed: $url/ready answered $status for ${timeout}s (000: no answer)"
		fi
		sleep 2
	done
	status=$(http_status "$url/health")
	[[ $status == 200 ]] || die 1 "smoke test failed: $url/health answered $status"

	local body
	body=$(mktemp)
	trap 'rm -f "$body"' RETURN
	status=$(sample_payload "$sample" | curl --silent --output "$body" --write-out '%{http_code}' \
		--max-time 30 --header 'Content-Type: application/json' --data @- "$url/predict" || true)
	if [[ $status != 200 ]]; then
		die 1 "smoke test failed: $url/predict answered $status: $(head -c 2000 "$body")"
	fi
	python3 -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as handle:
    body = json.load(handle)
predictions = body.get("predictions")
if not isinstance(predictions, list) or len(predictions) != 1:
    sys.exit(f"smoke test failed: expected one prediction, got {body!r}")
print("smoke test passed:", sys.argv[2], "answers with model version", body.get("model_version"))
' "$body" "$url"
}

case ${1:-} in
deploy) deploy ;;
rollback) rollback ;;
smoke) smoke ;;
current) current ;;
training) training ;;
*) die 2 "usage: scripts/deploy.sh deploy|rollback|smoke|current|training (environment: see the top of this file)" ;;
esac
