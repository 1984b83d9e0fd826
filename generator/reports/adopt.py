"""`forgeml adopt`'s report: the answers it recorded and what happens to each file."""

from __future__ import annotations

import json
from typing import Any

from generator.commands.adopt import Action, AdoptResult


def adopt_text(result: AdoptResult) -> str:
    verb = "Would adopt" if result.dry_run else "Adopted"
    lines = [f"{verb} {result.path} into template {result.release} ({result.source})"]
    if result.dry_run:
        lines.append(f"on a new branch {result.branch}; nothing was changed (dry run)")
    else:
        lines.append(
            f"on the new branch {result.branch} (commit {(result.commit or '')[:12]}, "
            f"from {result.base}); the checked-out branch is unchanged"
        )
    lines += ["", "Answers (recorded in .copier-answers.yml):"]
    for key, value in result.answers.items():
        origin = result.inferred_from.get(key)
        lines.append(f"  {key} = {value}" + (f"  (from {origin})" if origin else ""))
    sections: tuple[tuple[Action, str], ...] = (
        ("add", "Added from the template"),
        ("merge", "Merged"),
        ("keep", "Kept as they are (created once)"),
    )
    for action, title in sections:
        paths = result.paths(action)
        if paths:
            lines += ["", f"{title} ({len(paths)}):", *(f"  {path}" for path in paths)]
    if result.conflicts:
        lines += ["", f"Conflicts to resolve ({len(result.conflicts)}):"]
        lines += [f"  {plan.path}: {plan.reason}" for plan in result.conflicts]
    same = len(result.paths("same"))
    if same:
        lines += ["", f"Already identical to the template: {same} file(s)."]
    lines += ["", *_next_steps(result)]
    return "\n".join(lines) + "\n"


def _next_steps(result: AdoptResult) -> list[str]:
    if result.dry_run:
        return ["Run without --dry-run to commit this on the branch."]
    steps = [f"Next: git checkout {result.branch}"]
    if result.conflicts:
        steps.append(
            "  resolve every conflict above (files marked <<<<<<< project / >>>>>>> template "
            "hold both versions), commit,"
        )
    steps.append("  run `forgeml check`, then open a pull request to merge the branch.")
    return steps


def adopt_json(result: AdoptResult) -> str:
    """The same facts for scripts: one entry per file with its action and reason."""
    payload: dict[str, Any] = {
        "path": str(result.path),
        "source": result.source,
        "release": result.release,
        "branch": result.branch,
        "dry_run": result.dry_run,
        "commit": result.commit,
        "base": result.base,
        "answers": result.answers,
        "inferred_from": result.inferred_from,
        "files": [
            {"path": plan.path, "action": plan.action, "reason": plan.reason}
            for plan in result.files
        ],
        "exit_code": result.exit_code,
    }
    return json.dumps(payload, indent=2, default=str) + "\n"
