"""Time `make train` in a generated project against the reference implementation.

    python benchmarks/bench_train.py [--runs 5] [--reference COMMIT] [--compiled-reference]

Goal: make train on the bundled data under 8 s.
See benchmarks/_project.py for the method; record the result in
docs/benchmarks.md.
"""

import sys

from _project import main

if __name__ == "__main__":
    sys.exit(main(["make", "train"], "make train on the bundled data under 8 s", default_runs=5))
