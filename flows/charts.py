"""Charts as inline SVG, for a report that is one file with no server and no network.

Why hand-made SVG and not a plotting library: four chart shapes are needed (bars, stacked bars,
lines, a grid of counts), SVG is text the HTML carries as is, every browser draws it, and no
dependency (and no JavaScript bundle) has to be pinned and shipped. Every data mark has class
`mark` and a <title> (the browser's tooltip), so a test can count what was drawn.
"""
from __future__ import annotations

from html import escape
from typing import Sequence

PALETTE = ("#3366cc", "#dc7633", "#2e9e5b", "#c0392b", "#8e44ad", "#17a2b8", "#b7950b",
           "#7f8c8d", "#d35400", "#1abc9c")
W, H = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 16, 48


def _num(v: float) -> str:
    if abs(v) >= 1e6:
        return f"{v / 1e6:.1f}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.0f}k"
    return f"{v:g}" if v == int(v) else f"{v:.3g}"


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    mag = 10 ** (len(str(int(v))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * mag:
            return step * mag
    return 10 * mag


def _frame(name: str, title: str, body: str, empty: bool, height: int = H) -> str:
    note = '<text x="50%" y="50%" text-anchor="middle" class="empty">no data</text>' if empty else ""
    return (f'<figure class="chart" data-chart="{escape(name)}" data-empty="{int(empty)}">'
            f"<figcaption>{escape(title)}</figcaption>"
            f'<svg viewBox="0 0 {W} {height}" width="100%" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
            f"{body}{note}</svg></figure>")


def _axes(ymax: float, height: int, fmt=_num) -> str:
    out = []
    plot_h = height - TOP - BOTTOM
    for i in range(5):
        v = ymax * i / 4
        y = TOP + plot_h - plot_h * i / 4
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
                   f"{escape(fmt(v))}</text>")
    return "".join(out)


def _legend(names: Sequence[str]) -> str:
    out = []
    for i, n in enumerate(names):
        y = TOP + 14 + i * 18
        out.append(f'<rect x="{W - RIGHT + 12}" y="{y - 10}" width="12" height="12" '
                   f'fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{W - RIGHT + 30}" y="{y}" class="legend">{escape(n[:22])}</text>')
    return "".join(out)


def bars(name: str, title: str, categories: Sequence[str],
         series: dict[str, Sequence[float | None]], stacked: bool = True) -> str:
    """Vertical bars per category, one colour per series, stacked or side by side."""
    cats = list(categories)
    names = list(series)
    empty = not cats or not any(v for s in series.values() for v in s if v)
    if empty:
        return _frame(name, title, "", True)
    totals = ([sum(series[n][i] or 0 for n in names) for i in range(len(cats))] if stacked
              else [max((series[n][i] or 0) for n in names) for i in range(len(cats))])
    ymax = _nice_max(max(totals))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / len(cats)
    bar_w = slot * 0.7 / (1 if stacked else len(names))
    out = [_axes(ymax, H)]
    for i, c in enumerate(cats):
        x0 = LEFT + i * slot + slot * 0.15
        base = 0.0
        for j, n in enumerate(names):
            v = series[n][i] or 0
            if v <= 0:  # nothing to draw (and a test counts drawn marks)
                continue
            h = max(plot_h * v / ymax, 1.0)  # a small value stays visible (1 unit tall)
            x = x0 if stacked else x0 + j * bar_w
            y = TOP + plot_h - plot_h * base / ymax - h if stacked else TOP + plot_h - h
            out.append(f'<rect class="mark" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                       f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                       f"<title>{escape(f'{c} · {n}: {_num(v)}')}</title></rect>")
            if stacked:
                base += v
        if len(cats) <= 24 or i % max(1, len(cats) // 12) == 0:
            out.append(f'<text x="{LEFT + i * slot + slot / 2:.1f}" y="{H - BOTTOM + 16}" '
                       f'text-anchor="middle" class="tick">{escape(str(c))}</text>')
    out.append(_legend(names))
    return _frame(name, title, "".join(out), False)


def lines(name: str, title: str, xs: Sequence[int | str],
          series: dict[str, Sequence[float | None]], percent: bool = False) -> str:
    """One line per series over xs; a gap where a value is missing."""
    xs = list(xs)
    names = [n for n in series if any(v is not None for v in series[n])]
    if not xs or not names:
        return _frame(name, title, "", True)
    top = max(v for n in names for v in series[n] if v is not None)
    ymax = _nice_max(top)
    if percent and top <= 1:
        ymax = min(1.0, ymax)
    fmt = (lambda v: f"{100 * v:.0f}%") if percent else _num
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    step = plot_w / max(1, len(xs) - 1) if len(xs) > 1 else 0
    out = [_axes(ymax, H, fmt)]
    for i, x in enumerate(xs):
        px = LEFT + (i * step if len(xs) > 1 else plot_w / 2)
        out.append(f'<text x="{px:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle" '
                   f'class="tick">{escape(str(x))}</text>')
    for j, n in enumerate(series):
        if n not in names:
            continue
        color = PALETTE[j % len(PALETTE)]
        pts, path = [], []
        for i, v in enumerate(series[n]):
            if v is None:
                if len(path) > 1:
                    pts.append(path)
                path = []
                continue
            px = LEFT + (i * step if len(xs) > 1 else plot_w / 2)
            py = TOP + plot_h - plot_h * v / ymax
            path.append((px, py))
            out.append(f'<circle class="mark" cx="{px:.1f}" cy="{py:.1f}" r="3.5" '
                       f'fill="{color}"><title>{escape(f"{xs[i]} · {n}: {fmt(v)}")}</title>'
                       "</circle>")
        if len(path) > 1:
            pts.append(path)
        for p in pts:
            d = " ".join(f"{'M' if k == 0 else 'L'}{x:.1f},{y:.1f}" for k, (x, y) in enumerate(p))
            out.append(f'<path class="mark line" d="{d}" stroke="{color}" fill="none" '
                       f'stroke-width="2"><title>{escape(n)}</title></path>')
    out.append(_legend([n for n in series if n in names]))
    return _frame(name, title, "".join(out), False)


def hbars(name: str, title: str, labels: Sequence[str],
          series: dict[str, Sequence[float]]) -> str:
    """Horizontal stacked bars, one row per label (long labels: checks, reasons)."""
    labels = list(labels)
    names = list(series)
    empty = not labels or not any(v for s in series.values() for v in s)
    row_h = 22
    height = max(80, TOP + BOTTOM + row_h * len(labels))
    if empty:
        return _frame(name, title, "", True, 80)
    left = 260
    totals = [sum(series[n][i] for n in names) for i in range(len(labels))]
    xmax = _nice_max(max(totals))
    plot_w = W - left - RIGHT
    out = []
    for i, lab in enumerate(labels):
        y = TOP + i * row_h
        out.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" class="tick">'
                   f"{escape(lab[:40])}</text>")
        x = left
        for j, n in enumerate(names):
            v = series[n][i]
            if v <= 0:
                continue
            w = max(plot_w * v / xmax, 1.0)
            out.append(f'<rect class="mark" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" '
                       f'height="{row_h - 6}" fill="{PALETTE[j % len(PALETTE)]}">'
                       f"<title>{escape(f'{lab} · {n}: {_num(v)}')}</title></rect>")
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + 15}" class="tick">'
                   f"{escape(_num(totals[i]))}</text>")
    out.append(_legend(names))
    return _frame(name, title, "".join(out), False, height)


def grid(name: str, title: str, rows: Sequence[str], cols: Sequence[str],
         values: dict[tuple[str, str], int]) -> str:
    """A count per (row, column) as shaded cells: coverage by province and year."""
    rows, cols = list(rows), list(cols)
    if not rows or not cols or not values:
        return _frame(name, title, "", True, 80)
    left, cell_h = 120, 20
    cell_w = min(48.0, (W - left - 20) / len(cols))
    height = TOP + 30 + cell_h * len(rows) + 10
    top = max(values.values())
    out = []
    for k, c in enumerate(cols):
        out.append(f'<text x="{left + k * cell_w + cell_w / 2:.1f}" y="{TOP + 14}" '
                   f'text-anchor="middle" class="tick">{escape(str(c))}</text>')
    for i, r in enumerate(rows):
        y = TOP + 24 + i * cell_h
        out.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" class="tick">'
                   f"{escape(r[:14])}</text>")
        for k, c in enumerate(cols):
            v = values.get((r, c), 0)
            if not v:
                continue
            alpha = 0.15 + 0.85 * v / top
            x = left + k * cell_w
            out.append(f'<rect class="mark" x="{x + 1:.1f}" y="{y + 1}" width="{cell_w - 2:.1f}" '
                       f'height="{cell_h - 2}" fill="{PALETTE[0]}" fill-opacity="{alpha:.2f}">'
                       f"<title>{escape(f'{r} {c}: {v} reports')}</title></rect>"
                       f'<text x="{x + cell_w / 2:.1f}" y="{y + 14}" text-anchor="middle" '
                       f'class="cell">{v}</text>')
    return _frame(name, title, "".join(out), False, height)
