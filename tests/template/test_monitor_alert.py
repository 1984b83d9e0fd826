"""The monitor workflow's alert script (scripts/alert.sh) against a fake `gh` at the
command-line boundary: one open issue per kind of alert, commented on when it repeats.
The fake keeps its issues in a JSON file and answers `gh issue list --json` as gh does;
jq (the real one) filters its answer, as on GitHub's runners."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.generated import generate

FAKE_GH = r"""#!/usr/bin/env python3
import json, os, sys

state_path = os.environ["FAKE_GH_STATE"]
state = json.load(open(state_path)) if os.path.exists(state_path) else {"issues": [], "calls": []}
args = sys.argv[1:]
state["calls"].append(args)

def option(name):
    return args[args.index(name) + 1] if name in args else None

if args[:2] == ["label", "create"]:
    pass
elif args[:2] == ["issue", "list"]:
    label = option("--label")
    found = [
        {"number": issue["number"], "title": issue["title"]}
        for issue in state["issues"]
        if issue["state"] == "open" and label in issue["labels"]
    ]
    print(json.dumps(found))
elif args[:2] == ["issue", "create"]:
    number = len(state["issues"]) + 1
    body = open(option("--body-file")).read()
    state["issues"].append(
        {"number": number, "title": option("--title"), "labels": [option("--label")],
         "state": "open", "body": body, "comments": []}
    )
    print(f"https://github.com/acme/project/issues/{number}")
elif args[:2] == ["issue", "comment"]:
    issue = state["issues"][int(args[2]) - 1]
    issue["comments"].append(open(option("--body-file")).read())
else:
    print(f"fake gh: unexpected {args}", file=sys.stderr)
    sys.exit(1)
json.dump(state, open(state_path, "w"))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("alert") / "project").path


def _alert(project: Path, tmp_path: Path, kind: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (apt-get install jq)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.replace("/usr/bin/env python3", sys.executable, 1))
    gh.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_GH_STATE": str(tmp_path / "gh.json"),
        "RUN_URL": f"https://github.com/acme/project/actions/runs/{kind}",
        "FALLBACK": "success",
    }
    return subprocess.run(
        ["bash", "scripts/alert.sh", kind],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _state(tmp_path: Path) -> dict[str, list[dict[str, object]]]:
    state: dict[str, list[dict[str, object]]] = json.loads((tmp_path / "gh.json").read_text())
    return state


def test_one_issue_per_kind_commented_when_the_alarm_repeats(project: Path, tmp_path: Path) -> None:
    for kind in ("contract", "contract", "rollback", "health", "contract", "health"):
        completed = _alert(project, tmp_path, kind)
        assert completed.returncode == 0, completed.stderr
    issues = _state(tmp_path)["issues"]
    assert [(issue["number"], issue["title"]) for issue in issues] == [
        (1, "Monitor: the input feed breaks its data contract"),
        (2, "Monitor: the champion was rolled back"),
        (3, "Monitor: the service fails its health check"),
    ]
    assert all(issue["labels"] == ["monitor-alert"] for issue in issues)
    assert len(issues[0]["comments"]) == 2  # type: ignore[arg-type]
    assert issues[1]["comments"] == []
    assert len(issues[2]["comments"]) == 1  # type: ignore[arg-type]
    assert "actions/runs/contract" in str(issues[0]["body"])
    assert "previous champion: success" in str(issues[1]["body"])
    assert "the model was not rolled back" in str(issues[2]["body"])


@pytest.mark.parametrize("kind", ["breach", "ok", ""])
def test_an_unknown_kind_is_refused(project: Path, tmp_path: Path, kind: str) -> None:
    completed = _alert(project, tmp_path, kind)
    assert completed.returncode == 2
    assert "usage: scripts/alert.sh contract|health|rollback" in completed.stderr
    assert not (tmp_path / "gh.json").exists()  # nothing was asked of GitHub


def test_a_closed_alert_is_opened_again(project: Path, tmp_path: Path) -> None:
    assert _alert(project, tmp_path, "contract").returncode == 0
    state = _state(tmp_path)
    state["issues"][0]["state"] = "closed"
    (tmp_path / "gh.json").write_text(json.dumps(state))
    assert _alert(project, tmp_path, "contract").returncode == 0
    assert [issue["state"] for issue in _state(tmp_path)["issues"]] == ["closed", "open"]


def test_a_failing_gh_fails_the_step(project: Path, tmp_path: Path) -> None:
    (tmp_path / "gh.json").write_text("not json")
    completed = _alert(project, tmp_path, "contract")
    assert completed.returncode != 0
