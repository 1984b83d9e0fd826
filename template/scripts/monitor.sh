#!/usr/bin/env bash
# The monitor workflow's checks (`make monitor CURRENT=...`): the data contract and
# drift of CURRENT against the champion's training data and, when FEEDBACK is set,
# live performance of the service's captured predictions. Leaves a report, whatever
# the outcome, and never an earlier run's: MONITOR_DIR is emptied first.
#
# Environment: CLI (the project command, make passes it), CURRENT (a .csv/.parquet
# batch or a directory of the service's captures), PARAMS (params.yaml), MONITOR_DIR
# (artifacts/monitor), FEEDBACK (labels joined to CAPTURED by request id; optional),
# CAPTURED (the capture directory; default CURRENT).
#
# Writes MONITOR_DIR/drift_report.json (the CLI's JSON report) and .html (its charts),
# drift.log, performance_report.json and performance.log (with FEEDBACK), summary.md.
# In a workflow it appends the summary to $GITHUB_STEP_SUMMARY and sets the step
# outputs, in $GITHUB_OUTPUT:
#   verdict      ok, drift (retrain), contract (the feed is broken: alert, do not
#                retrain) or failed (the check itself failed)
#   drifted      true only for drift: the monitor workflow retrains on it
#   performance  ok, breach (live metric breaks a quality gate: fall back), skipped
#                (no FEEDBACK) or failed
#
# It calls the CLI directly, not through make: make exits 2 whenever a recipe fails,
# which would hide the CLI's own codes (0 ok, 1 drift or breach, 4 contract, 2/3
# failures). Exit code: 0 when the checks ran, whatever they found; otherwise the
# failing check's code.
set -euo pipefail

[[ -n ${CLI:-} && -n ${CURRENT:-} ]] || {
	echo "monitor.sh: set CLI and CURRENT (make monitor CURRENT=FILE does)" >&2
	exit 2
}
read -r -a cli <<<"$CLI"
params=${PARAMS:-params.yaml}
out=${MONITOR_DIR:-artifacts/monitor}
rm -rf "$out"
mkdir -p "$out"

code=0
"${cli[@]}" drift "$CURRENT" --params "$params" --report "$out/drift_report.json" 2>&1 |
	tee "$out/drift.log" || code=$?
case $code in
0) verdict=ok text="no drift" ;;
1) verdict=drift text="**drift detected**: the monitor workflow retrains (ct.yml)" ;;
4) verdict=contract text="**the feed broke its data contract**: alert, no retraining" ;;
*) verdict=failed text="the drift check failed (exit code $code)" ;;
esac

perf_code=0
performance=skipped
if [[ -n ${FEEDBACK:-} ]]; then
	"${cli[@]}" performance "${CAPTURED:-$CURRENT}" "$FEEDBACK" --params "$params" \
		--report "$out/performance_report.json" 2>&1 | tee "$out/performance.log" || perf_code=$?
	case $perf_code in
	0) performance=ok ;;
	1) performance=breach ;;
	*) performance=failed ;;
	esac
fi

{
	echo "## Monitor"
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| contract and drift | $text |"
	echo "| live performance | $performance |"
	echo "| batch | \`$CURRENT\` |"
	echo "| reports | \`$out/\` (artifact) |"
	echo "| pictures | \`$out/drift_report.html\` (artifact; opens offline) |"
	echo
	echo '```text'
	cat "$out/drift.log"
	[[ ! -f $out/performance.log ]] || cat "$out/performance.log"
	echo '```'
} >"$out/summary.md"

if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
	cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
	{
		echo "verdict=$verdict"
		echo "drifted=$([[ $verdict == drift ]] && echo true || echo false)"
		echo "performance=$performance"
	} >>"$GITHUB_OUTPUT"
fi
echo "monitor: $verdict, live performance $performance (summary: $out/summary.md)" >&2
if [[ $verdict == failed ]]; then
	exit "$code"
fi
if [[ $performance == failed ]]; then
	exit "$perf_code"
fi
