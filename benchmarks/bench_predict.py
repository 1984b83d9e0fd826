"""Time `make predict` in a generated project against the reference implementation.

    python benchmarks/bench_predict.py [--runs 7] [--reference COMMIT] [--compiled-reference]

Goal: make predict on the sample under 3 s.
See benchmarks/_project.py for the method; record the result in
docs/benchmarks.md.
"""

import sys

from _project import main

if __name__ == "__main__":
    sys.exit(main(["make", "predict"], "make predict on the sample under 3 s", default_runs=7))
