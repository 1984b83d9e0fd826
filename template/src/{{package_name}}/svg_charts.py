"""Small bar charts as inline SVG, written directly (the drift report's panels).

A drift report draws one chart per feature, so its cost grows with the width of the
table: through matplotlib a panel took about 0.1 s (layout and text measurement),
20 s for 200 features. These charts are a few dozen rectangles and labels, written
as text in well under a millisecond, the same bytes for the same data, with nothing
to import.

Text is escaped (feature names and category values come from the data) and placed
without measuring it: labels are anchored at their end or middle, long category
names are shortened, and every bar carries its exact numbers in a ``<title>`` (the
tooltip).
"""

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 280
# Margins around the plot: the legend sits above it, beside the title, so it never
# hides a bar; the bottom has room for slanted category labels.
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 40, 68
FONT = "DejaVu Sans, Verdana, sans-serif"
# Longer category labels and titles are shortened (the tooltips have them whole), so
# that they stay clear of their neighbours and of the legend; a slanted label under
# the first of 13 bars must end inside the picture (LEFT).
MAX_LABEL = 15
MAX_TITLE = 56


@dataclass(frozen=True)
class Series:
    """One distribution: its label in the legend, a share per bin, its colour."""

    label: str
    shares: Sequence[float]
    colour: str


def _text(value: str) -> str:
    return html.escape(value, quote=True)


def _number(value: float) -> str:
    """Short and stable: 4 significant digits, no negative zero."""
    shown = f"{value:.4g}"
    return "0" if shown == "-0" else shown


def _shorten(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values (steps of 1, 2, 2.5 or 5 times a power of ten)
    between ``low`` and ``high``, inclusive."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    # Multiples of the step, not a running sum: no accumulated rounding in the labels.
    return [round(i * step, 12) for i in range(first, last + 1)]


class _Frame:
    """The plot area of one chart: its scales from data to pixels, and its axes."""

    def __init__(self, x_range: tuple[float, float], y_max: float) -> None:
        self.x_low, self.x_high = x_range
        self.y_ticks = nice_ticks(0.0, y_max if y_max > 0 else 1.0, 4)
        self.y_max = max(self.y_ticks[-1], y_max) if self.y_ticks else 1.0
        self.width = WIDTH - LEFT - RIGHT
        self.height = HEIGHT - TOP - BOTTOM

    def x(self, value: float) -> float:
        span = self.x_high - self.x_low
        return LEFT + (value - self.x_low) / span * self.width if span > 0 else LEFT

    def y(self, share: float) -> float:
        return TOP + self.height * (1.0 - share / self.y_max)

    def axes(self, y_label: str) -> list[str]:
        """Grid lines and labels of the share axis, the baseline and the axis title."""
        parts = []
        for tick in self.y_ticks:
            y = self.y(tick)
            parts.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + self.width}" y2="{y:.1f}" '
                'stroke="#000" stroke-opacity="0.12"/>'
                f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{_number(tick)}</text>'
            )
        bottom = TOP + self.height
        parts.append(
            f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + self.width}" y2="{bottom}" '
            'stroke="#000" stroke-width="0.8"/>'
        )
        middle = TOP + self.height / 2
        parts.append(
            f'<text x="14" y="{middle:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 14 {middle:.1f})">{_text(y_label)}</text>'
        )
        return parts

    def x_label(self, x: float, label: str, rotate: bool) -> str:
        """A label under the baseline at ``x``; slanted when labels are many."""
        y = TOP + self.height + 12
        if rotate:
            return (
                f'<text x="{x:.1f}" y="{y}" text-anchor="end" '
                f'transform="rotate(-30 {x:.1f} {y})">{_text(label)}</text>'
            )
        return f'<text x="{x:.1f}" y="{y}" text-anchor="middle">{_text(label)}</text>'


def _legend(series: Sequence[Series]) -> list[str]:
    """Above the plot on the right, one line per series: its label, then a swatch."""
    parts = []
    for index, item in enumerate(series):
        y = 6 + 14 * index
        right = WIDTH - RIGHT - 4
        parts.append(
            f'<rect class="legend" x="{right - 10}" y="{y}" width="10" height="10" '
            f'fill="{item.colour}"/><text class="legend" x="{right - 14}" y="{y + 9}" '
            f'text-anchor="end">{_text(item.label)}</text>'
        )
    return parts


def _document(title: str, parts: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-family="{FONT}" font-size="10">'
        f"<title>{_text(title)}</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>'
        f'<text x="{LEFT}" y="18" font-size="12">{_text(_shorten(title, MAX_TITLE))}</text>'
        f"{''.join(parts)}</svg>"
    )


def histogram(title: str, edges: Sequence[float], first: Series, second: Series) -> str:
    """Two distributions over the same bins: ``first`` as filled bars, ``second`` as
    an outline on top, so both stay visible where they overlap."""
    bins = len(edges) - 1
    frame = _Frame((edges[0], edges[-1]), max([0.0, *first.shares, *second.shares]))
    parts = frame.axes("share of rows")
    baseline = frame.y(0.0)
    outline = [f"M{frame.x(edges[0]):.1f},{baseline:.1f}"]
    for index in range(bins):
        left, right = frame.x(edges[index]), frame.x(edges[index + 1])
        a, b = first.shares[index], second.shares[index]
        tip = (
            f"[{_number(edges[index])}, {_number(edges[index + 1])}): "
            f"{first.label} {_percent(a)}, {second.label} {_percent(b)}"
        )
        top = frame.y(a)
        parts.append(
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" '
            f'height="{baseline - top:.1f}" fill="{first.colour}" fill-opacity="0.45"/>'
        )
        # A column the height of the plot, invisible: the tooltip of the bin.
        parts.append(
            f'<rect x="{left:.1f}" y="{TOP}" width="{right - left:.1f}" '
            f'height="{frame.height}" fill-opacity="0"><title>{_text(tip)}</title></rect>'
        )
        outline.append(f"V{frame.y(b):.1f}H{right:.1f}")
    outline.append(f"V{baseline:.1f}")
    parts.append(
        f'<path d="{"".join(outline)}" fill="none" stroke="{second.colour}" stroke-width="1.5"/>'
    )
    for tick in nice_ticks(edges[0], edges[-1]):
        parts.append(frame.x_label(frame.x(tick), _number(tick), rotate=False))
    parts.extend(_legend([first, second]))
    return _document(title, parts)


def grouped_bars(title: str, labels: Sequence[str], first: Series, second: Series) -> str:
    """Side-by-side bars per label (categories), ``first`` on the left."""
    frame = _Frame((0.0, float(len(labels))), max([0.0, *first.shares, *second.shares]))
    parts = frame.axes("share of rows")
    baseline = frame.y(0.0)
    slot = frame.width / max(len(labels), 1)
    rotate = len(labels) > 5
    for index, label in enumerate(labels):
        centre = frame.x(index + 0.5)
        tip = f"{label}: {first.label} {_percent(first.shares[index])}, "
        tip += f"{second.label} {_percent(second.shares[index])}"
        for offset, item in ((-0.4, first), (0.0, second)):
            top = frame.y(item.shares[index])
            parts.append(
                f'<rect x="{centre + offset * slot:.1f}" y="{top:.1f}" '
                f'width="{0.4 * slot:.1f}" height="{baseline - top:.1f}" fill="{item.colour}">'
                f"<title>{_text(tip)}</title></rect>"
            )
        parts.append(frame.x_label(centre, _shorten(label, MAX_LABEL), rotate))
    parts.extend(_legend([first, second]))
    return _document(title, parts)
