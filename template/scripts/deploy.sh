#!/usr/bin/env bash
# Roll the prediction service to an image, smoke-test it, roll it back.
# The CD workflow and people run it through make (deploy, rollback, smoke-test-url).
#
#   scripts/deploy.sh deploy     roll the service to $IMAGE, pinned to $MODEL_VERSION
#   scripts/deploy.sh rollback   roll it back to $PREVIOUS_IMAGE and $PREVIOUS_MODEL_VERSION
#   scripts/deploy.sh smoke      check $SERVICE_URL: /ready, /health and one /predict
#   scripts/deploy.sh current    print the image and model version running now
#
# Environment:
#   DEPLOY_ENV      staging or production; the service is $SERVICE_NAME-$DEPLOY_ENV
#   SERVICE_NAME    name of the service (make passes IMAGE_NAME)
#   DEPLOY_TARGET   where the service runs. `docker` (the default): one container on
#                   the Docker daemon DOCKER_HOST names (this machine's when unset, or
#                   ssh://user@host, or a docker context). Targets for a cloud's
#                   container service are added next to deploy_docker below.
#   IMAGE           image to deploy, e.g. ghcr.io/acme/churn:<commit>-model-3
#   MODEL_VERSION   registry version the service serves (empty: the champion at start)
#   MLFLOW_TRACKING_URI, CONTAINER_ENV_FILE
#                   passed to the container (the model registry and its credentials)
#   HOST_PORT       port published on the host (default 8000)
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
set -euo pipefail

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
CONTAINER_PORT=8000
MODEL_LABEL=org.forgeml.model-version

service() {
	require SERVICE_NAME DEPLOY_ENV
	[[ $DEPLOY_ENV =~ ^[a-z][a-z0-9-]*$ ]] || die 2 "DEPLOY_ENV must be a lowercase name, got '$DEPLOY_ENV'"
	echo "$SERVICE_NAME-$DEPLOY_ENV"
}

# ---- DEPLOY_TARGET=docker: one container on a Docker daemon ----

docker_current() { # prints "IMAGE MODEL_VERSION" of the running container, nothing if none
	local name=$1 inspected
	inspected=$(docker inspect --type container "$name" 2>/dev/null) || return 0
	python3 -c '
import json, sys
config = json.load(sys.stdin)[0]["Config"]
labels = config.get("Labels") or {}
print(config["Image"], labels.get(sys.argv[1], ""))
' "$MODEL_LABEL" <<<"$inspected"
}

docker_run() { # image, model version: replace the container with one running image
	local name=$1 image=$2 version=$3
	if [[ $DEPLOY_ENV == production && -z ${DOCKER_HOST:-} && ${RUNNER_ENVIRONMENT:-} == github-hosted ]]; then
		die 2 "refusing to run production on this GitHub-hosted runner's own Docker daemon," \
			"which disappears with the job: set DOCKER_HOST (or another DEPLOY_TARGET)" \
			"in the production environment"
	fi
	# The registry's image; an image built on this machine and never pushed also works.
	docker pull --quiet "$image" || docker image inspect "$image" >/dev/null ||
		die 1 "cannot pull $image (log in to its registry first)"
	docker rm --force "$name" >/dev/null 2>&1 || true
	local run=(run --detach --name "$name" --restart unless-stopped
		--publish "$HOST_PORT:$CONTAINER_PORT" --label "$MODEL_LABEL=$version")
	if [[ -n ${MLFLOW_TRACKING_URI:-} ]]; then
		run+=(--env MLFLOW_TRACKING_URI)
	fi
	if [[ -n ${CONTAINER_ENV_FILE:-} ]]; then
		run+=(--env-file "$CONTAINER_ENV_FILE")
	fi
	run+=("$image" serve --host 0.0.0.0 --port "$CONTAINER_PORT")
	if [[ -n $version ]]; then
		run+=(--model-version "$version")
	fi
	docker "${run[@]}" >/dev/null
	echo "deploy.sh: $name now runs $image (model version ${version:-champion})" >&2
}

# ---- commands ----

current() {
	local name
	name=$(service)
	case ${DEPLOY_TARGET:-docker} in
	docker) docker_current "$name" ;;
	*) die 2 "unknown DEPLOY_TARGET '${DEPLOY_TARGET}' (supported: docker)" ;;
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
	local name
	name=$(service)
	case ${DEPLOY_TARGET:-docker} in
	docker) docker_run "$name" "$1" "$2" ;;
	*) die 2 "unknown DEPLOY_TARGET '${DEPLOY_TARGET}' (supported: docker)" ;;
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
*) die 2 "usage: scripts/deploy.sh deploy|rollback|smoke|current (environment: see the top of this file)" ;;
esac
