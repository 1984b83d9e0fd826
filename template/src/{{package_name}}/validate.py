"""Validate: the data contract (contract.yaml) as pandera schemas, checked before we
train or predict on a table.

Bounds are plausibility limits, deliberately wider than the training data: they
catch broken data (unit mix-ups, sentinel values such as -999, empty cells), while
values that are plausible but unusual are the drift monitor's business.
"""

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .contract import Contract, Feature, Target, conform
from .errors import ExitCode, PipelineError, UsageError


def _integral(series: pd.Series) -> pd.Series:
    return (series % 1 == 0) | series.isna()


def _feature_column(feature: Feature) -> pa.Column:
    checks: list[pa.Check] = []
    if feature.kind == "categorical":
        if feature.categories is not None:
            checks.append(pa.Check.isin(feature.categories))
        return pa.Column(str, checks, nullable=feature.nullable)
    if feature.kind == "boolean":
        return pa.Column(float, pa.Check.isin([0.0, 1.0]), nullable=feature.nullable, coerce=True)
    if feature.min is not None:
        checks.append(pa.Check.ge(feature.min))
    if feature.max is not None:
        checks.append(pa.Check.le(feature.max))
    if feature.kind == "integer":
        checks.append(pa.Check(_integral, name="integer"))
    # coerce: text that is not a number is reported cell by cell.
    return pa.Column(float, checks, nullable=feature.nullable, coerce=True)


def _target_column(target: Target) -> pa.Column:
    if target.task == "regression":
        checks = [
            *([pa.Check.ge(target.min)] if target.min is not None else []),
            *([pa.Check.le(target.max)] if target.max is not None else []),
        ]
        return pa.Column(float, checks, coerce=True)
    # No coercion: casting a label such as 1.5 to int would silently make it class 1.
    return pa.Column(checks=pa.Check.isin(list(target.labels or [])))


def feature_schema(contract: Contract) -> pa.DataFrameSchema:
    """Contract of a scoring batch: every feature present, typed, in bounds or among
    its categories, null only where the contract allows it. Extra columns (ids,
    timestamps) are allowed and passed through untouched."""
    return pa.DataFrameSchema(
        {feature.name: _feature_column(feature) for feature in contract.features},
        name="features",
    )


def training_schema(contract: Contract) -> pa.DataFrameSchema:
    """Contract of training data: the feature contract plus a valid target."""
    return pa.DataFrameSchema(
        {
            **feature_schema(contract).columns,
            contract.target.name: _target_column(contract.target),
        },
        name="training data",
    )


class DataContractError(PipelineError):
    """A table broke its data contract; :attr:`failures` has one row per failing check.

    A broken feed for every command that reads data, `validate` included (exit 4:
    alert the feed's owners, retraining would not help).
    """

    exit_code = ExitCode.CONTRACT_BROKEN

    def __init__(self, schema_name: str, failures: pd.DataFrame) -> None:
        self.schema_name = schema_name
        self.failures = failures
        super().__init__(self.report())

    def report(self, max_rows: int = 5) -> str:
        """Human-readable summary: each failing column and check, with rows and values."""
        count = len(self.failures)
        lines = [
            f"data contract '{self.schema_name}' violated "
            f"({count} failure{'s' if count > 1 else ''}):"
        ]
        grouped = self.failures.groupby(["column", "check"], sort=False, dropna=False)
        for (column, check), cases in grouped:
            located = cases.dropna(subset=["row"])
            if located.empty:  # a table-level failure such as a missing column
                what = "column is missing" if check == "column_in_dataframe" else "whole table"
                lines.append(f"  - column {column!r}, check {check}: {what}")
                continue
            more = ", ..." if len(located) > max_rows else ""
            rows_failing = f"{len(located)} row{'s' if len(located) > 1 else ''}"
            rows = ", ".join(str(row) for row in located["row"].head(max_rows))
            values = ", ".join(_show(value) for value in located["value"].head(max_rows))
            lines.append(
                f"  - column {column!r}, check {check}: {rows_failing} "
                f"[{rows}{more}] with values [{values}{more}]"
            )
        return "\n".join(lines)

    def to_records(self) -> list[dict[str, object]]:
        """The failures as JSON-friendly dicts (used by the API's 422 answer)."""
        return [
            {key: (None if pd.isna(value) else value) for key, value in record.items()}
            for record in self.failures.astype(object).to_dict(orient="records")
        ]


def _show(value: object) -> str:
    if pd.isna(value):
        return "null"
    return repr(value) if isinstance(value, str) else str(value)


class TargetMissingError(UsageError):
    """The training table has no target column: nothing to learn from (exit 2)."""


def validate_features(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Check a scoring batch; return it with features in the contract's representation."""
    return _validate(conform(frame, contract), feature_schema(contract))


def validate_training_data(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Check training data; return it with the contract's columns conformed and the
    ignored columns dropped."""
    target = contract.target.name
    if target not in frame.columns:
        shown = ", ".join(repr(str(name)) for name in list(frame.columns)[:10])
        raise TargetMissingError(
            f"the target column {target!r} is not in the data (columns: {shown}"
            f"{', ...' if len(frame.columns) > 10 else ''}); fix target.name in contract.yaml"
        )
    checked = _validate(conform(frame, contract), training_schema(contract))
    return checked[[*contract.feature_names, target]]


def _validate(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    try:
        # lazy=True collects every failure instead of stopping at the first one.
        return schema.validate(frame, lazy=True)
    except SchemaErrors as errors:
        raise DataContractError(schema.name or "data", _tidy(errors.failure_cases)) from None


def _tidy(cases: pd.DataFrame) -> pd.DataFrame:
    """pandera's failure cases, reshaped to one row per (column, check, row, value)."""
    # A missing column is reported against the schema, with the column as the value.
    missing = cases["check"] == "column_in_dataframe"
    column = cases["column"].where(~missing, cases["failure_case"]).astype(str)
    tidy = pd.DataFrame(
        {
            "column": column,
            "check": cases["check"].astype(str),
            "row": cases["index"].astype(object),
            "value": cases["failure_case"].where(~missing).astype(object),
        }
    )
    # When a column cannot be coerced, pandera also runs the value checks on the raw
    # strings and reports the resulting TypeError once per column without a row:
    # noise next to the coercion failure, which already names every bad cell.
    uncoercible = set(tidy.loc[tidy["check"].str.startswith("coerce_dtype"), "column"])
    noise = tidy["column"].isin(uncoercible) & tidy["row"].isna() & ~missing
    return tidy.loc[~noise].reset_index(drop=True)
