"""Draw the example pictures of the generated docs (template/docs/images/).

The pictures come from the template's own drawing code (figures.py, drift_report.py)
on the data sets the template bundles, so the docs show exactly what a project
produces. Run it with the interpreter of any generated project, which has
matplotlib and scikit-learn:

    forgeml new /tmp/example --defaults && (cd /tmp/example && make setup)
    uv run --project /tmp/example python scripts/example_figures.py

Pictures are drawn at their real size, then reduced to a 64-colour palette so the
template stays small; the drift report's panels are SVG, written as they are.
Load-test charts use simulated latencies (a gamma distribution): the docs say so.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.datasets import load_diabetes, load_wine
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "template" / "src" / "{{package_name}}"
IMAGES = ROOT / "template" / "docs" / "images"
SEED = 42


def _load(name: str) -> ModuleType:
    """The template's module ``name``, imported as part of a stand-in package."""
    if "examplepkg" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "examplepkg", PACKAGE / "__init__.py", submodule_search_locations=[str(PACKAGE)]
        )
        assert spec
        assert spec.loader
        package = importlib.util.module_from_spec(spec)
        sys.modules["examplepkg"] = package
        spec.loader.exec_module(package)
    spec = importlib.util.spec_from_file_location(f"examplepkg.{name}", PACKAGE / f"{name}.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _only(task: str, name: str) -> str:
    """The template file name that copier renders to ``name`` for one ml_task only."""
    return f"{{% if ml_task == '{task}' %}}{name}{{% endif %}}"


def _write_svg(name: str, svg: str) -> None:
    """The drift report's panels are SVG already: written as the report inlines them."""
    (IMAGES / name).write_text(svg + "\n", encoding="utf-8")
    print(f"{name}: {len(svg) // 1024} KB")


def _write(name: str, png: bytes) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    (IMAGES / name).write_bytes(buffer.getvalue())
    print(f"{name}: {len(buffer.getvalue()) // 1024} KB")


def _task(task: str, figures: ModuleType, drift: ModuleType) -> None:
    if task == "classification":
        data = load_wine(as_frame=True)
        model: Any = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
        metric, scoring, shifted = "accuracy", "accuracy", "alcohol"
    else:
        data = load_diabetes(as_frame=True, scaled=False)
        model = make_pipeline(StandardScaler(), Ridge(alpha=1.0))
        metric, scoring, shifted = "rmse", "neg_root_mean_squared_error", "bmi"
    X, y = data.data, data.target
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
    model.fit(X_train, y_train)
    result = permutation_importance(
        model, X_test, y_test, scoring=scoring, n_repeats=5, random_state=SEED
    )
    order = np.argsort(-result.importances_mean)
    importances = [
        (X.columns[i], float(result.importances_mean[i]), float(result.importances_std[i]))
        for i in order
    ]
    for name, png in figures.training_figures(
        model, X_test, y_test, importances, seed=SEED
    ).items():
        _write(_only(task, name), png)

    if task == "classification":
        scores = {
            "challenger v2": {"accuracy": 0.972, "f1_macro": 0.971, "log_loss": 0.071},
            "champion v1": {"accuracy": 0.944, "f1_macro": 0.942, "log_loss": 0.118},
        }
        gates = {"accuracy": (0.85, None), "log_loss": (None, 0.5)}
    else:
        scores = {
            "challenger v2": {"rmse": 53.1, "mae": 42.7, "r2": 0.47},
            "champion v1": {"rmse": 54.9, "mae": 44.0, "r2": 0.43},
        }
        gates = {"rmse": (None, 70.0), "r2": (0.3, None)}
    decision = f"promoted: challenger {metric} beats champion by more than the margin (example)"
    _write(_only(task, "promotion.png"), figures.comparison_chart(scores, gates, decision))

    current = X_test.copy()
    current[shifted] = current[shifted] * 1.15
    title = f"{shifted}: DRIFT (example: the batch shifted by +15%)"
    _write_svg(
        _only(task, "drift_numeric.svg"),
        drift.feature_panel(X_train[shifted], current[shifted], title),
    )


def main() -> None:
    figures = _load("figures")
    drift = _load("drift_report")
    IMAGES.mkdir(parents=True, exist_ok=True)
    for task in ("classification", "regression"):
        _task(task, figures, drift)

    rng = np.random.default_rng(SEED)
    reference = pd.Series(
        rng.choice(["north", "south", "east", "west"], 800, p=[0.4, 0.3, 0.2, 0.1])
    )
    current = pd.Series(
        rng.choice(["north", "south", "east", "west", "online"], 200, p=[0.25, 0.25, 0.2, 0.1, 0.2])
    )
    title = "region: DRIFT (example: a new category in the batch)"
    _write_svg("drift_categorical.svg", drift.feature_panel(reference, current, title))

    # A simulated 20-second run of 4 clients: latencies in ms, finish times in s.
    latencies = rng.gamma(3.0, 4.0, 4000)
    finished = np.cumsum(latencies / 1000 / 4)
    ok = rng.uniform(size=latencies.size) > 0.002
    percentiles = {
        "p50": float(np.percentile(latencies, 50)),
        "p95": float(np.percentile(latencies, 95)),
        "p99": float(np.percentile(latencies, 99)),
        "max": float(latencies.max()),
    }
    for name, png in figures.loadtest_figures(latencies, finished, ok, percentiles).items():
        _write(f"loadtest_{name}", png)


if __name__ == "__main__":
    main()
