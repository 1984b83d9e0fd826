#!/usr/bin/env bash
# Bring the project up to the latest template release and stage the result for a pull
# request (the template-update workflow; `make template-update` locally). Needs forgeml
# on PATH and a clean work tree.
#
#   forgeml check-update   exit 0: up to date, nothing to do
#                          exit 1: a newer release exists -> forgeml update
#   forgeml update         exit 0: applied cleanly; exit 1: applied with conflicts
#                          -> `git add -A` (conflict markers included, so the pull
#                          request shows them) and a pull-request body listing them
#                          exit 2: refused -> this script fails
#
# Environment: UPDATE_DIR, where report.json and pr-body.md go (default: a new
# temporary directory; never inside the work tree, which must stay clean).
# In a workflow it sets the step outputs update (true/false), version, conflicts
# (their number) and body-path in $GITHUB_OUTPUT. Nothing is committed or pushed.
set -euo pipefail

output() {
	if [[ -n ${GITHUB_OUTPUT:-} ]]; then
		printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
	fi
}

dir=${UPDATE_DIR:-$(mktemp -d)}
mkdir -p "$dir"

code=0
forgeml check-update --format json >"$dir/check.json" || code=$?
case $code in
0)
	echo "template-update: the project is at the latest template release" >&2
	output update false
	exit 0
	;;
1) ;;
*)
	echo "template-update: forgeml check-update failed (exit code $code)" >&2
	exit "$code"
	;;
esac

code=0
forgeml update --format json >"$dir/report.json" || code=$?
if [[ $code -gt 1 ]]; then
	echo "template-update: forgeml update refused or failed (exit code $code)" >&2
	exit "$code"
fi
# Stage everything, conflicted files included: an unmerged index cannot be committed.
git add -A

# The pull-request body, from the JSON report; prints "VERSION CONFLICTS".
summary=$(python3 - "$dir/report.json" "$dir/pr-body.md" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
lines = [
    f"Updates the project template from {report['from_version']} to {report['to_version']}"
    " with `forgeml update`; local edits are kept (3-way merge).",
    "",
]
for kind in ("updated", "added", "removed"):
    paths = report.get(kind) or []
    if paths:
        lines.append(f"- {kind}: " + ", ".join(f"`{path}`" for path in paths))
if report.get("migrations"):
    lines.append("- template migrations run: " + ", ".join(map(str, report["migrations"])))
conflicts = report.get("conflicts") or []
lines.append("")
if conflicts:
    lines += [
        f"### {len(conflicts)} conflict(s) to resolve before merging",
        "",
        "The template and this project changed the same lines. The files below are",
        "committed with conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`): check out",
        "this branch, resolve them, commit and push.",
        "",
        "| file | reason |",
        "|---|---|",
    ]
    lines += [f"| `{item['path']}` | {item['reason']} |" for item in conflicts]
else:
    lines.append("No conflicts: review the diff and merge.")
lines += ["", "See the template's CHANGELOG for what changed."]
with open(sys.argv[2], "w", encoding="utf-8") as body:
    body.write("\n".join(lines) + "\n")
print(report["to_version"], len(conflicts))
PY
)
read -r version conflicts <<<"$summary"
output update true
output version "$version"
output conflicts "$conflicts"
output body-path "$dir/pr-body.md"
echo "template-update: staged the update to $version with $conflicts conflict(s);" \
	"pull-request body in $dir/pr-body.md" >&2
