"""The most important user path: a generated project trained on the user's own data.

Each test takes a public data set that ships offline inside a package on the package
index (or one written by a documented generator) through the whole flow of the
generated project: `make contract`, `make train`, `make serve` and POST /predict,
`make predict`, `make drift`, and `make ci` (the project's own tests then run on
that data). The default run takes one representative data set (penguins: categorical
features, missing values, string labels); the others run with `-m slow`.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import random
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml


from tests.support.generated import (
    generate,
    project_env,
    request_json,
    run,
    served,
    wait_ready,
)


def _package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{package} is not installed (pip install forgeml[dev])")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def penguins(destination: Path) -> None:
    """palmerpenguins: 344 penguins, categorical island and sex, missing values, 3 species."""
    shutil.copy2(_package_file("palmerpenguins", "data", "penguins.csv"), destination)


def cars(destination: Path) -> None:
    """vega_datasets' cars: 406 cars, a categorical origin, a near-unique name, missing
    miles per gallon and horsepower; a regression of miles per gallon."""
    rows = json.loads(_package_file("vega_datasets", "_data", "cars.json").read_text("utf-8"))
    with destination.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def odd_export(destination: Path, rows: int = 50_000, seed: int = 0) -> None:
    """A documented generator for what real exports look like, at 50,000 rows: column
    names with spaces, units and unicode, an id, yes/no booleans, a high-cardinality
    text column, an all-empty column, a timestamp, missing values, and a boolean target
    ("churned", true/false) that depends on several of the columns."""
    rng = random.Random(seed)
    plans = ["basic", "pro", "team", "enterprise"]
    with destination.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "customer id",
                "Monthly spend (€)",
                "support tickets",
                "plan",
                "city",
                "newsletter",
                "notes",
                "signed up",
                "churned",
            ]
        )
        for row in range(rows):
            plan = rng.choice(plans)
            spend = round(rng.lognormvariate(3.5, 0.6), 2)
            tickets = rng.randint(0, 12)
            newsletter = rng.random() < 0.4
            risk = 0.15 * tickets - 0.02 * spend + (0.8 if plan == "basic" else 0) - newsletter
            churned = rng.random() < 1 / (1 + 2.718 ** -(risk - 0.5))
            writer.writerow(
                [
                    100_000 + row,
                    "" if rng.random() < 0.05 else spend,
                    tickets,
                    "" if rng.random() < 0.03 else plan,
                    f"city-{int(rng.paretovariate(1.2)) % 400}",
                    "yes" if newsletter else "no",
                    "",
                    f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "true" if churned else "false",
                ]
            )


def _make(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A make target that is expected to fail: its result, whatever the exit code."""
    return subprocess.run(
        ["make", *args],
        cwd=project,
        env={**project_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _contract(project: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((project / "contract.yaml").read_text("utf-8"))
    return loaded


def _example(contract: dict[str, Any]) -> dict[str, Any]:
    return {feature["name"]: feature.get("example") for feature in contract["features"]}


def whole_flow(
    project: Path, data_name: str, target: str, tmp_path: Path, checks: str = "ci"
) -> dict[str, Any]:
    """make contract -> train -> serve + /predict -> predict -> drift -> `checks` (`ci`,
    or `test` for the project's own tests on the data alone); the contract."""
    inferred = run(project, "make", "contract", f"DATA=data/{data_name}", f"TARGET={target}")
    assert "review before `make train`" in inferred.stdout
    contract = _contract(project)
    assert contract["target"]["name"] == target
    params = yaml.safe_load((project / "params.yaml").read_text("utf-8"))
    assert params["data"]["path"] == f"data/{data_name}"
    with (project / "data" / "sample.csv").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == [feature["name"] for feature in contract["features"]]

    run(project, "make", "validate")
    run(project, "make", "train")

    log = tmp_path / "serve.log"
    with served(project, log) as (base, server):
        wait_ready(base, server, log)
        record = _example(contract)
        missing = {
            feature["name"]: None for feature in contract["features"] if feature.get("nullable")
        }
        status, body = request_json(f"{base}/predict", {"records": [record, {**record, **missing}]})
        assert status == 200, body
        predictions = [item["prediction"] for item in body["predictions"]]
        if contract["target"]["task"] == "classification":
            # In the labels' own type: strings stay strings, booleans booleans.
            assert all(value in contract["target"]["labels"] for value in predictions)
            assert {type(value) for value in predictions} <= {
                type(label) for label in contract["target"]["labels"]
            }
        else:
            assert all(isinstance(value, float) for value in predictions)
        status, body = request_json(f"{base}/predict", {"records": [{**record, "typo": 1}]})
        assert status == 422, body
        schema = request_json(f"{base}/openapi.json")[1]["components"]["schemas"]["Record"]
        assert list(schema["properties"]) == [f["name"] for f in contract["features"]]

    run(project, "make", "predict")
    with (project / "artifacts" / "predictions.csv").open(newline="", encoding="utf-8") as handle:
        scored = list(csv.DictReader(handle))
    assert scored
    assert all(row["prediction"] for row in scored)
    run(project, "make", "drift")
    completed = run(project, "make", checks, timeout=1800)
    if checks == "ci":
        assert "ci: all checks passed" in completed.stdout
    return contract


@pytest.fixture(scope="module")
def classification_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = generate(tmp_path_factory.mktemp("own-data") / "project").path
    run(project, "make", "setup")
    return project


def test_penguins_whole_flow(classification_project: Path, tmp_path: Path) -> None:
    project = classification_project
    penguins(project / "data" / "penguins.csv")
    # `make test`, not all of `make ci`: the rest of it (lint, docs, lock) does not
    # depend on the data, and test_generated_project runs it; the slow flows run it all.
    contract = whole_flow(project, "penguins.csv", "species", tmp_path, checks="test")
    kinds = {feature["name"]: feature["kind"] for feature in contract["features"]}
    assert kinds["island"] == "categorical"
    assert kinds["bill_length_mm"] == "numeric"
    assert contract["target"]["labels"] == ["Adelie", "Chinstrap", "Gentoo"]


def test_bad_input_is_one_line_and_exit_2(classification_project: Path) -> None:
    """Typos and impossible settings fail before any work, naming what is wrong."""
    project = classification_project
    params_path = project / "params.yaml"
    original = params_path.read_text("utf-8")
    cases = [
        (["contract", "DATA=data/sample.csv", "TARGET=no_such_column"], None, "no_such_column"),
        (["contract"], None, "usage: make contract"),
        (["train"], ("test_size: 0.2", "test_sise: 0.2"), "split.test_sise"),
        (["train"], ("type: linear", "type: xgboost"), "model.type"),
        (["train"], ("C: 1.0", "C: -1.0"), "model.hyperparameters"),
        (["train"], ("accuracy: {min: 0.90}", "accuracy: {min: 90}"), "gates.accuracy.min"),
        (["train"], ("test_size: 0.2", "test_size: 0.995"), "rows"),
        (["serve"], None, "no version 99"),
    ]
    try:
        for args, edit, message in cases:
            params_path.write_text(
                original if edit is None else original.replace(*edit), encoding="utf-8"
            )
            # Managed platforms pin the served model with MODEL_VERSION.
            env = {"MODEL_VERSION": "99"} if args == ["serve"] else None
            completed = _make(project, *args, env=env)
            errors = [line for line in completed.stderr.splitlines() if "rror" in line]
            assert completed.returncode == 2, (args, edit, completed.stdout, completed.stderr)
            assert message in completed.stderr, (args, completed.stderr)
            assert "Traceback" not in completed.stderr + completed.stdout
            assert errors, completed.stderr
    finally:
        params_path.write_text(original, encoding="utf-8")


@pytest.mark.slow
def test_breast_cancer_whole_flow(classification_project: Path, tmp_path: Path) -> None:
    """scikit-learn's breast cancer set: 30 numeric features, an imbalanced 0/1 target."""
    project = classification_project
    script = (
        "from sklearn.datasets import load_breast_cancer;"
        "load_breast_cancer(as_frame=True).frame.to_csv('data/cancer.csv', index=False)"
    )
    run(project, "uv", "run", "--frozen", "python", "-c", script)
    contract = whole_flow(project, "cancer.csv", "target", tmp_path)
    assert contract["target"]["labels"] == [0, 1]
    assert {feature["kind"] for feature in contract["features"]} == {"numeric"}


@pytest.mark.slow
def test_fifty_thousand_odd_rows_whole_flow(classification_project: Path, tmp_path: Path) -> None:
    project = classification_project
    odd_export(project / "data" / "export.csv")
    params_path = project / "params.yaml"
    original = params_path.read_text("utf-8")
    # Churn is hard to predict: gates at what this target can reach.
    params_path.write_text(
        original.replace("accuracy: {min: 0.90}", "accuracy: {min: 0.55}").replace(
            "f1_macro: {min: 0.90}", "f1_macro: {min: 0.50}"
        ),
        encoding="utf-8",
    )
    contract = whole_flow(project, "export.csv", "churned", tmp_path)
    kinds = {feature["name"]: feature["kind"] for feature in contract["features"]}
    assert kinds == {
        "Monthly spend (€)": "numeric",
        "support tickets": "integer",
        "plan": "categorical",
        "city": "categorical",
        "newsletter": "boolean",
    }
    assert set(contract["ignore"]) == {"customer id", "notes", "signed up"}
    assert contract["target"]["labels"] == [False, True]


@pytest.mark.slow
def test_cars_regression_whole_flow(tmp_path_factory: pytest.TempPathFactory) -> None:
    project = generate(
        tmp_path_factory.mktemp("own-data") / "regression", ml_task="regression"
    ).path
    run(project, "make", "setup")
    cars(project / "data" / "cars.csv")
    params_path = project / "params.yaml"
    # Miles per gallon, not disease progression: an error gate in the target's unit.
    params_path.write_text(
        params_path.read_text("utf-8")
        .replace("rmse: {max: 60.0}", "rmse: {max: 6.0}")
        .replace("min_improvement: 0.5", "min_improvement: 0.05"),
        encoding="utf-8",
    )
    # Rows without the target cannot be learnt from.
    rows = list(csv.DictReader((project / "data" / "cars.csv").open(encoding="utf-8")))
    with (project / "data" / "cars.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(row for row in rows if row["Miles_per_Gallon"])
    contract = whole_flow(project, "cars.csv", "Miles_per_Gallon", tmp_path_factory.mktemp("log"))
    kinds = {feature["name"]: feature["kind"] for feature in contract["features"]}
    assert kinds["Origin"] == "categorical"
    assert kinds["Horsepower"] in {"integer", "numeric"}
