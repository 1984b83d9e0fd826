"""Time the drift report's HTML page for a wide table, reference against candidate.

    python benchmarks/bench_drift_report.py [--features 200] [--rows 5000] [--projects DIR]

The page draws one chart per feature, so its cost grows with the table's width. Both
projects (generated and set up as in benchmarks/_project.py; reuse them with
--projects) render the same synthetic table, three quarters numeric and a quarter
categorical, with their own `drift_report.render_html`, in their own interpreter; the
median of 3 renders is reported (the first, which imports and warms up, is not timed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _project import ENV, generate

# Run inside each project: build the table and the report dictionary, time the page.
RENDER = """
import json, sys, time
import numpy as np, pandas as pd
from {package}.drift_report import render_html

features, rows = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
def table(shift):
    columns = {{}}
    for i in range(features):
        if i % 4 == 3:
            columns[f"c{{i}}"] = rng.choice(["a", "b", "c", "d", "e", "f", "g"], rows)
        else:
            columns[f"x{{i}}"] = rng.normal(shift * (i % 2), 1.0, rows)
    return pd.DataFrame(columns)
reference, current = table(0.0), table(0.5).head(rows // 5)
entries = [
    {{"feature": name, "kind": "numeric", "psi": 0.1, "test": "ks", "pvalue": 0.5,
      "drifted": bool(i % 2)}}
    for i, name in enumerate(reference.columns)
]
report = {{"features": entries, "drift_detected": True, "thresholds": {{"psi": 0.2}},
          "drifted_features": [e["feature"] for e in entries if e["drifted"]],
          "drifted_share": 0.5, "reference_rows": len(reference), "current_rows": len(current)}}
render_html(reference, current, report)
times = []
for _ in range(3):
    start = time.perf_counter()
    page = render_html(reference, current, report)
    times.append(time.perf_counter() - start)
print(json.dumps({{"seconds": times, "bytes": len(page)}}))
"""


def render_seconds(project: Path, features: int, rows: int) -> tuple[float, int]:
    package = next(path.name for path in (project / "src").iterdir() if path.is_dir())
    script = RENDER.format(package=package)
    completed = subprocess.run(
        ["uv", "run", "--frozen", "python", "-c", script, str(features), str(rows)],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"render failed in {project}:\n{completed.stderr}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return statistics.median(result["seconds"]), int(result["bytes"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=200)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--reference", default="31e6adc")
    parser.add_argument("--candidate", default="HEAD")
    parser.add_argument("--projects", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-project-") as scratch:
        root = args.projects or Path(scratch)
        measured = {}
        for name, ref in (("reference", args.reference), ("candidate", args.candidate)):
            project = root / name
            if not (project / ".venv").is_dir():
                generate(ref, project)
            measured[name] = render_seconds(project, args.features, args.rows)
    print(
        f"drift report of {args.features} features, {args.rows} reference rows: "
        f"reference {args.reference}, candidate {args.candidate}"
    )
    base = measured["reference"][0]
    for name, (seconds, size) in measured.items():
        print(
            f"{name:10} {seconds:7.3f} s  ({1000 * seconds / args.features:6.2f} ms a feature, "
            f"page {size // 1024} KB)  vs reference: {seconds / base:.3f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
