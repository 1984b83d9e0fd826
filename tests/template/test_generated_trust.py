"""Trust features of generated projects: load test, explanations and model cards.

Each case generates a project, installs it with its own `make setup`, trains with
`make train`, and then uses the project's own targets the way CI/CD does: the model
card and an explanation are checked for real content of the run (feature names,
metric values), and `make loadtest` runs against `make serve` on a loopback port for a
bounded time. The load is bounded too: 2,000 requests at 32 concurrent by default,
the full 10,000 under `-m slow`.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.generated import generate
from tests.support.generated import project_env, run, served

CASES = {
    "classification": {},
    "regression": {"ml_task": "regression"},
}
# Installing, training and serving a project takes about a minute: the default run
# covers one task, `-m slow` both (each project's own suite tests both in depth).
CASE_PARAMS = [
    pytest.param("classification", id="classification"),
    pytest.param("regression", id="regression", marks=pytest.mark.slow),
]


@dataclass(frozen=True)
class Trained:
    path: Path
    features: list[str]
    # Holdout metrics as `make train` printed them (4 decimals).
    metrics: dict[str, str]


def _printed_metrics(train_output: str) -> dict[str, str]:
    """The challenger's metrics from `train`'s output: lines like '  rmse   53.1234'."""
    block = train_output.split("holdout metrics:", 1)[1].split("quality gates:", 1)[0]
    return dict(re.findall(r"^\s+(\w+)\s+(-?\d+\.\d{4})$", block, flags=re.MULTILINE))


@pytest.fixture(scope="module", params=CASE_PARAMS)
def trained(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    project = generate(tmp_path_factory.mktemp("trust") / request.param, **CASES[request.param])
    run(project.path, "make", "setup")
    completed = run(project.path, "make", "train")
    with (project.path / "data" / "sample.csv").open(newline="") as handle:
        features = next(csv.reader(handle))
    metrics = _printed_metrics(completed.stdout)
    assert metrics, completed.stdout
    return Trained(project.path, features, metrics)


def test_model_card_has_the_runs_data_metrics_and_features(trained: Trained) -> None:
    card = run(trained.path, "make", "--no-print-directory", "model-card").stdout
    assert card.startswith("# Model card: "), card[:500]
    for name, value in trained.metrics.items():
        assert f"| {name} | {value} |" in card, f"{name} = {value} missing from\n{card}"
    # Every feature is listed under Data, and the top ones with their importance.
    for feature in trained.features:
        assert f"`{feature}`" in card
    importance_rows = re.findall(r"^\| `(\w+)` \| (-?\d+\.\d{4}) \|", card, flags=re.MULTILINE)
    assert len(importance_rows) == 5
    assert {name for name, _ in importance_rows} <= set(trained.features)
    assert re.search(r"\*\*Data hash\*\*: `[0-9a-f]{16}`", card)
    assert re.search(r"\*\*Git commit\*\*: `[0-9a-f]{40}`", card), "generated projects are repos"
    assert "**Aliases now**: champion" in card


def test_explain_prints_exact_contributions_as_json(trained: Trained) -> None:
    printed = run(trained.path, "make", "--no-print-directory", "explain", "ROW=1").stdout
    explanation = json.loads(printed)
    assert {item["feature"] for item in explanation["contributions"]} == set(trained.features)
    total = explanation["intercept"] + sum(
        item["contribution"] for item in explanation["contributions"]
    )
    assert total == pytest.approx(explanation["output"], abs=1e-9)
    with (trained.path / "data" / "sample.csv").open(newline="") as handle:
        second_row = list(csv.DictReader(handle))[1]
    for item in explanation["contributions"]:
        assert item["value"] == pytest.approx(float(second_row[item["feature"]]))


@pytest.fixture(scope="module")
def service(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`make serve` on a free loopback port, shared by the load tests of a project; the
    load test itself waits for /ready."""
    with served(trained.path, tmp_path_factory.mktemp("serve") / "serve.log") as (url, _):
        yield url


def _load_test(
    trained: Trained, base_url: str, tmp_path: Path, **settings: object
) -> subprocess.CompletedProcess[str]:
    """`make loadtest` with a params file whose loadtest section is bounded by ``settings``."""
    params = yaml.safe_load((trained.path / "params.yaml").read_text(encoding="utf-8"))
    params["loadtest"].update(settings, ready_timeout_seconds=180)
    bounded = tmp_path / "params-loadtest.yaml"
    bounded.write_text(yaml.safe_dump(params), encoding="utf-8")
    return subprocess.run(
        ["make", "loadtest", f"PARAMS={bounded}", f"BASE_URL={base_url}"],
        cwd=trained.path,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_loadtest_passes_against_the_served_model(
    trained: Trained, service: str, tmp_path: Path
) -> None:
    completed = _load_test(
        trained, service, tmp_path, duration_seconds=3, max_requests=3000, warmup_requests=50
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "pass: p99 latency (ms)" in completed.stdout
    report = json.loads((trained.path / "artifacts" / "loadtest_report.json").read_text())
    assert report["passed"] is True
    assert 0 < report["requests"] <= 3000
    assert report["outcomes"] == {"200": report["requests"]}
    # The charts beside the JSON (figures.py; the project's tests check them in detail).
    for chart in ("latency_histogram", "throughput"):
        picture = trained.path / "artifacts" / f"loadtest_report.{chart}.png"
        assert picture.read_bytes().startswith(b"\x89PNG"), chart


def test_loadtest_fails_the_step_on_a_missed_threshold(
    trained: Trained, service: str, tmp_path: Path
) -> None:
    completed = _load_test(
        trained,
        service,
        tmp_path,
        duration_seconds=1,
        max_requests=200,
        thresholds={"p95_ms": 1e-6, "p99_ms": 1e-6, "min_throughput_rps": 0, "max_error_rate": 0},
    )
    assert completed.returncode != 0, completed.stdout
    assert "FAIL: p99 latency (ms)" in completed.stdout
    assert "load test missed its thresholds" in completed.stderr


@pytest.mark.parametrize(
    "requests",
    [pytest.param(2_000, id="2k"), pytest.param(10_000, id="10k", marks=pytest.mark.slow)],
)
def test_no_server_errors_at_32_concurrent(
    trained: Trained, service: str, tmp_path: Path, requests: int
) -> None:
    completed = _load_test(
        trained,
        service,
        tmp_path,
        concurrency=32,
        duration_seconds=300,
        max_requests=requests,
        # Only errors matter here; latency on a shared CI machine is not the point.
        thresholds={
            "p95_ms": 60_000,
            "p99_ms": 60_000,
            "min_throughput_rps": 0,
            "max_error_rate": 0,
        },
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads((trained.path / "artifacts" / "loadtest_report.json").read_text())
    assert report["requests"] == requests, "the whole budget ran within the time limit"
    assert report["outcomes"] == {"200": requests}
