"""Family `template`: how old the project's template release may be."""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.version import Version

from generator.checks.model import Check, Finding
from generator.project.answers import ANSWERS_FILE
from generator.templates.releases import newer_than, parse_release

if TYPE_CHECKING:
    from generator.checks.context import RepoContext
    from generator.policy.file import Policy


def oldest_release(context: RepoContext, policy: Policy) -> list[Finding] | None:
    if policy.oldest_release is None:
        return None
    current = context.project.commit
    version = parse_release(current)
    where = context.answer_lines.get("_commit")
    if version is None and policy.allow_unreleased:
        return []  # a development build of the template, allowed by this policy
    if version is None:
        return [
            Finding(
                f"template {current} is not a release, so it cannot be compared with the "
                f"oldest allowed release {policy.oldest_release} (allow_unreleased = true "
                "in [template] accepts unreleased template commits)",
                ANSWERS_FILE,
                where,
            )
        ]
    if version < Version(policy.oldest_release):
        return [
            Finding(
                f"template {current} is older than {policy.oldest_release}, "
                "the oldest release allowed",
                ANSWERS_FILE,
                where,
            )
        ]
    return []


def releases_behind(context: RepoContext, policy: Policy) -> list[Finding] | None:
    if policy.max_releases_behind is None:
        return None
    current = context.project.commit
    newer = newer_than(current, context.release_tags)
    if len(newer) <= policy.max_releases_behind:
        return []
    return [
        Finding(
            f"template {current} is {len(newer)} releases behind {newer[-1]} "
            f"(at most {policy.max_releases_behind} allowed)",
            ANSWERS_FILE,
            context.answer_lines.get("_commit"),
        )
    ]


_FIX_UPDATE = (
    "Run `forgeml update` (3-way, keeps local edits), review the diff and merge it; "
    "`forgeml check-update` lists the newer releases."
)

CHECKS = (
    Check(
        code="FML201",
        family="template",
        title="The template release is not older than the oldest allowed",
        fix=_FIX_UPDATE,
        run=oldest_release,
        requires=("FML001",),
    ),
    Check(
        code="FML202",
        family="template",
        title="The template release lags the latest by few enough releases",
        fix=_FIX_UPDATE,
        run=releases_behind,
        requires=("FML001",),
    ),
)
