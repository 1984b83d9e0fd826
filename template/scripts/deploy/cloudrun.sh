# shellcheck shell=bash
# DEPLOY_TARGET=cloudrun: a Google Cloud Run service.
# Sourced by scripts/deploy.sh, which documents the settings and the contract.

cloudrun_current() {
	require CLOUD_RUN_SERVICE GCP_PROJECT GCP_REGION
	local described
	described=$(gcloud run services describe "$CLOUD_RUN_SERVICE" --project "$GCP_PROJECT" \
		--region "$GCP_REGION" --format json) ||
		die 1 "cannot describe the Cloud Run service $CLOUD_RUN_SERVICE"
	container_current spec.template.spec.containers <<<"$described"
}

cloudrun_roll_to() { # image, model version
	require CLOUD_RUN_SERVICE GCP_PROJECT GCP_REGION
	local image=$1 version=$2 model=(--remove-env-vars MODEL_VERSION)
	if [[ -n $version ]]; then
		model=(--update-env-vars "MODEL_VERSION=$version")
	fi
	# gcloud waits until the new revision serves, and fails when it does not.
	gcloud run deploy "$CLOUD_RUN_SERVICE" --project "$GCP_PROJECT" --region "$GCP_REGION" \
		--image "$image" "${model[@]}" --quiet >&2 ||
		die 1 "Cloud Run did not roll $CLOUD_RUN_SERVICE to $image"
	echo "deploy.sh: $CLOUD_RUN_SERVICE now runs $image (model version ${version:-champion})" >&2
}
