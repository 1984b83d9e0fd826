# shellcheck shell=bash
# DEPLOY_TARGET=apprunner: an AWS App Runner service.
# Sourced by scripts/deploy.sh, which documents the settings and the contract.

apprunner_describe() {
	require APPRUNNER_SERVICE_ARN
	aws apprunner describe-service --service-arn "$APPRUNNER_SERVICE_ARN" --output json ||
		die 1 "cannot describe the App Runner service $APPRUNNER_SERVICE_ARN"
}

apprunner_current() {
	local described
	described=$(apprunner_describe)
	python3 -c '
import json, sys
repository = json.load(sys.stdin)["Service"]["SourceConfiguration"]["ImageRepository"]
variables = repository.get("ImageConfiguration", {}).get("RuntimeEnvironmentVariables") or {}
print(repository["ImageIdentifier"], variables.get("MODEL_VERSION", ""))
' <<<"$described"
}

apprunner_operation() { # id: "ready", "failed: ..." or the status while in progress
	local operations
	operations=$(aws apprunner list-operations --service-arn "$APPRUNNER_SERVICE_ARN" --output json) ||
		die 1 "cannot list the operations of $APPRUNNER_SERVICE_ARN"
	python3 -c '
import json, sys
operations = json.load(sys.stdin)["OperationSummaryList"]
status = next((o["Status"] for o in operations if o["Id"] == sys.argv[1]), "PENDING")
if status == "SUCCEEDED":
    print("ready")
elif status in ("PENDING", "IN_PROGRESS", "ROLLBACK_IN_PROGRESS"):
    print(status)  # after a failure too: App Runner refuses updates until it rolled back
else:
    print("failed:", status)
' "$1" <<<"$operations"
}

apprunner_roll_to() { # image, model version
	local image=$1 version=$2 described configuration file updated operation status=0
	described=$(apprunner_describe)
	# update-service replaces the whole source configuration: start from the current one
	# so the port, the other variables and the registry access role stay as they are.
	configuration=$(python3 -c '
import json, sys
image, version = sys.argv[1:]
source = json.load(sys.stdin)["Service"]["SourceConfiguration"]
repository = source["ImageRepository"]
repository["ImageIdentifier"] = image
variables = repository.setdefault("ImageConfiguration", {}).setdefault("RuntimeEnvironmentVariables", {})
if version:
    variables["MODEL_VERSION"] = version
else:
    variables.pop("MODEL_VERSION", None)
print(json.dumps(source))
' "$image" "$version" <<<"$described")
	file=$(mktemp)
	echo "$configuration" >"$file"
	updated=$(aws apprunner update-service --service-arn "$APPRUNNER_SERVICE_ARN" \
		--source-configuration "file://$file" --output json) || status=$?
	rm -f "$file"
	((status == 0)) || die 1 "App Runner refused the update of $APPRUNNER_SERVICE_ARN"
	operation=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["OperationId"])' <<<"$updated")
	# The service's status goes back to RUNNING after a failed update too (App Runner
	# rolls back by itself): only the operation's status tells whether it worked.
	wait_until_ready "App Runner update $operation" apprunner_operation "$operation"
	echo "deploy.sh: $APPRUNNER_SERVICE_ARN now runs $image (model version ${version:-champion})" >&2
}
