"""Time `forgeml check` on one project and `forgeml fleet check` on 100 of them.

The projects come from this checkout's real template, committed and tagged 0.1.0 in a
scratch repository (as a release would be), and are checked against the default policy
the template ships: every check runs, including FML401, which renders the recorded
release with copier to compare the protected files. Goals: under 0.5 s per project;
100 projects under 30 s on 2 cores.

    python benchmarks/bench_check.py [--runs 7] [--repos 100] [--jobs 2]

Prints the medians; record them in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from generator.commands.check import check_project  # noqa: E402  (needs the repository on sys.path)
from generator.commands.new import create_project  # noqa: E402
from tests.support.template_factory import clone_project, commit_all, commit_and_tag  # noqa: E402

FORGEML = shutil.which("forgeml")


def make_origin(scratch: Path) -> Path:
    release = scratch / "template"
    release.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", release / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", release / "template")
    subprocess.run(["git", "init", "--quiet"], cwd=release, check=True)
    commit_and_tag(release, "0.1.0")
    return create_project(
        scratch / "origin", data={}, template=str(release), vcs_ref="0.1.0", defaults=True
    ).path


def make_fleet(origin: Path, root: Path, count: int) -> None:
    """`count` clones; every tenth with a hand edit of a protected file, so some fail."""
    root.mkdir()
    for n in range(count):
        repo = clone_project(origin, root / f"repo-{n:03d}")
        if n % 10 == 0:
            license_file = repo / "LICENSE"
            license_file.write_text(license_file.read_text() + "\nAmended by hand.\n")
            commit_all(repo, "edit the licence")


def timed(argv: list[str], ok: set[int]) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds of the command and every process it started.

    CPU time barely moves when other work shares the machine; wall time does.
    """
    cpu_before = _children_cpu()
    start = time.perf_counter()
    completed = subprocess.run(argv, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {completed.returncode}:\n{completed.stderr!r}")
    return elapsed, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if FORGEML is None:
        raise SystemExit("forgeml is not installed (pip install -e .)")

    with tempfile.TemporaryDirectory(prefix="forgeml-bench-check-") as tmp:
        scratch = Path(tmp)
        os.environ["FORGEML_CACHE_DIR"] = str(scratch / "cache")
        origin = make_origin(scratch)
        report = check_project(origin)
        assert report.exit_code == 0, [r for r in report.results if r.status != "pass"]

        check_project(origin)  # warm-up: imports, copier's first render
        in_process = []
        for _ in range(args.runs):
            start = time.perf_counter()
            check_project(origin)
            in_process.append(time.perf_counter() - start)
        cli = [timed([FORGEML, "check", str(origin)], {0}) for _ in range(args.runs + 1)][1:]
        load = os.getloadavg()[0]

        fleet = scratch / "fleet"
        make_fleet(origin, fleet, args.repos)
        command = [FORGEML, "fleet", "check", str(fleet), "--jobs", str(args.jobs)]
        fleet_runs = [timed(command, {1}) for _ in range(max(args.runs // 2, 1))]

    walls = [wall for wall, _ in fleet_runs]
    print(f"load average before the fleet runs: {load:.1f} ({os.cpu_count()} CPUs)")
    print(f"one project, {len(report.results)} checks (default policy, drift included)")
    print(f"  check_project() in-process    median {statistics.median(in_process):.3f} s")
    print(
        f"  `forgeml check` fresh process median {statistics.median(w for w, _ in cli):.3f} s "
        f"wall, {statistics.median(c for _, c in cli):.3f} s CPU"
    )
    print(f"`forgeml fleet check`, {args.repos} projects, --jobs {args.jobs}")
    print(
        f"  wall median {statistics.median(walls):.2f} s (min {min(walls):.2f}, "
        f"max {max(walls):.2f}), CPU median {statistics.median(c for _, c in fleet_runs):.2f} s; "
        f"{statistics.median(walls) / args.repos:.3f} s wall per project"
    )


if __name__ == "__main__":
    main()
