"""The data contract: contract.yaml, the one place that names the target and the features.

Validation (validate.py), the feature pipeline (features.py), the API's request model
(schemas.py), drift monitoring and the generated tests all read it, so training on
another data set means writing a new contract (``<cli> contract``), not editing code.

Internal representation, which every module relies on after :func:`conform`:
numeric and integer features are floats (NaN for missing), boolean features are
floats 0.0/1.0 (NaN for missing), categorical features are strings (NaN for missing).
"""

import math
from functools import cache
from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from . import yamlfile
from .errors import ConfigError
from .metrics import TASK

DEFAULT_CONTRACT_PATH = Path("contract.yaml")

FeatureKind = Literal["numeric", "integer", "categorical", "boolean"]
Task = Literal["classification", "regression"]
# Class labels keep their type from the data: YAML's 1, "1" and true are three labels.
Label = StrictBool | StrictInt | StrictStr
Value = StrictBool | StrictInt | StrictFloat | StrictStr

_TRUE = {"true", "yes", "y", "t", "1", "1.0"}
_FALSE = {"false", "no", "n", "f", "0", "0.0"}


class ContractError(ConfigError):
    """contract.yaml is missing or invalid (exit 2: fix the contract, not the model)."""


class _Strict(BaseModel):
    # extra="forbid": a misspelt key ("nulable") is an error, not a silent default.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Feature(_Strict):
    """One input column of the model."""

    name: str = Field(min_length=1)
    kind: FeatureKind
    # Plausibility bounds (numeric and integer), inclusive; None is unbounded.
    min: float | None = None
    max: float | None = None
    # Allowed values of a categorical feature; None accepts any string (high
    # cardinality: the rarest values share one "infrequent" column in the model).
    categories: list[str] | None = None
    nullable: bool = False
    description: str = ""
    example: Value | None = None

    @field_validator("categories", mode="before")
    @classmethod
    def _categories_are_text(cls, value: Any) -> Any:
        # YAML reads `[1, 2]` as numbers; categories are compared as text.
        if isinstance(value, list):
            return [category_text(item) for item in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        bounded = self.min is not None or self.max is not None
        if bounded and self.kind not in ("numeric", "integer"):
            raise ValueError(f"{self.name}: min/max apply to numeric and integer features only")
        if self.categories is not None and self.kind != "categorical":
            raise ValueError(f"{self.name}: categories apply to categorical features only")
        if self.categories is not None and len(set(self.categories)) < 1:
            raise ValueError(f"{self.name}: categories must list at least one value")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"{self.name}: min {self.min:g} is above max {self.max:g}")
        if self.example is not None and not self.accepts(self.example):
            raise ValueError(
                f"{self.name}: example {self.example!r} breaks the feature's own rules"
            )
        return self

    def accepts(self, value: Any) -> bool:
        """Whether one JSON value is valid for this feature (None: missing)."""
        if value is None:
            return self.nullable
        if self.kind == "boolean":
            return isinstance(value, bool)
        if self.kind == "categorical":
            return isinstance(value, str) and (self.categories is None or value in self.categories)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.kind == "integer" and not float(value).is_integer():
            return False
        return math.isfinite(value) and (
            (self.min is None or value >= self.min) and (self.max is None or value <= self.max)
        )

    def example_value(self) -> Value | None:
        """The example, or a plausible value when the contract gives none."""
        if self.example is not None:
            return self.example
        if self.kind == "boolean":
            return False
        if self.kind == "categorical":
            return self.categories[0] if self.categories else "example"
        low = self.min if self.min is not None else (self.max if self.max is not None else 0.0)
        return math.ceil(low) if self.kind == "integer" else float(low)


class Target(_Strict):
    name: str = Field(min_length=1)
    task: Task
    # Every class label (classification); predictions come back in these types.
    labels: list[Label] | None = None
    # Plausibility bounds of a regression target.
    min: float | None = None
    max: float | None = None
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.task == "classification":
            if self.labels is None or len(set(map(_label_key, self.labels))) < 2:
                raise ValueError("target.labels: a classification target needs 2 or more labels")
            if len(set(map(_label_key, self.labels))) != len(self.labels):
                raise ValueError("target.labels: labels must be distinct")
            if self.min is not None or self.max is not None:
                raise ValueError("target: min/max apply to regression targets only")
        elif self.labels is not None:
            raise ValueError("target.labels: a regression target has no labels")
        return self


class Contract(_Strict):
    target: Target
    features: list[Feature] = Field(min_length=1)
    # Columns that may be in the data but are not features (ids, timestamps): dropped
    # before training, passed through untouched by batch prediction.
    ignore: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct_names(self) -> Self:
        seen: set[str] = set()
        for name in [self.target.name, *self.feature_names, *self.ignore]:
            if name in seen:
                raise ValueError(f"column {name!r} is named twice (target, features, ignore)")
            seen.add(name)
        return self

    @property
    def feature_names(self) -> list[str]:
        return [feature.name for feature in self.features]

    @property
    def text_columns(self) -> list[str]:
        """Columns to read as text (categorical features)."""
        return [feature.name for feature in self.of_kind("categorical")]

    def of_kind(self, *kinds: FeatureKind) -> list[Feature]:
        return [feature for feature in self.features if feature.kind in kinds]

    def feature(self, name: str) -> Feature:
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(name)

    def example_record(self) -> dict[str, Value | None]:
        return {feature.name: feature.example_value() for feature in self.features}

    def schema_key(self) -> tuple[object, ...]:
        """What a model trained under this contract depends on: the features' names and
        kinds and the target. Bounds, categories and descriptions may change freely."""
        return (
            tuple(sorted((feature.name, feature.kind) for feature in self.features)),
            self.target.name,
            self.target.task,
            tuple(_label_key(label) for label in self.target.labels or []),
        )

    def to_yaml(self) -> str:
        """The contract as YAML, keys in reading order, defaults left out."""
        raw = self.model_dump(mode="json", exclude_defaults=True)
        raw["target"] = self.target.model_dump(mode="json", exclude_none=True)
        raw["target"].setdefault("description", self.target.description)
        raw["features"] = [
            feature.model_dump(mode="json", exclude_none=True) for feature in self.features
        ]
        raw["ignore"] = list(self.ignore)
        return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)


@cache
def _load_cached(path: Path, mtime_ns: int) -> Contract:  # noqa: ARG001
    # mtime_ns is part of the cache key: an edited contract is read again.
    try:
        raw = yamlfile.load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContractError(f"{path}: not valid YAML: {yamlfile.describe(error)}") from None
    if not isinstance(raw, dict):
        raise ContractError(f"{path}: expected a mapping with target, features and ignore")
    try:
        contract = Contract.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or '<root>'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ContractError(f"{path}: invalid contract: {problems}") from None
    if contract.target.task != TASK:
        raise ContractError(
            f"{path}: target.task is {contract.target.task!r} but this project was generated "
            f"for {TASK} (its metrics and gates); generate a {contract.target.task} project"
        )
    return contract


def load_contract(path: Path = DEFAULT_CONTRACT_PATH) -> Contract:
    """Read and check contract.yaml; raise :class:`ContractError` naming the problem."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise ContractError(
            f"{path}: no such contract file (write one with `make contract DATA=... TARGET=...`)"
        ) from None
    return _load_cached(path.resolve(), mtime)


def category_text(value: Any) -> str:
    """A category as text: 2.0 (a code read with missing values) is "2", like 2."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _label_key(label: Any) -> tuple[str, str]:
    return type(label).__name__, str(label)


def _boolean(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return 1.0 if value else 0.0
    text = category_text(value).strip().lower()
    if text in _TRUE:
        return 1.0
    if text in _FALSE:
        return 0.0
    return value  # left as is: validation reports it


def _missing(series: pd.Series) -> pd.Series:
    return series.isna()


def conform_feature(feature: Feature, series: pd.Series) -> pd.Series:
    """One column in the internal representation (see the module docstring).

    Values that cannot be represented are left unchanged, so validation names them.
    """
    missing = _missing(series)
    if feature.kind == "categorical":
        converted = series.map(category_text, na_action="ignore")
        return converted.astype(object).where(~missing, np.nan)
    if feature.kind == "boolean":
        converted = series.astype(object).map(_boolean, na_action="ignore")
        return converted.where(~missing, np.nan).infer_objects()
    values = series.astype(object)
    booleans = values.map(lambda value: isinstance(value, bool | np.bool_))
    if bool(booleans.any()):
        # A boolean is not a number: as text, validation names the cells.
        return values.where(~booleans, values.map(str))
    numbers = pd.to_numeric(series, errors="coerce")
    if bool((numbers.isna() & ~missing).any()):
        return series  # text in a numeric column: validation names the cells
    return numbers.astype(float)


def conform_target(target: Target, series: pd.Series) -> pd.Series:
    """The target column with labels in the contract's types (e.g. "1" -> 1 when the
    contract's labels are integers), so predictions come back in those types."""
    if target.task == "regression":
        numbers = pd.to_numeric(series, errors="coerce")
        if bool((numbers.isna() & ~series.isna()).any()):
            return series
        return numbers.astype(float)
    labels = target.labels or []
    by_text = {category_text(label): label for label in labels}
    if all(isinstance(label, bool) for label in labels):
        by_text.update({"1": True, "0": False, "True": True, "False": False})

    def label(value: Any) -> Any:
        return by_text.get(category_text(value), value)

    converted = series.map(label, na_action="ignore")
    kinds = {type(label) for label in labels}
    if len(kinds) == 1 and converted.map(lambda v: type(v) in kinds).all():
        return converted.astype(bool if kinds == {bool} else object).infer_objects()
    return converted.astype(object)


def conform(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """A copy of ``frame`` with every contract column in the internal representation;
    other columns untouched."""
    out = frame.copy()
    for feature in contract.features:
        if feature.name in out.columns:
            out[feature.name] = conform_feature(feature, out[feature.name])
    if contract.target.name in out.columns:
        out[contract.target.name] = conform_target(contract.target, out[contract.target.name])
    return out


def json_value(feature: Feature, value: Any) -> Value | None:
    """An internal value as the JSON value the API expects for this feature."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return None
    if feature.kind == "boolean":
        return bool(value)
    if feature.kind == "integer":
        return int(value)
    if feature.kind == "numeric":
        return float(value)
    return str(value)


def json_records(frame: pd.DataFrame, contract: Contract) -> list[dict[str, Value | None]]:
    """Conformed rows as API request records (booleans as true/false, nulls as null)."""
    columns = [(feature, frame[feature.name].tolist()) for feature in contract.features]
    return [
        {feature.name: json_value(feature, values[row]) for feature, values in columns}
        for row in range(len(frame))
    ]


def probe_matrix(contract: Contract, rows: int = 64, seed: int = 0) -> np.ndarray:
    """Seeded random rows that meet the contract, in feature order, as the API builds
    them (dtype object, NaN for missing): to check a fast scorer against the model."""
    rng = np.random.default_rng(seed)
    columns = []
    for feature in contract.features:
        if feature.kind == "categorical":
            known = feature.categories or [str(feature.example_value()), "an unseen value"]
            column = rng.choice(np.asarray(known, dtype=object), size=rows)
        elif feature.kind == "boolean":
            column = rng.choice(np.asarray([True, False], dtype=object), size=rows)
        else:
            centre = float(feature.example_value() or 0.0)
            low = feature.min if feature.min is not None else centre - 10.0
            high = feature.max if feature.max is not None else centre + 10.0
            values = rng.uniform(low, high, size=rows)
            if feature.kind == "integer":
                values = np.clip(np.round(values), math.ceil(low), math.floor(high))
            column = values.astype(object)
        if feature.nullable:
            column[rng.random(rows) < 0.2] = np.nan
        columns.append(column)
    return np.column_stack(columns).astype(object)
