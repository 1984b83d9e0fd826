#!/usr/bin/env bash
# Continuous training, the same for the CT workflow and for people (`make ct`):
# check the data contract, train a challenger (registered only if it passes the
# quality gates), promote it only if it beats the champion, score the champion.
#
# Environment: CLI (the project command, make passes it), PARAMS (params.yaml),
# CT_DIR (artifacts/ct), CT_REASON (why this run happened, shown in the summary),
# CT_RUNTIME (runner: here; rayjob: `tune --promote` as a KubeRay RayJob through
# scripts/rayjob.sh, which projects with engine ray and deploy_target kubernetes have).
#
# Writes CT_DIR/<step>.log for each step and CT_DIR/summary.md. In a workflow it also
# appends the summary to $GITHUB_STEP_SUMMARY and sets the step outputs promoted
# (true/false), champion and challenger (model versions) in $GITHUB_OUTPUT.
#
# Exit code: the first failing step's (1: a quality gate failed, 4: the data broke its
# contract, 2: bad usage, 3: crash); 0 when the run completed, champion replaced or kept.
# The steps call the CLI directly, not make, which would turn every failure into 2.
set -euo pipefail

[[ -n ${CLI:-} ]] || {
	echo "ct.sh: set CLI to the project command (make ct does)" >&2
	exit 2
}
read -r -a cli <<<"$CLI"
params=${PARAMS:-params.yaml}
out=${CT_DIR:-artifacts/ct}
mkdir -p "$out"
rm -f "$out"/*.log

code=0
failed=""
step() { # name, arguments of the CLI: run it unless a step failed, keep its output
	local name=$1
	shift
	[[ $code -eq 0 ]] || return 0
	echo "== $name" >&2
	"${cli[@]}" "$@" --params "$params" 2>&1 | tee "$out/$name.log" || {
		code=$?
		failed=$name
	}
}

runtime=${CT_RUNTIME:-runner}
case $runtime in
runner)
	logs=(validate train promote evaluate)
	step validate validate
	step train train
	step promote promote
	step evaluate evaluate
	;;
rayjob)
	[[ -f scripts/rayjob.sh ]] || {
		echo "ct.sh: CT_RUNTIME=rayjob needs scripts/rayjob.sh (engine ray, deploy_target kubernetes)" >&2
		exit 2
	}
	# Search, train and promote run in the cluster; their output is the job's log.
	logs=(rayjob)
	echo "== rayjob" >&2
	bash scripts/rayjob.sh 2>&1 | tee "$out/rayjob.log" || {
		code=$?
		failed=rayjob
	}
	;;
*)
	echo "ct.sh: CT_RUNTIME is runner or rayjob here (job runs through make ct-job), not $runtime" >&2
	exit 2
	;;
esac
train_log=${logs[1]:-${logs[0]}}
promote_log=${logs[2]:-${logs[0]}}

field() { # sed expression, log: the first match, empty when the log or line is missing
	[[ -f $out/$2.log ]] || return 0
	sed -n "$1" "$out/$2.log" | head -n 1
}
challenger=$(field 's/^registered .* version \([0-9][0-9]*\) as challenger$/\1/p' "$train_log")
champion=$(field 's/^champion is now version \([0-9][0-9]*\)$/\1/p' "$promote_log")
promoted=false
if [[ $code -eq 4 ]]; then
	# The CLI's own code for data that broke its contract: a broken feed, not a model
	# problem. Nothing is trained on it; the data's owners have to fix it.
	outcome="**the training data broke its contract** at \`$failed\` (exit code 4): nothing was trained or promoted"
elif [[ $code -ne 0 ]]; then
	outcome="failed at \`$failed\` (exit code $code): nothing was promoted"
elif grep -q '^promoted:' "$out/$promote_log.log"; then
	promoted=true
	outcome="challenger promoted: $(field 's/^promoted: //p' "$promote_log")"
else
	outcome="champion kept: $(field 's/^kept champion: //p' "$promote_log")"
fi

{
	echo "## Continuous training"
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| outcome | $outcome |"
	echo "| trigger | ${CT_REASON:-manual run} |"
	echo "| challenger | ${challenger:+version }${challenger:-none registered} |"
	echo "| champion | ${champion:+version }${champion:-unchanged} |"
	echo "| parameters | \`$params\` |"
	echo "| runtime | $runtime |"
	echo "| registry | ${MLFLOW_TRACKING_URI:-the store in $params (local)} |"
	for name in "${logs[@]}"; do
		[[ -f $out/$name.log ]] || continue
		echo
		echo "### $name"
		echo
		echo '```text'
		cat "$out/$name.log"
		echo '```'
	done
} >"$out/summary.md"

if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
	cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
	printf 'promoted=%s\nchampion=%s\nchallenger=%s\n' \
		"$promoted" "$champion" "$challenger" >>"$GITHUB_OUTPUT"
fi
echo "ct: $outcome (summary: $out/summary.md)" >&2
exit "$code"
