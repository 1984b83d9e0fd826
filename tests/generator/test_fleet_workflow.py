"""The reusable workflow .github/workflows/fleet.yml and its script, run here.

The workflow itself is validated (actionlint with shellcheck, zizmor offline); its steps
are `scripts/fleet_actions.py`, which these tests run for real: the plan over fleets past
the 256-job matrix limit, a chunk updating and checking bare repositories through the
real forgeml, and the summary over the chunks' reports.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.support.remotes import bare_remote, write_fleet
from tests.support.template_factory import generate_project
from tests.support.validators import check, require

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "fleet.yml"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fleet_actions", ROOT / "scripts/fleet_actions.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fleet_actions"] = module
    spec.loader.exec_module(module)
    return module


fleet_actions = _script()


def test_actionlint_with_shellcheck_passes() -> None:
    check(ROOT, require("actionlint"), "-shellcheck", require("shellcheck"), "-color=false",
          str(WORKFLOW))  # fmt: skip


def test_zizmor_offline_has_no_findings() -> None:
    report = check(ROOT, require("zizmor"), "--offline", "--format", "json", str(WORKFLOW))
    assert json.loads(report.stdout) == []


def test_the_workflow_is_reusable_bounded_and_read_only_by_default() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    trigger = workflow[True] if True in workflow else workflow["on"]
    assert set(trigger) == {"workflow_call"}
    assert workflow["permissions"] == {}
    chunk = workflow["jobs"]["chunk"]
    assert chunk["strategy"]["max-parallel"] == "${{ inputs.max-parallel }}"
    assert chunk["strategy"]["fail-fast"] is False
    assert all("timeout-minutes" in job for job in workflow["jobs"].values())


@pytest.mark.parametrize(
    ("count", "chunk_size", "jobs", "size"),
    [(3, 10, 1, 10), (25, 10, 3, 10), (600, 1, 200, 3), (5000, 10, 250, 20), (257, 1, 129, 2)],
)
def test_the_plan_never_exceeds_256_jobs_and_covers_every_repository(
    tmp_path: Path, count: int, chunk_size: int, jobs: int, size: int
) -> None:
    urls = [f"https://github.com/acme/svc-{n}.git" for n in range(count)]
    fleet_file = write_fleet(tmp_path / "fleet.toml", urls)

    matrix, chosen = fleet_actions.plan(fleet_file, chunk_size, "acme")

    assert (len(matrix), chosen) == (jobs, size)
    assert len(matrix) <= fleet_actions.MATRIX_LIMIT
    covered = [name for job in matrix for name in job["repositories"].split(",")]
    assert covered == [f"svc-{n}" for n in range(count)]
    for job in matrix:  # each chunk's fleet file holds exactly its repositories
        written = tmp_path / f"chunk-{job['chunk']}.toml"
        fleet_actions.chunk_fleet_file(fleet_file, job["chunk"], chosen, written)
        assert written.read_text().count("[[repository]]") == len(job["repositories"].split(","))


def test_the_plan_scopes_tokens_to_the_owner_and_rejects_a_bad_fleet_file(tmp_path: Path) -> None:
    fleet_file = tmp_path / "fleet.toml"
    fleet_file.write_text(
        '[[repository]]\nurl = "https://github.com/acme/a.git"\n'
        '[[repository]]\nurl = "https://github.com/other/b.git"\n'
        '[[repository]]\nurl = "file:///srv/c.git"\n'
    )
    matrix, _ = fleet_actions.plan(fleet_file, 10, "acme")
    assert matrix == [{"chunk": 0, "repositories": "a"}]

    fleet_file.write_text('[[repository]]\nurl = "x"\nbrnach = "main"\n')
    with pytest.raises(SystemExit, match="unknown key 'brnach'"):
        fleet_actions.plan(fleet_file, 10, "acme")


def test_plan_writes_the_matrix_to_github_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet_file = write_fleet(tmp_path / "fleet.toml", ["https://github.com/acme/a.git"])
    output = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_REPOSITORY_OWNER", "acme")

    assert fleet_actions.main(["plan", str(fleet_file)]) == 0

    lines = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert json.loads(lines["matrix"]) == [{"chunk": 0, "repositories": "a"}]
    assert lines["chunk-size"] == "10"


def test_a_chunk_updates_checks_and_writes_sarif_then_one_summary(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # `python -m generator` runs this checkout's forgeml
    origin = generate_project(template, tmp_path / "origin")
    remotes = [bare_remote(origin, tmp_path / f"app-{n}.git") for n in range(3)]
    (tmp_path / "policy.toml").write_text("[template]\nmax_releases_behind = 0\n")
    fleet_file = write_fleet(
        tmp_path / "fleet.toml", [r.as_uri() for r in remotes], policy="policy.toml"
    )
    workspace = tmp_path / "workspace"
    summary_file = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary_file))

    outs = [tmp_path / "out" / f"chunk-{n}" for n in range(2)]
    for chunk, out in enumerate(outs):
        code = fleet_actions.main([
            "chunk", str(fleet_file), "--chunk", str(chunk), "--chunk-size", "2",
            "--out", str(out), "--workspace", str(workspace), "--update",
        ])  # fmt: skip
        assert code == 0

    update = json.loads((outs[0] / "update.json").read_text())
    assert [repo["outcome"] for repo in update["repositories"]] == ["updated", "updated"]
    check_report = json.loads((outs[1] / "check.json").read_text())
    assert [repo["name"] for repo in check_report["repositories"]] == ["app-2"]
    # Still at 1.0.0 on its checked-out branch: the policy's release-lag check fails.
    sarif = json.loads((outs[1] / "sarif" / "app-2.sarif").read_text())
    (run,) = sarif["runs"]
    assert run["automationDetails"]["id"] == "forgeml-fleet/app-2/"
    assert run["results"], "the failed check is a SARIF result"

    code = fleet_actions.main(["summary", *map(str, outs)])

    text = summary_file.read_text()
    assert code == 1
    assert "3 repositories, 3 needing attention." in text
    assert text.count("| ❌ app-") == 3
    assert "| updated | not pushed |" in text
