"""Local Ray against the single-process path of a generated engine=ray project, side by side.

    python benchmarks/bench_ray.py [--rows 2000000] [--parts 8] [--samples 4]
                                   [--search-rows 500000] [--project PATH]

Generates an engine=ray project (default answers: the wine contract) and sets it up with
its own `make setup`, unless --project names an installed one; then, in the project's
environment, it generates --rows rows that meet the contract (the bundled rows drawn
with replacement plus noise, inside the contract's bounds), written once as one Parquet
file and once as --parts part files, and measures in one process:

* batch scoring: `predict_file` on the single file (read, validate, score, write; one
  process) against `score_file` on the parts (Ray Data map_batches on a local Ray
  instance with every core), both with the same fitted model; the outputs must be equal;
* a search: the configurations Ray Tune draws (--samples, the project's search space
  restricted to the linear model, on --search-rows rows) against the same
  configurations fitted one after the other in this process.

Ray's start-up is timed apart. The load average is printed with the numbers: on a shared
machine it decides them. Record the result in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from _project import ENV, set_up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--search-rows", type=int, default=500_000)
    parser.add_argument("--project", type=Path, help="an installed engine=ray project")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        print(json.dumps(measure(args)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as scratch:
        project = args.project or set_up("HEAD", Path(scratch) / "ray-project", "engine=ray")
        argv = [
            "uv",
            "run",
            "--frozen",
            "python",
            str(Path(__file__).resolve()),
            "--inside",
            *(f"--{name}={getattr(args, name.replace('-', '_'))}" for name in _SIZES),
        ]
        print(f"measuring in {project} ...", file=sys.stderr)
        completed = subprocess.run(
            argv, cwd=project, env=ENV, capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            sys.exit(f"the measurement failed:\n{completed.stdout}\n{completed.stderr[-6000:]}")
        report(json.loads(completed.stdout.strip().splitlines()[-1]))
    return 0


_SIZES = ("rows", "parts", "samples", "search-rows")


def _package() -> str:
    import tomllib

    pyproject = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
    return str(next(iter(pyproject["project"]["scripts"].values())).split(".")[0])


def _modules() -> Any:
    """The generated project's modules, imported by name (run in its environment)."""
    package = _package()
    names = ("config", "contract", "features", "ingest", "metrics", "predict", "train")
    modules = {name: importlib.import_module(f"{package}.{name}") for name in names}
    return SimpleNamespace(**modules, engine=importlib.import_module(f"{package}.ray_engine"))


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run inside the generated project's environment (its package importable)."""
    project = _modules()
    params = project.config.load_params(Path("params.yaml"))
    contract = project.contract.load_contract(params.data.contract)
    bundled = project.ingest.read_table(params.data.path, contract.text_columns)
    before = os.getloadavg()
    scratch = Path(tempfile.mkdtemp(prefix="bench-ray-data-"))
    rows = _rows(project, bundled, contract, args, scratch)
    X, y = project.features.features_and_target(bundled, contract)
    model = project.train.build_model(params.model, contract).fit(X, y)
    result: dict[str, Any] = {"rows": args.rows, "cpus": os.cpu_count(), "features": len(X.columns)}
    result |= _scoring(project, model, contract, scratch)
    result |= _search(project, params, contract, rows.iloc[: args.search_rows], args, scratch)
    result["load"] = {"before": before, "after": os.getloadavg()}
    return result


def _rows(
    project: Any, bundled: Any, contract: Any, args: argparse.Namespace, scratch: Path
) -> Any:
    """--rows rows that meet the contract (bundled rows plus noise, clipped to the
    bounds), written as one Parquet file and as --parts part files."""
    import numpy as np

    rng = np.random.default_rng(0)
    rows = bundled.iloc[rng.integers(0, len(bundled), args.rows)].reset_index(drop=True)
    for feature in contract.of_kind("numeric"):
        column = rows[feature.name].astype(float)
        noisy = column + rng.normal(0, column.std() * 0.05, len(column))
        rows[feature.name] = noisy.clip(feature.min, feature.max)
    project.ingest.write_table(rows[contract.feature_names], scratch / "batch.parquet")
    parts = scratch / "batch-parts.parquet"
    parts.mkdir()
    for number, index in enumerate(np.array_split(np.arange(len(rows)), args.parts)):
        project.ingest.write_table(
            rows.iloc[index][contract.feature_names], parts / f"part-{number:05d}.parquet"
        )
    return rows


def _scoring(project: Any, model: Any, contract: Any, scratch: Path) -> dict[str, float]:
    """predict_file on the single file against score_file (Ray) on the parts."""
    import pandas as pd

    started = time.perf_counter()
    project.predict.predict_file(
        model, scratch / "batch.parquet", scratch / "local.parquet", contract
    )
    local = time.perf_counter() - started
    started = time.perf_counter()
    project.engine.connect()
    start_up = time.perf_counter() - started
    started = time.perf_counter()
    project.engine.score_file(
        model, scratch / "batch-parts.parquet", scratch / "ray.parquet", contract
    )
    ray = time.perf_counter() - started
    pd.testing.assert_frame_equal(
        project.ingest.read_table(scratch / "ray.parquet"),
        project.ingest.read_table(scratch / "local.parquet"),
    )
    return {"score_local_s": local, "ray_start_s": start_up, "score_ray_s": ray}


def _search(
    project: Any,
    params: Any,
    contract: Any,
    rows: Any,
    args: argparse.Namespace,
    scratch: Path,
) -> dict[str, float]:
    """Ray Tune's draws, then the same configurations one after the other."""
    tuning = params.tune.model_copy(
        update={
            "num_samples": args.samples,
            "search_space": {"linear": params.tune.search_space["linear"]},
            "storage_path": str(scratch / "tune"),
        }
    )
    started = time.perf_counter()
    found = project.engine.search(params.model_copy(update={"tune": tuning}), rows, contract)
    ray = time.perf_counter() - started
    features = project.features
    frame = project.engine.validate_training_data(rows, contract)
    split = features.holdout_split(frame, params.split, contract)
    inner = features.holdout_split(split.train, params.split, contract)
    started = time.perf_counter()
    for trial in found.trials:
        fitted = project.train.build_model(trial.model, contract)
        fitted.fit(*features.features_and_target(inner.train, contract))
        project.metrics.compute_metrics(
            fitted, *features.features_and_target(inner.holdout, contract)
        )
    local = time.perf_counter() - started
    return {
        "search_ray_s": ray,
        "search_local_s": local,
        "search_trials": len(found.trials),
        "search_rows": len(rows),
    }


def report(result: dict[str, Any]) -> None:
    rows, trials = result["rows"], result["search_trials"]
    print(
        f"{rows:,} rows x {result['features']} features, {result['cpus']} CPUs; "
        f"load average before {result['load']['before'][0]:.1f}, "
        f"after {result['load']['after'][0]:.1f}"
    )
    print(f"Ray start-up (local instance, in process): {result['ray_start_s']:.1f} s")
    print("| step | single process | local Ray | ratio |")
    print("|---|---|---|---|")
    for name, label in (
        ("score", f"batch scoring, {rows:,} rows"),
        ("search", f"search, {trials} configurations on {result['search_rows']:,} rows"),
    ):
        local, ray = result[f"{name}_local_s"], result[f"{name}_ray_s"]
        print(f"| {label} | {local:.1f} s | {ray:.1f} s | {local / ray:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
