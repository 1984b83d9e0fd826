"""Drift report as one self-contained HTML page, beside the JSON of ``drift``.

Per feature: the reference and current distributions overlaid (histograms of shares
for numbers, bars of category shares for anything else), with the feature's
statistics from the JSON report; drifted features first, then by PSI. The page
has no script and loads nothing: the charts are inline SVG, so it opens offline,
e.g. from a workflow artifact, and can be attached to an alert as it is.

The inputs are plain: two DataFrames and the report as a dictionary (the JSON), so
new statistics in the report (another test, categorical shares) show up here without
a change.
"""

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .svg_charts import Series, grouped_bars, histogram

# Categories shown per feature; the rest are summed as "(other)".
MAX_CATEGORIES = 12
BINS = 30
_REFERENCE = "#4c72b0"
_CURRENT = "#dd8452"
_CSS = """
body { font-family: sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 2px 6px; }
tr.drift td, section.drift h2 { color: #b00020; }
svg { max-width: 100%; height: auto; }
"""


def is_categorical(values: pd.Series) -> bool:
    """Drawn as category shares: strings, categoricals and booleans."""
    return not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def feature_panel(reference: pd.Series, current: pd.Series, title: str) -> str:
    """SVG of one feature's reference and current distributions, overlaid."""
    if is_categorical(reference) or is_categorical(current):
        return _category_shares(reference, current, title)
    return _histograms(reference, current, title)


def _histograms(reference: pd.Series, current: pd.Series, title: str) -> str:
    expected = reference.dropna().to_numpy(dtype=float)
    actual = current.dropna().to_numpy(dtype=float)
    expected = expected[np.isfinite(expected)]
    actual = actual[np.isfinite(actual)]
    both = np.concatenate([expected, actual])
    edges = np.histogram_bin_edges(both, bins=BINS) if both.size else np.linspace(0, 1, BINS + 1)

    def shares(values: np.ndarray) -> list[float]:
        # Shares, not counts: batches are usually far smaller than the reference.
        counts, _ = np.histogram(values, bins=edges)
        return (counts / max(values.size, 1)).tolist()

    return histogram(
        title,
        edges.tolist(),
        Series(f"reference ({expected.size} rows)", shares(expected), _REFERENCE),
        Series(f"current ({actual.size} rows)", shares(actual), _CURRENT),
    )


def _category_shares(reference: pd.Series, current: pd.Series, title: str) -> str:
    expected = reference.dropna().astype(str).value_counts(normalize=True)
    actual = current.dropna().astype(str).value_counts(normalize=True)
    # The reference's most common categories, then categories new in the batch.
    order = list(expected.index) + [name for name in actual.index if name not in expected.index]
    shown = order[:MAX_CATEGORIES]
    labels = shown + (["(other)"] if len(order) > len(shown) else [])

    def shares(counts: pd.Series) -> list[float]:
        values = [float(counts.get(name, 0.0)) for name in shown]
        if len(labels) > len(shown):
            values.append(float(counts.drop(shown, errors="ignore").sum()))
        return values

    return grouped_bars(
        title,
        labels,
        Series(f"reference ({int(reference.notna().sum())} rows)", shares(expected), _REFERENCE),
        Series(f"current ({int(current.notna().sum())} rows)", shares(actual), _CURRENT),
    )


def _statistics(entry: Mapping[str, Any]) -> str:
    """The feature's numbers from the report, whatever statistics it carries."""
    cells = []
    for key, value in entry.items():
        if key in {"feature", "drifted"}:
            continue
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        cells.append(f"{html.escape(key)} = {html.escape(shown)}")
    return ", ".join(cells)


def render_html(reference: pd.DataFrame, current: pd.DataFrame, report: Mapping[str, Any]) -> str:
    """The page: a summary, a table of features and one chart per feature."""
    entries = sorted(
        report["features"], key=lambda entry: (not entry["drifted"], -float(entry.get("psi", 0.0)))
    )
    verdict = "DRIFT DETECTED" if report["drift_detected"] else "no drift"
    thresholds = ", ".join(
        f"{html.escape(str(k))} = {html.escape(str(v))}" for k, v in report["thresholds"].items()
    )
    rows = "".join(
        f'<tr class="{"drift" if e["drifted"] else ""}"><td><a href="#f{i}">'
        f"{html.escape(str(e['feature']))}</a></td><td>{'DRIFT' if e['drifted'] else '-'}</td>"
        f"<td>{_statistics(e)}</td></tr>"
        for i, e in enumerate(entries)
    )
    panels = []
    for i, entry in enumerate(entries):
        name = str(entry["feature"])
        flag = "DRIFT" if entry["drifted"] else "no drift"
        chart = feature_panel(reference[name], current[name], f"{name}: {flag}")
        panels.append(
            f'<section id="f{i}" class="{"drift" if entry["drifted"] else ""}">'
            f"<h2>{html.escape(name)} ({flag})</h2><p>{_statistics(entry)}</p>{chart}</section>"
        )
    share = float(report["drifted_share"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Drift report: {verdict}</title>
<style>{_CSS}</style></head><body>
<h1>Drift report: {verdict}</h1>
<p>{len(report["drifted_features"])} of {len(entries)} features drifted ({100 * share:.0f} %);
reference {report["reference_rows"]} rows, current {report["current_rows"]} rows.
Thresholds: {thresholds}.</p>
<table><tr><th>feature</th><th>result</th><th>statistics</th></tr>{rows}</table>
{"".join(panels)}
</body></html>
"""


def write_html(
    reference: pd.DataFrame, current: pd.DataFrame, report: Mapping[str, Any], path: Path
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(reference, current, report), encoding="utf-8")
