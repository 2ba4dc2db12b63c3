"""hgutils.toy: the tree's construction and its exact ground truth (log p, score, denoiser, sampling)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hgutils import toy

from helpers import F64, grid_points, mixture_moments, spec_mixture, spec_tree, tan_grid


def _rand_points(n, seed, lo=-2.5, hi=3.0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 2, generator=g, dtype=F64) * (hi - lo) + lo


def _rand_sigmas(n, seed, zero_every=10):
    """Per-point σ, log-uniform in [1e-3, 3], with every `zero_every`-th one exactly 0."""
    g = torch.Generator().manual_seed(seed)
    s = 1e-3 * torch.exp(torch.rand(n, generator=g, dtype=F64) * math.log(3e3))
    s[::zero_every] = 0.0
    return s


def _score_unit(tree, sigma):
    """The natural score scale 1/√(smallest component variance + σ²), per point."""
    return 1 / torch.sqrt(tree.L.min() + sigma ** 2)


# ---------------------------------------------------------------------------- construction

@pytest.mark.parametrize("classes, branches, components", [("A", 127, 1016), ("B", 127, 1016), ("AB", 254, 2032)])
def test_sizes(classes, branches, components):
    t = toy.tree(classes)
    assert len(t.branches) == branches
    assert t.n_components == components
    assert t.mu.shape == (components, 2) and t.cov.shape == (components, 2, 2) and t.log_phi.shape == (components,)
    assert t.branch_depth().bincount().tolist() == [len(classes) * 2 ** d for d in range(7)]


@pytest.mark.parametrize("classes", ["A", "B", "AB"])
def test_weights_normalised(classes):
    assert abs(float(torch.logsumexp(toy.tree(classes).log_phi, 0))) < 1e-12


def test_first_branch_of_A():
    b = toy.tree("A").branches[0]
    n0 = np.random.RandomState(2).randn()
    assert np.allclose(b.pos, toy.ORIGIN, rtol=0, atol=0)
    assert b.pos == (0.0030, 0.0325)
    assert b.angle == pytest.approx(math.pi / 4, abs=1e-15)
    assert b.depth == 0 and b.parent == -1 and b.cls == "A"
    assert b.length == pytest.approx(0.292 * (1 + 0.2 * n0), rel=1e-14)


def test_class_B_is_built_after_A():
    """B's root branch uses the draw after all of A's: 381 = 1 + 2·(1 + draws of a depth-1 subtree)…"""
    _, draws, root_draw = spec_tree()
    per_subtree = [0] * 8                       # draws consumed by a subtree rooted at depth d (d = 7: none)
    for d in range(6, -1, -1):
        per_subtree[d] = 1 + 2 * (1 + per_subtree[d + 1])
    assert root_draw["B"] == per_subtree[0] == 381
    assert len(draws) == 2 * 381
    b = toy.tree("B").branches[0]
    assert b.cls == "B" and b.depth == 0 and b.angle == pytest.approx(5 * math.pi / 4, abs=1e-15)
    assert b.pos == (0.0030, 0.0325)
    n = np.random.RandomState(2).randn(382)[381]
    assert b.length == pytest.approx(0.292 * (1 + 0.2 * n), rel=1e-14)
    # the same branch in the "AB" tree is B's first
    ab = toy.tree("AB")
    assert ab.branches[127].cls == "B" and ab.branches[127].length == b.length


@pytest.mark.parametrize("classes", ["A", "B", "AB"])
def test_tree_matches_independent_construction(classes):
    mu, cov, log_phi = spec_mixture(classes)
    t = toy.tree(classes)
    np.testing.assert_allclose(t.mu.numpy(), mu, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t.cov.numpy(), cov, rtol=1e-10, atol=1e-18)
    np.testing.assert_allclose(t.log_phi.numpy(), log_phi, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- the Gaussian oracle

@pytest.mark.parametrize("classes", ["A", "AB"])
def test_oracle_matches_dense_float64(classes):
    t = toy.tree(classes)
    x, s = _rand_points(400, 1), _rand_sigmas(400, 2)
    lp_d, sc_d = toy.dense_logp_and_score(t, x, s)
    lp, sc = t.logp_and_score(x, s)
    assert lp.dtype == sc.dtype == F64
    assert ((lp - lp_d).abs() <= 1e-10 * lp_d.abs().clamp(min=1)).all()
    err = (sc - sc_d).norm(dim=1)
    assert (err <= 1e-10 * torch.maximum(sc_d.norm(dim=1), _score_unit(t, s))).all()
    # the one-output entry points agree with the joint one
    assert torch.equal(t.logp(x, s), lp)
    assert torch.allclose(t.score(x, s), sc, rtol=1e-13, atol=0)


@pytest.mark.parametrize("classes", ["A", "AB"])
def test_oracle_float32_matches_dense_float64(classes):
    t = toy.tree(classes)
    x, s = _rand_points(400, 3), _rand_sigmas(400, 4)
    lp_d, sc_d = toy.dense_logp_and_score(t, x, s)
    lp, sc = t.logp_and_score(x.float(), s.float())
    assert lp.dtype == sc.dtype == torch.float32
    assert torch.isfinite(lp).all() and torch.isfinite(sc).all()
    assert ((lp.double() - lp_d).abs() <= 1e-4 * lp_d.abs().clamp(min=1)).all()
    err = (sc.double() - sc_d).norm(dim=1)
    assert (err <= 1e-4 * torch.maximum(sc_d.norm(dim=1), _score_unit(t, s))).all()


@pytest.mark.parametrize("nu", [math.inf, 3.0])
@pytest.mark.parametrize("sigma", [0.0, 0.01, 0.3])
def test_score_is_gradient_of_logp(sigma, nu):
    t = toy.tree("AB")
    x = _rand_points(64, 5, -1.5, 2.0).requires_grad_(True)
    lp = t.logp(x, sigma, nu=nu)
    (g,) = torch.autograd.grad(lp.sum(), x)
    sc = t.score(x.detach(), sigma, nu=nu)
    err = (sc - g).norm(dim=1)
    assert (err <= 1e-9 * torch.maximum(g.norm(dim=1), torch.ones(()))).all()


@pytest.mark.parametrize("classes", ["A", "AB"])
@pytest.mark.parametrize("sigma", [0.05, 0.3])
def test_density_integrates_to_one(classes, sigma):
    """Midpoint rule with h = σ/1.5: every smoothed component has sd ≥ σ, so the lattice
    sum equals the integral up to ~exp(−2π²σ²/h²) ≈ e⁻⁴⁴ (plus the box's tails)."""
    t = toy.tree(classes)
    h = sigma / 1.5
    x = grid_points(-2.2 - 6 * sigma, 2.2 + 6 * sigma, h)
    mass = float(t.logp(x, sigma).exp().sum() * h * h)
    assert mass == pytest.approx(1.0, abs=1e-7)


def _naive_logp_and_score(t, x, sigma):
    """The textbook formulas without log-sum-exp: p = Σ φ N(x; μ, C), s = −Σ w C⁻¹(x−μ) / Σ w."""
    C = t.cov[None] + sigma ** 2 * torch.eye(2, dtype=F64)
    Cinv = torch.linalg.inv(C)
    d = x[:, None, :] - t.mu[None]
    z = torch.einsum("nkij,nkj->nki", Cinv, d)
    quad = torch.einsum("nki,nki->nk", d, z)
    w = t.log_phi.exp() * torch.exp(-0.5 * quad) / (2 * math.pi * torch.linalg.det(C).sqrt())
    p = w.sum(1)
    return p.log(), -(w[:, :, None] * z).sum(1) / p[:, None]


def test_log_space_needed_at_small_sigma():
    t, sigma = toy.tree("AB"), 0.002
    x = grid_points(-3.0, 3.0, 0.05)                                   # 120² points over [−3, 3]²
    lp, sc = t.logp_and_score(x, sigma)
    assert torch.isfinite(lp).all() and torch.isfinite(sc).all()
    assert float(lp.min()) < -1e4                                      # far off the tree: exp(log p) underflows
    # float32, the dtype the samplers and networks use, is finite too
    lp32, sc32 = t.logp_and_score(x.float(), sigma)
    assert torch.isfinite(lp32).all() and torch.isfinite(sc32).all()
    # the naive formulas break down there: p underflows to 0, the score is 0/0
    sub = x[::17]
    lp_naive, sc_naive = _naive_logp_and_score(t, sub, sigma)
    broken = torch.isnan(sc_naive).any(1)
    assert broken.float().mean() > 0.5
    assert torch.isneginf(lp_naive[broken]).all()
    # while the log-space oracle is right there (checked against the dense log-sum-exp version)
    pts = sub[broken][:150]
    lp_d, sc_d = toy.dense_logp_and_score(t, pts, sigma)
    lp_o, sc_o = t.logp_and_score(pts, sigma)
    assert ((lp_o - lp_d).abs() <= 1e-10 * lp_d.abs()).all()
    assert ((sc_o - sc_d).norm(dim=1) <= 1e-10 * sc_d.norm(dim=1)).all()


@pytest.mark.parametrize("sigma", [0.05, 0.3])
def test_denoise_is_posterior_mean(sigma):
    """D(x; σ) = E[y | x] by self-normalised importance sampling with y ~ p_data."""
    t = toy.tree("A")
    g = torch.Generator().manual_seed(11)
    y = t.sample(200_000, generator=g).double()
    x = t.sample(4, sigma, generator=g).double()                      # typical points at this σ
    x = torch.cat([x, torch.tensor([[0.5, 0.9]], dtype=F64)])
    D = t.denoise(x, sigma)
    for xi, Di in zip(x, D):
        logw = -((y - xi) ** 2).sum(1) / (2 * sigma ** 2)
        w = torch.softmax(logw, 0)
        est = (w[:, None] * y).sum(0)
        se = ((w ** 2)[:, None] * (y - est) ** 2).sum(0).sqrt()      # delta-method standard error
        assert 1 / float((w ** 2).sum()) > 200                         # enough effective samples
        assert ((Di - est).abs() <= 5 * se + 1e-6).all(), (xi, Di, est, se)


def test_denoise_is_tweedie():
    t = toy.tree("AB")
    x, s = _rand_points(50, 6), _rand_sigmas(50, 7, zero_every=1000)
    assert torch.allclose(t.denoise(x, s), x + (s ** 2)[:, None] * t.score(x, s), rtol=1e-14, atol=1e-14)


def test_branch_logp_sums_to_logp():
    for classes in ("A", "AB"):
        t = toy.tree(classes)
        x = _rand_points(200, 8)
        for sigma in (0.0, 0.02, 0.5):
            bl = t.branch_logp(x, sigma)
            assert bl.shape == (200, len(t.branches))
            assert torch.allclose(torch.logsumexp(bl, 1), t.logp(x, sigma), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------- Student-t noise

def test_student_t_large_nu_is_gaussian():
    """T_ν → N as ν → ∞, with an O(1/ν) difference: 100× larger ν, 100× smaller gap."""
    t = toy.tree("A")
    x = grid_points(-0.3, 1.8, 0.15)
    for sigma in (0.3, 1.0):
        lg, sg = t.logp_and_score(x, sigma)
        gaps = []
        for nu in (1e4, 1e6):
            lt, st = t.logp_and_score(x, sigma, nu=nu)
            gl = float(((lt - lg).abs() / lg.abs().clamp(min=1)).max())
            gs = float(((st - sg).norm(dim=1) / (sg.norm(dim=1) + 1 / sigma)).max())
            gaps.append((gl, gs))
        assert gaps[0][0] < 1e-3 and gaps[0][1] < 2e-3
        assert gaps[1][0] < 1e-5 and gaps[1][1] < 2e-5
        assert 30 < gaps[0][0] / gaps[1][0] < 300


@pytest.mark.parametrize("nu", [3.0, 5.0])
def test_student_t_integrates_to_one(nu):
    t = toy.tree("A")
    x, w = tan_grid(56, center=(0.6, 0.6))
    mass = float((t.logp(x, 0.3, nu=nu).exp() * w).sum())
    assert mass == pytest.approx(1.0, abs=1e-4)


def _mc_logp_t(t, x, sigma, nu, n, seed):
    """log E_κ[p(x; σ/√κ)], κ ~ Gamma(ν/2, rate ν/2), by Monte Carlo: (estimate, standard error of it)."""
    kappa = torch.from_numpy(np.random.RandomState(seed).gamma(nu / 2, 2 / nu, size=n))
    lp = t.logp(x.expand(n, 2).contiguous(), sigma / kappa.sqrt())
    m = lp.max()
    w = (lp - m).exp()
    return float(m + w.mean().log()), float(w.std() / w.mean() / math.sqrt(n))


@pytest.mark.parametrize("nu, sigma", [(3.0, 0.3), (3.0, 0.05), (1.0, 0.3), (1.0, 0.05)])
def test_student_t_logp_matches_monte_carlo(nu, sigma):
    """The t-smoothed density is a Gaussian scale mixture; check the oracle's κ-quadrature against
    plain Monte Carlo over κ, near the tree and a little off it (within 1.2 of the tree)."""
    t = toy.tree("A")
    pts = torch.tensor([[0.3, 0.3], [0.8, 1.0], [1.5, 0.2], [-0.5, -0.5]], dtype=F64)
    oracle = t.logp(pts, sigma, nu=nu)
    bad = []
    for i, p in enumerate(pts):
        est, se = _mc_logp_t(t, p[None], sigma, nu, 40_000, seed=i)
        if abs(float(oracle[i]) - est) > 5 * se + 5e-3:
            bad.append(f"x={p.tolist()}: oracle {float(oracle[i]):.4f}, Monte Carlo {est:.4f} ± {se:.4f}")
    assert not bad, "; ".join(bad)


def _lower_bound_logp_t(t, x, sigma, nu, n=600):
    """A deterministic lower bound on log p_ν(x; σ) = log ∫ p(x; σ/√κ) dF(κ), F the Gamma(ν/2, rate ν/2) CDF:
    Σ_j [F(κ_{j+1}) − F(κ_j)]·min(f(κ_j), f(κ_{j+1})) over a fine log-spaced κ grid (f is smooth,
    so on each small cell it is monotone and the smaller end value is its minimum there)."""
    from scipy.special import gammainc
    kappa = torch.logspace(-7, 3, n, dtype=F64)
    F = torch.from_numpy(gammainc(nu / 2, (kappa * nu / 2).numpy()))
    lf = t.logp(x.expand(n, 2).contiguous(), sigma / kappa.sqrt())
    lo = torch.minimum(lf[:-1], lf[1:])
    return float(torch.logsumexp(lo + (F[1:] - F[:-1]).log(), 0))


@pytest.mark.parametrize("nu, sigma, point", [
    (3.0, 0.3, (0.8, 1.0)), (3.0, 0.3, (1.5, 0.2)),                      # near the tree
    (3.0, 0.05, (1.5, 0.2)), (3.0, 0.05, (-0.5, -0.5)), (3.0, 0.05, (2.5, 2.5)),
    (1.0, 0.3, (1.5, 0.2)), (1.0, 0.05, (-0.5, -0.5)),
])
def test_student_t_logp_above_lower_bound(nu, sigma, point):
    """Polynomial tails: off the tree p_ν(x; σ) is dominated by small κ (wide Gaussians), which the
    density must include; a Riemann lower sum over κ bounds it from below, deterministically."""
    t = toy.tree("A")
    x = torch.tensor([point], dtype=F64)
    bound = _lower_bound_logp_t(t, x, sigma, nu)
    assert float(t.logp(x, sigma, nu=nu)) >= bound - 1e-9, f"log p_ν = {float(t.logp(x, sigma, nu=nu)):.4f} < {bound:.4f}"


def test_student_t_samples_match_density():
    """Share of ν = 3 samples in boxes vs the oracle's density integrated over them."""
    t, sigma, nu, n = toy.tree("A"), 0.3, 3.0, 40_000
    x = t.sample(n, sigma, nu=nu, generator=torch.Generator().manual_seed(12)).double()
    h, edges = 0.04, [-0.2, 0.8, 1.8]
    for x0, x1 in zip(edges[:-1], edges[1:]):
        for y0, y1 in zip(edges[:-1], edges[1:]):
            xs = torch.arange(x0 + h / 2, x1, h, dtype=F64)
            ys = torch.arange(y0 + h / 2, y1, h, dtype=F64)
            X, Y = torch.meshgrid(xs, ys, indexing="xy")
            p = float(t.logp(torch.stack([X.ravel(), Y.ravel()], 1), sigma, nu=nu).exp().sum() * h * h)
            inside = ((x[:, 0] > x0) & (x[:, 0] < x1) & (x[:, 1] > y0) & (x[:, 1] < y1)).double().mean()
            sd = math.sqrt(p * (1 - p) / n)
            assert abs(float(inside) - p) < 4.5 * sd + 1e-3, ((x0, y0), float(inside), p)
    # heavier tails than Gaussian noise of the same σ
    xg = t.sample(n, sigma, generator=torch.Generator().manual_seed(13)).double()
    far = lambda z: float(((z - z.median(0).values).norm(dim=1) > 2.5).double().mean())
    assert far(x) > 5 * far(xg) + 1e-3


# ---------------------------------------------------------------------------- sampling

def test_sample_deterministic_for_generator():
    t = toy.tree("AB")
    a = t.sample(1000, 0.1, generator=torch.Generator().manual_seed(3))
    b = t.sample(1000, 0.1, generator=torch.Generator().manual_seed(3))
    c = t.sample(1000, 0.1, generator=torch.Generator().manual_seed(4))
    assert a.shape == (1000, 2) and a.dtype == torch.float32
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)
    at, bt = (t.sample(500, 0.2, nu=3.0, generator=torch.Generator().manual_seed(5)) for _ in range(2))
    assert torch.equal(at, bt)
    xs, br = t.sample(500, generator=torch.Generator().manual_seed(3), return_branch=True)
    assert br.shape == (500,) and 0 <= int(br.min()) and int(br.max()) < len(t.branches)


@pytest.mark.parametrize("classes, sigma", [("A", 0.0), ("AB", 0.2)])
def test_sample_moments(classes, sigma):
    t = toy.tree(classes)
    n = 200_000
    x = t.sample(n, sigma, generator=torch.Generator().manual_seed(21)).double()
    m, C = mixture_moments(t, sigma)
    se_m = (C.diagonal() / n).sqrt()
    assert ((x.mean(0) - m).abs() <= 5 * se_m).all(), (x.mean(0), m)
    d = x - m
    prods = d[:, :, None] * d[:, None, :]                               # [n, 2, 2]
    se_C = prods.std(0) / math.sqrt(n)
    assert ((prods.mean(0) - C).abs() <= 5 * se_C).all(), (prods.mean(0), C)


def test_sample_per_point_sigma():
    t = toy.tree("A")
    g = torch.Generator().manual_seed(0)
    s = torch.cat([torch.zeros(20_000), torch.full((20_000,), 1.0)])
    x = t.sample(40_000, s, generator=g).double()
    _, C0 = mixture_moments(t, 0.0)
    _, C1 = mixture_moments(t, 1.0)
    assert torch.allclose(torch.cov(x[:20_000].T), C0, atol=0.01)
    assert torch.allclose(torch.cov(x[20_000:].T), C1, atol=0.06)


# ---------------------------------------------------------------------------- argument checks

X = torch.zeros(5, 2)


@pytest.mark.parametrize("call, name", [
    (lambda t: t.logp(X, -0.1), "sigma"),
    (lambda t: t.logp(X, float("nan")), "sigma"),
    (lambda t: t.logp(X, torch.tensor([0.1, float("nan"), 0.1, 0.1, 0.1])), "sigma"),
    (lambda t: t.logp(X, torch.full((4,), 0.1)), "sigma"),
    (lambda t: t.score(X, torch.full((5, 1), 0.1)), "sigma"),
    (lambda t: t.logp(X, "big"), "sigma"),
    (lambda t: t.logp(X, 0.1, nu=0), "nu"),
    (lambda t: t.logp(X, 0.1, nu=-2.0), "nu"),
    (lambda t: t.score(X, 0.1, nu=float("nan")), "nu"),
    (lambda t: t.logp(torch.zeros(5, 3)), "x"),
    (lambda t: t.logp(torch.zeros(2)), "x"),
    (lambda t: t.score([[0.0, 0.0]], 0.1), "x"),
    (lambda t: t.logp(np.zeros((5, 2))), "x"),
    (lambda t: t.logp(torch.zeros(5, 2, dtype=torch.long)), "x"),
    (lambda t: t.logp(torch.tensor([[0.0, float("inf")]])), "x"),
    (lambda t: t.denoise(X, -1.0), "sigma"),
    (lambda t: t.branch_logp(torch.zeros(5, 3)), "x"),
    (lambda t: t.sample(0), "n"),
    (lambda t: t.sample(-3), "n"),
    (lambda t: t.sample(2.5), "n"),
    (lambda t: t.sample(10, -0.5), "sigma"),
    (lambda t: t.sample(10, torch.full((9,), 0.1)), "sigma"),
    (lambda t: t.sample(10, 0.1, nu=0.0), "nu"),
    (lambda t: toy.tree("C"), "classes"),
    (lambda t: toy.Tree("BA"), "classes"),
    (lambda t: toy.dense_logp_and_score(t, torch.zeros(3, 3), 0.1), "x"),
])
def test_bad_input_raises_value_error_naming_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call(toy.tree("A"))


def test_sigma_accepts_float_scalar_tensor_and_vector():
    t = toy.tree("A")
    x = _rand_points(6, 9, 0, 1)
    ref = t.logp(x, 0.1)
    assert torch.equal(t.logp(x, torch.tensor(0.1, dtype=F64)), ref)
    assert torch.equal(t.logp(x, torch.full((6,), 0.1, dtype=F64)), ref)
