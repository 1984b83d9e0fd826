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

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.metrics import get_scorer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.random import sample_without_replacement

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
    # A seeded sample of a large holdout ranks features as well, in a fraction of the
    # time (each repeat scores every row once per feature).
    rows = min(len(X), MAX_IMPORTANCE_ROWS)
    means, stds = permutation_scores(
        model, X, y, SKLEARN_SCORERS[metric], repeats=repeats, seed=seed, max_rows=rows
    )
    features = [
        FeatureImportance(feature=name, mean=float(mean), std=float(std))
        for name, mean, std in zip(contract.feature_names, means, stds, strict=True)
    ]
    features.sort(key=lambda importance: importance.mean, reverse=True)
    return GlobalExplanation(metric=metric, repeats=repeats, rows=rows, features=features)


def permutation_scores(
    model: Any,
    X: pd.DataFrame,
    y: pd.Series,
    scoring: str,
    *,
    repeats: int,
    seed: int,
    max_rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation, per column of ``X``, of the score's drop when the
    column is shuffled: scikit-learn's ``permutation_importance(model, X, y,
    scoring=scoring, n_repeats=repeats, random_state=seed, max_samples=max_rows)``.

    For the project's pipeline (feature transformations that each work column by
    column, then an estimator) the same shuffles are applied to the transformed
    matrix instead: the holdout is transformed once, each original column's outputs
    (all one-hot columns of a categorical feature together) are permuted as one, and
    only the estimator scores each permutation. The transformation is row by row, so
    shuffling its output is shuffling its input: the scores are scikit-learn's, without
    re-running the pipeline's DataFrame transformations for every permutation. Any
    other model goes through scikit-learn.
    """
    blocks = _column_blocks(model, list(X.columns))
    transformed = None if blocks is None else model[:-1].transform(X)
    if blocks is None or not isinstance(transformed, np.ndarray):  # e.g. sparse output
        result = permutation_importance(
            model,
            X,
            y,
            scoring=scoring,
            n_repeats=repeats,
            random_state=seed,
            max_samples=max_rows,
        )
        return result.importances_mean, result.importances_std
    estimator = model[-1]
    scorer = _matrix_scorer(scoring, estimator, transformed, y)
    baseline = scorer(estimator, transformed, y)
    # The draws scikit-learn makes: one seed, then for every column the same generator
    # state, so the same rows and the same sequence of shuffles for each column.
    column_seed = check_random_state(seed).randint(np.iinfo(np.int32).max + 1)
    random_state = np.random.RandomState(column_seed)
    if max_rows < len(X):
        rows = sample_without_replacement(len(X), max_rows, random_state=random_state)
        sample, labels = transformed[rows], y.iloc[rows]
    else:
        sample, labels = transformed, y
    order = np.arange(len(sample))
    shuffles = []
    for _ in range(repeats):
        random_state.shuffle(order)
        shuffles.append(order.copy())
    drops = np.empty((len(blocks), repeats))
    for position, columns in enumerate(blocks):
        permuted = sample.copy()
        for repeat, shuffle in enumerate(shuffles):
            # Shuffled again from the previous repeat's order, as scikit-learn does.
            permuted[:, columns] = permuted[shuffle][:, columns]
            drops[position, repeat] = baseline - scorer(estimator, permuted, labels)
    return drops.mean(axis=1), drops.std(axis=1)


Score = Callable[[Any, np.ndarray, pd.Series], float]


def _matrix_scorer(scoring: str, estimator: Any, transformed: np.ndarray, y: pd.Series) -> Score:
    """scikit-learn's scorer ``scoring``, or the same metric in plain numpy when it gives
    the same score on the unshuffled rows and on one shuffle of them.

    scikit-learn's metric functions check their inputs at every call (label types,
    array namespaces), which costs ten times the estimator's own work on a holdout;
    the labels here are the same for every permutation, only the predictions change.
    """
    exact: Score = get_scorer(scoring)
    metric = _NUMPY_METRICS.get(scoring)
    if metric is None:
        return exact
    labels = y.to_numpy()
    classes = np.asarray(getattr(estimator, "classes_", []))
    if scoring == "neg_log_loss" and not np.array_equal(np.unique(labels), classes):
        return exact  # scikit-learn's own refusal or its handling of missing classes

    def quick(estimator: Any, matrix: np.ndarray, y: pd.Series) -> float:
        return metric(estimator, matrix, y.to_numpy(), classes)

    shuffled = transformed[np.random.default_rng(0).permutation(len(transformed))]
    for matrix in (transformed, shuffled):
        if not np.isclose(quick(estimator, matrix, y), exact(estimator, matrix, y), rtol=1e-9):
            return exact
    return quick


def _f1_macro(estimator: Any, matrix: np.ndarray, y: np.ndarray, _: np.ndarray) -> float:
    predicted = estimator.predict(matrix)
    # scikit-learn averages over the labels in either the truth or the predictions.
    scores = []
    for label in np.union1d(y, predicted):
        truth, guess = y == label, predicted == label
        true_positives = np.count_nonzero(truth & guess)
        errors = np.count_nonzero(truth ^ guess)
        scores.append(2 * true_positives / (2 * true_positives + errors))
    return float(np.mean(scores))


def _balanced_accuracy(estimator: Any, matrix: np.ndarray, y: np.ndarray, _: np.ndarray) -> float:
    predicted = estimator.predict(matrix)
    recalls = [
        np.count_nonzero(predicted[y == label] == label) / np.count_nonzero(y == label)
        for label in np.unique(y)
    ]
    return float(np.mean(recalls))


def _neg_log_loss(estimator: Any, matrix: np.ndarray, y: np.ndarray, classes: np.ndarray) -> float:
    probabilities = np.asarray(estimator.predict_proba(matrix), dtype=float)
    if len(classes) == 2:  # scikit-learn scores the positive class's column
        positive = probabilities[:, 1]
        probabilities = np.column_stack([1 - positive, positive])
    eps = np.finfo(probabilities.dtype).eps
    probabilities = np.clip(probabilities, eps, 1 - eps)
    truth = probabilities[np.arange(len(y)), np.searchsorted(classes, y)]
    return -float(np.mean(-np.log(truth)))


def _residuals(estimator: Any, matrix: np.ndarray, y: np.ndarray) -> np.ndarray:
    return y.astype(float) - np.asarray(estimator.predict(matrix), dtype=float)


def _r2(estimator: Any, matrix: np.ndarray, y: np.ndarray, _: np.ndarray) -> float:
    truth = y.astype(float)
    total = np.sum((truth - np.average(truth)) ** 2)
    return float(1 - np.sum(_residuals(estimator, matrix, y) ** 2) / total)


_NUMPY_METRICS: dict[str, Callable[[Any, np.ndarray, np.ndarray, np.ndarray], float]] = {
    "accuracy": lambda estimator, matrix, y, _: float(np.mean(estimator.predict(matrix) == y)),
    "balanced_accuracy": _balanced_accuracy,
    "f1_macro": _f1_macro,
    "neg_log_loss": _neg_log_loss,
    "neg_root_mean_squared_error": lambda estimator, matrix, y, _: (
        -float(np.sqrt(np.average(_residuals(estimator, matrix, y) ** 2)))
    ),
    "neg_mean_absolute_error": lambda estimator, matrix, y, _: (
        -float(np.average(np.abs(_residuals(estimator, matrix, y))))
    ),
    "r2": _r2,
}


# Steps that transform each input column on its own (fitted statistics per column).
_COLUMNWISE_STEPS = (SimpleImputer, StandardScaler, OneHotEncoder)


def _column_blocks(model: Any, columns: list[str]) -> list[np.ndarray] | None:
    """For each of ``columns``, the positions of its outputs in the transformed matrix
    the estimator sees; None when the model is not a pipeline of column-by-column
    transformations followed by an estimator."""
    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        return None
    transformer = model.steps[0][1]
    if not isinstance(transformer, ColumnTransformer):
        return None
    for name, step, selected in transformer.transformers_:
        if name == "remainder" and isinstance(step, str) and step == "drop":
            continue
        steps = list(step.named_steps.values()) if isinstance(step, Pipeline) else [step]
        if not all(isinstance(part, _COLUMNWISE_STEPS) for part in steps):
            return None
        if any(isinstance(part, OneHotEncoder) for part in steps) and len(selected) != 1:
            return None
    width = sum(span.stop - span.start for span in transformer.output_indices_.values())
    try:
        outputs = _output_columns(transformer, width)
    except UsageError:
        return None
    if sorted(outputs) != sorted(columns):
        return None
    if hasattr(model[-1], "feature_names_in_"):  # it would warn about a plain matrix
        return None
    return [np.asarray(outputs[name]) for name in columns]


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
