"""Time `forgeml update` against raw `copier update` of the same change.

The change is the fixture template's 1.0.0 -> 2.0.0 (tests/support/template_factory.py: a file
changed, added, removed, renamed by a migration, executable bits) on a project with
committed local edits. Every run starts from a fresh clone of the same project (not
timed), and each command runs as a fresh process (interpreter start-up and imports
included), alternating so machine noise hits all alike.

    python benchmarks/bench_update.py [--runs 15]

Prints the median and spread of each and forgeml's overhead over copier; record the
result in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
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

from tests.support.template_factory import (  # noqa: E402  (needs the repository on sys.path)
    build_template,
    clone_project,
    commit_all,
    generate_project,
)

FORGEML = shutil.which("forgeml")
COPIER = shutil.which("copier")


def commands(project: Path) -> dict[str, list[str]]:
    return {
        # What forgeml update runs underneath: trusted, non-interactive, to 2.0.0.
        "copier update": [
            str(COPIER),
            "update",
            "--quiet",
            "--defaults",
            "--trust",
            "--vcs-ref",
            "2.0.0",
            str(project),
        ],
        "forgeml update": [str(FORGEML), "update", str(project)],
        "forgeml update --dry-run": [str(FORGEML), "update", "--dry-run", str(project)],
    }


def make_origin(scratch: Path) -> Path:
    template = build_template(scratch / "template")
    origin = generate_project(template, scratch / "origin")
    notes = origin / "notes.md"
    notes.write_text(notes.read_text().replace("notes line 5", "notes line 5, edited"))
    readme = origin / "README.md"
    readme.write_text(readme.read_text().replace("Ask the platform team.", "Ask #ml."))
    commit_all(origin)
    return origin


def time_once(argv: list[str]) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds of the process and every child it ran (git).

    CPU time barely moves when other work shares the machine; wall time does.
    """
    cpu_before = _children_cpu()
    start = time.perf_counter()
    completed = subprocess.run(argv, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{completed.stderr.decode()}")
    return elapsed, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if FORGEML is None or COPIER is None:
        print("forgeml and copier must be on PATH (pip install -e '.[dev]')", file=sys.stderr)
        return 2

    samples: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        origin = make_origin(scratch)
        for run in range(args.runs + 1):  # the first round warms caches and is discarded
            for name in commands(origin):
                project = clone_project(origin, scratch / "project")
                elapsed, cpu_seconds = time_once(commands(project)[name])
                if run:
                    samples.setdefault(name, []).append(elapsed)
                    cpu.setdefault(name, []).append(cpu_seconds)
                shutil.rmtree(project)

    print(f"change: fixture template 1.0.0 -> 2.0.0; runs per command: {args.runs}")
    baseline = samples["copier update"]
    for name, values in samples.items():
        median = statistics.median(values)
        spread = f"{min(values):.3f}-{max(values):.3f}"
        overhead = (median / statistics.median(baseline) - 1) * 100
        # Each round runs every command back to back, so the per-round difference cancels
        # most of the load other processes put on the machine.
        paired = statistics.median(v - b for v, b in zip(values, baseline, strict=True))
        print(
            f"{name:26} median {median:.3f} s  (min-max {spread})  vs copier {overhead:+.1f}%"
            f"  paired {paired * 1000:+.0f} ms"
        )
    print("CPU time (user+sys, the command and the git processes it ran):")
    cpu_baseline = statistics.median(cpu["copier update"])
    for name, values in cpu.items():
        median = statistics.median(values)
        overhead = (median / cpu_baseline - 1) * 100
        print(f"{name:26} median {median:.3f} s  vs copier {overhead:+.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
