#!/usr/bin/env bash
# The monitor workflow's health check (`make health URL=...`): smoke-tests the service
# at URL (/ready, /health, one /predict; scripts/deploy.sh smoke) and, when that fails,
# asks the registry whether the champion was promoted within
# promotion.fallback_window_hours (`<cli> promoted-recently`). Only then is the failure
# blamed on the new model and the monitor falls back to the previous champion; a service
# that breaks later is not the model's fault, and gets an alert instead.
#
# Environment: CLI (the project command, make passes it), SERVICE_URL, PARAMS
# (params.yaml). In a workflow it appends a line to $GITHUB_STEP_SUMMARY and sets the
# step outputs, in $GITHUB_OUTPUT:
#   health             ok or failure (the smoke test failed)
#   promoted-recently  true or false when health is failure (empty otherwise)
#
# It calls the CLI directly, not through make, which turns every failing code into 2.
# Exit code: 0 when the checks ran, whatever they found; the CLI's code when
# promoted-recently could not answer (2 bad params.yaml, 3 the registry failed), after
# setting the outputs (promoted-recently=unknown).
set -euo pipefail

[[ -n ${CLI:-} && -n ${SERVICE_URL:-} ]] || {
	echo "health.sh: set CLI and SERVICE_URL (make health URL=... does)" >&2
	exit 2
}
read -r -a cli <<<"$CLI"
params=${PARAMS:-params.yaml}

health=ok
recent=
code=0
bash scripts/deploy.sh smoke || code=$?
case $code in
0) ;;
1) health=failure ;;
*) exit "$code" ;; # deploy.sh could not run the smoke test (its message says why)
esac
if [[ $health == failure ]]; then
	code=0
	"${cli[@]}" promoted-recently --params "$params" || code=$?
	case $code in
	0) recent=true ;;
	1) recent=false code=0 ;;
	*) recent=unknown ;;
	esac
fi

case $health/$recent in
ok/) text="the service at $SERVICE_URL is healthy" ;;
failure/true) text="**the service fails its health check right after a promotion**: fall back to the previous champion" ;;
failure/false) text="**the service fails its health check**, its champion was not just promoted: alert, no fallback" ;;
*) text="**the service fails its health check**, and the registry could not say when the champion was promoted (exit code $code)" ;;
esac
echo "health: $health${recent:+, promoted recently: $recent}" >&2
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
	printf '## Health\n\n%s\n' "$text" >>"$GITHUB_STEP_SUMMARY"
fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
	{
		echo "health=$health"
		echo "promoted-recently=$recent"
	} >>"$GITHUB_OUTPUT"
fi
exit "$code"
