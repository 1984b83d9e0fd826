"""Evaluate: score a model on the holdout and check the quality gates of params.yaml."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .config import Gate, Params
from .contract import Contract, load_contract
from .features import features_and_target, holdout_split
from .ingest import load_dataset
from .metrics import HIGHER_IS_BETTER, compute_metrics
from .validate import validate_training_data


@dataclass(frozen=True)
class GateResult:
    metric: str
    value: float
    min: float | None
    max: float | None

    @property
    def passed(self) -> bool:
        return (self.min is None or self.value >= self.min) and (
            self.max is None or self.value <= self.max
        )

    def describe(self) -> str:
        bounds = " and ".join(
            f"{symbol} {bound:g}"
            for symbol, bound in ((">=", self.min), ("<=", self.max))
            if bound is not None
        )
        verdict = "pass" if self.passed else "FAIL"
        return f"{verdict}: {self.metric} = {self.value:.4f} (required {bounds})"


def check_gates(metrics: Mapping[str, float], gates: Mapping[str, Gate]) -> list[GateResult]:
    """Compare metrics with their gates; metrics without a gate are not judged."""
    return [
        GateResult(metric=name, value=metrics[name], min=gate.min, max=gate.max)
        for name, gate in gates.items()
    ]


def gates_passed(results: Sequence[GateResult]) -> bool:
    return all(result.passed for result in results)


def improvement(metric: str, challenger: float, champion: float) -> float:
    """How much better the challenger is, positive when better, in the metric's unit."""
    return challenger - champion if HIGHER_IS_BETTER[metric] else champion - challenger


def load_holdout(params: Params) -> pd.DataFrame:
    """The validated holdout rows of the configured data source.

    The split is seeded, so every command (train, evaluate, promote) that calls
    this with the same data and params.yaml scores models on the same rows.
    """
    contract = load_contract(params.data.contract)
    frame = validate_training_data(load_dataset(params.data, contract.text_columns), contract)
    return holdout_split(frame, params.split, contract).holdout


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    gates: list[GateResult]

    @property
    def passed(self) -> bool:
        return gates_passed(self.gates)


def evaluate_model(
    model: Any, holdout: pd.DataFrame, params: Params, contract: Contract
) -> Evaluation:
    """Score a fitted model on holdout rows and check it against the gates."""
    X, y = features_and_target(holdout, contract)
    metrics = compute_metrics(model, X, y)
    return Evaluation(metrics=metrics, gates=check_gates(metrics, params.gates))
