"""Shared by bench_predict.py, bench_train.py and bench_ci.py: time one make target of a
generated project against the same target of a project generated from a reference
commit of this repository (the implementation before a change), in one run.

Both projects are generated with default answers (`python -m generator new`), set up
with their own `make setup` and trained once; then the target runs as a fresh `make`
process in each, alternating, after one discarded warm-up round. Wall time and CPU time
(user + sys of make and everything it starts) are both reported: on a shared machine the
CPU time is the steadier figure.

`--compiled-reference` adds a third project: the reference with its environment's
bytecode compiled (`uv sync --compile-bytecode`, what the new `make setup` does), to
separate that lever from the code changes when PYTHONDONTWRITEBYTECODE is set.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "MLFLOW_DISABLE_TELEMETRY": "true"}


def _run(argv: list[str], cwd: Path) -> None:
    result = subprocess.run(argv, check=False, cwd=cwd, env=ENV, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed in {cwd}:\n{result.stdout}\n{result.stderr}")


def set_up(ref: str, dest: Path, *answers: str) -> Path:
    """A project rendered from this repository at ``ref`` (default answers, plus
    ``answers`` as `--data KEY=VALUE`), set up with its own `make setup`."""
    data = [argument for answer in answers for argument in ("--data", answer)]
    _run(
        [
            sys.executable,
            "-m",
            "generator",
            "new",
            str(dest),
            "--template",
            str(REPO_ROOT),
            "--vcs-ref",
            ref,
            "--defaults",
            *data,
        ],
        REPO_ROOT,
    )
    _run(["make", "setup"], dest)
    return dest


def generate(ref: str, dest: Path, compile_bytecode: bool = False) -> Path:
    """A project rendered from this repository at ``ref``, set up and trained once."""
    set_up(ref, dest)
    if compile_bytecode:
        _run(["uv", "sync", "--compile-bytecode"], dest)
    _run(["make", "train"], dest)
    return dest


def time_once(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv`` (CPU of all its child processes)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    _run(argv, cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(target: list[str], goal: str, default_runs: int) -> int:
    parser = argparse.ArgumentParser(description=f"Time `{' '.join(target)}`: {goal}")
    parser.add_argument("--runs", type=int, default=default_runs)
    parser.add_argument(
        "--reference", default="959d5fc", help="commit of the implementation to compare with"
    )
    parser.add_argument("--candidate", default="HEAD", help="commit to measure")
    parser.add_argument("--compiled-reference", action="store_true")
    parser.add_argument(
        "--projects",
        type=Path,
        help="keep the generated projects here and reuse them in later runs (default: "
        "a temporary directory); delete it after changing --reference or --candidate",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-project-") as scratch:
        root = args.projects or Path(scratch)
        wanted = {"reference": (args.reference, "reference", False)}
        if args.compiled_reference:
            wanted["reference, bytecode compiled"] = (args.reference, "compiled", True)
        wanted["candidate"] = (args.candidate, "candidate", False)
        projects = {
            name: root / folder
            if (root / folder / ".venv").is_dir()
            else generate(ref, root / folder, compile_bytecode=compiled)
            for name, (ref, folder, compiled) in wanted.items()
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in projects}
        for run in range(args.runs + 1):  # the first round warms caches and is discarded
            for name, project in projects.items():
                measured = time_once(target, project)
                if run:
                    samples[name].append(measured)

    bytecode = os.environ.get("PYTHONDONTWRITEBYTECODE") or "unset"
    print(
        f"{' '.join(target)}: {args.runs} runs each; reference {args.reference}, candidate "
        f"{args.candidate}; PYTHONDONTWRITEBYTECODE={bytecode}; load {os.getloadavg()[0]:.1f}"
    )
    wall_ref = statistics.median(wall for wall, _ in samples["reference"])
    cpu_ref = statistics.median(cpu for _, cpu in samples["reference"])
    for name, values in samples.items():
        walls = [wall for wall, _ in values]
        wall = statistics.median(walls)
        cpu = statistics.median(cpu for _, cpu in values)
        print(
            f"{name:30} wall {wall:6.2f} s (min {min(walls):6.2f})  cpu {cpu:6.2f} s  "
            f"vs reference: wall {wall / wall_ref:.2f}x, cpu {cpu / cpu_ref:.2f}x"
        )
    print(f"goal: {goal}")
    return 0
