"""The runs table (hgutils.runs), the method registry (hgutils.methods) and the networks of a
training seed (hgutils.experiments.Networks)."""
import math

import numpy as np
import pytest
import torch
from scipy import stats

from hgutils import experiments, methods, plots, train
from hgutils.nets import ToyNet
from hgutils.runs import Measured, Runs, interval_text, sides, t_interval, word


class FakeNets:
    def __init__(self, seed):
        self.seed = seed


class FakeSetup:
    """evaluate() returns metric values that encode (denoiser, sampling seed): a known table."""

    def __init__(self, training_seeds):
        self.nets = [FakeNets(s) for s in training_seeds]
        self.calls = 0

    def networks(self, s):
        return FakeNets(s)

    def evaluate(self, den, seeds, n, sigmas=None):
        self.calls += 1
        return {"m": [den + 0.01 * s for s in seeds]}


def test_t_interval_is_the_textbook_one():
    v = [1.0, 2.0, 4.0]
    mu, lo, hi = t_interval(v)
    half = stats.t.ppf(0.975, 2) * np.std(v, ddof=1) / math.sqrt(3)
    assert mu == pytest.approx(7 / 3) and hi - mu == pytest.approx(half) and mu - lo == pytest.approx(half)
    with pytest.raises(ValueError, match="at least two"):
        t_interval([1.0])


def test_runs_pair_by_training_seed():
    setup = FakeSetup([0, 1, 2])
    runs = Runs(setup, 64, sampling_seeds=[0, 1])
    a = runs.run("a", lambda nets: 1.0 + nets.seed)          # differs by training seed
    runs.run("b", lambda nets: 0.5 + 2 * nets.seed)
    assert a["m"].shape == (3, 2)
    assert runs["a"]["m"] == pytest.approx([1.0, 1.01, 2.0, 2.01, 3.0, 3.01])
    assert runs.mean("a", "m") == pytest.approx(2.005)
    # a − b per training seed: 0.5, −0.5, −1.5 (the sampling seeds cancel): interval over those
    mu, lo, hi = runs.paired("a", "b", "m")
    ref = t_interval([0.5, -0.5, -1.5])
    assert (mu, lo, hi) == pytest.approx(ref)
    assert runs.unit == "training seeds"
    calls = setup.calls
    runs.run("a", lambda nets: 99.0)                          # measured already: not rerun
    assert setup.calls == calls and runs.mean("a", "m") == pytest.approx(2.005)
    assert list(runs.seed_means("a", "m")) == pytest.approx([1.005, 2.005, 3.005])


def test_runs_with_one_training_seed_pair_by_sampling_seed():
    runs = Runs(FakeSetup([0]), 64, sampling_seeds=[0, 1, 2], training_seeds=[7])
    assert runs.training_seeds == [7]
    runs.run("a", lambda nets: 1.0)
    runs.run("b", lambda nets: 0.0)
    assert runs.paired("a", "b", "m") == pytest.approx((1.0, 1.0, 1.0))
    assert "one training seed" in runs.unit


def test_runs_refuse_bad_input():
    with pytest.raises(ValueError, match="sampling_seeds"):
        Runs(FakeSetup([0]), 64, sampling_seeds=[])
    with pytest.raises(ValueError, match="training_seeds"):
        Runs(FakeSetup([0]), 64, sampling_seeds=[0], training_seeds=[])
    with pytest.raises(ValueError, match="n must"):
        Runs(FakeSetup([0]), 0, sampling_seeds=[0])


def test_sides_group_metrics_by_the_direction_that_is_better():
    d = {"outlier_rate": (-1, -2, -0.5), "recall": (-1, -2, -0.5), "leaves": (1, -1, 2),
         "precision": (0.2, 0.1, 0.3)}
    assert sides(d, ["outlier_rate", "recall", "leaves", "precision"]) == {
        "better": ["outlier_rate", "precision"], "worse": ["recall"],
        "not resolved": ["leaves"]}


def test_words_follow_the_interval():
    assert word((-1, -2, -0.1)) == "fewer" and word((1, 0.1, 2)) == "more"
    assert word((0.1, -0.1, 0.3)) == "not resolved"
    assert word((-1, -2, -0.5), "lower", "higher") == "lower"
    assert interval_text((-0.0123, -0.02, 0.001)) == "−0.012 [−0.020, +0.001]"


def test_networks_name_their_configs_by_seed():
    nets = experiments.Networks(2)
    assert nets.config("main") == train.MAIN.__class__(**{**train.MAIN.__dict__, "seed": 2})
    assert nets.config("autoguide").seed == 2 and nets.config("uncond").classes == "AB"
    ht = nets.config("heavy_tail", 10.0)
    assert ht.nu == 10.0 and ht.init == nets.config("main") and ht.seed == 2
    assert experiments.Networks(0).config("main") == train.MAIN       # seed 0: chapters 2–8
    with pytest.raises(ValueError, match="name must be one of"):
        nets.config("guide")
    with pytest.raises(ValueError, match="seed"):
        experiments.Networks(-1)


class TinyNets:
    """Untrained networks standing in for one training seed (the registry only wires them)."""

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.main, self.autoguide, self.uncond = (ToyNet(1, 8, generator=g) for _ in range(3))
        self.seed = 0

    def heavy_tail(self, nu):
        return self.autoguide


class TinySetup:
    from hgutils.samplers import karras_sigmas
    sigmas = karras_sigmas(8, 0.002, 5.0)


def test_every_registered_method_builds_a_working_denoiser():
    nets, x = TinyNets(), torch.randn(5, 2, generator=torch.Generator().manual_seed(1))
    for name, m in methods.METHODS.items():
        for v in methods.grid(name, 3):
            den = m.build(TinySetup, nets, v)
            out = den(x, 0.5)
            assert out.shape == (5, 2) and torch.isfinite(out).all(), name
            assert isinstance(m.setting(v), str) and m.extra and m.chapter, name
    sizes = {len(methods.grid(n, 4)) for n, m in methods.METHODS.items() if m.span is not None}
    assert sizes == {4}
    assert methods.grid("no guidance", 4) == [1.0]
    with pytest.raises(ValueError, match="size"):
        methods.grid("CFG", 1)


def test_tradeoff_plot_draws_methods_and_references():
    r = lambda a, b: {"recall": [a, a + 0.01], "outlier_rate": [b, b]}
    fig, (ax,) = plots.figure(4, 3)
    plots.tradeoff(ax, {"A": [r(0.9, 0.1), r(0.8, 0.05)], "B": [r(0.95, 0.2)]},
                   {"A": r(0.85, 0.07)}, "recall", "outlier_rate",
                   refs={"no guidance": r(0.96, 0.1), "true samples": r(0.97, 0.01)})
    labels = ax.get_legend_handles_labels()[1]
    assert sorted(labels) == ["A", "no guidance", "true samples"]
    assert ax.get_xlabel() == "recall" and ax.get_ylabel() == "outliers"


def test_toy_setup_refuses_bad_training_seeds():
    """Checked before any network is loaded or trained."""
    for bad in ([], [0, 0], [-1]):
        with pytest.raises(ValueError, match="training_seeds"):
            experiments.ToySetup(n_reference=64, training_seeds=bad)


def test_given_rows_are_copied_not_sampled_again():
    setup = FakeSetup([0, 1, 2])
    runs = Runs(setup, 64, sampling_seeds=[0, 1])
    fresh = Runs(FakeSetup([0, 1, 2]), 64, sampling_seeds=[0, 1])
    build = lambda nets: 1.0 + nets.seed
    a = runs.run("a", build, given={0: Measured({"m": [1.0, 1.01]}, 64, [0, 1])})
    assert setup.calls == 2 and runs.copied["a"] == [0]       # seeds 1 and 2 only
    assert a["m"] == pytest.approx(fresh.run("a", build)["m"])
    with pytest.raises(ValueError, match="training seeds \\[5\\]"):
        runs.run("b", build, given={5: Measured({"m": [0.0, 0.0]}, 64, [0, 1])})
    with pytest.raises(ValueError, match="one value per sampling seed"):
        Measured({"m": [0.0]}, 64, [0, 1])
    with pytest.raises(TypeError, match="given\\[0\\] must be a runs.Measured"):
        runs.run("c", build, given={0: {"m": [0.0, 0.0]}})
    with pytest.raises(ValueError, match="missing from some"):
        runs.run("d", build, given={0: Measured({"m": [0, 0], "extra": [1, 1]}, 64, [0, 1])})
    assert "b" not in runs and "c" not in runs and "d" not in runs


def test_given_rows_are_copied_only_when_they_are_runs_of_the_table():
    """Other n, other σ grid or a sampling seed they lack: sampled again; a superset of
    the table's sampling seeds: the table's picked out by seed."""
    setup = FakeSetup([0, 1])
    runs = Runs(setup, 64, sampling_seeds=[2, 0])
    build = lambda nets: 1.0 + nets.seed
    rows = Measured({"m": [1.0, 1.01, 1.02]}, 64, [0, 1, 2])
    assert runs.run("a", build, given={0: rows})["m"][0] == pytest.approx([1.02, 1.0])
    assert setup.calls == 1 and runs.copied["a"] == [0]
    for other in (Measured(rows, 128, [0, 1, 2]), Measured({"m": [1.0]}, 64, [0]),
                  Measured(rows, 64, [0, 1, 2], sigmas=[5.0, 0.002]), None):
        key = f"b{setup.calls}"
        runs.run(key, build, given={0: other})
        assert runs.copied[key] == []
    assert setup.calls == 9                      # 1 + 4 settings × 2 training seeds
    grid = Measured(rows, 64, [0, 1, 2], sigmas=torch.tensor([5.0, 0.002]))
    runs.run("c", build, sigmas=torch.tensor([5.0, 0.002]), given={0: grid})
    assert runs.copied["c"] == [0]


def test_a_chapters_seed_0_runs_equal_the_runs_table_rows(monkeypatch):
    """Chapters sample with `ToySetup.sample` and measure with `ToySetup.metrics`; rows built
    that way may be passed as `given` because they equal what `Runs` would measure."""
    g = torch.Generator().manual_seed(0)
    monkeypatch.setattr(train, "load_or_train", lambda cfg: ToyNet(1, 8, generator=g))
    S = experiments.ToySetup(n_reference=256, steps=6, training_seeds=(0, 1))
    den = lambda nets: nets.main.denoise
    seeds = [3, 4]
    rows = {"extra": [1.0, 2.0]}              # a chapter's own numbers are not copied
    for s in seeds:
        for k, v in S.metrics(S.sample(den(S.nets[0]), 64, s)).items():
            rows.setdefault(k, []).append(v)
    copy = Runs(S, 64, sampling_seeds=seeds)
    copied = copy.run("x", den, given={0: Measured(rows, 64, seeds)})
    fresh = Runs(S, 64, sampling_seeds=seeds).run("x", den)
    assert copy.copied["x"] == [0] and copied.keys() == fresh.keys()
    assert set(fresh) == set(S.metric_names)
    evaluated = S.evaluate(den(S.nets[0]), seeds=seeds, n=64)
    assert evaluated.n == 64 and evaluated.seeds == seeds
    assert evaluated == {k: copied[k][0].tolist() for k in fresh}
    for k in fresh:
        np.testing.assert_array_equal(copied[k], fresh[k], err_msg=k)
