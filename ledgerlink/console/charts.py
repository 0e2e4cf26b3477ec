"""Small server-rendered SVG bar charts, readable without colour: one series per chart, or two
told apart by fill pattern and named in the legend, each bar titled with its value, and the
figures in a table beside every chart (the templates add it)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from markupsafe import Markup

Number = int | float | Decimal
WIDTH, HEIGHT, PAD = 600, 140, 24
# (fill, label) per series: solid, then hatched, so print and colour-blind readers tell them apart
STYLES = (("url(#solid)", "solid"), ("url(#hatched)", "hatched"))
DEFS = (
    '<defs><pattern id="solid" width="4" height="4" patternUnits="userSpaceOnUse">'
    '<rect width="4" height="4" fill="currentColor"/></pattern>'
    '<pattern id="hatched" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="white"/>'
    '<rect width="3" height="6" fill="currentColor"/></pattern></defs>'
)


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    *,
    unit: str = "",
) -> Markup:
    """Bars per label, one or two series side by side (`series`: name, values per label)."""
    values = [float(v) for _, vs in series for v in vs]
    top = max([v for v in values if v > 0], default=1.0)
    bottom = min([v for v in values if v < 0], default=0.0)
    span = top - bottom or 1.0
    slot = (WIDTH - 2 * PAD) / max(len(labels), 1)
    bar = max(slot / (len(series) + 0.5), 1.0)
    zero = PAD + (top / span) * (HEIGHT - 2 * PAD)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        DEFS,
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{zero:.1f}" y2="{zero:.1f}" class="axis"/>',
        f'<text x="{PAD}" y="{PAD - 8}" class="tick">{_figure(top)}{unit}</text>',
    ]
    for s, (name, vs) in enumerate(series):
        fill = STYLES[s % len(STYLES)][0]
        for i, (label, value) in enumerate(zip(labels, vs, strict=True)):
            size = abs(float(value)) / span * (HEIGHT - 2 * PAD)
            y = zero - size if float(value) >= 0 else zero
            x = PAD + i * slot + s * bar + bar * 0.25
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar * 0.9:.1f}" '
                f'height="{max(size, 0.5):.1f}" fill="{fill}">'
                f"<title>{escape(label)}: {_figure(value)}{unit} {escape(name)}</title></rect>"
            )
    if labels:
        parts.append(f'<text x="{PAD}" y="{HEIGHT - 6}" class="tick">{escape(labels[0])}</text>')
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" class="tick end">{escape(labels[-1])}</text>'
        )
    parts.append("</svg>")
    legend = ""
    if len(series) > 1:
        legend = '<p class="legend">' + " ".join(
            f'<span class="key {STYLES[i % len(STYLES)][1]}"></span>{escape(name)} '
            f"({STYLES[i % len(STYLES)][1]})"
            for i, (name, _) in enumerate(series)
        )
        legend += "</p>"
    return Markup("".join(parts) + legend)


def _figure(value: Number) -> str:
    number = float(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"
