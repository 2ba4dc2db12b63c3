"""hgutils.guidance: the guided denoiser's algebra, the schedules, bad input; and the guidance metrics."""
import math

import pytest
import torch

from hgutils import guidance, metrics, samplers, toy
from hgutils.guidance import GuidedDenoiser, schedule
from hgutils.nets import ToyNet

from helpers import random_toynet

torch.manual_seed(0)


class Gauss:
    """Exact score and denoiser of N(m, s²I) smoothed to σ: a model with closed forms."""

    def __init__(self, m, s):
        self.m, self.s = torch.tensor(m), s

    def score(self, x, sigma):
        sig = torch.as_tensor(sigma, dtype=x.dtype)
        sig = sig[:, None] if sig.ndim == 1 else sig
        return -(x - self.m) / (self.s ** 2 + sig ** 2)

    def __call__(self, x, sigma):            # the denoiser
        sig = torch.as_tensor(sigma, dtype=x.dtype)
        sig = sig[:, None] if sig.ndim == 1 else sig
        return x + sig ** 2 * self.score(x, sigma)


X = torch.randn(64, 2)
MAIN, GUIDE = Gauss([0.3, -0.2], 0.5), Gauss([0.0, 0.4], 0.9)


@pytest.mark.parametrize("sigma", [0.01, 0.3, 2.0])
def test_gamma_zero_returns_main(sigma):
    g = GuidedDenoiser(MAIN, GUIDE, 1.0)
    assert torch.allclose(g(X, sigma), MAIN(X, sigma), atol=1e-6)


@pytest.mark.parametrize("w", [0.0, 0.5, 3.0, 7.0])
def test_guide_equal_main_returns_main(w):
    g = GuidedDenoiser(MAIN, MAIN, w)
    assert torch.allclose(g(X, 0.4), MAIN(X, 0.4), atol=1e-6)


def test_formula_and_score_space_equals_denoiser_space_at_equal_sigma():
    w, sigma = 3.5, 0.7
    g = GuidedDenoiser(MAIN, GUIDE, w)
    d_main, d_guide = MAIN(X, sigma), GUIDE(X, sigma)
    assert torch.allclose(g(X, sigma), d_main + (w - 1) * (d_main - d_guide), atol=1e-5)
    s = MAIN.score(X, sigma) + (w - 1) * (MAIN.score(X, sigma) - GUIDE.score(X, sigma))
    assert torch.allclose(g.score(X, sigma), s, atol=1e-5)


def test_score_space_differs_from_denoiser_space_when_guide_sigma_differs():
    """With σ_g = kσ the denoiser-space blend adds γ(σ² − σ_g²)·s_guide (see the module docstring)."""
    w, sigma, k = 3.0, 0.5, 1.3
    g = GuidedDenoiser(MAIN, MAIN, w, guide_scale=k)
    d_main, d_guide = MAIN(X, sigma), MAIN(X, k * sigma)
    blend = d_main + (w - 1) * (d_main - d_guide)
    extra = (w - 1) * (sigma ** 2 - (k * sigma) ** 2) * MAIN.score(X, k * sigma)
    assert torch.allclose(g(X, sigma), blend - extra, atol=1e-5)
    assert not torch.allclose(g(X, sigma), blend, atol=1e-3)


def test_sigma_scaling_k1_is_no_guidance_and_samples_match_exactly():
    net = random_toynet(2, 16)
    sig = samplers.karras_sigmas(8)
    x0 = torch.randn(128, 2, generator=torch.Generator().manual_seed(1)) * 5
    plain = samplers.heun(net.denoise, x0, sig)
    scaled = samplers.heun(guidance.sigma_scaling(net, 1.0, w=3.0), x0, sig)
    assert torch.equal(plain, scaled)


def test_guided_ode_on_gaussians_matches_its_closed_form():
    """For N(0, s₁²) and N(0, s₀²) the guided ODE dx/dσ = −σ·s(x; σ) is linear and solvable:
    x(0) = x(σ_max)·(s₁²/(s₁²+σ_max²))^{w/2}·((s₀²+σ_max²)/s₀²)^{(w−1)/2}. (Its end distribution is
    not the tilted density p₁(p₁/p₀)^γ at σ = 0: guidance tilts every noise level, not the data.)"""
    s1, s0, w, smax = 0.5, 1.0, 2.0, 20.0
    g = GuidedDenoiser(Gauss([0.0, 0.0], s1), Gauss([0.0, 0.0], s0), w)
    sig = samplers.karras_sigmas(128, 0.002, smax)
    x0 = torch.randn(256, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * smax
    x = samplers.heun(g, x0.float(), sig)
    factor = (s1 ** 2 / (s1 ** 2 + smax ** 2)) ** (w / 2) * ((s0 ** 2 + smax ** 2) / s0 ** 2) ** ((w - 1) / 2)
    # the grid stops at σ_min = 0.002 and jumps to 0 with one Euler step: a tiny, known deviation
    assert torch.allclose(x.double(), x0 * factor, rtol=2e-3, atol=1e-4)
    tilted_std = (w / s1 ** 2 - (w - 1) / s0 ** 2) ** -0.5
    assert abs(factor * smax - tilted_std) > 0.1


def test_schedules_endpoints_monotone_and_means():
    sig = samplers.karras_sigmas(32)
    for w_mean in (2.0, 3.0, 4.5):
        const = schedule("constant", w_mean).weights(sig)
        assert const == [w_mean] * 32
        for name in ("linear", "cosine"):
            ws = schedule(name, w_mean).weights(sig)
            assert ws[0] == pytest.approx(1.0)                                 # no guidance at the start
            assert all(b >= a - 1e-12 for a, b in zip(ws, ws[1:]))             # increasing
            assert sum(ws) / len(ws) == pytest.approx(w_mean, abs=1e-9)        # mean weight = constant's
            assert ws[-1] == pytest.approx(2 * w_mean - 1)
        seed = schedule("presentation_cosine", 2 * w_mean - 1).weights(sig)
        assert seed[0] == pytest.approx(1.0) and seed[-1] == pytest.approx(2 * w_mean - 1)
        assert sum(seed) / 32 == pytest.approx(w_mean, abs=1e-9)


def test_interval_and_removed():
    inside = schedule("interval", 4.0, 0.1, 1.0)
    assert [inside(0, s) for s in (0.05, 0.1, 0.5, 1.0, 2.0)] == [1.0, 1.0, 4.0, 4.0, 1.0]
    removed = schedule("removed", 4.0, 0.1, 1.0)
    assert [removed(0, s) for s in (0.05, 0.1, 0.5, 1.0, 2.0)] == [4.0, 4.0, 1.0, 1.0, 4.0]


def test_progress_follows_the_grid():
    sig = samplers.karras_sigmas(32)
    g = GuidedDenoiser(MAIN, GUIDE, schedule("linear", 3.0), sigmas=sig)
    ps = [g.progress(float(s)) for s in sig[:-1]]
    assert ps == pytest.approx([i / 31 for i in range(32)], abs=1e-9)
    mid = math.sqrt(float(sig[3]) * float(sig[4]))
    assert 3 / 31 < g.progress(mid) < 4 / 31
    assert g.weight(float(sig[0])) == pytest.approx(1.0)


def test_skips_the_guide_when_gamma_is_zero():
    calls = []

    class Counting(Gauss):
        def score(self, x, sigma):
            calls.append(sigma)
            return super().score(x, sigma)

    sig = samplers.karras_sigmas(8)
    g = GuidedDenoiser(MAIN, Counting([0, 0], 1.0), schedule("interval", 3.0, 0.3, 2.0), sigmas=sig)
    calls.clear()
    samplers.euler(g, torch.randn(4, 2), sig)
    inside = [float(s) for s in sig[:-1] if 0.3 < float(s) <= 2.0]
    assert inside and [float(c) for c in calls] == inside


@pytest.mark.parametrize("make, match", [
    (lambda: schedule("bogus", 3.0), "schedule must be one of"),
    (lambda: schedule("interval", 3.0, 1.0, 0.5), "sigma_lo must be < sigma_hi"),
    (lambda: schedule("interval", 3.0, 1.0, 1.0), "sigma_lo must be < sigma_hi"),
    (lambda: GuidedDenoiser(MAIN, GUIDE, float("nan")), "w must be a finite number"),
    (lambda: GuidedDenoiser(MAIN, GUIDE, -1.0), "w must be a finite number >= 0"),
    (lambda: schedule("linear", float("nan")), "w_mean must be a finite number"),
    (lambda: GuidedDenoiser(MAIN, GUIDE, schedule("cosine", 3.0)), "sigmas"),
    (lambda: GuidedDenoiser(MAIN, GUIDE, 2.0, guide_scale=0), "guide_scale"),
    (lambda: GuidedDenoiser(MAIN, object(), 2.0), "guide must have a score"),
])
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_guide_with_another_input_shape_is_refused():
    class ThreeD:
        def score(self, x, sigma):
            return x @ torch.ones(3, 3)                                         # needs [N, 3]

    g = GuidedDenoiser(MAIN, ThreeD(), 2.0)          # no probe call at construction
    with pytest.raises(ValueError, match="guide failed on an input of shape"):
        g.score(torch.zeros(4, 2), 1.0)


def test_construction_calls_no_model_and_combine_is_the_rule():
    calls = []

    class Counting:
        def score(self, x, sigma):
            calls.append(len(x))
            return -x

    g = GuidedDenoiser(Counting(), Counting(), 3.0)
    assert calls == []
    x = torch.ones(5, 2)
    assert torch.equal(g.score(x, 1.0), -x) and calls == [5, 5]

    class Away(GuidedDenoiser):
        def combine(self, s_main, s_guide, gamma):
            return s_guide

    assert torch.equal(Away(MAIN, Counting(), 3.0).score(x, 1.0), -x)


def test_guide_on_another_device_is_refused():
    main = ToyNet(2, 8, generator=torch.Generator().manual_seed(0))
    guide = ToyNet(2, 8, generator=torch.Generator().manual_seed(1)).to("meta")
    with pytest.raises(ValueError, match="guide is on device meta"):
        GuidedDenoiser(main, guide, 2.0)


# ---------------------------------------------------------------------------- guidance metrics

@pytest.fixture(scope="module")
def true_a():
    t = toy.tree("A")
    return t, t.sample(4096, generator=torch.Generator().manual_seed(11)), t.sample(4096, generator=torch.Generator().manual_seed(12))


def test_true_samples_score_like_true_samples(true_a):
    t, ref, x = true_a
    pr = metrics.precision_recall(x, ref)
    assert pr["precision"] > 0.95 and pr["recall"] > 0.95
    assert metrics.outlier_rate(x, t, ref) == pytest.approx(0.01, abs=0.006)
    cov = metrics.branch_coverage(x, t, depth=3)
    assert cov["tv"] < 0.05 and cov["leaves"] > 0.9
    assert metrics.class_leakage(x, toy.tree("AB")) < 0.02


def test_class_b_samples_leak_and_collapse_is_detected(true_a):
    t, ref, x = true_a
    xb = toy.tree("B").sample(2000, generator=torch.Generator().manual_seed(3))
    assert metrics.class_leakage(xb, toy.tree("AB")) > 0.97
    leaf = int(torch.nonzero(t.branch_depth()[t.branch_of] == 6)[0])          # a component of a leaf branch
    collapsed = t.mu[leaf].float().repeat(2000, 1) + 0.001 * torch.randn(2000, 2)   # every sample on one spot
    pr = metrics.precision_recall(collapsed, ref)
    assert pr["precision"] > 0.9 and pr["recall"] < 0.05
    cov = metrics.branch_coverage(collapsed, t, depth=3)
    assert cov["tv"] > 0.8 and cov["leaves"] <= 2 / 64 + 1e-9


def test_branch_tv_bins_match_true_masses(true_a):
    t, _, _ = true_a
    # depth 0: one bin (the whole tree) and an empty "shallower" bin: TV of anything on the tree is 0
    assert metrics.branch_coverage(t.sample(500, generator=torch.Generator().manual_seed(5)), t, depth=0)["tv"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="depth"):
        metrics.branch_coverage(t.mu[:10].float(), t, depth=7)


def test_presentation_cosine_in_both_readings():
    """w_t = ½·w_max·(1 + cos πt/T), t from T down to 0: the default reading rises from w = 1, the
    literal one is the formula itself (w = 0 at the first step, w = 1 where cos πt/T = 2/w_max − 1)."""
    import math

    from hgutils.guidance import PresentationCosine
    wm = 3.0
    std, lit = PresentationCosine(wm), PresentationCosine(wm, literal=True)
    for p in (0.0, 0.3, 0.5, 1.0):
        t_over_T = 1 - p
        assert lit(p, 1.0) == pytest.approx(0.5 * wm * (1 + math.cos(math.pi * t_over_T)))
        assert std(p, 1.0) - 1 == pytest.approx(0.5 * (wm - 1) * (1 + math.cos(math.pi * t_over_T)))
    assert lit(0.0, 1.0) == 0.0 and std(0.0, 1.0) == 1.0 and lit(1.0, 1.0) == std(1.0, 1.0) == wm
    p1 = 1 - math.acos(2 / wm - 1) / math.pi                # where the literal reading reaches w = 1
    assert lit(p1, 1.0) == pytest.approx(1.0)
    assert "literal=True" in repr(lit) and "literal" not in repr(std)
    with pytest.raises(ValueError, match="literal must be True or False"):
        PresentationCosine(wm, literal="yes")
