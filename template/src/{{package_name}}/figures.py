"""Figures: the pictures of a training run, a promotion and a load test.

Every function takes plain inputs (a fitted model and holdout rows, metric
dictionaries, latency samples) and returns the images as bytes, keyed by file name;
the callers decide where they go (MLflow run artifacts, files beside a JSON report).

Pictures are made for review and for diffs, so they are:

* drawn without a display: matplotlib's Agg renderer, chosen explicitly, and
  ``Figure`` objects rather than pyplot's global figure manager;
* deterministic: the same data give the same bytes (fixed style, fonts bundled with
  matplotlib, no creation date or software version in the file, seeded subsampling);
* small: PNG at 100 dpi and a fixed size in pixels, ``SIZE_PX``.

matplotlib is imported inside the drawing functions only (it takes about half a
second), so the commands that draw nothing do not pay for it.
"""

import io
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Where figures go inside an MLflow run, and beside the model card.
FIGURE_DIR = "figures"
DPI = 100
SIZE_IN = (6.4, 4.8)
SIZE_PX = (round(SIZE_IN[0] * DPI), round(SIZE_IN[1] * DPI))
# Captions of the figures a run can have, in the order the model card shows them.
TITLES = {
    "confusion_matrix.png": "Confusion matrix on the holdout",
    "roc_curve.png": "ROC curves on the holdout",
    "precision_recall.png": "Precision-recall curves on the holdout",
    "prediction_error.png": "Actual versus predicted on the holdout",
    "residuals.png": "Residuals versus predicted on the holdout",
    "permutation_importance.png": "Permutation importance on the holdout",
    "promotion.png": "Challenger versus champion on the holdout",
}
# One-vs-rest curves stay readable up to this many classes; beyond it, one
# micro-averaged curve.
MAX_CURVES = 10
# Bars in the importance chart: the most important features.
MAX_BARS = 20

STYLE: dict[str, Any] = {
    # DejaVu Sans ships with matplotlib: the same glyphs on every machine.
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
}


@contextmanager
def new_figure(size: tuple[float, float] = SIZE_IN) -> Iterator["Figure"]:
    """A fresh figure of ``size`` inches, under the fixed style, on the Agg renderer."""
    import matplotlib

    # Before anything imports pyplot (scikit-learn's displays do): never a GUI backend,
    # even on a desktop, so training works over SSH, in CI and in containers alike.
    # A notebook that already chose its backend keeps it: figures here are bare
    # ``Figure`` objects, saved through Agg whatever pyplot uses.
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    from matplotlib.figure import Figure

    settings: dict[Any, Any] = dict(STYLE)
    with matplotlib.rc_context(settings):
        yield Figure(figsize=size, dpi=DPI, layout="constrained")


def _png(fig: "Figure") -> bytes:
    buffer = io.BytesIO()
    # No "Software" text chunk: the bytes depend on the data, not on the version.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def render_png(draw: Callable[["Figure"], None], size: tuple[float, float] = SIZE_IN) -> bytes:
    """Draw on a new figure and return it as PNG."""
    with new_figure(size) as fig:
        draw(fig)
        return _png(fig)


# ---- Training and evaluation ----------------------------------------------------


def training_figures(
    model: Any,
    X: Any,
    y: Any,
    importances: Sequence[tuple[str, float, float]],
    *,
    seed: int,
) -> dict[str, bytes]:
    """The figures of one training run, evaluated on holdout rows ``X``, ``y``.

    Classifiers get a confusion matrix, ROC and precision-recall curves; regressors
    an actual-versus-predicted and a residual plot. Both get the permutation
    importance chart of ``importances`` (feature, mean, std), most important first.
    """
    from sklearn.base import is_classifier

    figures = (
        _classification(model, X, y) if is_classifier(model) else _regression(model, X, y, seed)
    )
    figures["permutation_importance.png"] = importance_chart(importances)
    return figures


def _classification(model: Any, X: Any, y: Any) -> dict[str, bytes]:
    from sklearn.metrics import (
        ConfusionMatrixDisplay,
        PrecisionRecallDisplay,
        RocCurveDisplay,
    )

    classes = list(model.classes_)
    predicted = model.predict(X)
    scores = model.predict_proba(X)
    truth = np.asarray(y)

    def confusion(fig: "Figure") -> None:
        ax = fig.subplots()
        ConfusionMatrixDisplay.from_predictions(
            truth, predicted, labels=classes, ax=ax, colorbar=False, cmap="Blues"
        )
        ax.grid(False)
        ax.set_title(f"Confusion matrix ({len(truth)} holdout rows)")

    def curves(
        display: Any, title: str, axis_labels: tuple[str, str]
    ) -> Callable[["Figure"], None]:
        def draw(fig: "Figure") -> None:
            ax = fig.subplots()
            for name, target, score in _one_vs_rest(classes, truth, scores):
                display.from_predictions(target, score, pos_label=True, name=name, ax=ax)
            ax.set_title(title)
            ax.set_xlabel(axis_labels[0])
            ax.set_ylabel(axis_labels[1])
            ax.legend(loc="best", fontsize=8)

        return draw

    return {
        "confusion_matrix.png": render_png(confusion),
        "roc_curve.png": render_png(
            curves(
                RocCurveDisplay,
                "ROC (one-vs-rest)",
                ("false positive rate", "true positive rate"),
            )
        ),
        "precision_recall.png": render_png(
            curves(
                PrecisionRecallDisplay, "Precision-recall (one-vs-rest)", ("recall", "precision")
            )
        ),
    }


def _one_vs_rest(
    classes: list[Any], truth: np.ndarray, scores: np.ndarray
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, is-this-class, score) per curve: the positive class of a binary task,
    each class against the rest up to MAX_CURVES classes, else one micro-average."""
    if len(classes) == 2:
        return [(f"{classes[1]}", truth == classes[1], scores[:, 1])]
    if len(classes) <= MAX_CURVES:
        return [
            (f"{label} vs rest", truth == label, scores[:, i]) for i, label in enumerate(classes)
        ]
    onehot = np.stack([truth == label for label in classes], axis=1)
    return [("micro-average", onehot.ravel(), scores.ravel())]


def _regression(model: Any, X: Any, y: Any, seed: int) -> dict[str, bytes]:
    from sklearn.metrics import PredictionErrorDisplay

    truth = np.asarray(y, dtype=float)
    predicted = np.asarray(model.predict(X), dtype=float)

    def plot(kind: str, title: str) -> Callable[["Figure"], None]:
        def draw(fig: "Figure") -> None:
            ax = fig.subplots()
            PredictionErrorDisplay.from_predictions(
                truth,
                predicted,
                kind=kind,
                subsample=1000,
                random_state=seed,
                ax=ax,
                scatter_kwargs={"alpha": 0.6, "s": 12},
            )
            ax.set_title(title)

        return draw

    return {
        "prediction_error.png": render_png(
            plot("actual_vs_predicted", f"Actual vs predicted ({len(truth)} holdout rows)")
        ),
        "residuals.png": render_png(
            plot("residual_vs_predicted", f"Residuals vs predicted ({len(truth)} holdout rows)")
        ),
    }


def importance_chart(importances: Sequence[tuple[str, float, float]], metric: str = "") -> bytes:
    """Horizontal bars of (feature, mean, std), most important on top."""
    shown = list(importances)[:MAX_BARS]

    def draw(fig: "Figure") -> None:
        ax = fig.subplots()
        names = [str(name) for name, _, _ in shown][::-1]
        means = [mean for _, mean, _ in shown][::-1]
        stds = [std for _, _, std in shown][::-1]
        ax.barh(names, means, xerr=stds, color="#4c72b0", capsize=2)
        ax.axvline(0, color="black", linewidth=0.8)
        unit = f" of {metric}" if metric else ""
        ax.set_xlabel(f"drop{unit} when the feature is shuffled")
        hidden = len(importances) - len(shown)
        more = f" (top {len(shown)}; {hidden} more in the JSON)" if hidden > 0 else ""
        ax.set_title(f"Permutation importance{more}")

    return render_png(draw)


def comparison_chart(
    scores: Mapping[str, Mapping[str, float]],
    gates: Mapping[str, tuple[float | None, float | None]],
    title: str,
) -> bytes:
    """One panel per metric, one bar per model (``scores``: model label -> metrics),
    with the metric's gate bounds as dashed lines: the promotion decision at a glance."""
    metrics = sorted({name for values in scores.values() for name in values})
    columns = min(3, max(1, len(metrics)))
    rows = -(-len(metrics) // columns) if metrics else 1
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52"]

    def draw(fig: "Figure") -> None:
        axes = fig.subplots(rows, columns, squeeze=False).ravel()
        for ax, metric in zip(axes, metrics, strict=False):
            labels = [label for label in scores if metric in scores[label]]
            values = [scores[label][metric] for label in labels]
            bars = ax.bar(labels, values, color=colours[: len(labels)])
            ax.bar_label(bars, fmt="%.4g", fontsize=7)
            for bound in gates.get(metric, (None, None)):
                if bound is not None:
                    ax.axhline(bound, color="black", linestyle="--", linewidth=0.8)
            ax.set_title(metric)
            ax.tick_params(axis="x", labelsize=7)
        for ax in axes[len(metrics) :]:
            ax.set_visible(False)
        fig.suptitle(title, fontsize=8)

    return render_png(draw)


# ---- Load test --------------------------------------------------------------------


def loadtest_figures(
    latencies_ms: Sequence[float],
    finished_s: Sequence[float],
    succeeded: Sequence[bool],
    percentiles_ms: Mapping[str, float],
) -> dict[str, bytes]:
    """Latency histogram (with its percentiles) and throughput over time, from one
    sample per request: its latency, when it finished (seconds since the measured
    phase began) and whether it succeeded."""
    latency = np.asarray(latencies_ms, dtype=float)
    finished = np.asarray(finished_s, dtype=float)
    ok = np.asarray(succeeded, dtype=bool)

    def histogram(fig: "Figure") -> None:
        ax = fig.subplots()
        if latency.size:
            ax.hist(latency, bins=50, color="#4c72b0")
        marked = False
        for (name, value), colour in zip(
            percentiles_ms.items(), ["#55a868", "#dd8452", "#c44e52", "black"], strict=False
        ):
            if np.isfinite(value):
                ax.axvline(value, color=colour, linestyle="--", label=f"{name} {value:.1f} ms")
                marked = True
        ax.set_xlabel("latency (ms)")
        ax.set_ylabel("requests")
        ax.set_title(f"Latency of {latency.size} requests")
        if marked:
            ax.legend(loc="upper right", fontsize=8)

    def throughput(fig: "Figure") -> None:
        ax = fig.subplots()
        end = float(finished.max()) if finished.size else 1.0
        # Equal bins that end with the last answer, so the last one is not a stub.
        count = max(1, round(end / _bin_width(end)))
        edges = np.linspace(0.0, end, count + 1)
        width = end / count
        for mask, label, colour in ((ok, "succeeded", "#4c72b0"), (~ok, "failed", "#c44e52")):
            counts, _ = np.histogram(finished[mask], bins=edges)
            if label == "succeeded" or counts.any():
                ax.stairs(counts / width, edges, label=label, color=colour, linewidth=1.5)
        ax.set_xlabel("seconds since the start of the measured phase")
        ax.set_ylabel("requests per second")
        ax.set_ylim(bottom=0)
        ax.set_title(f"Throughput over time ({width:.2g} s bins)")
        ax.legend(loc="lower right", fontsize=8)

    return {
        "latency_histogram.png": render_png(histogram),
        "throughput.png": render_png(throughput),
    }


def _bin_width(duration_s: float) -> float:
    """A round bin width giving 20 to 50 bins over the run."""
    for width in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0):
        if duration_s / width <= 50:
            return width
    return 300.0
