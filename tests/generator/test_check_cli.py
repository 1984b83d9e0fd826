"""`forgeml check` on the command line: exit codes, policy discovery and every format.

SARIF is validated against the OASIS SARIF 2.1.0 schema (tests/data, see its README).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.commands.new import create_project
from generator.policy.file import POLICY_FILE
from tests.support.template_factory import (
    clone_project,
    commit_and_tag,
    git,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
runner = CliRunner()

POLICY = """\
[answers]
locked = { project_name = "Demo Project" }
[template]
max_releases_behind = 1
[drift]
protected = ["README.md", "legacy.cfg"]
[leftovers]
files = ["*.rej"]
conflict_markers = true
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "org-policy.toml"
    path.write_text(POLICY)
    return path


def violate(project: Path) -> None:
    """A conflict left in README.md (protected, so it drifted too) and a stray .rej."""
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "<<<<<<< ours\nA\n=======\nB\n>>>>>>> theirs\n")
    (project / "legacy.cfg.rej").write_text("@@ -1 +1 @@\n")


def invoke(*args: str) -> Any:
    return runner.invoke(app, ["check", *args])


@cache
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def assert_valid_sarif(text: str) -> dict[str, Any]:
    log = json.loads(text)
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    return log


# --- exit codes and text ----------------------------------------------------------------


def test_a_conforming_project_exits_0_with_a_table(project: Path, policy: Path) -> None:
    result = invoke(str(project), "--policy", str(policy))

    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line.split() for line in result.output.splitlines() if "FML" in line}
    assert rows["FML401"][0] == "✔"
    assert rows["FML401"][2] == "drift"
    assert rows["FML401"][-1] == "passed"
    assert rows["FML501"][0] == "-"
    assert result.output.rstrip().endswith("conforms: 6 passed, 0 failed, 4 skipped, 0 errored.")


def test_violations_exit_1_and_list_findings_with_fixes(project: Path, policy: Path) -> None:
    violate(project)

    result = invoke(str(project), "--policy", str(policy))

    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "does not conform (3 checks failed)" in output
    assert "FML401 README.md:16: edited by hand: differs from template 1.0.0" in output
    assert "FML601 legacy.cfg.rej: leftover of an update or merge" in output
    assert "FML602 README.md:16: unresolved conflict markers" in output
    assert "fix: Resolve the conflict" in output


def test_the_projects_own_policy_is_found(project: Path) -> None:
    (project / POLICY_FILE).write_text("[template]\nmax_releases_behind = 0\n")

    result = invoke(str(project), "--format", "json")

    assert result.exit_code == 1
    (report,) = json.loads(result.output)["projects"]
    assert report["policy"] == str(project / POLICY_FILE)
    assert [r["code"] for r in report["results"] if r["status"] == "fail"] == ["FML202"]


def test_an_invalid_policy_exits_2_naming_key_and_line(project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[template]\n\nmax_releases_behind = 'two'\n")

    result = invoke(str(project), "--policy", str(bad))

    assert result.exit_code == 2
    assert result.output == (
        f"forgeml: error: invalid policy {bad}, line 3: template.max_releases_behind: "
        "must be a whole number of releases (0 or more), not 'two'\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "--format must be one of text, json, sarif, markdown"),
        (["--policy", "/nonexistent/policy.toml"], "policy file /nonexistent/policy.toml does"),
    ],
)
def test_bad_options_exit_2(project: Path, args: list[str], message: str) -> None:
    result = invoke(str(project), *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_directory_that_is_not_a_project_exits_2(tmp_path: Path) -> None:
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert "is not a generated project" in result.output


def test_several_projects_in_one_report(origin: Path, tmp_path: Path, policy: Path) -> None:
    good = clone_project(origin, tmp_path / "good")
    bad = clone_project(origin, tmp_path / "bad")
    violate(bad)

    result = invoke(str(good), str(bad), "--policy", str(policy), "--format", "json")

    report = json.loads(result.output)
    assert result.exit_code == 1
    assert report["exit_code"] == 1
    assert [(p["path"], p["exit_code"]) for p in report["projects"]] == [
        (str(good), 0),
        (str(bad), 1),
    ]


# --- json and markdown ------------------------------------------------------------------


def test_json_report(project: Path, policy: Path) -> None:
    violate(project)

    report = json.loads(invoke(str(project), "--policy", str(policy), "--format", "json").output)

    (project_report,) = report["projects"]
    assert project_report["summary"] == {"pass": 3, "fail": 3, "skip": 4, "error": 0}
    by_code = {r["code"]: r for r in project_report["results"]}
    assert by_code["FML601"]["findings"] == [
        {"message": "leftover of an update or merge", "path": "legacy.cfg.rej", "line": None}
    ]
    assert by_code["FML401"]["family"] == "drift"
    assert by_code["FML401"]["fix"].startswith("Restore the template's version")
    assert by_code["FML501"]["status"] == "skip"
    assert by_code["FML501"]["detail"] == "not configured"


def test_markdown_report_for_the_step_summary(project: Path, tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[answers]\nlocked = { project_name = "A | B" }\n')

    result = invoke(str(project), "--policy", str(policy), "--format", "markdown")

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "## forgeml check"
    assert "| | Code | Family | Check | Details |" in lines
    (row,) = [line for line in lines if "`FML101`" in line]
    assert row.startswith("| ❌ | `FML101` | answers | Locked answers have the required value | ")
    assert "project_name must be 'A \\| B', not 'Demo Project'" in row
    assert "<br>**Fix:** Change the answer" in row
    assert row.count(" | ") == 4, "pipes inside cells are escaped"


# --- sarif ------------------------------------------------------------------------------


def test_sarif_with_findings_is_valid_and_locates_each_one(project: Path, policy: Path) -> None:
    violate(project)
    (project / "legacy.cfg").unlink()  # a protected file deleted: no file to point at

    result = invoke(str(project), "--policy", str(policy), "--format", "sarif")

    assert result.exit_code == 1
    log = assert_valid_sarif(result.output)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules][:2] == ["FML001", "FML101"]
    located = [
        (
            r["ruleId"],
            rules[r["ruleIndex"]]["id"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in run["results"]
    ]
    assert located == [
        ("FML401", "FML401", "README.md", 16),
        ("FML401", "FML401", ".copier-answers.yml", 1),  # the deleted legacy.cfg
        ("FML601", "FML601", "legacy.cfg.rej", 1),
        ("FML602", "FML602", "README.md", 16),
    ]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_paths_are_relative_to_the_repository_root(origin: Path, tmp_path: Path) -> None:
    monorepo = tmp_path / "monorepo"
    monorepo.mkdir()
    git(monorepo, "init", "--quiet")
    shutil.copytree(origin, monorepo / "services" / "demo", ignore=shutil.ignore_patterns(".git"))
    (monorepo / "services" / "demo" / "stray.rej").write_text("x\n")
    policy = tmp_path / "p.toml"
    policy.write_text('[leftovers]\nfiles = ["*.rej"]\n')

    result = invoke(
        str(monorepo / "services" / "demo"), "--policy", str(policy), "--format", "sarif"
    )

    log = assert_valid_sarif(result.output)
    (finding,) = log["runs"][0]["results"]
    location = finding["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "services/demo/stray.rej"


def test_sarif_of_a_conforming_project_and_of_a_check_that_errored(
    project: Path, policy: Path, tmp_path: Path
) -> None:
    clean = assert_valid_sarif(
        invoke(str(project), "--policy", str(policy), "--format", "sarif").output
    )
    assert clean["runs"][0]["results"] == []

    answers = project / ".copier-answers.yml"
    text = answers.read_text()
    src = next(line for line in text.splitlines() if line.startswith("_src_path:"))
    answers.write_text(text.replace(src, f"_src_path: {tmp_path / 'gone'}"))
    result = invoke(str(project), "--policy", str(policy), "--format", "sarif")

    assert result.exit_code == 2
    log = assert_valid_sarif(result.output)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    codes = [n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]]
    assert codes == ["FML202", "FML401"]


def test_the_schema_rejects_what_code_scanning_would() -> None:
    """The validator really checks: a result without a message is not SARIF."""
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{}]}]}
    assert list(sarif_validator().iter_errors(broken))


# --- the template's own default policy --------------------------------------------------


def test_a_fresh_project_conforms_to_the_policy_its_template_ships(tmp_path: Path) -> None:
    """Generated from a tagged copy of this checkout's template, as a release would be."""
    release = tmp_path / "template"
    release.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", release / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", release / "template")
    subprocess.run(["git", "init", "--quiet"], cwd=release, check=True)
    commit_and_tag(release, "0.1.0")
    project = create_project(
        tmp_path / "project", data={}, template=str(release), vcs_ref="0.1.0", defaults=True
    ).path

    result = invoke(str(project), "--format", "json")

    report = json.loads(result.output)
    (checked,) = report["projects"]
    assert checked["policy"] == str(project / POLICY_FILE)
    failures = [r for r in checked["results"] if r["status"] in {"fail", "error"}]
    assert result.exit_code == 0, failures
    assert checked["summary"]["pass"] >= 8
