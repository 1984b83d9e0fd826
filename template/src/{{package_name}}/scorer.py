"""Scorer: the API's hot path, the fitted pipeline applied to a plain feature matrix.

The pipeline's ColumnTransformer selects features by name, so the pipeline wants a
DataFrame; building one and passing it through scikit-learn's pandas-aware input
checks costs about 2 ms a call, ten times the model's own arithmetic. Records that
reach the API are already validated and put in the contract's feature order, so the
scorer applies the fitted column transformers to slices of a numpy matrix instead.
The matrix has dtype object (numbers, category strings and NaN for missing values
side by side); the numeric transformations (impute and scale) and the one-hot
encoding are redone in numpy, exactly.

It is built once, when the model is loaded, and checked against the full pipeline
on probe rows. A model it cannot reproduce exactly (another kind of first step, a
step that insists on feature names) is scored through the DataFrame path instead:
correctness never depends on the shortcut, only speed does.
"""

import copy
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

logger = logging.getLogger(__name__)

Transform = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Scores:
    predictions: np.ndarray
    # One column per class, in the order of ``classes``; None for regressors.
    probabilities: np.ndarray | None
    classes: tuple[Any, ...]


@dataclass(frozen=True)
class Scorer:
    """Scores feature matrices whose columns are ``columns``, in that order."""

    model: Any
    columns: tuple[str, ...]
    # The pipeline's steps before the last, as a function of the matrix; None when
    # the model is scored through a DataFrame.
    transform: Transform | None
    # Columns holding text (categorical features); the others are numbers.
    text_columns: frozenset[str] = frozenset()
    # The estimator's arithmetic on the transformed matrix, where it is plain linear
    # algebra (see _linear_scores); None to call the estimator itself.
    estimate: Callable[[np.ndarray], Scores] | None = None

    @property
    def fast(self) -> bool:
        return self.transform is not None

    def frame(self, matrix: np.ndarray) -> pd.DataFrame:
        """The matrix as the DataFrame the pipeline was trained on (typed columns)."""
        frame = pd.DataFrame(matrix, columns=list(self.columns), dtype=object)
        for name in self.columns:
            if name not in self.text_columns:
                frame[name] = frame[name].astype(float)
        return frame

    def score(self, matrix: np.ndarray) -> Scores:
        if self.transform is None:
            inputs: Any = self.frame(matrix)
            estimator = self.model
        else:
            inputs = self.transform(matrix)
            if self.estimate is not None:
                return self.estimate(inputs)
            estimator = self.model[-1]
        if not hasattr(estimator, "predict_proba"):
            return Scores(np.asarray(estimator.predict(inputs)), None, ())
        probabilities = np.asarray(estimator.predict_proba(inputs))
        classes = np.asarray(estimator.classes_)
        if self.transform is not None and isinstance(estimator, LogisticRegression):
            # A logistic regression predicts the class of highest probability (softmax
            # and the logistic function keep the order of the scores), so one call
            # answers both.
            predictions = classes[np.argmax(probabilities, axis=1)]
        else:
            predictions = np.asarray(estimator.predict(inputs))
        return Scores(predictions, probabilities, tuple(classes))


def build_scorer(
    model: Any, columns: list[str], probe: np.ndarray, text_columns: frozenset[str] = frozenset()
) -> Scorer:
    """The fastest scorer that gives the same answers as ``model`` on ``probe`` rows."""
    transform = _matrix_transform(model, columns)
    slow = Scorer(model, tuple(columns), None, text_columns)
    if transform is not None:
        exact = slow.score(probe)  # once, for every candidate
        # The estimator's own arithmetic first, if it has one, then the estimator.
        linear = _linear_scores(model[-1])
        for estimate in (linear, None) if linear is not None else (None,):
            fast = Scorer(model, tuple(columns), transform, text_columns, estimate)
            if _same_scores(fast, exact, probe):
                return fast
    logger.info("scoring through a DataFrame: the model has no exact matrix path")
    return slow


def _linear_scores(estimator: Any) -> Callable[[np.ndarray], Scores] | None:
    """A fitted linear model's scores as numpy arithmetic, or None for other models.

    scikit-learn's ``predict_proba`` and ``predict`` check their input on every call
    (about 40 µs, more than the model's arithmetic for one record); this does only the
    arithmetic, the same as scikit-learn's: the scores ``X @ coef.T + intercept``, the
    logistic function of a binary model's score, the softmax of a multiclass model's.
    """
    if type(estimator) is Ridge:
        coef, intercept = estimator.coef_, estimator.intercept_
        return lambda matrix: Scores(matrix @ coef.T + intercept, None, ())
    if type(estimator) is not LogisticRegression:
        return None
    classes = np.asarray(estimator.classes_)
    coef, intercept = estimator.coef_.T, estimator.intercept_
    labels = tuple(classes)

    def estimate(matrix: np.ndarray) -> Scores:
        decision = matrix @ coef + intercept
        if len(classes) <= 2:
            positive = expit(decision[:, 0])
            probabilities = np.column_stack([1 - positive, positive])
        else:
            probabilities = np.exp(decision - decision.max(axis=1, keepdims=True))
            probabilities /= probabilities.sum(axis=1, keepdims=True)
        return Scores(classes[np.argmax(probabilities, axis=1)], probabilities, labels)

    return estimate


def _matrix_transform(model: Any, columns: list[str]) -> Transform | None:
    """The steps before the estimator as a function of a numpy matrix, or None."""
    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        return None
    first = model.steps[0][1]
    if not isinstance(first, ColumnTransformer):
        return None
    parts: list[tuple[Any, np.ndarray]] = []
    for _, transformer, selected in first.transformers_:
        if isinstance(transformer, str):
            if transformer == "drop":
                continue
            return None  # "passthrough" columns: rare here, keep the exact path
        if not all(isinstance(name, str) and name in columns for name in selected):
            return None
        indices = np.array([columns.index(name) for name in selected])
        parts.append((_matrix_function(transformer), indices))
    if not parts:
        return None

    def transform(matrix: np.ndarray) -> np.ndarray:
        blocks = [function(matrix[:, indices]) for function, indices in parts]
        return blocks[0] if len(blocks) == 1 else np.hstack(blocks)

    return transform


def _matrix_function(transformer: Any) -> Transform:
    """A fitted transformer as a function of a matrix.

    The transformers of features.py get their own arithmetic, without the input
    checks that cost ~50x more than the arithmetic on a few rows; anything else
    runs its own ``transform``.
    """
    steps = (
        list(transformer.named_steps.values())
        if isinstance(transformer, Pipeline)
        else [transformer]
    )
    functions = [_step_function(step) for step in steps]
    if any(function is None for function in functions):
        return _without_feature_names(transformer).transform

    def apply(matrix: np.ndarray) -> np.ndarray:
        for function in functions:
            assert function is not None
            matrix = function(matrix)
        return matrix

    return apply


def _step_function(step: Any) -> Transform | None:
    if type(step) is StandardScaler:
        mean = step.mean_ if step.with_mean else 0.0
        scale = step.scale_ if step.with_std else 1.0
        return lambda matrix: (np.asarray(matrix, dtype=float) - mean) / scale
    if type(step) is SimpleImputer and _missing_is_nan(step.missing_values):
        fill = step.statistics_
        if step.strategy == "constant":
            return lambda matrix: np.where(pd.isna(matrix), fill, matrix)
        return lambda matrix: _fill_numbers(matrix, fill)
    if type(step) is OneHotEncoder and _plain_one_hot(step):
        categories = [np.asarray(values, dtype=object) for values in step.categories_]

        def encode(matrix: np.ndarray) -> np.ndarray:
            blocks = [
                (matrix[:, [position]] == values[None, :]).astype(float)
                for position, values in enumerate(categories)
            ]
            return blocks[0] if len(blocks) == 1 else np.hstack(blocks)

        return encode
    return None


def _missing_is_nan(value: Any) -> bool:
    return isinstance(value, float) and np.isnan(value)


def _fill_numbers(matrix: np.ndarray, fill: np.ndarray) -> np.ndarray:
    numbers = np.asarray(matrix, dtype=float)
    return np.where(np.isnan(numbers), fill.astype(float), numbers)


def _plain_one_hot(encoder: OneHotEncoder) -> bool:
    """An encoder whose output is one 0/1 column per known category: no dropped
    category, no infrequent grouping, unknown values all zeros."""
    infrequent = getattr(encoder, "infrequent_categories_", None)
    return (
        encoder.drop is None
        and encoder.handle_unknown == "ignore"
        and (infrequent is None or all(group is None for group in infrequent))
    )


def _without_feature_names(transformer: Any) -> Any:
    """A copy that accepts a plain matrix without warning.

    A transformer fitted on a DataFrame remembers the column names and warns when it
    is given an array; the scorer selects columns by position instead, and the probe
    check in :func:`build_scorer` proves the selection right.
    """
    clone = copy.deepcopy(transformer)
    for step in clone.named_steps.values() if isinstance(clone, Pipeline) else [clone]:
        if hasattr(step, "feature_names_in_"):
            del step.feature_names_in_
    return clone


def _same_scores(fast: Scorer, exact: Scores, probe: np.ndarray) -> bool:
    with warnings.catch_warnings():
        # A warning on the fast path (e.g. about feature names) would repeat on every
        # request: treat it as "no exact matrix path".
        warnings.simplefilter("error")
        try:
            quick = fast.score(probe)
        except Exception:
            logger.debug("matrix path failed on the probe rows", exc_info=True)
            return False
    if quick.classes != exact.classes or not _equal(quick.predictions, exact.predictions):
        return False
    if quick.probabilities is None or exact.probabilities is None:
        return quick.probabilities is None and exact.probabilities is None
    return _equal(quick.probabilities, exact.probabilities)


def _equal(quick: np.ndarray, exact: np.ndarray) -> bool:
    # Floats may differ in the last bits (the same sums, laid out differently in memory).
    if quick.shape != exact.shape:
        return False
    if np.issubdtype(exact.dtype, np.floating):
        return bool(np.allclose(quick, exact, rtol=1e-9, atol=1e-12))
    return bool(np.array_equal(quick, exact))
