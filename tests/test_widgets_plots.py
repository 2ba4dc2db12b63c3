"""The Explore helper (live and batch paths) and the figure helpers, smoke-tested on Agg."""
import matplotlib

matplotlib.use("Agg")

import ipywidgets as W
import torch

from hgutils import plots, toy, widgets


def test_explore_live_redraws_on_change(monkeypatch):
    monkeypatch.setattr(widgets, "interactive", lambda: True)
    calls = []
    w = widgets.explore(lambda a=1, b="x": calls.append((a, b)), a=W.IntSlider(value=3, min=0, max=9),
                        b=W.Dropdown(options=["x", "y"], value="x"))
    assert isinstance(w, W.interactive) and calls == [(3, "x")]
    w.children[0].value = 5                      # moving the slider calls the function again
    assert calls[-1] == (5, "x")


def test_explore_batch_draws_once_at_initial_values(monkeypatch, capsys):
    monkeypatch.setattr(widgets, "interactive", lambda: False)
    calls = []
    assert widgets.explore(lambda a=1: calls.append(a), a=W.IntSlider(value=7)) is None
    assert calls == [7]


def test_plot_helpers_draw():
    tree = toy.tree("A")
    fig, axes = plots.panels(3)
    plots.tree_density(axes[0], tree, 0.05, res=40)
    plots.samples(axes[1], tree.sample(100, generator=torch.Generator().manual_seed(0)))
    plots.score_field(axes[2], tree.score, 0.1, res=5)
    assert len(axes[0].collections) > 0 and len(axes[1].collections) == 1 and len(axes[2].collections) == 1
    traj = torch.zeros(4, 10, 2)
    plots.trajectories(axes[1], traj, n=5)
    assert len(axes[1].lines) == 5
    fig2, (ax,) = plots.figure()
    plots.metric_curve(ax, [1, 10, 100], [0.3, 0.2, 0.1], err=[0.01, 0.01, 0.01], logx=True)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "10", "100"]
    plots.plt.close("all")


def test_sample_view_draws_density_samples_and_the_metrics_title():
    t = toy.tree("A")
    r = {"outlier_rate": 0.1234, "precision": 0.9, "recall": 0.95, "branch_tv": 0.02, "leaves": 1.0}
    text = plots.guidance_text(r)
    assert text == "outliers 0.123, precision 0.900, recall 0.950\nbranch TV 0.020, leaves 1.000"
    fig = plots.sample_view(t, t.sample(50, generator=torch.Generator().manual_seed(0)), "head\n" + text)
    (ax,) = fig.axes
    assert ax.get_title() == "head\n" + text and len(ax.collections) >= 2     # contours and the scatter
    plots.plt.close(fig)
