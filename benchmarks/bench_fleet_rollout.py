"""Time a fleet rollout with pushes and pull requests against doing it repository by repository.

N bare repositories (file://) each hold a project at release 1.0.0 of the fixture
template (tests/support/template_factory.py); a local server speaks GitHub's REST API
for the pull requests (tests/support/github_server.py). Timed, in one run:

- `forgeml fleet update FLEET --pull-requests --jobs J`, cold: clones every repository
  into an empty workspace, updates, pushes and opens N pull requests;
- the same, warm: fetches instead of cloning, finds every update already pushed, and
  refreshes the N pull requests (an idempotent re-run);
- the reference: what a team scripts by hand, one repository after the other, each
  step a fresh process: `git clone`, `forgeml update`, `git switch -c` + `git commit`,
  `git push`, then one `POST /repos/{owner}/{repo}/pulls` (curl).

Writes to the local server are not spaced out; against GitHub, forgeml waits a second
between content-creating requests (two per new pull request), as GitHub asks.

    python benchmarks/bench_fleet_rollout.py [--repos 50] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.support.github_server import TOKEN, github_server  # noqa: E402
from tests.support.remotes import BRANCH, bare_remote, write_fleet  # noqa: E402
from tests.support.template_factory import build_template, generate_project  # noqa: E402

FORGEML = [sys.executable, "-m", "generator"]


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in {0, 1}:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done


def by_hand(remotes: list[Path], scratch: Path, api: str, env: dict[str, str]) -> None:
    for n, remote in enumerate(remotes):
        clone = scratch / f"hand-{n}"
        run(["git", "clone", "--quiet", remote.as_uri(), str(clone)], scratch, env)
        run([*FORGEML, "update", str(clone)], REPO_ROOT, env)
        run(["git", "switch", "--quiet", "-c", "template-update"], clone, env)
        run(["git", "commit", "--quiet", "-am", "Update template"], clone, env)
        run(["git", "push", "--quiet", "origin", "template-update"], clone, env)
        body = json.dumps({"title": "Update template", "head": "template-update", "base": "main"})
        run(
            [
                "curl", "-sf", "-X", "POST", "-H", f"Authorization: Bearer {TOKEN}",
                "-d", body, f"{api}/repos/acme/hand-{n}/pulls",
            ],
            scratch,
            env,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-fleet-rollout-"))
    try:
        template = build_template(scratch / "template")
        origin = generate_project(template, scratch / "origin")
        fleet_remotes = [bare_remote(origin, scratch / f"app-{n}.git") for n in range(args.repos)]
        hand_remotes = [bare_remote(origin, scratch / f"hand-{n}.git") for n in range(args.repos)]
        fleet_file = write_fleet(
            scratch / "fleet.toml", [r.as_uri() for r in fleet_remotes], github="acme/app-{index}"
        )
        with github_server() as state:
            env = {
                **os.environ,
                "PYTHONPATH": str(REPO_ROOT),
                "GITHUB_TOKEN": TOKEN,
                "GITHUB_API_URL": state.base_url,
                "FORGEML_GITHUB_WRITE_INTERVAL": "0",
                "FORGEML_CACHE_DIR": str(scratch / "cache"),
            }
            command = [
                *FORGEML, "fleet", "update", str(fleet_file), "--pull-requests",
                "--workspace", str(scratch / "workspace"), "--jobs", str(args.jobs),
                "--format", "json",
            ]  # fmt: skip
            timings: dict[str, float] = {}
            for name in ("cold", "warm"):
                start = time.perf_counter()
                report = json.loads(run(command, REPO_ROOT, env).stdout)
                timings[f"fleet update --pull-requests, {name}"] = time.perf_counter() - start
                actions = {r["publication"]["pull_request_action"] for r in report["repositories"]}
                print(f"{name}: pull requests {sorted(actions)}", file=sys.stderr)
            start = time.perf_counter()
            by_hand(hand_remotes, scratch, state.base_url, env)
            timings["by hand, one repository after the other"] = time.perf_counter() - start
            opened = sum(len(pulls) for pulls in state.pulls.values())
        assert opened == 2 * args.repos, opened
        for remote in fleet_remotes:
            subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", BRANCH], cwd=remote, check=True,
                capture_output=True,
            )  # fmt: skip
        reference = timings["by hand, one repository after the other"]
        print(f"{args.repos} repositories, --jobs {args.jobs}")
        print("| what | wall | per repository | vs by hand |")
        print("|---|---|---|---|")
        for name, seconds in timings.items():
            print(
                f"| {name} | {seconds:.1f} s | {seconds / args.repos:.2f} s | "
                f"{seconds / reference:.2f}x |"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
