"""Monitor: per-feature data drift of a scoring batch against the training snapshot.

Two statistics per feature:

* PSI (population stability index): how much the distribution moved, over quantile
  bins of the reference for numeric features and over the categories (missing
  values being one) for categorical and boolean ones. Rule of thumb: < 0.1 stable,
  0.1-0.2 moderate, > 0.2 large. On small batches PSI is dominated by sampling noise.
* A test of "same distribution": whether the move is statistically real. The
  two-sample Kolmogorov-Smirnov test for numeric features, the chi-square test of
  the category counts for categorical and boolean ones. On large batches tests flag
  shifts too small to matter.

A feature counts as drifted only when both agree, which keeps the monitor quiet on
small unshifted batches and on large batches with negligible shifts.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .config import DriftConfig
from .contract import Contract
from .storage import Location

# Floor of a bin's share, so an empty bin does not make the PSI infinite.
_MIN_SHARE = 1e-4


def population_stability_index(reference: np.ndarray, current: np.ndarray, bins: int) -> float:
    """PSI of ``current`` against ``reference`` over ``bins`` quantile bins of the reference.

    Cut points are the reference's inner quantiles, de-duplicated so that discrete
    features (a 1/2 code, integer counts) get one bin per observed level instead of
    empty bins. The outer bins are open-ended: values beyond the reference's range
    still count.
    """
    cuts = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    expected = _shares(np.searchsorted(cuts, reference, side="right"), cuts.size + 1)
    actual = _shares(np.searchsorted(cuts, current, side="right"), cuts.size + 1)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _shares(bin_index: np.ndarray, n_bins: int) -> np.ndarray:
    counts = np.bincount(bin_index, minlength=n_bins)
    return np.clip(counts / counts.sum(), _MIN_SHARE, None)


def category_psi(reference: pd.Series, current: pd.Series) -> float:
    """PSI of ``current`` against ``reference`` over the categories of both (missing
    values count as a category: a feature that stops being filled in has drifted)."""
    expected, actual = _category_counts(reference, current)
    expected_share = np.clip(expected / expected.sum(), _MIN_SHARE, None)
    actual_share = np.clip(actual / actual.sum(), _MIN_SHARE, None)
    return float(np.sum((actual_share - expected_share) * np.log(actual_share / expected_share)))


def category_chi2(reference: pd.Series, current: pd.Series) -> tuple[float, float]:
    """Chi-square test of homogeneity of the category counts: (statistic, p-value)."""
    expected, actual = _category_counts(reference, current)
    table = np.vstack([expected, actual])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0  # one category in both: nothing can have moved
    result = stats.chi2_contingency(table)
    return float(result.statistic), float(result.pvalue)


def _category_counts(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    missing = "<missing>"
    expected = reference.astype(object).where(reference.notna(), missing).value_counts()
    actual = current.astype(object).where(current.notna(), missing).value_counts()
    levels = expected.index.union(actual.index)
    return (
        expected.reindex(levels, fill_value=0).to_numpy(dtype=float),
        actual.reindex(levels, fill_value=0).to_numpy(dtype=float),
    )


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str
    psi: float
    # "ks" (numeric features) or "chi2" (categorical and boolean ones).
    test: str
    statistic: float
    pvalue: float
    drifted: bool


@dataclass(frozen=True)
class DriftReport:
    reference_rows: int
    current_rows: int
    thresholds: DriftConfig
    features: list[FeatureDrift]

    @property
    def drifted_features(self) -> list[str]:
        return [feature.feature for feature in self.features if feature.drifted]

    @property
    def drifted_share(self) -> float:
        return len(self.drifted_features) / len(self.features) if self.features else 0.0

    @property
    def drift_detected(self) -> bool:
        return self.drifted_share > self.thresholds.max_drifted_share

    def to_dict(self) -> dict[str, object]:
        return {
            "drift_detected": self.drift_detected,
            "drifted_share": self.drifted_share,
            "drifted_features": self.drifted_features,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "thresholds": self.thresholds.model_dump(),
            "features": [asdict(feature) for feature in self.features],
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")


def detect_drift(
    reference: pd.DataFrame, current: pd.DataFrame, contract: Contract, config: DriftConfig
) -> DriftReport:
    """Compare each feature of ``current`` with ``reference`` (both contract-validated)."""
    results = []
    for feature in contract.features:
        expected, actual = reference[feature.name], current[feature.name]
        if feature.kind in ("categorical", "boolean"):
            psi = category_psi(expected, actual)
            test, (statistic, pvalue) = "chi2", category_chi2(expected, actual)
        else:
            psi, test, statistic, pvalue = _numeric_drift(expected, actual, config.bins)
        results.append(
            FeatureDrift(
                feature=feature.name,
                kind=feature.kind,
                psi=psi,
                test=test,
                statistic=statistic,
                pvalue=pvalue,
                drifted=psi >= config.psi_threshold and pvalue < config.ks_pvalue_threshold,
            )
        )
    return DriftReport(
        reference_rows=len(reference),
        current_rows=len(current),
        thresholds=config,
        features=results,
    )


def _numeric_drift(
    reference: pd.Series, current: pd.Series, bins: int
) -> tuple[float, str, float, float]:
    """PSI and KS over the values present; (psi, "ks", statistic, p-value)."""
    expected = reference.dropna().to_numpy(dtype=float)
    actual = current.dropna().to_numpy(dtype=float)
    if expected.size == 0 or actual.size == 0:
        return 0.0, "ks", 0.0, 1.0  # nothing to compare: never "drifted" by accident
    ks = stats.ks_2samp(expected, actual)
    psi = population_stability_index(expected, actual, bins)
    return psi, "ks", float(ks.statistic), float(ks.pvalue)


# --- batches, verdicts and live performance ------------------------------------------

CAPTURE_PATTERN = "capture-*.jsonl"
# The verdicts of `monitor`, most severe first, with the CLI's exit code for each.
CONTRACT = "contract"  # the feed broke its contract: alert, do not retrain (exit 4)
DRIFT = "drift"  # the inputs moved: retrain (exit 1)
OK = "ok"


def read_batch(location: Location, contract: Contract, key: str = "batch") -> pd.DataFrame:
    """A scoring batch: a .csv or .parquet table, or a directory (or object-store
    prefix) of the service's capture files (observe.Capture), their extra columns
    (request_id, prediction...) kept. Capture lines are read without type guessing
    (dtype=False): a categorical value "1" stays text, as the contract says."""
    from .errors import DataSourceError
    from .ingest import read_table
    from .storage import find, is_dir, open_binary

    if not is_dir(location, key):
        return read_table(location, contract.text_columns, key)
    files = find(location, CAPTURE_PATTERN, key)
    if not files:
        raise DataSourceError(f"{location}: no {CAPTURE_PATTERN} capture files")
    frames = []
    for file in files:
        with open_binary(file, "rb", key) as handle:
            frames.append(pd.read_json(handle, lines=True, dtype=False))
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class ContractSplit:
    """A batch split by the data contract: rows that meet it, coerced; how many do not."""

    valid: pd.DataFrame
    failing_rows: int
    report: str | None  # the contract violations, or None when every row meets it


def split_by_contract(batch: pd.DataFrame, contract: Contract) -> ContractSplit:
    """Rows that meet the feature contract, and a count and report of those that do not.

    A table-level failure (a missing column) leaves no valid row."""
    from .validate import DataContractError, validate_features

    try:
        return ContractSplit(validate_features(batch, contract), 0, None)
    except DataContractError as error:
        rows = error.failures["row"].dropna()
        if len(rows) < len(error.failures):  # a check on the whole table failed
            return ContractSplit(batch.iloc[0:0], len(batch), error.report())
        bad = batch.index.isin(rows.astype(int).unique())
        try:
            valid = validate_features(batch.loc[~bad], contract)
        except DataContractError:
            valid, bad[:] = batch.iloc[0:0], True
        return ContractSplit(valid, int(bad.sum()), error.report())


def write_monitor_report(
    path: Path, split: ContractSplit, drift: DriftReport | None, run_id: str
) -> str:
    """Write the report of one monitor run (replacing any older one); return its verdict.

    ``drift`` is None when no row met the contract."""
    verdict = CONTRACT if split.failing_rows else (DRIFT if drift and drift.drift_detected else OK)
    body: dict[str, object] = {
        "run_id": run_id,
        "verdict": verdict,
        "rows": len(split.valid) + split.failing_rows,
        "rows_failing_contract": split.failing_rows,
        "contract_report": split.report,
        **(drift.to_dict() if drift else {"drift_detected": None, "features": []}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return verdict


def join_feedback(captured: pd.DataFrame, feedback: pd.DataFrame, target: str) -> pd.DataFrame:
    """Captured predictions with their true labels: feedback rows (``request_id``, ``row``
    (optional, default 0), ``target``) matched to captured ones by request id and row."""
    from .errors import DataSourceError

    missing = {"request_id", target} - set(feedback.columns)
    if missing:
        raise DataSourceError(f"feedback: missing column(s) {sorted(missing)}")
    labels = feedback.assign(row=feedback.get("row", 0))
    labels = labels[["request_id", "row", target]].astype({"request_id": str, "row": int})
    predictions = captured[["request_id", "row", "prediction"]].astype(
        {"request_id": str, "row": int}
    )
    return predictions.merge(labels, on=["request_id", "row"], how="inner")
