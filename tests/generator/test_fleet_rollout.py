"""`forgeml fleet` on a fleet file: real remotes (bare repositories over file:// and
`git daemon`), a cache workspace, pushed update branches and pull requests opened
through PyGithub against a local server speaking GitHub's REST shapes."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from generator.backend.github import GitHubClient
from generator.cli import app
from generator.commands.fleet.fleetfile import parse_fleet_file
from generator.commands.fleet.rollout import discovered_fleet
from generator.errors import ForgemlError
from tests.support.github_server import TOKEN, GitHubState, github_server
from tests.support.remotes import BRANCH, bare_remote, write_fleet
from tests.support.template_factory import clone_project, commit_all, generate_project, git

runner = CliRunner()


@pytest.fixture(scope="module")
def origin(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_project(template, tmp_path_factory.mktemp("rollout") / "origin")


def fleet(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["fleet", *args, "--format", "json"])
    assert result.exit_code in {0, 1}, (result.output, result.exception)
    return result.exit_code, json.loads(result.output)


def refs(bare: Path) -> dict[str, str]:
    out = git(bare, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ") for line in out.splitlines())


# --- The fleet file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no [[repository]] tables"),
        ("[[repository]]\nbranch = 'main'\n", "#1: url must be a git URL"),
        ("[[repository]]\nurl = 'a'\nbrnach = 'main'\n", "#1: unknown key 'brnach'"),
        ("[[repository]]\nurl = 'a'\n[[repository]]\nurl = 'a'\n", "#2: url a is already #1"),
        ("[[repository]]\nurl = 'a'\nbranch = 'x..y'\n", "branch must be a git branch name"),
        ("[[repository]]\nurl = '--upload-pack=x'\n", "url must not start with '-'"),
        ("[[repository]]\nurl = 'a'\ngithub = 'nope'\n", "github must be 'owner/name'"),
        ("[repos]\n", "unknown table 'repos'"),
        ("[[repository]\n", "not valid TOML"),
    ],
)
def test_a_bad_fleet_file_is_one_line_naming_the_key(
    tmp_path: Path, text: str, problem: str
) -> None:
    fleet_file = tmp_path / "fleet.toml"
    fleet_file.write_text(text)
    with pytest.raises(ForgemlError, match=problem.replace("[", r"\[").replace(".", r"\.")):
        parse_fleet_file(text, fleet_file)

    result = runner.invoke(app, ["fleet", "status", str(fleet_file)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "Traceback" not in result.output


def test_github_names_come_from_github_urls_and_policies_from_the_file(tmp_path: Path) -> None:
    text = """
[defaults]
policy = "org.toml"
[[repository]]
url = "https://github.com/acme/churn.git"
[[repository]]
url = "git@github.com:acme/fraud.git"
policy = "/abs/strict.toml"
[[repository]]
url = "https://git.example.com/acme/ghe.git"
github = "acme/ghe"
[[repository]]
url = "file:///srv/git/plain.git"
"""
    parsed = parse_fleet_file(text, tmp_path / "fleet.toml")
    assert [r.github for r in parsed.repositories] == [
        "acme/churn", "acme/fraud", "acme/ghe", None,
    ]  # fmt: skip
    assert [r.name for r in parsed.repositories][-1] == "plain"
    assert parsed.repositories[0].policy == tmp_path / "org.toml"
    assert parsed.repositories[1].policy == Path("/abs/strict.toml")


# --- Remotes over file:// -----------------------------------------------------------------


def test_update_pushes_a_branch_per_repository_and_reruns_are_idempotent(
    origin: Path, tmp_path: Path
) -> None:
    remotes = [bare_remote(origin, tmp_path / f"app-{n}.git") for n in range(2)]
    remotes.append(bare_remote(origin, tmp_path / "conflicting.git", conflicting=True))
    fleet_file = write_fleet(tmp_path / "fleet.toml", [r.as_uri() for r in remotes])
    workspace = tmp_path / "workspace"
    before = {remote: refs(remote) for remote in remotes}

    code, report = fleet(
        "update", str(fleet_file), "--workspace", str(workspace), "--push", "--jobs", "2"
    )

    assert code == 1, "one update has conflicts"
    outcomes = [(r["name"], r["outcome"], r["publication"]["push"]) for r in report["repositories"]]
    assert outcomes == [
        ("app-0", "updated", "pushed"),
        ("app-1", "updated", "pushed"),
        ("conflicting", "conflicts", "pushed"),
    ]
    for remote in remotes:
        after = refs(remote)
        assert after["refs/heads/main"] == before[remote]["refs/heads/main"], "main untouched"
        assert f"refs/heads/{BRANCH}" in after
        assert git(remote, "log", "-1", "--format=%s", BRANCH).startswith(
            "Update template from 1.0.0 to 2.0.0"
        )
    assert "<<<<<<<" in git(remotes[2], "show", f"{BRANCH}:README.md")
    # Partial clones: the workspace did not fetch every blob of history.
    clone = next(workspace.iterdir())
    assert git(clone, "config", "remote.origin.partialclonefilter").strip() == "blob:none"

    pushed = {remote: refs(remote) for remote in remotes}
    code, report = fleet("update", str(fleet_file), "--workspace", str(workspace), "--push")
    assert [r["publication"]["push"] for r in report["repositories"]] == ["unchanged"] * 3
    assert {remote: refs(remote) for remote in remotes} == pushed, "a re-run pushes nothing"


def test_a_branch_someone_pushed_to_is_left_alone(origin: Path, tmp_path: Path) -> None:
    remote = bare_remote(origin, tmp_path / "app.git")
    fleet_file = write_fleet(tmp_path / "fleet.toml", [remote.as_uri()])
    workspace = tmp_path / "workspace"
    fleet("update", str(fleet_file), "--workspace", str(workspace), "--push")
    # A maintainer pushes a fix on forgeml's branch, and main moves on.
    work = tmp_path / "maintainer"
    git(tmp_path, "clone", "--quiet", "--branch", BRANCH, remote.as_uri(), str(work))
    (work / "FIX.md").write_text("resolved\n")
    commit_all(work, "resolve by hand")
    git(work, "push", "--quiet", "origin", BRANCH)
    git(work, "fetch", "--quiet", "origin", "main")
    git(work, "switch", "--quiet", "-c", "more", "origin/main")
    (work / "OTHER.md").write_text("new work on main\n")
    commit_all(work, "main moves on")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    theirs = refs(remote)

    code, report = fleet("update", str(fleet_file), "--workspace", str(workspace), "--push")

    publication = report["repositories"][0]["publication"]
    assert publication["push"] == "kept"
    assert "commits forgeml did not make" in publication["detail"]
    assert refs(remote) == theirs
    assert code == 0


def test_the_workspace_is_fetched_not_recloned_and_follows_the_remote(
    origin: Path, tmp_path: Path
) -> None:
    remote = bare_remote(origin, tmp_path / "app.git")
    fleet_file = write_fleet(tmp_path / "fleet.toml", [remote.as_uri()])
    workspace = tmp_path / "workspace"
    _, report = fleet("status", str(fleet_file), "--workspace", str(workspace))
    assert report["repositories"][0]["version"] == "1.0.0"
    clone = next(workspace.iterdir())
    marker = clone / ".git" / "forgeml-test-marker"
    marker.write_text("still the same clone\n")
    (clone / "stray.txt").write_text("left by a crashed run\n")
    # The remote moves to 2.0.0 (someone merged the update by hand).
    work = clone_project(origin, tmp_path / "work")
    git(work, "pull", "--quiet", remote.as_uri(), "main")
    answers = (work / ".copier-answers.yml").read_text().replace("1.0.0", "2.0.0")
    (work / ".copier-answers.yml").write_text(answers)
    commit_all(work, "pretend 2.0.0")
    git(work, "push", "--quiet", remote.as_uri(), "HEAD:main")

    _, report = fleet("status", str(fleet_file), "--workspace", str(workspace))

    assert report["repositories"][0]["version"] == "2.0.0"
    assert marker.exists(), "fetched into the existing clone"
    assert not (clone / "stray.txt").exists(), "the clone is reset to the remote"


def test_an_unreachable_repository_fails_alone(origin: Path, tmp_path: Path) -> None:
    remote = bare_remote(origin, tmp_path / "app.git")
    missing = (tmp_path / "missing.git").as_uri()
    fleet_file = write_fleet(tmp_path / "fleet.toml", [missing, remote.as_uri()])

    code, report = fleet("check", str(fleet_file), "--workspace", str(tmp_path / "ws"))

    assert code == 1
    first, second = report["repositories"]
    assert "git clone failed" in first["error"]
    assert second["error"] is None
    assert second["report"] is not None
    assert not [p for p in (tmp_path / "ws").iterdir() if p.name.startswith(".")], "no half clone"


def test_push_without_a_fleet_file_is_refused(origin: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["fleet", "update", str(origin), "--push"])
    assert result.exit_code == 2
    assert "need a fleet file" in result.output


# --- Remotes over git daemon --------------------------------------------------------------


def _git_daemon_available() -> bool:
    """git-daemon is a program in git's exec path (a separate package on some systems)."""
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return (Path(exec_path) / "git-daemon").is_file()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """`git daemon` serving (and accepting pushes to) the bare repositories under a root."""
    if not _git_daemon_available():
        pytest.skip("git daemon is not installed (Debian: it ships with git in git-core)")
    root = tmp_path / "served"
    root.mkdir()
    port = _free_port()
    process = subprocess.Popen(
        [
            "git", "daemon", "--export-all", "--enable=receive-pack", "--reuseaddr",
            f"--base-path={root}", "--listen=127.0.0.1", f"--port={port}", str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("git daemon did not start listening")
        yield root, f"git://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_update_and_push_over_git_daemon(
    origin: Path, tmp_path: Path, daemon: tuple[Path, str]
) -> None:
    root, base_url = daemon
    remote = bare_remote(origin, root / "app.git")
    fleet_file = write_fleet(tmp_path / "fleet.toml", [f"{base_url}/app.git"], branch="main")
    workspace = tmp_path / "workspace"

    code, report = fleet("status", str(fleet_file), "--workspace", str(workspace))
    assert report["repositories"][0]["behind"] == 1
    code, report = fleet("update", str(fleet_file), "--workspace", str(workspace), "--push")

    assert code == 0, report
    assert report["repositories"][0]["publication"]["push"] == "pushed"
    assert f"refs/heads/{BRANCH}" in refs(remote)


# --- Pull requests through the GitHub API (a local server) --------------------------------


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubState]:
    with github_server() as state:
        monkeypatch.setenv("GITHUB_API_URL", state.base_url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.delenv("GH_TOKEN", raising=False)
        # No pause between writes against the local server (GitHub's own asks for 1 s).
        monkeypatch.setenv("FORGEML_GITHUB_WRITE_INTERVAL", "0")
        monkeypatch.setattr("generator.backend.github.BACKOFF", 0.01)
        yield state


def test_pull_requests_are_opened_once_labelled_and_draft_on_conflicts(
    origin: Path, tmp_path: Path, github: GitHubState
) -> None:
    remotes = [
        bare_remote(origin, tmp_path / "churn.git"),
        bare_remote(origin, tmp_path / "fraud.git", conflicting=True),
    ]
    fleet_file = write_fleet(
        tmp_path / "fleet.toml", [r.as_uri() for r in remotes], github="acme/repo-{index}"
    )
    workspace = tmp_path / "workspace"
    args = ["update", str(fleet_file), "--workspace", str(workspace), "--pull-requests"]

    code, report = fleet(*args)

    assert code == 1, "one update has conflicts"
    assert [r["publication"]["pull_request_action"] for r in report["repositories"]] == [
        "created", "created",
    ]  # fmt: skip
    churn, fraud = github.pulls["acme/repo-0"], github.pulls["acme/repo-1"]
    assert len(churn) == len(fraud) == 1
    assert churn[0]["head"]["ref"] == BRANCH
    assert churn[0]["base"]["ref"] == "main"
    assert churn[0]["title"] == "Update template from 1.0.0 to 2.0.0"
    assert (churn[0]["draft"], fraud[0]["draft"]) == (False, True), "draft only with conflicts"
    assert "Conflicts to resolve" in fraud[0]["body"]
    assert "README.md" in fraud[0]["body"]
    assert [label["name"] for label in churn[0]["labels"]] == ["forgeml"]
    assert report["repositories"][0]["publication"]["pull_request"].endswith("/pull/1")

    # A transient failure and a rate limit on the way: retried, then the same pull request.
    github.failures += [(502, {}), (429, {"Retry-After": "1"})]
    churn[0]["body"] = "edited by someone"
    # Draft status follows the update: as if churn's last update had conflicts and
    # fraud's had none, the re-run marks churn ready and puts fraud back in draft.
    churn[0]["draft"], fraud[0]["draft"] = True, False
    _, report = fleet(*args)

    assert (churn[0]["draft"], fraud[0]["draft"]) == (False, True)

    assert [r["publication"]["pull_request_action"] for r in report["repositories"]] == [
        "updated", "updated",
    ]  # fmt: skip
    assert [len(github.pulls[name]) for name in ("acme/repo-0", "acme/repo-1")] == [1, 1]
    assert churn[0]["body"].startswith("forgeml updated this repository")
    assert not github.failures


def test_a_newer_pull_request_closes_the_superseded_ones_and_only_those(
    origin: Path, tmp_path: Path, github: GitHubState
) -> None:
    remote = bare_remote(origin, tmp_path / "churn.git")
    fleet_file = write_fleet(tmp_path / "fleet.toml", [remote.as_uri()], github="acme/repo-{index}")
    older = github.new_pull("acme/repo-0", "forgeml/update-1.5.0", "main", "older release")
    from_fork = github.new_pull(
        "acme/repo-0", "forgeml/update-1.4.0", "main", "a fork's branch", head_owner="someone"
    )
    feature = github.new_pull("acme/repo-0", "feature/x", "main", "someone's work")

    code, report = fleet(
        "update", str(fleet_file), "--workspace", str(tmp_path / "ws"), "--pull-requests"
    )

    assert code == 0
    publication = report["repositories"][0]["publication"]
    new = github.pulls["acme/repo-0"][-1]
    assert new["head"]["ref"] == BRANCH
    assert publication["superseded"] == [older["html_url"]]
    assert older["state"] == "closed"
    assert [c["body"] for c in older["comments"]] == [
        f"Superseded by {new['html_url']} (Update template from 1.0.0 to 2.0.0)."
    ]
    assert (from_fork["state"], feature["state"], new["state"]) == ("open", "open", "open")
    assert from_fork["comments"] == feature["comments"] == []


def test_pull_requests_need_a_token_before_anything_is_cloned(
    origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    remote = bare_remote(origin, tmp_path / "app.git")
    fleet_file = write_fleet(tmp_path / "fleet.toml", [remote.as_uri()], github="acme/app")
    workspace = tmp_path / "ws"

    result = runner.invoke(
        app, ["fleet", "update", str(fleet_file), "--workspace", str(workspace), "--pull-requests"]
    )

    assert result.exit_code == 2
    assert "GITHUB_TOKEN or GH_TOKEN" in result.output
    assert not workspace.exists()


def test_an_api_error_is_that_repositorys_failure(
    origin: Path, tmp_path: Path, github: GitHubState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    remote = bare_remote(origin, tmp_path / "app.git")
    fleet_file = write_fleet(tmp_path / "fleet.toml", [remote.as_uri()], github="acme/app")

    code, report = fleet(
        "update", str(fleet_file), "--workspace", str(tmp_path / "ws"), "--pull-requests"
    )

    assert code == 1
    publication = report["repositories"][0]["publication"]
    assert publication["push"] == "pushed"
    assert publication["error"].startswith("GitHub API: pull request for acme/app: HTTP 401")


def test_discovery_lists_an_organisations_live_repositories(github: GitHubState) -> None:
    repos = []
    for n in range(75):  # three pages of 30
        repo = github.repository(f"acme/svc-{n:02d}")
        repo["archived"] = n % 10 == 0
        repo["default_branch"] = "trunk" if n == 1 else "main"
        repos.append(repo)
    github.org_repos["acme"] = repos

    result = runner.invoke(app, ["fleet", "discover", "acme"])

    assert result.exit_code == 0, result.output
    parsed = parse_fleet_file(result.output, Path("fleet.toml"))
    names = [r.github for r in parsed.repositories]
    assert len(names) == 75 - 8
    assert "acme/svc-10" not in names
    assert "acme/svc-74" in names
    assert parsed.repositories[0].url == "https://github.com/acme/svc-01.git"
    assert parsed.repositories[0].branch == "trunk"
    pages = [path for method, path in github.requests if path == "/orgs/acme/repos"]
    assert len(pages) == 3


def test_discovery_of_an_unknown_organisation_is_one_line(github: GitHubState) -> None:
    client = GitHubClient(TOKEN, github.base_url)
    with pytest.raises(ForgemlError, match=r"repositories of nobody: HTTP 404: Not Found"):
        discovered_fleet(client, "nobody")


def test_an_unreachable_api_is_one_line_after_the_retries(
    github: GitHubState, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    client = GitHubClient(TOKEN, closed)
    with pytest.raises(ForgemlError, match=r"^GitHub API: repositories of acme: \w+Error: "):
        client.organization_repositories("acme")


@pytest.mark.parametrize("interval", ["fast", "-1", "nan", "3600"])
def test_a_bad_write_interval_is_refused_before_anything_is_cloned(
    github: GitHubState, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, interval: str
) -> None:
    monkeypatch.setenv("FORGEML_GITHUB_WRITE_INTERVAL", interval)
    fleet_file = write_fleet(tmp_path / "fleet.toml", ["https://github.com/acme/app.git"])
    workspace = tmp_path / "ws"

    result = runner.invoke(
        app, ["fleet", "update", str(fleet_file), "--workspace", str(workspace), "--pull-requests"]
    )

    assert result.exit_code == 2
    assert "FORGEML_GITHUB_WRITE_INTERVAL must be seconds between 0 and 60" in result.output
    assert not workspace.exists()


def test_each_repository_gets_its_own_policy_and_the_text_report_names_them(
    origin: Path, tmp_path: Path
) -> None:
    remotes = [bare_remote(origin, tmp_path / f"{name}.git") for name in ("strict", "relaxed")]
    (tmp_path / "strict.toml").write_text("[template]\nmax_releases_behind = 0\n")
    (tmp_path / "relaxed.toml").write_text("[template]\nmax_releases_behind = 5\n")
    fleet_file = tmp_path / "fleet.toml"
    fleet_file.write_text(
        f'[defaults]\npolicy = "relaxed.toml"\n'
        f'[[repository]]\nurl = "{remotes[0].as_uri()}"\npolicy = "strict.toml"\n'
        f'[[repository]]\nurl = "{remotes[1].as_uri()}"\n'
    )
    workspace = tmp_path / "ws"

    _, report = fleet("status", str(fleet_file), "--workspace", str(workspace))
    strict, relaxed = report["repositories"]
    assert "FML202" in strict["violations"]
    assert "FML202" not in relaxed["violations"]

    result = runner.invoke(
        app, ["fleet", "update", str(fleet_file), "--workspace", str(workspace), "--push"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split()[:3] == ["strict", "updated", "1.0.0"] for line in lines), lines
    assert any(line.split()[:2] == ["relaxed", "pushed"] for line in lines), lines
    assert str(workspace) not in result.output.split("Push")[0], "names, not clone paths"


def test_a_workspace_in_use_by_another_run_is_refused_before_anything_is_cloned(
    origin: Path, tmp_path: Path
) -> None:
    import fcntl
    import os

    fleet_file = write_fleet(
        tmp_path / "fleet.toml", [bare_remote(origin, tmp_path / "a.git").as_uri()]
    )
    workspace = tmp_path / "workspace"
    args = ["fleet", "update", str(fleet_file), "--workspace", str(workspace)]
    # Another run holds the lock: flock locks belong to an open file, so a second open
    # of the same file in this process conflicts exactly as another process would.
    holder = os.open(tmp_path / "workspace.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        refused = runner.invoke(app, args)
    finally:
        os.close(holder)

    assert refused.exit_code == 2, refused.output
    assert f"workspace {workspace} is in use by another forgeml fleet run" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert not workspace.exists(), "nothing cloned while another run held the workspace"
    # Released (as the kernel does when the holder exits), the next run goes ahead.
    assert runner.invoke(app, args).exit_code == 0
    assert len(list(workspace.iterdir())) == 1
