# shellcheck shell=bash
# DEPLOY_TARGET=containerapp: an Azure Container App.
# Sourced by scripts/deploy.sh, which documents the settings and the contract.

containerapp_show() {
	require CONTAINER_APP AZURE_RESOURCE_GROUP
	az containerapp show --name "$CONTAINER_APP" --resource-group "$AZURE_RESOURCE_GROUP" --output json ||
		die 1 "cannot show the Container App $CONTAINER_APP"
}

containerapp_current() {
	local shown
	shown=$(containerapp_show)
	container_current properties.template.containers <<<"$shown"
}

containerapp_revision() { # "ready" once the latest revision is, "failed: ..." or progress
	local shown
	shown=$(containerapp_show)
	python3 -c '
import json, sys
app = json.load(sys.stdin)["properties"]
if app.get("provisioningState") == "Failed":
    print("failed: provisioning failed")
elif app.get("latestReadyRevisionName") == app.get("latestRevisionName"):
    print("ready")
else:
    print("revision", app.get("latestRevisionName"), "is starting")
' <<<"$shown"
}

containerapp_roll_to() { # image, model version
	require CONTAINER_APP AZURE_RESOURCE_GROUP
	local image=$1 version=$2 model=(--remove-env-vars MODEL_VERSION)
	if [[ -n $version ]]; then
		model=(--set-env-vars "MODEL_VERSION=$version")
	fi
	az containerapp update --name "$CONTAINER_APP" --resource-group "$AZURE_RESOURCE_GROUP" \
		--image "$image" "${model[@]}" --output none ||
		die 1 "Azure did not update the Container App $CONTAINER_APP to $image"
	# The update returns once the new revision exists; the old one serves until the new
	# one is ready, which may never happen (a crashing container).
	wait_until_ready "Container App $CONTAINER_APP" containerapp_revision
	echo "deploy.sh: $CONTAINER_APP now runs $image (model version ${version:-champion})" >&2
}
