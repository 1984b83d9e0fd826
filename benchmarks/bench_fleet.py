"""Time `forgeml fleet check` of 100 projects against the reference, in one run.

The fleet: 100 clones of one project generated from this checkout's template (see
bench_check.py), every tenth with a hand edit of a protected file (so the command exits
1). The reference is forgeml at another commit (`--reference`), exported with `git
archive`; runs alternate between it and this checkout, each from an empty forgeml cache
(what a fresh CI machine has). Goal: 100 projects under 30 s of wall time on 2 cores, and
time growing linearly with the fleet (`--repos 50` then `--repos 100` shows it).

    python benchmarks/bench_fleet.py [--runs 3] [--repos 100] [--jobs 2] [--reference COMMIT]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from bench_check import REFERENCE, export_reference, forgeml, make_fleet, make_origin, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--reference", default=REFERENCE)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="forgeml-bench-fleet-") as tmp:
        scratch = Path(tmp)
        cache = scratch / "cache"
        os.environ["FORGEML_CACHE_DIR"] = str(cache)
        origin = make_origin(scratch)
        fleet = scratch / "fleet"
        make_fleet(origin, fleet, args.repos)
        trees = {
            "reference": export_reference(args.reference, scratch / "ref"),
            "candidate": Path(__file__).resolve().parent.parent,
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, tree in trees.items():
                shutil.rmtree(cache, ignore_errors=True)
                argv, env = forgeml(tree, "fleet", "check", str(fleet), "--jobs", str(args.jobs))
                samples[name].append(timed(argv, {1}, env))
        load = os.getloadavg()[0]

    print(
        f"`forgeml fleet check`, {args.repos} projects, --jobs {args.jobs}, "
        f"{args.runs} runs each, cold cache; load average {load:.1f} ({os.cpu_count()} CPUs)"
    )
    base = statistics.median(wall for wall, _ in samples["reference"])
    base_cpu = statistics.median(cpu for _, cpu in samples["reference"])
    for name, values in samples.items():
        walls = [wall for wall, _ in values]
        wall = statistics.median(walls)
        cpu = statistics.median(c for _, c in values)
        print(
            f"  {name:10} wall {wall:6.2f} s (min {min(walls):6.2f}), cpu {cpu:6.2f} s; "
            f"{wall / args.repos:.3f} s per project; vs reference wall {wall / base:.2f}x, "
            f"cpu {cpu / base_cpu:.2f}x"
        )


if __name__ == "__main__":
    main()
