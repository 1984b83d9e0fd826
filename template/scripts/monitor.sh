#!/usr/bin/env bash
# Drift check for the monitor workflow (`make monitor CURRENT=...`): compares CURRENT
# with the champion's training data and leaves a report, whatever the outcome.
#
# Environment: CLI (the project command, make passes it), CURRENT (the recent batch),
# PARAMS (params.yaml), MONITOR_DIR (artifacts/monitor).
#
# Writes MONITOR_DIR/drift_report.json (the CLI's JSON report) and .html (its charts), drift.log and
# summary.md. In a workflow it also appends the summary to $GITHUB_STEP_SUMMARY and
# sets the step output drifted (true/false) in $GITHUB_OUTPUT.
#
# Exit code: 0 when the check ran, drift or not (the drifted output says which; use
# `make drift` for exit code 1 on drift); 2 bad usage; 3 crash.
set -euo pipefail

[[ -n ${CLI:-} && -n ${CURRENT:-} ]] || {
	echo "monitor.sh: set CLI and CURRENT (make monitor CURRENT=FILE does)" >&2
	exit 2
}
read -r -a cli <<<"$CLI"
params=${PARAMS:-params.yaml}
out=${MONITOR_DIR:-artifacts/monitor}
mkdir -p "$out"

code=0
"${cli[@]}" drift "$CURRENT" --params "$params" --report "$out/drift_report.json" 2>&1 |
	tee "$out/drift.log" || code=$?

case $code in
0) drifted=false verdict="no drift" ;;
1) drifted=true verdict="**drift detected** (the monitor workflow then runs ct.yml)" ;;
*) drifted=false verdict="the drift check failed (exit code $code)" ;;
esac

{
	echo "## Drift check"
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| result | $verdict |"
	echo "| batch | \`$CURRENT\` |"
	echo "| report | \`$out/drift_report.json\` (artifact) |"
	echo "| pictures | \`$out/drift_report.html\` (artifact; opens offline) |"
	echo
	echo '```text'
	cat "$out/drift.log"
	echo '```'
} >"$out/summary.md"

if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
	cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
	echo "drifted=$drifted" >>"$GITHUB_OUTPUT"
fi
echo "monitor: $verdict (summary: $out/summary.md)" >&2
if [[ $code -gt 1 ]]; then
	exit "$code"
fi
