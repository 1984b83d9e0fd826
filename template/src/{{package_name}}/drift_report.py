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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .figures import STYLE, new_figure, svg

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PANEL_IN = (6.4, 2.6)
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


def feature_panel(reference: pd.Series, current: pd.Series, title: str, salt: str) -> bytes:
    """SVG of one feature's reference and current distributions, overlaid.

    ``salt`` makes the SVG's internal ids unique within the page (several charts
    share one HTML document) while keeping them deterministic.
    """
    with new_figure(PANEL_IN, {**STYLE, "svg.hashsalt": salt}) as fig:
        draw_panel(fig, reference, current, title)
        return svg(fig)


def draw_panel(fig: "Figure", reference: pd.Series, current: pd.Series, title: str) -> None:
    if is_categorical(reference) or is_categorical(current):
        _category_shares(fig, reference, current)
    else:
        _histograms(fig, reference, current)
    fig.axes[0].set_title(title, fontsize=9, loc="left")


def _histograms(fig: "Figure", reference: pd.Series, current: pd.Series) -> None:
    ax = fig.subplots()
    expected = reference.dropna().to_numpy(dtype=float)
    actual = current.dropna().to_numpy(dtype=float)
    both = np.concatenate([expected, actual])
    both = both[np.isfinite(both)]
    edges = np.histogram_bin_edges(both, bins=BINS) if both.size else np.linspace(0, 1, BINS + 1)
    bins = edges.tolist()
    expected = expected[np.isfinite(expected)]
    actual = actual[np.isfinite(actual)]
    # Shares, not counts: batches are usually far smaller than the reference.
    if expected.size:
        ax.hist(
            expected,
            bins=bins,
            weights=np.full(expected.size, 1.0 / expected.size),
            histtype="stepfilled",
            color=_REFERENCE,
            alpha=0.45,
            label=f"reference ({expected.size} rows)",
        )
    if actual.size:
        ax.hist(
            actual,
            bins=bins,
            weights=np.full(actual.size, 1.0 / actual.size),
            histtype="step",
            color=_CURRENT,
            linewidth=1.5,
            label=f"current ({actual.size} rows)",
        )
    ax.set_ylabel("share of rows")
    ax.legend(loc="upper right", fontsize=7)


def _category_shares(fig: "Figure", reference: pd.Series, current: pd.Series) -> None:
    ax = fig.subplots()
    expected = reference.dropna().astype(str).value_counts(normalize=True)
    actual = current.dropna().astype(str).value_counts(normalize=True)
    # The reference's most common categories, then categories new in the batch.
    order = list(expected.index) + [name for name in actual.index if name not in expected.index]
    shown = order[:MAX_CATEGORIES]
    labels = shown + (["(other)"] if len(order) > len(shown) else [])

    def shares(counts: pd.Series) -> np.ndarray:
        values = [float(counts.get(name, 0.0)) for name in shown]
        if len(labels) > len(shown):
            values.append(float(counts.drop(shown, errors="ignore").sum()))
        return np.asarray(values)

    positions = np.arange(len(labels))
    ax.bar(
        positions - 0.2,
        shares(expected),
        width=0.4,
        color=_REFERENCE,
        label=f"reference ({int(reference.notna().sum())} rows)",
    )
    ax.bar(
        positions + 0.2,
        shares(actual),
        width=0.4,
        color=_CURRENT,
        label=f"current ({int(current.notna().sum())} rows)",
    )
    ax.set_xticks(
        positions,
        labels,
        rotation=30 if len(labels) > 5 else 0,
        ha="right" if len(labels) > 5 else "center",
        fontsize=7,
    )
    ax.set_ylabel("share of rows")
    ax.legend(loc="upper right", fontsize=7)


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
        chart = feature_panel(reference[name], current[name], f"{name}: {flag}", f"drift-{i}")
        # The XML prolog and doctype are not allowed inside HTML; the <svg> element is.
        inline = chart.decode("utf-8")
        inline = inline[inline.index("<svg") :]
        panels.append(
            f'<section id="f{i}" class="{"drift" if entry["drifted"] else ""}">'
            f"<h2>{html.escape(name)} ({flag})</h2><p>{_statistics(entry)}</p>{inline}</section>"
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
