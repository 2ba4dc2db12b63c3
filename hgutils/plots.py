"""One figure style for the whole book: sizes, colours, the tree's contours, samples,
trajectories and score fields. Views only: nothing here computes a result."""
from __future__ import annotations

import matplotlib

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text

# Colours: the main model, the guide, their ratio, ground truth and samples keep one meaning book-wide.
COLORS = {
    "main": "#1f77b4",     # blue
    "guide": "#d62728",    # red
    "ratio": "#2ca02c",    # green
    "truth": "#7f7f7f",    # grey: the data's contours
    "samples": "#222222",  # near-black dots
    "accent": "#ff7f0e",   # orange: highlights
}
CYCLE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
DPI = 72
PANEL = 3.2                     # inches per square panel
EXTENT = (-0.6, 1.9, -0.6, 1.9)  # class A's tree with a margin (x0, x1, y0, y1)
EXTENT_AB = (-1.9, 1.9, -1.9, 1.9)
# The book shows a figure at its own pixel width, or shrunk to its column: at a 1280 px window the
# column is 688 CSS px wide (the browser check verifies that no figure is shrunk below this).
BOOK_COLUMN_PX = 680
MIN_TEXT_PX = 8                  # no figure text smaller than this on the book's page

plt.rcParams.update({
    "figure.dpi": DPI, "savefig.dpi": DPI, "font.size": 9, "axes.titlesize": 9,
    "axes.labelsize": 9, "legend.fontsize": 8, "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "axes.spines.top": False, "axes.spines.right": False, "figure.constrained_layout.use": True,
})


def shown_px_per_pt(fig) -> float:
    """CSS pixels per point of font size once the book shows `fig` (shrunk to the column if wider)."""
    width_px = fig.get_figwidth() * fig.dpi
    return fig.dpi / 72 * min(1.0, BOOK_COLUMN_PX / width_px)


def enforce_min_text(fig) -> float:
    """Raise every text of `fig` (titles, labels, tick labels, legends, annotations) to at least
    MIN_TEXT_PX on the book's page; returns that minimum in points."""
    min_pt = MIN_TEXT_PX / shown_px_per_pt(fig) + 1e-9
    for ax in fig.axes:                   # tick labels are re-created at draw time: set them on the axis
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            for which, ticks in (("major", axis.get_major_ticks()), ("minor", axis.get_minor_ticks())):
                if ticks and ticks[0].label1.get_fontsize() < min_pt:
                    ax.tick_params(axis=name, which=which, labelsize=min_pt)
    for t in fig.findobj(Text):
        if t.get_text() and t.get_fontsize() < min_pt:
            t.set_fontsize(min_pt)
    return min_pt


class BookFigure(Figure):
    """The book's figure: before each draw its text is raised to the readable minimum
    (`enforce_min_text`), so a small fontsize in a chapter cannot make unreadable text."""

    def draw(self, renderer):
        enforce_min_text(self)
        return super().draw(renderer)


def panels(n: int = 1, rows: int = 1, size: float = PANEL, **kw):
    """A row (or grid) of square panels in the book's size: (fig, [axes])."""
    cols = int(np.ceil(n / rows))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False,
                             FigureClass=BookFigure, **kw)
    return fig, list(axes.ravel())[:n]


def figure(width: float = 6.4, height: float = 3.0, ncols: int = 1, nrows: int = 1, **kw):
    """A non-square figure for metric curves: (fig, [axes])."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False,
                             FigureClass=BookFigure, **kw)
    return fig, list(axes.ravel())


def plane(ax, extent=EXTENT, title=None):
    """Square data-space axes without ticks."""
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def grid(extent=EXTENT, res: int = 160):
    """Grid points [res*res, 2] and the meshgrid arrays for contouring."""
    xs = torch.linspace(extent[0], extent[1], res)
    ys = torch.linspace(extent[2], extent[3], res)
    X, Y = torch.meshgrid(xs, ys, indexing="xy")
    return torch.stack([X.ravel(), Y.ravel()], 1), X.numpy(), Y.numpy()


def density(ax, logp_fn, sigma=0.0, extent=EXTENT, res: int = 160, color=None, filled=True, levels=8):
    """Contours of a log-density log p(x; σ) given as a function of points [N, 2] → [N].

    Levels are evenly spaced in log density over the top 8 nats (filled) — the tree's look."""
    pts, X, Y = grid(extent, res)
    with torch.no_grad():
        lp = logp_fn(pts, sigma).reshape(res, res).double().numpy()
    lp = lp - lp.max()
    color = color or COLORS["truth"]
    cmap = matplotlib.colors.LinearSegmentedColormap.from_list("hg", ["#ffffff", color])
    lv = np.linspace(-8, 0, levels + 1)
    if filled:
        ax.contourf(X, Y, np.clip(lp, -8, 0), levels=lv, cmap=cmap, alpha=0.55)
    ax.contour(X, Y, lp, levels=lv[1:-1:2], colors=[color], linewidths=0.5, alpha=0.8)
    plane(ax, extent)
    return ax


def tree_density(ax, tree, sigma=0.0, extent=EXTENT, **kw):
    """The exact tree's density p(x; σ) as filled contours."""
    return density(ax, tree.logp, sigma, extent, **kw)


def samples(ax, x, color=None, size: float = 1.0, alpha: float = 0.5, extent=EXTENT, label=None):
    """A scatter of samples [N, 2]."""
    x = torch.as_tensor(x).detach().cpu().numpy()
    ax.scatter(x[:, 0], x[:, 1], s=size, c=color or COLORS["samples"], alpha=alpha, linewidths=0, label=label)
    plane(ax, extent)
    return ax


def guidance_text(r: dict) -> str:
    """The guidance metrics of one sample set (as `ToySetup.metrics` returns them), for a title."""
    return (f"outliers {r['outlier_rate']:.3f}, precision {r['precision']:.3f}, recall {r['recall']:.3f}\n"
            f"branch TV {r['branch_tv']:.3f}, leaves {r['leaves']:.3f}")


def sample_view(tree, x, title: str, size: float = 3.6, color=None, fontsize: float = 8):
    """An Explore view: one panel with the tree's density, the samples x [N, 2] on it, and a title."""
    fig, (ax,) = panels(1, size=size)
    tree_density(ax, tree)
    samples(ax, x, color=color)
    ax.set_title(title, fontsize=fontsize)
    return fig


def trajectories(ax, traj, n: int = 64, color=None, extent=EXTENT):
    """Sampling paths [steps+1, N, 2] of the first n points: lines, with the end points dotted."""
    t = torch.as_tensor(traj)[:, :n].detach().cpu().numpy()
    c = color or COLORS["main"]
    for i in range(t.shape[1]):
        ax.plot(t[:, i, 0], t[:, i, 1], color=c, lw=0.5, alpha=0.5)
    ax.scatter(t[-1, :, 0], t[-1, :, 1], s=4, c=COLORS["samples"], zorder=3, linewidths=0)
    plane(ax, extent)
    return ax


def score_field(ax, score_fn, sigma, extent=EXTENT, res: int = 17, color=None, scale=None):
    """Arrows of a score field s(x; σ) (points [N, 2] → [N, 2]) on a coarse grid, drawn as σ·s
    (the denoising displacement D − x, divided by σ) so lengths compare across σ."""
    pts, X, Y = grid(extent, res)
    s = torch.as_tensor(sigma, dtype=torch.float32)
    with torch.no_grad():
        v = (score_fn(pts, sigma) * s).reshape(res, res, 2).numpy()
    ax.quiver(X, Y, v[..., 0], v[..., 1], color=color or COLORS["main"], angles="xy", scale=scale,
              width=0.004, alpha=0.8)
    plane(ax, extent)
    return ax


def metric_curve(ax, xs, ys, err=None, label=None, color=None, marker="o", logx=False, ls="-"):
    """A metric against a parameter, with ±err as a band; a log x-axis is labelled at the xs."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    line, = ax.plot(xs, ys, marker=marker, ms=3, lw=1.2, label=label, color=color, ls=ls)
    if err is not None:
        err = np.asarray(err, float)
        ax.fill_between(xs, ys - err, ys + err, color=line.get_color(), alpha=0.2, lw=0)
    if logx:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(xs))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    return ax


def style_legend(ax, styles: dict, colors: dict, **kw):
    """One legend for two encodings: line style (e.g. oracle/network) and colour (e.g. sampler)."""
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color="k", ls=ls, label=name) for name, ls in styles.items()]
    handles += [Line2D([], [], color=c, marker="o", ms=3, label=name) for name, c in colors.items()]
    ax.legend(handles=handles, **kw)



def _tile(x, rows: int, gap: int, fill, dtype, transpose: bool = False):
    """Images x [N, H, W(, C)] on one canvas of `rows` rows, filled row by row (or column by
    column with `transpose`), `gap` pixels of `fill` between them."""
    n, h, w = x.shape[:3]
    cols = int(np.ceil(n / rows))
    canvas = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap) + x.shape[3:], fill,
                     dtype=dtype)
    for i in range(n):
        r, c = (i % rows, i // rows) if transpose else (i // cols, i % cols)
        canvas[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = x[i]
    return canvas


def image_grid(ax, x, rows: int = 1, transpose: bool = False, gap: int = 1):
    """Images x [N, 1, H, W] in [−1, 1] tiled on one axes, `rows` rows (filled row by row, or
    column by column with `transpose`), grey: −1 white, +1 black (ink on paper)."""
    x = torch.as_tensor(x).detach().float().clamp(-1, 1)[:, 0].numpy()          # [N, H, W]
    canvas = _tile(x, rows, gap, np.nan, np.float64, transpose)
    cmap = plt.get_cmap("gray_r").with_extremes(bad="#d9d9d9")
    ax.imshow(canvas, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([]), ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    return ax


METHOD_COLORS = CYCLE + ["#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]


def tradeoff(ax, curves: dict, chosen: dict, kx: str, ky: str, refs: dict | None = None):
    """One trade-off plane of the results: for each method, its candidates' means (small points
    joined in knob order) and its chosen setting (marker, ± one std); `refs` adds reference
    points ('no guidance': a black square, 'true samples': a grey star).

    curves: {method: [{metric: [values]} per candidate]}; chosen: {method: {metric: [values]}};
    kx, ky: the metrics on the axes (labels from hgutils.metrics.METRICS)."""
    from .metrics import METRICS
    from .report import mean_std
    avg = lambda r, k: mean_std(r[k])[0]
    for i, meth in enumerate(curves):
        c = METHOD_COLORS[i % len(METHOD_COLORS)]
        pts = [(avg(r, kx), avg(r, ky)) for r in curves[meth]]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], ".-", ms=4, lw=0.6, alpha=0.6,
                color=c)
        if meth in chosen:
            (mx, sx), (my, sy) = mean_std(chosen[meth][kx]), mean_std(chosen[meth][ky])
            ax.errorbar(mx, my, xerr=sx, yerr=sy, fmt="o", ms=5, color=c, label=meth)
    for name, r in (refs or {}).items():
        star = name == "true samples"
        ax.plot(avg(r, kx), avg(r, ky), "*" if star else "s", ms=8,
                color=COLORS["truth"] if star else "k", label=name)
    ax.set_xlabel(METRICS[kx][0]), ax.set_ylabel(METRICS[ky][0])
    return ax


def photo_grid(ax, images, rows: int, row_labels=(), col_labels=(), gap: int = 2):
    """Colour images [N, H, W, 3] in [0, 1], filled row by row into `rows` rows on one axes, with
    a label per row (left) and per column (below); gaps are white."""
    x = np.clip(np.asarray(images, dtype=np.float32), 0, 1)
    h, w = x.shape[1:3]
    canvas = _tile(x, rows, gap, 1.0, np.float32)
    ax.imshow(canvas, interpolation="nearest" if h < 128 else "antialiased")
    ax.set_yticks([r * (h + gap) + h / 2 for r in range(len(row_labels))], list(row_labels))
    ax.set_xticks([c * (w + gap) + w / 2 for c in range(len(col_labels))], list(col_labels))
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    return ax
