"""`forgeml fleet` over 22 repositories generated from the fixture template.

The fleet: 12 repositories at release 1.0.0 (two with an edit that conflicts with
2.0.0, one with a harmless edit and uncommitted work, one on a feature branch), 7 at
2.0.0 (two with a hand-edited README.md, which the policy protects), one whose
answers file is broken, and nothing else. Status and check must report each correctly,
update must put every 1.0.0 repository's update on a new branch, and no repository may
end with its checked-out branch, its other refs, its index or its work tree changed.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from generator.checks import SELECTORS
from generator.cli import app
from generator.commands.fleet import discover, run_fleet
from generator.commands.fleet import ops as fleet_ops
from generator.commands.fleet.branch_update import update_on_branch
from generator.commands.fleet.ops import RepoCheck
from generator.errors import ForgemlError
from generator.policy.file import parse_policy
from generator.templates.location import ReleaseIndex
from tests.support.template_factory import (
    add_failing_release,
    build_template,
    clone_project,
    commit_all,
    generate_project,
    git,
)

runner = CliRunner()

POLICY = """\
[template]
max_releases_behind = 0
[drift]
protected = ["README.md"]
[leftovers]
files = ["*.rej"]
conflict_markers = true
"""
# The README line release 2.0.0 changes: editing it too makes the update conflict.
CHANGED_LINE = "Run `make run`."


@dataclass
class Fleet:
    root: Path
    policy: Path
    at_1: list[str] = field(default_factory=list)
    conflicting: list[str] = field(default_factory=list)
    at_2: list[str] = field(default_factory=list)
    drifted: list[str] = field(default_factory=list)
    broken: str = "broken"
    dirty: str = ""
    feature: str = ""

    def path(self, name: str) -> Path:
        return self.root / name

    @property
    def names(self) -> list[str]:
        return sorted([*self.at_1, *self.at_2, self.broken])


def snapshot(repo: Path) -> dict[str, str]:
    """Everything a fleet update must leave alone: refs, HEAD, index and work tree."""
    return {
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "head": git(repo, "symbolic-ref", "--quiet", "HEAD"),
        "commit": git(repo, "rev-parse", "HEAD"),
        "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
        "index": git(repo, "ls-files", "--stage"),
    }


@pytest.fixture(scope="module")
def fleet(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    base = tmp_path_factory.mktemp("fleet")
    origin_1 = generate_project(template, base / "origin-1", version="1.0.0")
    origin_2 = generate_project(template, base / "origin-2", version="2.0.0")
    root = base / "repos"
    root.mkdir()
    policy = base / "policy.toml"
    policy.write_text(POLICY)
    fleet = Fleet(root, policy)

    for n in range(1, 13):
        name = f"app-{n:02d}"
        repo = clone_project(origin_1, root / name)
        fleet.at_1.append(name)
        readme = repo / "README.md"
        if n in {11, 12}:
            readme.write_text(readme.read_text().replace(CHANGED_LINE, "Run `make start`."))
            commit_all(repo, "our own run instructions")
            fleet.conflicting.append(name)
        elif n == 9:
            notes = repo / "notes.md"
            notes.write_text(notes.read_text().replace("notes line 3", "notes line 3, ours"))
            commit_all(repo, "notes")
            (repo / "scratch.txt").write_text("uncommitted work in progress\n")
            fleet.dirty = name
        elif n == 10:
            git(repo, "switch", "--quiet", "-c", "feature/x")
            fleet.feature = name
    for n in range(13, 20):
        name = f"app-{n:02d}"
        repo = clone_project(origin_2, root / name)
        fleet.at_2.append(name)
        if n in {18, 19}:
            readme = repo / "README.md"
            readme.write_text(readme.read_text().replace("Ask the platform team.", "Ask Ana."))
            commit_all(repo, "support contact")
            fleet.drifted.append(name)

    broken = clone_project(origin_1, root / fleet.broken)
    (broken / ".copier-answers.yml").write_text("_commit: [unclosed\n")
    commit_all(broken, "break the answers file")
    (root / ".hidden-repo").mkdir()
    git(root / ".hidden-repo", "init", "--quiet")
    (root / "not-a-repo").mkdir()
    return fleet


def invoke_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["fleet", *args, "--format", "json"])
    assert result.exit_code in {0, 1}, result.output
    return result.exit_code, json.loads(result.output)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(repo["path"]).name: repo for repo in report["repositories"]}


def test_the_fleet_has_20_repositories_or_more(fleet: Fleet) -> None:
    found = discover([fleet.root])
    assert [path.name for path in found] == fleet.names
    assert len(found) >= 20


def test_status_reports_release_lag_violations_and_drift(fleet: Fleet) -> None:
    code, report = invoke_json(
        "status", str(fleet.root), "--jobs", "2", "--policy", str(fleet.policy)
    )

    assert code == 1
    repos = by_name(report)
    assert sorted(repos) == fleet.names
    for name in fleet.at_1:
        repo = repos[name]
        assert (repo["version"], repo["latest"], repo["behind"]) == ("1.0.0", "2.0.0", 1), name
        if name in fleet.conflicting:
            assert repo["violations"] == ["FML202", "FML401"], name
            assert repo["drifted"] == ["README.md"], name
        elif name == fleet.dirty:
            assert repo["violations"] == ["FML202"]
            assert repo["drifted"] == ["notes.md"], "drift counts every managed file"
        else:
            assert repo["violations"] == ["FML202"], name
            assert repo["drifted"] == [], name
        assert repo["exit_code"] == 1
    for name in fleet.at_2:
        repo = repos[name]
        assert (repo["version"], repo["behind"]) == ("2.0.0", 0), name
        drifted = name in fleet.drifted
        assert repo["violations"] == (["FML401"] if drifted else []), name
        assert repo["drifted"] == (["README.md"] if drifted else []), name
        assert repo["exit_code"] == (1 if drifted else 0), name
    broken = repos[fleet.broken]
    assert broken["version"] is None
    assert broken["exit_code"] == 1
    (error,) = broken["errors"]
    assert "broken/.copier-answers.yml cannot be read" in error


def test_check_reports_each_repository_and_in_process_agrees(fleet: Fleet) -> None:
    code, report = invoke_json("check", str(fleet.root), "-j", "2", "--policy", str(fleet.policy))

    assert code == 1
    repos = by_name(report)
    failing = {
        name: [r["code"] for r in repo["report"]["results"] if r["status"] == "fail"]
        for name, repo in repos.items()
        if repo["report"] is not None
    }
    assert failing == {
        **{name: ["FML202"] for name in fleet.at_1},
        **{name: ["FML202", "FML401"] for name in fleet.conflicting},
        **{name: [] for name in fleet.at_2},
        **{name: ["FML401"] for name in fleet.drifted},
        fleet.broken: ["FML001"],  # its answers file cannot be read
    }

    # The same in this process, one repository after the other (--jobs 1).
    policy = parse_policy(POLICY, "p", SELECTORS)
    subset = [fleet.path(name) for name in (fleet.at_1[0], fleet.drifted[0], fleet.broken)]
    sequential = run_fleet("check", subset, jobs=1, policy=policy)
    assert [
        r.report.exit_code for r in sequential.results if isinstance(r, RepoCheck) and r.report
    ] == [1, 1, 1]


def test_update_branches_every_repository_behind_and_touches_no_checked_out_branch(
    fleet: Fleet,
) -> None:
    before = {name: snapshot(fleet.path(name)) for name in fleet.names}

    code, report = invoke_json("update", str(fleet.root), "--jobs", "2")

    assert code == 1  # conflicts and the broken repository
    repos = by_name(report)
    branch = "forgeml/update-2.0.0"
    for name in fleet.at_1:
        repo = repos[name]
        expected = "conflicts" if name in fleet.conflicting else "updated"
        assert repo["outcome"] == expected, (name, repo)
        assert (repo["from_version"], repo["to_version"], repo["branch"]) == (
            "1.0.0",
            "2.0.0",
            branch,
        )
        path = fleet.path(name)
        assert git(path, "rev-parse", branch).strip() == repo["commit"]
        assert git(path, "rev-parse", f"{branch}^").strip() == before[name]["commit"].strip()
        on_branch = git(path, "show", f"{branch}:.copier-answers.yml")
        assert "_commit: 2.0.0" in on_branch
        assert git(path, "show", f"{branch}:CONTRIBUTING.md")  # added by 2.0.0
        readme = git(path, "show", f"{branch}:README.md")
        if name in fleet.conflicting:
            assert [c["path"] for c in repo["conflicts"]] == ["README.md"]
            assert "<<<<<<<" in readme
            assert "- README.md" in git(path, "log", "-1", "--format=%B", branch)
        else:
            assert repo["conflicts"] == []
            assert "Run `make run ARGS=--verbose`." in readme
    assert repos[fleet.feature]["base"] == "feature/x"
    first = fleet.at_1[0]
    assert repos[first]["base"] == before[first]["head"].strip().removeprefix("refs/heads/")
    assert "scratch.txt" not in git(fleet.path(fleet.dirty), "show", "--stat", branch)
    for name in fleet.at_2:
        assert repos[name]["outcome"] == "current"
        assert not git(fleet.path(name), "branch", "--list", branch)
    assert repos[fleet.broken]["outcome"] == "failed"
    assert "cannot be read" in repos[fleet.broken]["error"]

    for name in fleet.names:
        after = snapshot(fleet.path(name))
        new_ref = f"refs/heads/{branch} "
        refs_after = "".join(
            line + "\n" for line in after.pop("refs").splitlines() if not line.startswith(new_ref)
        )
        refs_before = before[name].pop("refs")
        assert refs_after == refs_before, f"{name}: a ref other than {branch} changed"
        assert after == before[name], f"{name}: HEAD, index or work tree changed"
        assert git(fleet.path(name), "worktree", "list", "--porcelain").count("worktree ") == 1

    # Again: the branches exist, nothing is redone, nothing changes.
    code, again = invoke_json("update", str(fleet.root), "--jobs", "2")
    outcomes = {name: repo["outcome"] for name, repo in by_name(again).items()}
    assert {outcomes[name] for name in fleet.at_1} == {"exists"}
    assert code == 1  # the broken repository still fails


def test_workers_do_not_share_copier_mirrors_of_a_remote_template(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """copier refreshes a shared mirror without locking: concurrent workers broke each
    other's clones ("did not send all necessary objects") until each got its own."""
    shared = tmp_path / "copier-cache"
    monkeypatch.setenv("COPIER_CACHE_DIR", str(shared))
    origin = generate_project(template, tmp_path / "origin")
    answers = origin / ".copier-answers.yml"
    text = answers.read_text()
    recorded = next(line for line in text.splitlines() if line.startswith("_src_path:"))
    answers.write_text(text.replace(recorded, f"_src_path: git+file://{template}"))
    commit_all(origin, "record the template as a remote URL")
    repos = [clone_project(origin, tmp_path / "repos" / f"r{n}") for n in range(6)]

    report = run_fleet("update", repos, jobs=3)

    outcomes = [
        r.result.outcome if isinstance(r, fleet_ops.RepoUpdate) and r.result else r
        for r in report.results
    ]
    assert outcomes == ["updated"] * 6
    assert not shared.exists() or not any(shared.iterdir()), "a worker used the shared cache"


def test_one_crashing_repository_does_not_stop_the_others(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(path: Path, policy: Any, releases: ReleaseIndex) -> Any:
        if path.name == fleet.at_2[0]:
            raise RuntimeError("boom")
        return real(path, policy, releases)

    real = fleet_ops.repo_check
    monkeypatch.setattr(fleet_ops, "repo_check", explode)
    paths = [fleet.path(name) for name in fleet.at_2[:3]]

    report = run_fleet("check", paths, jobs=1, policy=parse_policy(POLICY, "p", SELECTORS))

    first, *rest = report.results
    assert isinstance(first, RepoCheck)
    assert first.error == "internal error: RuntimeError: boom"
    assert all(isinstance(r, RepoCheck) and r.report and r.report.exit_code == 0 for r in rest)
    assert report.exit_code == 1


def test_status_renders_the_template_once_per_repository(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.checks.context as context_module

    renders: list[object] = []
    real = context_module.find_drift

    def counting(path: Path, only: tuple[str, ...] | None = None) -> Any:
        renders.append(only)
        return real(path, only=only)

    monkeypatch.setattr(context_module, "find_drift", counting)
    (status,) = run_fleet(
        "status",
        [fleet.path(fleet.drifted[0])],
        jobs=1,
        policy=parse_policy(POLICY, "p", SELECTORS),
    ).results

    assert renders == [None], "the drift check reuses the full rendering"
    assert isinstance(status, fleet_ops.RepoStatus)
    assert status.violations == ("FML401",)
    assert status.drifted == ("README.md",)


def test_text_summary(fleet: Fleet) -> None:
    paths = [fleet.path(name) for name in (*fleet.at_2[:2], fleet.broken)]
    listing = fleet.root.parent / "some.txt"
    listing.write_text("\n".join(str(p) for p in paths) + "\n")

    result = runner.invoke(
        app, ["fleet", "check", str(listing), "--jobs", "1", "--policy", str(fleet.policy)]
    )

    assert result.exit_code == 1
    assert "3 repositories, 1 not conforming or not checkable." in result.output
    assert "conforms" in result.output


# --- finding the repositories -------------------------------------------------------------


def test_a_listing_file_with_comments_relative_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    listing = tmp_path / "repos.txt"
    listing.write_text(f"# our repos\n\na\n{tmp_path / 'gone'}\n  a  \n")

    assert discover([listing]) == [tmp_path / "a", tmp_path / "gone"]

    (result,) = run_fleet("status", [tmp_path / "gone"], jobs=1).results
    assert result.errors == (f"{tmp_path / 'gone'} is not a directory",)


def test_a_root_that_is_a_repository_itself(fleet: Fleet) -> None:
    assert discover([fleet.path(fleet.at_1[0])]) == [fleet.path(fleet.at_1[0])]


def test_roots_that_give_nothing_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ForgemlError, match="no repositories found"):
        discover([tmp_path])
    result = runner.invoke(app, ["fleet", "status", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    (tmp_path / "repo").mkdir()
    git(tmp_path / "repo", "init", "--quiet")
    result = runner.invoke(app, ["fleet", "check", str(tmp_path / "repo"), "--jobs", "0"])
    assert result.exit_code == 2
    assert "--jobs must be at least 1" in result.output


def test_an_invalid_fleet_policy_is_refused_before_any_work(fleet: Fleet, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[ci]\nrequired_jobs = 'test'\n")
    result = runner.invoke(app, ["fleet", "check", str(fleet.root), "--policy", str(bad)])
    assert result.exit_code == 2
    assert f"invalid policy {bad}, line 2: ci.required_jobs: " in result.output


def test_no_progress_bar_outside_a_terminal(fleet: Fleet) -> None:
    completed = subprocess.run(
        [
            "forgeml",
            "fleet",
            "check",
            str(fleet.path(fleet.at_2[0])),
            "--policy",
            str(fleet.policy),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""


def test_a_fleet_update_that_fails_half_way_keeps_nothing_and_says_so(tmp_path: Path) -> None:
    template = build_template(tmp_path / "tpl")
    add_failing_release(template)
    project = generate_project(template, tmp_path / "demo")
    head = git(project, "rev-parse", "HEAD")

    with pytest.raises(ForgemlError) as failed:
        update_on_branch(project)

    message = failed.value.message
    assert message.startswith("a template migration failed (exit code 3)")
    assert message.endswith(" (nothing was kept)")
    assert "partly updated" not in message, "the worktree was discarded: no way back to give"
    assert git(project, "branch", "--list", "forgeml/update-*") == ""
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""
