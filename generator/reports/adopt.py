"""`forgeml adopt`'s report: the answers it recorded and what happens to each file."""

from __future__ import annotations

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
