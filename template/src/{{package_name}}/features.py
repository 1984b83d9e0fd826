"""Features: the holdout split and the feature transformations of the model.

Transformations live inside the fitted scikit-learn pipeline (see train.py), so
training, batch prediction and the API apply exactly the same code: there is no
separate serving-side feature code to drift out of sync. Which transformation a
column gets depends only on its kind in contract.yaml.
"""

from typing import Any, NamedTuple

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .config import SplitConfig
from .contract import Contract
from .errors import UsageError

# Fill value of a missing category: the encoder then treats it as unseen (all zeros).
MISSING_CATEGORY = "__missing__"
# Open categorical features (no category list in the contract): categories seen
# fewer times than this in training share one "infrequent" column.
MIN_CATEGORY_FREQUENCY = 5
# The fewest rows a class may have: one in the holdout and at least one to train on.
_MIN_ROWS_PER_CLASS = 2


class Split(NamedTuple):
    train: pd.DataFrame
    holdout: pd.DataFrame


class TooLittleDataError(UsageError):
    """The data cannot be split into a training set and a holdout (exit 2)."""


def holdout_split(frame: pd.DataFrame, config: SplitConfig, contract: Contract) -> Split:
    """Deterministic train/holdout split: the same data and config give the same rows.

    Classification splits are stratified, so small classes are in both parts.
    """
    target = contract.target.name
    holdout_rows = round(len(frame) * config.test_size)
    if holdout_rows < 1 or len(frame) - holdout_rows < 2:
        raise TooLittleDataError(
            f"{len(frame)} rows cannot be split into a training set and a holdout "
            f"(split.test_size {config.test_size:g}); collect more rows"
        )
    stratify = None
    if contract.target.task == "classification":
        counts = frame[target].value_counts()
        if len(counts) < 2:
            only = counts.index[0] if len(counts) else "none"
            raise TooLittleDataError(
                f"the target {target!r} has a single class ({only!r}): nothing to tell apart"
            )
        rare = counts[counts < _MIN_ROWS_PER_CLASS]
        if not rare.empty:
            raise TooLittleDataError(
                f"class {rare.index[0]!r} of {target!r} has {int(rare.iloc[0])} row(s); every "
                f"class needs at least {_MIN_ROWS_PER_CLASS} (drop it or collect more rows)"
            )
        if holdout_rows < len(counts) or len(frame) - holdout_rows < len(counts):
            raise TooLittleDataError(
                f"{len(frame)} rows with split.test_size {config.test_size:g} leave too few "
                f"rows for {len(counts)} classes in both the training set and the holdout"
            )
        stratify = frame[target]
    train, holdout = train_test_split(
        frame, test_size=config.test_size, random_state=config.random_state, stratify=stratify
    )
    return Split(train=train, holdout=holdout)


def features_and_target(frame: pd.DataFrame, contract: Contract) -> tuple[pd.DataFrame, pd.Series]:
    """Split a validated table into the model's inputs and the target."""
    return frame[contract.feature_names], frame[contract.target.name]


def build_preprocessor(contract: Contract) -> ColumnTransformer:
    """One transformation per kind of feature, selected by column name.

    * numeric and integer: missing values imputed with the median, then scaled (the
      regularised linear models treat every feature alike only on one scale);
    * boolean (0/1): missing values imputed with the most frequent value;
    * categorical: one-hot encoded over the contract's categories, so a category the
      training rows never showed still has its column; missing is a category of its
      own. Open categoricals learn their categories from the training rows and
      group rare and unseen values in one "infrequent" column.

    Selecting by name makes the model indifferent to column order and to extra
    columns (ids, timestamps) in scoring batches.
    """
    parts: list[tuple[str, Any, list[str]]] = []
    numeric = [f.name for f in contract.of_kind("numeric", "integer")]
    if numeric:
        parts.append(
            (
                "numeric",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            )
        )
    boolean = [f.name for f in contract.of_kind("boolean")]
    if boolean:
        parts.append(
            (
                "boolean",
                SimpleImputer(strategy="most_frequent", keep_empty_features=True),
                boolean,
            )
        )
    for feature in contract.of_kind("categorical"):
        if feature.categories is not None:
            encoder = OneHotEncoder(
                # The fill value of missing values is a category of its own.
                categories=[[*feature.categories, MISSING_CATEGORY]],
                handle_unknown="ignore",
                sparse_output=False,
            )
        else:
            encoder = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=MIN_CATEGORY_FREQUENCY,
                sparse_output=False,
            )
        parts.append(
            (
                f"categorical_{len(parts)}",
                Pipeline(
                    [
                        (
                            "impute",
                            SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY),
                        ),
                        ("encode", encoder),
                    ]
                ),
                [feature.name],
            )
        )
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)
