# shellcheck shell=bash
# DEPLOY_TARGET=kubernetes (eks, gke, aks): a Deployment, and the retraining CronJob.
# Sourced by scripts/deploy.sh, which documents the settings and the contract.

KUBE_CONTAINER=serve       # the container's name in deploy/k8s/base/deployment.yaml
KUBE_TRAIN_CONTAINER=train # and in deploy/k8s/base/cronjob.yaml

kube_connect() { # fetch the credentials of KUBE_CLUSTER, if set, into the kubeconfig
	[[ -n ${KUBE_CLUSTER:-} ]] || return 0
	# The CLIs report on stdout, which `current` keeps for its answer.
	case $DEPLOY_TARGET in
	eks) aws eks update-kubeconfig --name "$KUBE_CLUSTER" >&2 ;;
	gke)
		require GCP_PROJECT GCP_REGION
		gcloud container clusters get-credentials "$KUBE_CLUSTER" --project "$GCP_PROJECT" \
			--region "$GCP_REGION" >&2
		;;
	aks)
		require AZURE_RESOURCE_GROUP
		az aks get-credentials --name "$KUBE_CLUSTER" --resource-group "$AZURE_RESOURCE_GROUP" \
			--overwrite-existing >&2
		;;
	esac || die 1 "cannot get the credentials of the cluster $KUBE_CLUSTER"
}

kube_target() { # fills in KUBE_NAMESPACE and KUBE_DEPLOYMENT, connects to KUBE_CLUSTER
	if [[ -z ${KUBE_NAMESPACE:-} ]]; then
		KUBE_NAMESPACE=$(service)
		if [[ $DEPLOY_ENV == production ]]; then
			KUBE_NAMESPACE=$SERVICE_NAME-prod # the name deploy/k8s/overlays/prod gives it
		fi
	fi
	KUBE_DEPLOYMENT=${KUBE_DEPLOYMENT:-${SERVICE_NAME:-}}
	[[ -n $KUBE_DEPLOYMENT ]] || die 2 "set KUBE_DEPLOYMENT or SERVICE_NAME"
	kube_connect
}

kubernetes_current() {
	local described
	kube_target
	described=$(kubectl get deployment "$KUBE_DEPLOYMENT" --namespace "$KUBE_NAMESPACE" --output json) ||
		die 1 "cannot read the Deployment $KUBE_DEPLOYMENT in the namespace $KUBE_NAMESPACE"
	container_current spec.template.spec.containers "$KUBE_CONTAINER" <<<"$described"
}

kubernetes_roll_to() { # image, model version
	local image=$1 version=$2 patch
	kube_target
	# Image and variable in one patch, so one rollout: no pod ever runs the new image
	# with the previous model version. ($patch is Kubernetes', not a shell variable.)
	# shellcheck disable=SC2016
	patch=$(python3 -c '
import json, sys
container, image, version = sys.argv[1:]
if version:
    variable = {"name": "MODEL_VERSION", "value": version}
else:
    variable = {"name": "MODEL_VERSION", "$patch": "delete"}
container = {"name": container, "image": image, "env": [variable]}
print(json.dumps({"spec": {"template": {"spec": {"containers": [container]}}}}))
' "$KUBE_CONTAINER" "$image" "$version")
	kubectl patch deployment "$KUBE_DEPLOYMENT" --namespace "$KUBE_NAMESPACE" --patch "$patch" >&2 ||
		die 1 "cannot update the Deployment $KUBE_DEPLOYMENT in the namespace $KUBE_NAMESPACE"
	kubectl rollout status "deployment/$KUBE_DEPLOYMENT" --namespace "$KUBE_NAMESPACE" \
		--timeout "${DEPLOY_TIMEOUT}s" >&2 ||
		die 1 "the Deployment $KUBE_DEPLOYMENT did not become ready in ${DEPLOY_TIMEOUT}s"
	echo "deploy.sh: $KUBE_NAMESPACE/$KUBE_DEPLOYMENT now runs $image (model version ${version:-champion})" >&2
}

kubernetes_training() { # image: the CronJob's next runs train with it (a running Job keeps its own)
	local image=$1 cronjob
	kube_target
	cronjob=${KUBE_CRONJOB:-$SERVICE_NAME-train}
	kubectl set image "cronjob/$cronjob" "$KUBE_TRAIN_CONTAINER=$image" --namespace "$KUBE_NAMESPACE" >&2 ||
		die 1 "cannot update the CronJob $cronjob in the namespace $KUBE_NAMESPACE"
	echo "deploy.sh: $KUBE_NAMESPACE/$cronjob now retrains with $image" >&2
}
