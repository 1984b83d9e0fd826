"""Batch predict: score a table with a fitted model, file in and file out."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .contract import Contract
from .errors import DataSourceError
from .ingest import read_table, write_table
from .storage import Location
from .validate import validate_features

PREDICTION_COLUMN = "prediction"
PROBABILITY_PREFIX = "probability_"


@dataclass(frozen=True)
class LoadedModel:
    """A fitted model and the registry facts about it (shown by the API's /metadata)."""

    estimator: Any
    name: str
    version: str
    run_id: str
    aliases: tuple[str, ...] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)


def predict_frame(estimator: Any, batch: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Validate a batch against the feature contract and score it.

    Returns one row per input row (same index) with the prediction, in the type of
    the training labels for a classifier (plus one ``probability_<class>`` column per
    class) or in the target's unit for a regressor. Raises
    :class:`~.validate.DataContractError` when the batch breaks the contract.
    """
    features = validate_features(batch, contract)[contract.feature_names]
    scored = pd.DataFrame(index=batch.index)
    scored[PREDICTION_COLUMN] = estimator.predict(features)
    if hasattr(estimator, "predict_proba"):
        probabilities = estimator.predict_proba(features)
        for position, label in enumerate(estimator.classes_):
            scored[f"{PROBABILITY_PREFIX}{label}"] = probabilities[:, position]
    return scored


def predict_file(
    estimator: Any, source: Location, destination: Location, contract: Contract
) -> int:
    """Score ``source`` into ``destination`` (CSV or Parquet by extension; local paths
    or object-store URIs).

    The output keeps every input column, so ids and timestamps travel with their
    predictions. Returns the number of rows scored.
    """
    batch = read_table(source, contract.text_columns, key="SOURCE")
    if batch.empty:
        # An empty batch usually means an upstream job failed; say so instead of
        # writing an empty file that looks like a successful run.
        raise DataSourceError(f"{source}: no rows to score")
    scored = score_table(estimator, batch, contract)
    write_table(scored, destination, key="DESTINATION")
    return len(scored)


def score_table(estimator: Any, batch: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """The batch with its predictions appended: what `predict` writes, row for row."""
    predictions = predict_frame(estimator, batch, contract)
    # Re-scoring an earlier output replaces its predictions instead of duplicating them.
    kept = batch.drop(columns=predictions.columns, errors="ignore")
    return pd.concat([kept, predictions], axis="columns")
