"""Family `ci`: CI jobs every project must run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from generator.checks.model import Check, Finding

if TYPE_CHECKING:
    from pathlib import Path

    from generator.checks.context import RepoContext
    from generator.policy.file import Policy

WORKFLOWS_DIR = ".github/workflows"
# libyaml's safe loader when PyYAML has it: the same documents, about ten times faster
# than the pure-Python one, which took most of a `forgeml check` on large workflows.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def required_jobs(context: RepoContext, policy: Policy) -> list[Finding] | None:
    if not policy.required_jobs:
        return None
    findings: list[Finding] = []
    defined: set[str] = set()
    for workflow in _workflow_files(context.path):
        relpath = workflow.relative_to(context.path).as_posix()
        try:
            loaded = yaml.load(workflow.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            reason = " ".join(str(error).split())
            findings.append(Finding(f"cannot be read, so its jobs are unknown: {reason}", relpath))
            continue
        jobs = loaded.get("jobs") if isinstance(loaded, dict) else None
        if isinstance(jobs, dict):
            defined.update(str(job) for job in jobs)
    findings.extend(
        Finding(f"no workflow in {WORKFLOWS_DIR}/ defines the job {job!r}")
        for job in policy.required_jobs
        if job not in defined
    )
    return findings


def _workflow_files(project: Path) -> list[Path]:
    directory = project / WORKFLOWS_DIR
    if not directory.is_dir():
        return []
    return sorted(
        item for item in directory.iterdir() if item.suffix in {".yml", ".yaml"} and item.is_file()
    )


CHECKS = (
    Check(
        code="FML501",
        family="ci",
        title="Required CI jobs are defined",
        fix=(
            f"Add the job to a workflow in {WORKFLOWS_DIR}/ (the template's workflows define "
            "it: `forgeml diff` shows one that was edited or removed)."
        ),
        run=required_jobs,
    ),
)
