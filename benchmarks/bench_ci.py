"""Time `make ci` in a generated project against the reference implementation.

    python benchmarks/bench_ci.py [--runs 2] [--reference COMMIT] [--compiled-reference]

Goal: make ci, warm, under 45 s on 2 cores.
See benchmarks/_project.py for the method; record the result in
docs/benchmarks.md.
"""

import sys

from _project import main

if __name__ == "__main__":
    sys.exit(main(["make", "ci"], "make ci, warm, under 45 s on 2 cores", default_runs=2))
