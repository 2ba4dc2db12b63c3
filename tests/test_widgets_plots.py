"""The Explore helper (live and batch paths) and the figure helpers, smoke-tested on Agg."""
import matplotlib

matplotlib.use("Agg")

import ipywidgets as W
import pytest
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


def test_explore_batch_draws_one_frame_per_value(monkeypatch, capsys):
    monkeypatch.setattr(widgets, "interactive", lambda: False)
    calls = []
    assert widgets.explore(lambda a=1: calls.append(a), a=W.IntSlider(value=7)) is None
    assert calls == [0, 7, 25, 50, 75, 100]                     # one frame per value of the static player


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


def test_book_figures_raise_small_text_to_the_readable_minimum():
    """A wide figure is shrunk to the book's column: its text, even at fontsize 6, ends ≥ 8 px there."""
    fig, axes = plots.figure(11.0, 3.0, ncols=2)
    axes[0].plot([0, 1], [0, 1], label="a line")
    axes[0].legend(fontsize=6)
    axes[0].set_title("small title", fontsize=5)
    axes[1].annotate("note", (0.5, 0.5), fontsize=6)
    axes[1].tick_params(labelsize=4)
    fig.canvas.draw()
    scale = plots.shown_px_per_pt(fig)
    assert scale < 1                                            # 11 in at 72 dpi is wider than the column
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
    texts += [t.label1 for ax in axes for t in ax.xaxis.get_major_ticks() + ax.yaxis.get_major_ticks()]
    assert len(texts) > 10
    assert min(t.get_fontsize() * scale for t in texts) >= plots.MIN_TEXT_PX - 1e-6
    plots.plt.close(fig)
    fig, (ax,) = plots.panels(1)                                # narrower than the column: not shrunk
    assert plots.shown_px_per_pt(fig) == plots.DPI / 72
    plots.plt.close(fig)


def test_explore_batch_shows_a_player_over_the_first_control(monkeypatch):
    shown = []
    monkeypatch.setattr(widgets, "interactive", lambda: False)
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))

    def view(w=2.0, mode="a"):
        fig, (ax,) = plots.panels(1, size=1.0)
        ax.set_title(f"w = {w}, {mode}")
        print(f"printed {w}")

    assert widgets.explore(view, w=W.FloatSlider(value=2.0, min=1.0, max=3.0, step=0.5),
                           mode=W.Dropdown(options=["a", "b"], value="a")) is None
    (out,) = shown
    page = out.data
    assert page.count('class="hg-player-frame"') == 5             # 1, 1.5, 2, 2.5, 3 (2 is the initial value)
    assert page.count(" hidden>") == 4 and 'value="2"' in page    # the initial frame is the visible one
    assert page.count("data:image/png;base64,") == 5 and "printed 2.5" in page
    assert 'class="hg-player-slider"' in page and "<script>" in page and "mode = a" in page
    assert not plots.plt.get_fignums()                           # every frame's figure closed
    assert widgets.frame_values(W.Dropdown(options=["x", "y"])) == ["x", "y"]
    pairs = W.Dropdown(options=[("shown name", "key"), ("other", "k2")], value="key")
    assert widgets.frame_values(pairs) == ["key", "k2"] and widgets.shown(pairs, "key") == "shown name"
    assert widgets.shown(W.FloatSlider(), 1.5) == "1.5"
    assert widgets.frame_values(W.IntSlider(value=3, min=1, max=9)) == [1, 3, 5, 7, 9]
    with pytest.raises(ValueError, match="static must name one of the controls"):
        widgets.explore(view, static=("k", [1]), w=W.FloatSlider())
