"""Infer a data contract from a sample of the user's data (``<cli> contract``).

pandera's schema inference gives each column's type, nullability and observed range;
this module turns that into contract.yaml decisions a reviewer can follow: the kind
of each feature, plausibility bounds wider than the sample (the sample is not the
world), the categories, and which columns are not features at all (identifiers,
timestamps, empty columns). Every decision comes with a reason, printed for review.
"""

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .contract import Contract, Feature, FeatureKind, Target, category_text
from .errors import UsageError
from .metrics import TASK

# A text column with more distinct values than this is "open": any text is accepted
# and rare values share one model column.
MAX_CATEGORIES = 50
# Classification targets with more distinct values than this are not class labels.
MAX_CLASSES = 100
# Rows of data/sample.csv: enough to exercise `predict`, `drift` and the load test.
SAMPLE_ROWS = 50
_BOOLEAN_TEXT = {
    frozenset({"true", "false"}),
    frozenset({"yes", "no"}),
    frozenset({"y", "n"}),
    frozenset({"t", "f"}),
}
_ID_NAME = re.compile(r"(^|[^a-z])(id|uuid|key)$", re.IGNORECASE)


@dataclass
class Inference:
    contract: Contract
    # One line per column: what was decided and why.
    decisions: list[str] = field(default_factory=list)
    # What a person should check before training on the contract.
    review: list[str] = field(default_factory=list)


def infer_contract(frame: pd.DataFrame, target: str, source: str = "the data") -> Inference:
    """A contract for ``frame`` predicting ``target``, with the decisions explained."""
    if target not in frame.columns:
        shown = ", ".join(repr(str(name)) for name in list(frame.columns)[:20])
        raise UsageError(f"TARGET {target!r} is not a column of {source} (columns: {shown})")
    if len(frame) == 0:
        raise UsageError(f"{source} has no rows to infer a contract from")
    names = [str(name) for name in frame.columns]
    if len(set(names)) != len(names):
        raise UsageError(f"{source} has duplicate column names")
    frame = frame.rename(columns=str)
    # pandera's inference: the dtype, nullability and observed range of each column.
    inferred = cast(pa.DataFrameSchema, pa.infer_schema(frame)).columns
    decisions: list[str] = []
    review: list[str] = []
    target_spec = _infer_target(frame[target], target, decisions, review)
    features: list[Feature] = []
    ignore: list[str] = []
    for name in frame.columns:
        if name == target:
            continue
        column = inferred[name]
        feature, reason = _infer_feature(name, frame[name], str(column.dtype), column.nullable)
        if feature is None:
            ignore.append(name)
            decisions.append(f"{name}: ignored ({reason})")
        else:
            features.append(feature)
            decisions.append(f"{name}: {feature.kind} feature ({reason})")
    if not features:
        raise UsageError(f"{source} has no usable feature columns besides {target!r}")
    review.extend(
        [
            "bounds (min/max) are the sample's range widened by its span: narrow them "
            "where you know the physical or business limits",
            "categories list what the sample shows: add values that can occur",
            "ignored columns are passed through by batch prediction: move one to "
            "features if the model should use it",
            "params.yaml gates and promotion were written for the demo data: set "
            "thresholds that mean 'good enough' for this target",
        ]
    )
    contract = Contract(target=target_spec, features=features, ignore=ignore)
    return Inference(contract=contract, decisions=decisions, review=review)


def _infer_target(series: pd.Series, name: str, decisions: list[str], review: list[str]) -> Target:
    present = series.dropna()
    if present.empty:
        raise UsageError(f"the target {name!r} has no values")
    missing = int(series.isna().sum())
    if missing:
        review.append(
            f"{missing} row(s) have no {name!r}: training refuses them; drop them from the data"
        )
    if TASK == "regression":
        numbers = pd.to_numeric(present, errors="coerce")
        if pd.api.types.is_bool_dtype(present) or numbers.isna().any():
            raise UsageError(
                f"the target {name!r} is not numeric, but this project does regression; "
                "generate a classification project for class labels"
            )
        low, high = _widened(float(numbers.min()), float(numbers.max()), integer=False)
        decisions.append(f"{name}: regression target, plausible range [{low:g}, {high:g}]")
        return Target(name=name, task="regression", min=low, max=high)
    labels = sorted(
        {_label(value) for value in present}, key=lambda label: (str(type(label)), label)
    )
    if len(labels) > MAX_CLASSES:
        raise UsageError(
            f"the target {name!r} has {len(labels)} distinct values: too many for class "
            "labels (this project does classification; generate a regression project)"
        )
    if len(labels) < 2:
        raise UsageError(
            f"the target {name!r} has a single class ({labels[0]!r}): nothing to learn"
        )
    kind = type(labels[0]).__name__
    decisions.append(f"{name}: classification target, {len(labels)} {kind} labels")
    counts = present.map(_label).value_counts()
    if counts.min() < 0.05 * counts.sum():
        review.append(
            f"class {counts.idxmin()!r} is {counts.min()} of {counts.sum()} rows: consider "
            "balanced_accuracy or f1_macro gates rather than accuracy"
        )
    return Target(name=name, task="classification", labels=labels)


def _label(value: Any) -> bool | int | str:
    """A label in its natural type: 1.0 (an integer read with missing values) is 1."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if float(value).is_integer() else str(value)
    return str(value)


def _infer_feature(
    name: str, series: pd.Series, dtype: str, nullable: bool
) -> tuple[Feature | None, str]:
    present = series.dropna()
    if present.empty:
        return None, "every value is missing"
    if "datetime" in dtype or "timedelta" in dtype:
        return None, "a timestamp: derive features from it in code if the model needs them"
    missing = " with missing values" if nullable else ""
    if pd.api.types.is_bool_dtype(present) or dtype.startswith("bool"):
        usual = bool(present.astype(bool).mode().iloc[0])
        feature = Feature(name=name, kind="boolean", nullable=nullable, example=usual)
        return feature, f"true/false{missing}"
    if pd.api.types.is_numeric_dtype(present):
        numbers = present.astype(float)
        if not np.isfinite(numbers).all():
            return None, "holds infinite values"
        integral = bool((numbers % 1 == 0).all())
        if integral and _ID_NAME.search(name) and present.is_unique and len(present) > 20:
            return None, "an identifier: unique integers named like an id"
        low, high = _widened(float(numbers.min()), float(numbers.max()), integer=integral)
        kind: FeatureKind = "integer" if integral else "numeric"
        example = _example(numbers, integral)
        feature = Feature(
            name=name, kind=kind, min=low, max=high, nullable=nullable, example=example
        )
        seen = f"sample range [{numbers.min():g}, {numbers.max():g}]"
        return feature, f"{seen}, bounds [{low:g}, {high:g}]{missing}"
    text = present.map(category_text)
    distinct = text.unique()
    lowered = frozenset(value.strip().lower() for value in distinct)
    if lowered in _BOOLEAN_TEXT:
        truthy = text.str.strip().str.lower().isin(["true", "yes", "y", "t"])
        usual = bool(truthy.mode().iloc[0])
        feature = Feature(name=name, kind="boolean", nullable=nullable, example=usual)
        return feature, f"two values {sorted(lowered)}{missing}"
    if _looks_like_dates(text):
        return None, "timestamps as text: derive features from them in code if needed"
    if len(distinct) == len(text) and len(text) > 20:
        return None, "an identifier or free text: every value is different"
    if len(distinct) > MAX_CATEGORIES:
        feature = Feature(
            name=name, kind="categorical", nullable=nullable, example=str(text.mode().iloc[0])
        )
        return feature, (
            f"{len(distinct)} distinct values: open category list, rare values grouped{missing}"
        )
    categories = sorted(str(value) for value in distinct)
    feature = Feature(
        name=name,
        kind="categorical",
        categories=categories,
        nullable=nullable,
        example=str(text.mode().iloc[0]),
    )
    return feature, f"{len(categories)} categories{missing}"


def _looks_like_dates(text: pd.Series) -> bool:
    """ISO dates or timestamps ("2024-03-01", "2024-03-01T10:00:00Z") in every cell."""
    if not text.str.match(r"^\d{4}-\d{2}-\d{2}").all():
        return False
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    return bool(parsed.notna().all())


def _example(numbers: pd.Series, integral: bool) -> int | float:
    median = float(numbers.median())
    if integral:
        return round(median)
    # The observed value closest to the median: a real, typical value.
    return float(numbers.iloc[int((numbers - median).abs().argmin())])


def _widened(low: float, high: float, *, integer: bool) -> tuple[float, float]:
    """Plausibility bounds: the observed range widened by its span on each side (by 1
    when the sample has a single value), never crossing zero when the sample does not,
    rounded outwards to two significant digits."""
    span = high - low or max(abs(high), 1.0)
    lower, upper = low - span, high + span
    if low >= 0:
        lower = max(lower, 0.0)
    if high <= 0:
        upper = min(upper, 0.0)
    lower, upper = _round_down(lower), _round_up(upper)
    if integer:
        lower, upper = float(math.floor(lower)), float(math.ceil(upper))
    return lower, upper


def _magnitude(value: float) -> float:
    return 10.0 ** (math.floor(math.log10(abs(value))) - 1) if value else 1.0


def _round_down(value: float) -> float:
    step = _magnitude(value)
    # The last round() drops binary noise: 46 * 0.1 is 4.6000000000000005.
    return round(math.floor(value / step) * step, 12)


def _round_up(value: float) -> float:
    step = _magnitude(value)
    return round(math.ceil(value / step) * step, 12)


def sample_rows(frame: pd.DataFrame, contract: Contract, rows: int = SAMPLE_ROWS) -> pd.DataFrame:
    """Feature rows for data/sample.csv: a seeded sample of the data without the target."""
    chosen = frame.sample(n=min(rows, len(frame)), random_state=0).sort_index()
    sample = chosen[contract.feature_names].copy()
    for feature in contract.of_kind("integer"):
        # Integers read with missing values are floats: write 181, not 181.0.
        sample[feature.name] = pd.to_numeric(sample[feature.name]).round().astype("Int64")
    return sample


def point_params_at(params_path: Path, data_path: Path | str, contract_path: Path) -> None:
    """Set data.path (a local path or a URI) and data.contract in params.yaml, keeping
    its comments."""
    lines = params_path.read_text(encoding="utf-8").splitlines(keepends=True)
    in_data = False
    found = {"path": False, "contract": False}
    data = data_path.as_posix() if isinstance(data_path, Path) else data_path
    values = {"path": data, "contract": contract_path.as_posix()}
    for position, line in enumerate(lines):
        if re.match(r"^\S", line):
            in_data = line.startswith("data:")
            continue
        match = re.match(r"^(\s+)(path|contract):", line) if in_data else None
        if match and not found[match.group(2)]:
            key = match.group(2)
            lines[position] = f"{match.group(1)}{key}: {_yaml_text(values[key])}\n"
            found[key] = True
    if not found["path"]:
        raise UsageError(f"{params_path}: no data.path line to update; set it by hand")
    if not found["contract"]:
        index = next(i for i, line in enumerate(lines) if line.startswith("data:"))
        lines.insert(index + 1, f"  contract: {_yaml_text(values['contract'])}\n")
    params_path.write_text("".join(lines), encoding="utf-8")


def _yaml_text(value: str) -> str:
    # Quoted when YAML would read it as something else ("null", "1.5", "a: b").
    import yaml

    plain = yaml.safe_dump(value, default_flow_style=True).strip()
    return plain.removesuffix("\n...").strip()
