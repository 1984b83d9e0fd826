"""Time `make drift` in a generated project against the reference implementation.

    python benchmarks/bench_drift.py [--runs 5] [--reference COMMIT] [--projects DIR]

The bundled sample against the champion's training data: the whole command as a user
runs it (statistics, JSON and the HTML report of 13 features). For the report alone
on a wide table, see bench_drift_report.py. See benchmarks/_project.py for the method;
record the result in docs/benchmarks.md.
"""

import sys

from _project import main

if __name__ == "__main__":
    sys.exit(main(["make", "drift"], "no goal set: compare with the reference", default_runs=5))
