"""Every check on a project that passes it and on one that fails it, and the runner's
selection, ignore-with-reason, requirement and error handling.

Projects come from the tiny fixture template (tests/support/template_factory.py), at release
1.0.0 unless a test needs 2.0.0, each a fresh clone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.checks import BY_CODE, CHECKS, FAMILIES
from generator.checks.context import RepoContext
from generator.checks.model import CheckResult
from generator.commands.check import ProjectReport, check_project, run_checks
from generator.errors import ForgemlError
from generator.policy.file import Policy
from generator.project.drift import find_drift
from generator.project.patterns import copier_exclusions, matches
from generator.templates.location import ReleaseIndex
from tests.support.template_factory import (
    clone_project,
    commit_all,
    generate_project,
)


@pytest.fixture(scope="module")
def origins(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("origins")
    return {v: generate_project(template, root / v, version=v) for v in ("1.0.0", "2.0.0")}


@pytest.fixture
def project(origins: dict[str, Path], tmp_path: Path) -> Path:
    return clone_project(origins["1.0.0"], tmp_path / "project")


@pytest.fixture
def project_v2(origins: dict[str, Path], tmp_path: Path) -> Path:
    return clone_project(origins["2.0.0"], tmp_path / "project-v2")


def check(path: Path, code: str, **policy: Any) -> CheckResult:
    """Run one check (and, unreported, what it requires) under a policy of `policy`."""
    report = run_checks(RepoContext(path), Policy(source="test", select=(code,), **policy))
    (result,) = report.results
    assert result.code == code
    return result


def findings(result: CheckResult) -> list[tuple[str | None, int | None, str]]:
    return [(f.path, f.line, f.message) for f in result.findings]


def answers_line(project: Path, key: str) -> int:
    lines = (project / ".copier-answers.yml").read_text().splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.startswith(f"{key}:"))


def test_codes_are_unique_stable_and_documented() -> None:
    codes = [c.code for c in CHECKS]
    assert len(codes) == len(set(codes))
    assert all(code.startswith("FML") and len(code) == 6 for code in codes)
    assert set(FAMILIES) == {"project", "answers", "template", "files", "drift", "ci", "leftovers"}
    docs = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text()
    for c in CHECKS:
        assert c.title
        assert c.fix
        assert c.family in FAMILIES
        assert f"### {c.code}" in docs, f"{c.code} is not documented in docs/policy.md"
        assert all(required in BY_CODE for required in c.requires)


# --- FML001 -------------------------------------------------------------------------------


def test_fml001_passes_on_a_generated_project(project: Path) -> None:
    assert check(project, "FML001").status == "pass"


def test_fml001_fails_when_the_answers_file_lost_its_release(project: Path) -> None:
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace("_commit: 1.0.0\n", ""))

    result = check(project, "FML001")

    assert result.status == "fail"
    assert findings(result) == [
        (
            ".copier-answers.yml",
            None,
            f"{project} is not an updatable generated project: .copier-answers.yml "
            "records no _commit",
        )
    ]
    dependent = check(project, "FML201", oldest_release="1.0.0")
    assert dependent.status == "skip"
    assert dependent.detail == "needs FML001, which did not pass"


# --- answers ------------------------------------------------------------------------------


def test_fml101_passes_when_locked_answers_match(project: Path) -> None:
    assert check(project, "FML101", locked_answers={"project_name": "Demo Project"}).status == (
        "pass"
    )


def test_fml101_fails_on_a_different_or_missing_answer(project: Path) -> None:
    result = check(project, "FML101", locked_answers={"package_name": "billing", "cloud": "aws"})
    assert result.status == "fail"
    assert findings(result) == [
        (".copier-answers.yml", None, "cloud must be 'aws'; the project records no answer for it"),
        (
            ".copier-answers.yml",
            answers_line(project, "package_name"),
            "package_name must be 'billing', not 'demo_project'",
        ),
    ]


def test_fml102_passes_when_the_answer_is_allowed(project: Path) -> None:
    allowed = {"package_name": ("demo_project", "other")}
    assert check(project, "FML102", allowed_answers=allowed).status == "pass"


def test_fml102_fails_when_the_answer_is_not_allowed(project: Path) -> None:
    result = check(project, "FML102", allowed_answers={"project_name": ("Billing", "Churn")})
    assert result.status == "fail"
    assert findings(result) == [
        (
            ".copier-answers.yml",
            answers_line(project, "project_name"),
            "project_name must be one of 'Billing', 'Churn', not 'Demo Project'",
        )
    ]


# --- template -----------------------------------------------------------------------------


def test_fml201_passes_at_or_above_the_oldest_release(project: Path) -> None:
    assert check(project, "FML201", oldest_release="1.0.0").status == "pass"


def test_fml201_fails_below_the_oldest_release(project: Path) -> None:
    result = check(project, "FML201", oldest_release="2.0.0")
    assert result.status == "fail"
    assert findings(result) == [
        (
            ".copier-answers.yml",
            answers_line(project, "_commit"),
            "template 1.0.0 is older than 2.0.0, the oldest release allowed",
        )
    ]


def test_fml201_fails_on_a_commit_that_is_not_a_release(project: Path) -> None:
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace("_commit: 1.0.0", "_commit: 1a2b3c4"))
    (message,) = [f.message for f in check(project, "FML201", oldest_release="1.0.0").findings]
    assert message.startswith("template 1a2b3c4 is not a release")


def test_fml202_passes_within_the_allowed_lag(project: Path, project_v2: Path) -> None:
    assert check(project, "FML202", max_releases_behind=1).status == "pass"
    assert check(project_v2, "FML202", max_releases_behind=0).status == "pass"


def test_fml202_fails_beyond_the_allowed_lag(project: Path) -> None:
    result = check(project, "FML202", max_releases_behind=0)
    assert result.status == "fail"
    assert findings(result) == [
        (
            ".copier-answers.yml",
            answers_line(project, "_commit"),
            "template 1.0.0 is 1 releases behind 2.0.0 (at most 0 allowed)",
        )
    ]


def test_a_template_that_cannot_be_reached_is_an_error_not_a_pass(
    project: Path, tmp_path: Path
) -> None:
    answers = project / ".copier-answers.yml"
    gone = tmp_path / "moved-away"
    text = answers.read_text()
    src = next(line for line in text.splitlines() if line.startswith("_src_path:"))
    answers.write_text(text.replace(src, f"_src_path: {gone}"))

    report = run_checks(RepoContext(project), Policy(source="t", max_releases_behind=3))

    (result,) = [r for r in report.results if r.code == "FML202"]
    assert result.status == "error"
    assert "could not be checked: the template source" in result.detail
    assert report.exit_code == 2


# --- files --------------------------------------------------------------------------------


def test_fml301_passes_when_required_files_exist(project: Path) -> None:
    assert check(project, "FML301", required_files=("README.md", "scripts/run.sh")).status == (
        "pass"
    )


def test_fml301_fails_for_each_missing_file(project: Path) -> None:
    (project / "notes.md").unlink()
    result = check(project, "FML301", required_files=("README.md", "notes.md", "LICENSE"))
    assert findings(result) == [
        (None, None, "notes.md is missing"),
        (None, None, "LICENSE is missing"),
    ]


# --- drift --------------------------------------------------------------------------------


def test_fml401_passes_when_protected_files_are_untouched(project: Path) -> None:
    (project / "notes.md").write_text("edited, but not protected\n")
    assert check(project, "FML401", protected_files=("README.md", "scripts/*")).status == "pass"


def test_fml401_fails_on_edits_deletions_and_modes_of_protected_files(project: Path) -> None:
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("Ask the platform team.", "Ask me."))
    (project / "legacy.cfg").unlink()
    (project / "scripts" / "run.sh").chmod(0o644)
    commit_all(project)

    result = check(project, "FML401", protected_files=("README.md", "*.cfg", "scripts/*"))

    readme_line = readme.read_text().splitlines().index("Ask me.") + 1
    assert findings(result) == [
        ("README.md", readme_line, "edited by hand: differs from template 1.0.0"),
        (None, None, "legacy.cfg was deleted, but template 1.0.0 manages it"),
        ("scripts/run.sh", None, "executable bit differs from template 1.0.0"),
    ]


def test_a_partial_drift_render_finds_what_the_full_one_finds(project: Path) -> None:
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "more\n")
    (project / "scripts" / "lint.sh").write_text("#!/bin/sh\n")
    (project / "notes.md").unlink()
    (project / "src" / "demo_project" / "core.py").write_text("# ours\n")
    patterns = ("README.md", "scripts/*", "src/*/core.py", "notes.md", "*.toml")

    partial = find_drift(project, only=patterns)
    whole = find_drift(project)

    assert [f.path for f in whole.files if matches(f.path, patterns)] == [
        "README.md",
        "notes.md",
        "scripts/lint.sh",
        "src/demo_project/core.py",
    ]
    assert partial.files == tuple(f for f in whole.files if matches(f.path, patterns))
    assert partial.checked < whole.checked


@pytest.mark.parametrize(
    ("patterns", "exclude"),
    [
        (("LICENSE", "*.cfg"), ["*", "!LICENSE", "!*.cfg"]),
        (("docs/guide.md",), ["*", "!/docs/guide.md"]),
        (("src/*/core.py", ".github/workflows/*.yml"), ["*", "!/src/", "!/.github/workflows/"]),
        (("*/core.py",), None),
    ],
)
def test_copier_renders_a_superset_of_the_protected_files(
    patterns: tuple[str, ...], exclude: list[str] | None
) -> None:
    assert copier_exclusions(patterns) == exclude


def test_patterns_match_like_gitignore() -> None:
    assert matches("docs/a.md.rej", ("*.rej",))
    assert matches("Makefile", ("Makefile",))
    assert matches("src/pkg/Makefile", ("Makefile",))
    assert not matches("src/pkg/Makefile", ("src/Makefile",))
    assert matches(".github/workflows/ci.yml", (".github/*",))
    assert matches("src/a/b/core.py", ("src/**/core.py",))
    assert not matches("src/a/b/core.py", ("src/*/core.py",)), "* stops at /, as in git"
    assert matches("Makefile", ("/Makefile",))
    assert not matches("src/Makefile", ("/Makefile",))


# --- ci -----------------------------------------------------------------------------------


def _workflow(project: Path, name: str, text: str) -> None:
    workflows = project / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    (workflows / name).write_text(text)


def test_fml501_passes_when_every_required_job_is_defined(project: Path) -> None:
    _workflow(project, "ci.yml", "on: push\njobs:\n  test: {}\n  lint: {}\n")
    _workflow(project, "conventions.yaml", "on: push\njobs:\n  conventions: {}\n")
    assert check(project, "FML501", required_jobs=("test", "conventions")).status == "pass"


def test_fml501_fails_for_missing_jobs_and_unreadable_workflows(project: Path) -> None:
    _workflow(project, "ci.yml", "on: push\njobs:\n  lint: {}\n")
    _workflow(project, "broken.yml", "jobs: [unclosed\n")

    result = check(project, "FML501", required_jobs=("lint", "test"))

    assert [(f.path, f.message.split(":")[0]) for f in result.findings] == [
        (".github/workflows/broken.yml", "cannot be read, so its jobs are unknown"),
        (None, "no workflow in .github/workflows/ defines the job 'test'"),
    ]


# --- leftovers ----------------------------------------------------------------------------


def test_fml601_passes_without_leftovers(project: Path) -> None:
    assert check(project, "FML601", leftover_files=("*.rej", "*.orig")).status == "pass"


def test_fml601_finds_leftovers_even_when_git_ignores_them(project: Path) -> None:
    (project / ".gitignore").write_text("*.rej\n")
    (project / "docs" / "old-guide.md.rej").write_text("@@ hunk @@\n")
    (project / "README.md.orig").write_text("old\n")

    result = check(project, "FML601", leftover_files=("*.rej", "*.orig"))

    assert findings(result) == [
        ("README.md.orig", None, "leftover of an update or merge"),
        ("docs/old-guide.md.rej", None, "leftover of an update or merge"),
    ]


def test_fml602_passes_on_a_lone_separator_line(project: Path) -> None:
    (project / "notes.md").write_text("Title\n=======\n\ntext\n")
    assert check(project, "FML602", conflict_markers=True).status == "pass"


def test_fml602_finds_conflict_markers_with_their_line(project: Path) -> None:
    readme = project / "README.md"
    readme.write_text("a\nb\n<<<<<<< before updating\nours\n=======\ntheirs\n>>>>>>> after\n")
    (project / "blob.bin").write_bytes(b"\0<<<<<<< x\n=======\n>>>>>>> y\n")

    result = check(project, "FML602", conflict_markers=True)

    assert findings(result) == [("README.md", 3, "unresolved conflict markers")]


# --- the runner ---------------------------------------------------------------------------


def test_checks_the_policy_does_not_configure_are_skipped(project: Path) -> None:
    report = run_checks(RepoContext(project), Policy(source="t"))
    assert {r.code: r.status for r in report.results} == {
        "FML001": "pass",
        **{c.code: "skip" for c in CHECKS if c.code != "FML001"},
    }
    assert report.exit_code == 0


def test_select_by_family_and_ignore_with_a_reason(project: Path) -> None:
    (project / "x.rej").write_text("hunk\n")
    policy = Policy(
        source="t",
        leftover_files=("*.rej",),
        conflict_markers=True,
        max_releases_behind=0,
        select=("leftovers", "FML202"),
        ignore={"FML601": "rejects are reviewed by hand in this repo"},
    )

    report = run_checks(RepoContext(project), policy)

    assert [(r.code, r.status, r.detail) for r in report.results] == [
        ("FML202", "fail", ""),
        ("FML601", "skip", "ignored: rejects are reviewed by hand in this repo"),
        ("FML602", "pass", ""),
    ]
    assert report.exit_code == 1


def test_a_whole_family_can_be_ignored(project: Path) -> None:
    policy = Policy(
        source="t", oldest_release="2.0.0", ignore={"template": "migrating next quarter"}
    )
    report = run_checks(RepoContext(project), policy)
    statuses = {r.code: (r.status, r.detail) for r in report.results}
    assert statuses["FML201"] == ("skip", "ignored: migrating next quarter")
    assert report.exit_code == 0


def test_release_tags_are_listed_once_per_template(
    project: Path, project_v2: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.templates.location as location_module

    calls: list[str] = []
    real = location_module.template_releases

    def counting(location: Any) -> list[str]:
        calls.append(location.recorded)
        return real(location)

    monkeypatch.setattr(location_module, "template_releases", counting)
    releases = ReleaseIndex()
    policy = Policy(source="t", max_releases_behind=0)
    reports: list[ProjectReport] = [
        check_project(path, policy, releases=releases) for path in (project, project_v2)
    ]
    assert [r.exit_code for r in reports] == [1, 0]
    assert len(calls) == 1


def test_a_directory_that_is_not_a_generated_project_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ForgemlError, match="is not a generated project") as raised:
        check_project(tmp_path, Policy(source="t"))
    assert raised.value.exit_code == 2
