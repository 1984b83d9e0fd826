"""Time `forgeml new --defaults` against raw `copier copy --defaults` of the same template.

Both run as fresh processes (interpreter start-up and imports included) rendering the
same commit of this repository, alternating so machine noise hits both alike.

    python benchmarks/bench_new.py [--runs 15]

Prints the median and spread of each and forgeml's overhead; record the result in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FORGEML = shutil.which("forgeml")
COPIER = shutil.which("copier")


def commands(dest: Path) -> dict[str, list[str]]:
    common = ["--defaults", "--vcs-ref", "HEAD"]
    return {
        "copier copy": [str(COPIER), "copy", "--quiet", *common, str(REPO_ROOT), str(dest)],
        "forgeml new --no-git": [
            str(FORGEML),
            "new",
            str(dest),
            "--template",
            str(REPO_ROOT),
            *common,
            "--no-git",
        ],
        "forgeml new": [str(FORGEML), "new", str(dest), "--template", str(REPO_ROOT), *common],
    }


def time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if FORGEML is None or COPIER is None:
        print("forgeml and copier must be on PATH (pip install -e '.[dev]')", file=sys.stderr)
        return 2

    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        dest = Path(scratch) / "project"
        for run in range(args.runs + 1):  # the first round warms caches and is discarded
            for name, argv in commands(dest).items():
                elapsed = time_once(argv)
                if run:
                    samples.setdefault(name, []).append(elapsed)
                shutil.rmtree(dest)

    files = sum(1 for p in (REPO_ROOT / "template").rglob("*") if p.is_file())
    print(f"template files: {files}; runs per command: {args.runs}")
    baseline = statistics.median(samples["copier copy"])
    for name, values in samples.items():
        median = statistics.median(values)
        spread = f"{min(values):.3f}-{max(values):.3f}"
        overhead = (median / baseline - 1) * 100
        print(f"{name:22} median {median:.3f} s  (min-max {spread})  vs copier {overhead:+.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
