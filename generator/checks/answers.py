"""Family `answers`: questionnaire answers the policy locks or restricts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from generator.checks.model import Check, Finding
from generator.project.answers import ANSWERS_FILE

if TYPE_CHECKING:
    from generator.checks.context import RepoContext
    from generator.policy.file import Policy

_FIX = (
    "Change the answer with `forgeml update --data KEY=VALUE` (it re-renders every file "
    "that depends on it), or record an exception with a reason under [checks.ignore]."
)


def same_answer(recorded: Any, wanted: Any) -> bool:
    """YAML and TOML type scalars differently (`3.12` may be a float in one, a string in
    the other); an answer matches when the values or their spellings are equal."""
    if isinstance(recorded, bool) or isinstance(wanted, bool):
        return recorded is wanted
    return bool(recorded == wanted or str(recorded) == str(wanted))


def locked_answers(context: RepoContext, policy: Policy) -> list[Finding] | None:
    if not policy.locked_answers:
        return None
    return _answer_findings(
        context,
        {name: (value,) for name, value in policy.locked_answers.items()},
        lambda name, value: f"{name} must be {value!r}",
    )


def allowed_answers(context: RepoContext, policy: Policy) -> list[Finding] | None:
    if not policy.allowed_answers:
        return None
    return _answer_findings(
        context,
        policy.allowed_answers,
        lambda name, values: f"{name} must be one of {', '.join(map(repr, values))}",
    )


def _answer_findings(
    context: RepoContext,
    wanted: dict[str, tuple[Any, ...]],
    rule: Callable[[str, Any], str],
) -> list[Finding]:
    answers = context.project.answers
    findings: list[Finding] = []
    for name, values in sorted(wanted.items()):
        shown = values[0] if len(values) == 1 else values
        if name not in answers:
            findings.append(
                Finding(f"{rule(name, shown)}; the project records no answer for it", ANSWERS_FILE)
            )
        elif not any(same_answer(answers[name], value) for value in values):
            findings.append(
                Finding(
                    f"{rule(name, shown)}, not {answers[name]!r}",
                    ANSWERS_FILE,
                    context.answer_lines.get(name),
                )
            )
    return findings


CHECKS = (
    Check(
        code="FML101",
        family="answers",
        title="Locked answers have the required value",
        fix=_FIX,
        run=locked_answers,
        requires=("FML001",),
    ),
    Check(
        code="FML102",
        family="answers",
        title="Restricted answers have an allowed value",
        fix=_FIX,
        run=allowed_answers,
        requires=("FML001",),
    ),
)
