#!/usr/bin/env bash
# Open, or update, the ONE open alert issue of a kind, for the monitor workflow:
#
#   scripts/alert.sh contract   the input feed breaks its data contract
#   scripts/alert.sh VERDICT    (anything else) the champion was rolled back
#
# A repeated alarm comments on the open issue of its kind instead of opening another;
# closing the issue re-arms the alert. Environment: GH_TOKEN (issues: write), GH_REPO
# (outside a checkout), RUN_URL (the workflow run, linked from the issue), FALLBACK (the
# fallback job's result), ALERT_LABEL (default monitor-alert). Needs gh and jq (both on
# GitHub's runners).
set -euo pipefail

[[ $# -eq 1 ]] || {
	echo "usage: scripts/alert.sh contract|VERDICT" >&2
	exit 2
}
label=${ALERT_LABEL:-monitor-alert}
run=${RUN_URL:-a local run}
if [[ $1 == contract ]]; then
	title="Monitor: the input feed breaks its data contract"
	what="Rows of the monitored batch break the data contract (see the drift report).
The model was not retrained on them: fix the feed."
else
	title="Monitor: the champion was rolled back"
	what="Live performance or the service's health failed. Falling back to the previous
champion: ${FALLBACK:-unknown}. The service serves it once restarted (docs/operations.md)."
fi
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
