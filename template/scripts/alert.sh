#!/usr/bin/env bash
# Open, or update, the ONE open alert issue of a kind, for the monitor workflow:
#
#   scripts/alert.sh contract   the input feed breaks its data contract
#   scripts/alert.sh health     the service fails its health check, and its champion was
#                               not just promoted: no fallback, a person looks
#   scripts/alert.sh rollback   the champion was rolled back (live performance, or the
#                               health check right after a promotion)
#
# A repeated alarm comments on the open issue of its kind instead of opening another;
# closing the issue re-arms the alert. Environment: GH_TOKEN (issues: write), GH_REPO
# (outside a checkout), RUN_URL (the workflow run, linked from the issue), FALLBACK (the
# fallback job's result, for rollback), ALERT_LABEL (default monitor-alert). Needs gh and jq (both on
# GitHub's runners).
set -euo pipefail

usage="usage: scripts/alert.sh contract|health|rollback"
[[ $# -eq 1 ]] || {
	echo "$usage" >&2
	exit 2
}
label=${ALERT_LABEL:-monitor-alert}
run=${RUN_URL:-a local run}
case $1 in
contract)
	title="Monitor: the input feed breaks its data contract"
	what="Rows of the monitored batch break the data contract (see the drift report).
The model was not retrained on them: fix the feed."
	;;
health)
	title="Monitor: the service fails its health check"
	what="The service fails its smoke test (/ready, /health, /predict), and its champion was
not promoted within promotion.fallback_window_hours: the model was not rolled back.
Look at the service (logs, resources, the model registry it reads)."
	;;
rollback)
	title="Monitor: the champion was rolled back"
	what="Live performance broke a quality gate, or the service failed its health check
right after a promotion. Falling back to the previous champion: ${FALLBACK:-unknown}.
A service that follows the champion swaps it in within serve.reload_seconds; pinned
deployments are redeployed by CD (docs/operations.md)."
	;;
*)
	echo "$usage" >&2
	exit 2
	;;
esac
body=$(mktemp)
trap 'rm -f "$body"' EXIT
printf '%s\n\nRun: %s\n' "$what" "$run" >"$body"

gh label create "$label" --color B60205 --description "Raised by the monitor workflow" \
	--force >/dev/null
number=$(gh issue list --state open --label "$label" --limit 100 --json number,title |
	jq -r --arg title "$title" 'map(select(.title == $title)) | .[0].number // empty')
if [[ -n $number ]]; then
	gh issue comment "$number" --body-file "$body"
	echo "alert: commented on issue #$number ($title)"
else
	gh issue create --title "$title" --label "$label" --body-file "$body"
	echo "alert: opened an issue ($title)"
fi
