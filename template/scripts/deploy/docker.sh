# shellcheck shell=bash
# DEPLOY_TARGET=docker: one container on a Docker daemon.
# Sourced by scripts/deploy.sh, which documents the settings and the contract.

CONTAINER_PORT=8000
MODEL_LABEL=org.forgeml.model-version # the model version, on the container

docker_current() { # prints "IMAGE MODEL_VERSION" of the running container, nothing if none
	local name inspected
	name=$(service)
	inspected=$(docker inspect --type container "$name" 2>/dev/null) || return 0
	python3 -c '
import json, sys
config = json.load(sys.stdin)[0]["Config"]
labels = config.get("Labels") or {}
print(config["Image"], labels.get(sys.argv[1], ""))
' "$MODEL_LABEL" <<<"$inspected"
}

docker_roll_to() { # image, model version: replace the container with one running image
	local name image=$1 version=$2
	name=$(service)
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
