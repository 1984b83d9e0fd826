"""Explain: what the model relies on, overall and for one prediction.

* Global (every training run): permutation importance on the holdout, i.e. how much
  ``promotion.metric`` gets worse when one feature's values are shuffled. It works for
  any model, is measured on rows the model has not seen, and is in the unit of the
  metric models are already judged by.
* Local (``<cli> explain``): per-feature contributions to one prediction for a pipeline
  ending in a linear model: coefficient x transformed (standardised) value, summed
  over the one-hot columns of a categorical feature so each original column gets one
  contribution. The intercept plus the contributions equal the model's raw output
  exactly: the
  prediction of a regressor; for a classifier the score of the predicted class (the
  log-odds against the other class when there are two, the softmax logit when more).
"""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from .contract import Contract
from .errors import UsageError
from .features import features_and_target
from .metrics import SKLEARN_SCORERS

GLOBAL_ARTIFACT = "explanations/global_importance.json"
MAX_IMPORTANCE_ROWS = 5000
LOCAL_ARTIFACT_DIR = "explanations/local"


def local_artifact_path() -> str:
    """Where `explain --log` stores an explanation in the model's run: one file per call."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{LOCAL_ARTIFACT_DIR}/{stamp}.json"


@dataclass(frozen=True)
class FeatureImportance:
    feature: str
    # Mean and standard deviation, over the repeats, of the metric's drop.
    mean: float
    std: float


@dataclass(frozen=True)
class GlobalExplanation:
    metric: str
    repeats: int
    rows: int
    # Most important first.
    features: list[FeatureImportance]

    def top(self, count: int) -> list[FeatureImportance]:
        return self.features[:count]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "GlobalExplanation":
        return cls(
            metric=raw["metric"],
            repeats=raw["repeats"],
            rows=raw["rows"],
            features=[FeatureImportance(**feature) for feature in raw["features"]],
        )


def permutation_importances(
    model: Any, holdout: pd.DataFrame, contract: Contract, metric: str, *, repeats: int, seed: int
) -> GlobalExplanation:
    """Permutation importance of each original column on labelled holdout rows (a
    categorical feature is shuffled as one column, not per one-hot column)."""
    X, y = features_and_target(holdout, contract)
    result = permutation_importance(
        model,
        X,
        y,
        scoring=SKLEARN_SCORERS[metric],
        n_repeats=repeats,
        random_state=seed,
        # A seeded sample of a large holdout ranks features as well, in a fraction of
        # the time (each repeat scores every row once per feature).
        max_samples=min(len(X), MAX_IMPORTANCE_ROWS),
    )
    features = [
        FeatureImportance(feature=name, mean=float(mean), std=float(std))
        for name, mean, std in zip(
            contract.feature_names, result.importances_mean, result.importances_std, strict=True
        )
    ]
    features.sort(key=lambda importance: importance.mean, reverse=True)
    rows = min(len(X), MAX_IMPORTANCE_ROWS)
    return GlobalExplanation(metric=metric, repeats=repeats, rows=rows, features=features)


@dataclass(frozen=True)
class Contribution:
    feature: str
    # The input value (None when missing); for a numeric or boolean feature also the
    # value the linear model sees (after imputing and scaling) and its coefficient.
    # A categorical feature has one coefficient per category: its contribution is
    # that of the input's category.
    value: float | str | None
    transformed: float | None
    coefficient: float | None
    contribution: float


@dataclass(frozen=True)
class LocalExplanation:
    prediction: float | int | str
    # What the contributions add up to, in words and as a number: intercept +
    # sum(contributions) == output.
    explained: str
    intercept: float
    output: float
    # Probability of the predicted class; None for a regressor.
    probability: float | None
    # Largest absolute contribution first.
    contributions: list[Contribution]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def explain_record(model: Any, record: pd.DataFrame) -> LocalExplanation:
    """Per-feature contributions to the prediction for a one-row, contract-valid frame."""
    if len(record) != 1:
        raise UsageError(f"explain one record at a time, got {len(record)}")
    estimator = model[-1] if isinstance(model, Pipeline) else None
    if estimator is None or not hasattr(estimator, "coef_"):
        raise UsageError(
            "per-feature contributions need a pipeline ending in a linear model, got "
            f"{type(estimator if estimator is not None else model).__name__}; "
            "use the global permutation importance logged with each run instead"
        )
    preprocess = model[:-1]
    transformed = np.asarray(preprocess.transform(record), dtype=float)[0]
    columns = _output_columns(preprocess[-1], transformed.size)
    coefficients = np.atleast_2d(estimator.coef_)
    intercepts = np.atleast_1d(estimator.intercept_)
    predicted = model.predict(record)[0]
    probability = None
    if hasattr(estimator, "predict_proba"):
        # The model's own raw scores, which intercept + contributions reproduce: one
        # per class, or a single one (the log-odds of classes[1]) for two classes.
        scores = np.ravel(estimator.decision_function(transformed[None, :]))
        classes = list(estimator.classes_)
        position = classes.index(predicted)
        probability = float(model.predict_proba(record)[0][position])
        if coefficients.shape[0] == 1:
            # Negated, the log-odds of classes[1] are those of classes[0]: explain the
            # predicted class's side.
            sign = 1.0 if position == 1 else -1.0
            weights, intercept = sign * coefficients[0], sign * intercepts[0]
            raw = sign * scores[0]
            explained = f"log-odds of class {predicted} against class {classes[1 - position]}"
        else:
            weights, intercept, raw = coefficients[position], intercepts[position], scores[position]
            explained = f"softmax logit of class {predicted}"
    else:
        weights, intercept = coefficients[0], intercepts[0]
        raw = np.ravel(estimator.predict(transformed[None, :]))[0]
        explained = "prediction"
    values = record.iloc[0]
    contributions = []
    for name, positions in columns.items():
        value = values[name]
        single = len(positions) == 1
        contributions.append(
            Contribution(
                feature=name,
                value=None if pd.isna(value) else value.item() if hasattr(value, "item") else value,
                transformed=float(transformed[positions[0]]) if single else None,
                coefficient=float(weights[positions[0]]) if single else None,
                contribution=float(np.dot(weights[positions], transformed[positions])),
            )
        )
    contributions.sort(key=lambda item: abs(item.contribution), reverse=True)
    return LocalExplanation(
        prediction=predicted.item() if isinstance(predicted, np.generic) else predicted,
        explained=explained,
        intercept=float(intercept),
        output=float(raw),
        probability=probability,
        contributions=contributions,
    )


def _output_columns(transformer: Any, width: int) -> dict[str, list[int]]:
    """Positions of each original column's outputs in the transformed row.

    The feature pipeline (features.py) gives each categorical feature its own
    transformer, so a transformer with more outputs than inputs has one input.
    """
    if not isinstance(transformer, ColumnTransformer):
        raise UsageError("per-feature contributions need the project's feature pipeline")
    columns: dict[str, list[int]] = {}
    for name, _, selected in transformer.transformers_:
        if name == "remainder":
            continue
        span = transformer.output_indices_[name]
        outputs = list(range(span.start, span.stop))
        if len(outputs) == len(selected):
            columns.update(
                {str(column): [output] for column, output in zip(selected, outputs, strict=True)}
            )
        elif len(selected) == 1:
            columns[str(selected[0])] = outputs
        else:
            raise UsageError(f"cannot map the outputs of transformer {name!r} to its columns")
    if sum(len(positions) for positions in columns.values()) != width:
        raise UsageError("the feature pipeline's outputs do not add up to the model's inputs")
    return columns
