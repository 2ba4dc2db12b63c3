"""hgutils.samplers: σ grids, and the samplers checked on a Gaussian whose ODE and posteriors are known."""
from __future__ import annotations

import math

import pytest
import torch

from hgutils import experiments, samplers as S, toy
from hgutils.nets import ddpm_alphas_cumprod

from helpers import F64, gaussian_denoiser

M = torch.tensor([0.3, -0.2], dtype=F64)      # the test Gaussian N(M, S_² I)
S_ = 0.5
SMAX = 5.0
D = gaussian_denoiser(M, S_)


def _exact_ode(x0, sigma_from, sigma_to):
    """The probability-flow ODE of N(M, S_²I) solved exactly: x − M scales like √(S_² + σ²)."""
    return M + math.sqrt(S_ ** 2 + sigma_to ** 2) / math.sqrt(S_ ** 2 + sigma_from ** 2) * (x0 - M)


def _start(n, seed, sigma=SMAX):
    g = torch.Generator().manual_seed(seed)
    return M + math.sqrt(S_ ** 2 + sigma ** 2) * torch.randn(n, 2, generator=g, dtype=F64), g


# ---------------------------------------------------------------------------- grids

@pytest.mark.parametrize("steps", [1, 2, 7, 32])
def test_karras_sigmas(steps):
    s = S.karras_sigmas(steps, 0.002, 5.0, 7.0)
    assert s.shape == (steps + 1,) and s.dtype == torch.float32
    assert float(s[0]) == pytest.approx(5.0, rel=1e-6)
    assert float(s[-1]) == 0.0
    if steps > 1:
        assert float(s[-2]) == pytest.approx(0.002, rel=1e-5)
    assert (s[1:] < s[:-1]).all()
    i = torch.arange(steps, dtype=F64)
    ramp = i / max(steps - 1, 1)
    expect = (5.0 ** (1 / 7) + ramp * (0.002 ** (1 / 7) - 5.0 ** (1 / 7))) ** 7
    assert torch.allclose(s[:-1].double(), expect, rtol=1e-6, atol=0)


def test_karras_sigmas_rho_changes_spacing():
    a, b = S.karras_sigmas(10, 0.01, 10.0, 1.0), S.karras_sigmas(10, 0.01, 10.0, 7.0)
    assert torch.allclose(a[:-1], torch.linspace(10.0, 0.01, 10), rtol=1e-5)   # ρ = 1: evenly spaced in σ
    assert (b[1:-2] < a[1:-2]).all()                                             # ρ = 7: denser at small σ


@pytest.mark.parametrize("kwargs, name", [
    (dict(steps=0), "steps"), (dict(steps=-2), "steps"), (dict(steps=2.0), "steps"),
    (dict(sigma_min=0.0), "sigma_min"), (dict(sigma_min=6.0, sigma_max=5.0), "sigma_max"),
    (dict(rho=0.0), "rho"), (dict(sigma_max=float("inf")), "sigma_max"),
])
def test_karras_sigmas_rejects(kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        S.karras_sigmas(**kwargs)


def test_ddpm_sigmas_full_chain():
    abar = ddpm_alphas_cumprod(1000)
    s = S.ddpm_sigmas(1000, abar)
    sig_t = ((1 - abar) / abar).sqrt()                                  # t = 1..T
    assert s.shape == (1001,) and float(s[-1]) == 0.0
    assert torch.allclose(s[:-1].double(), sig_t.flip(0), rtol=1e-6)
    assert (s[1:] < s[:-1]).all()


@pytest.mark.parametrize("steps", [1, 10, 333])
def test_ddpm_sigmas_subsampled(steps):
    abar = ddpm_alphas_cumprod(1000)
    sig_t = ((1 - abar) / abar).sqrt()
    s = S.ddpm_sigmas(steps, abar)
    assert s.shape == (steps + 1,) and float(s[-1]) == 0.0
    assert float(s[0]) == pytest.approx(float(sig_t[-1]), rel=1e-6)      # always starts at t = T
    if steps > 1:
        assert float(s[-2]) == pytest.approx(float(sig_t[0]), rel=1e-6)  # … and ends at t = 1
    assert (s[1:] < s[:-1]).all()
    on_grid = [(sig_t.float() - v).abs().min() <= 1e-6 * v for v in s[:-1]]
    assert all(on_grid)


def test_ddpm_sigmas_rejects_too_many_steps():
    with pytest.raises(ValueError, match=r"\bsteps\b"):
        S.ddpm_sigmas(101, ddpm_alphas_cumprod(100))
    with pytest.raises(ValueError, match=r"\bsteps\b"):
        S.ddpm_sigmas(0, ddpm_alphas_cumprod(100))


# ---------------------------------------------------------------------------- ODE samplers on a Gaussian

def test_heun_maps_prior_to_data():
    x0, _ = _start(20_000, 0)
    out = S.heun(D, x0, S.karras_sigmas(32, 0.002, SMAX).double())
    n = len(out)
    assert ((out.mean(0) - M).abs() < 4 * S_ / math.sqrt(n)).all()
    assert (out.std(0) / S_ - 1).abs().max() < 0.03
    # it is the exact ODE map up to a small integration error
    exact = _exact_ode(x0, SMAX, 0.0)
    assert float((out - exact).norm(dim=1).max()) < 1e-2 * float((exact - M).norm(dim=1).max())


def _ode_error(name, steps, x0):
    sig = S.karras_sigmas(steps, 0.002, SMAX).double()
    _, traj = S.get_sampler(name)(D, x0, sig, return_trajectory=True)
    # compare at σ_min (index −2): the last step to σ = 0 is an Euler step in both samplers
    return float((traj[-2] - _exact_ode(x0, SMAX, float(sig[-2]))).norm(dim=1).max())


def test_ode_convergence_orders():
    x0 = torch.tensor([[2.0, -3.0], [-1.0, 0.5]], dtype=F64)
    e = {name: [_ode_error(name, n, x0) for n in (16, 32, 64, 128)] for name in ("euler", "heun")}
    for a, b in zip(e["heun"], e["euler"]):
        assert a < b / 3                                               # Heun beats Euler at equal steps
    r_euler = [e["euler"][i] / e["euler"][i + 1] for i in range(1, 3)]
    r_heun = [e["heun"][i] / e["heun"][i + 1] for i in range(1, 3)]
    assert all(1.8 < r < 2.2 for r in r_euler), r_euler                # first order
    assert all(3.6 < r < 4.8 for r in r_heun), r_heun                  # second order


def test_last_step_returns_denoised():
    x0, _ = _start(8, 1)
    sig = S.karras_sigmas(5, 0.002, SMAX).double()
    for name in ("euler", "heun", "ddpm"):
        out, traj = S.get_sampler(name)(D, x0, sig, return_trajectory=True, generator=torch.Generator())
        assert torch.allclose(out, D(traj[-2], float(sig[-2])), rtol=1e-12, atol=1e-12)


def test_heun_stochastic_without_churn_is_heun():
    x0, _ = _start(500, 2)
    sig = S.karras_sigmas(12, 0.002, SMAX).double()
    a = S.heun(D, x0, sig)
    b = S.heun_stochastic(D, x0, sig, churn=0.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b)
    c = S.heun_stochastic(D, x0, sig, churn=10.0, generator=torch.Generator().manual_seed(0))
    d = S.heun_stochastic(D, x0, sig, churn=10.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(c, d) and not torch.allclose(a, c)


def test_heun_stochastic_samples_gaussian():
    x0, g = _start(20_000, 3)
    out = S.heun_stochastic(D, x0, S.karras_sigmas(32, 0.002, SMAX).double(), churn=20.0, generator=g)
    assert ((out.mean(0) - M).abs() < 4 * S_ / math.sqrt(len(out))).all()
    assert (out.std(0) / S_ - 1).abs().max() < 0.03


def _ddpm_variance(sigmas, v=S_ ** 2):
    """Exact variance (per coordinate) of DDPM's output on N(M, vI) started at N(M, (v + σ_0²)I)."""
    var = v + float(sigmas[0]) ** 2
    for a, b in zip(sigmas[:-1].tolist(), sigmas[1:].tolist()):
        r = (b / a) ** 2
        c = (1 - r) * v / (v + a * a) + r                              # x' − M = c(x − M) + noise
        var = c * c * var + b * b * (1 - r)
    return var


def test_ddpm_ancestral_on_gaussian():
    sig = S.karras_sigmas(64, 0.002, SMAX).double()
    x0, g = _start(40_000, 4)
    out = S.ddpm(D, x0, sig, generator=g)
    n, var = len(out), _ddpm_variance(sig)
    assert ((out.mean(0) - M).abs() < 4 * S_ / math.sqrt(n)).all()
    assert ((out.var(0) / var - 1).abs() < 4 * math.sqrt(2 / n)).all(), (out.var(0), var)
    # with y = E[y|x] each step loses a little variance, O(1/N) in all; the full DDPM chain gets it right
    assert 0.85 < var / S_ ** 2 < 0.95
    assert _ddpm_variance(S.ddpm_sigmas(1000, ddpm_alphas_cumprod(1000)).double()) / S_ ** 2 == pytest.approx(1, abs=0.02)


def test_ddpm_is_deterministic_for_generator():
    x0, _ = _start(100, 5)
    sig = S.karras_sigmas(8, 0.002, SMAX).double()
    a = S.ddpm(D, x0, sig, generator=torch.Generator().manual_seed(1))
    b = S.ddpm(D, x0, sig, generator=torch.Generator().manual_seed(1))
    c = S.ddpm(D, x0, sig, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.allclose(a, c)


@pytest.mark.parametrize("name", sorted(S.SAMPLERS))
def test_trajectory(name):
    x0, _ = _start(10, 6)
    x0 = x0.float()
    sig = S.karras_sigmas(6, 0.002, SMAX)
    out, traj = S.get_sampler(name)(D, x0, sig, return_trajectory=True, generator=torch.Generator().manual_seed(0))
    assert traj.shape == (7, 10, 2)
    assert torch.equal(traj[0], x0) and torch.equal(traj[-1], out)
    assert out.dtype == torch.float32
    plain = S.get_sampler(name)(D, x0, sig, generator=torch.Generator().manual_seed(0))
    assert torch.equal(plain, out)


@pytest.mark.parametrize("name", sorted(S.SAMPLERS))
def test_evaluation_count(name):
    for steps in (1, 5, 18):
        counter = S.CountingDenoiser(D)
        S.get_sampler(name)(counter, _start(4, 7)[0], S.karras_sigmas(steps, 0.002, SMAX).double(),
                            generator=torch.Generator())
        assert counter.calls == S.evaluations(name, steps)
    assert S.evaluations(name, 10) == (19 if name.startswith("heun") else 10)


@pytest.mark.parametrize("name", sorted(S.SAMPLERS))
@pytest.mark.parametrize("sigmas, x, arg", [
    (torch.tensor([5.0, 5.0, 0.0]), torch.zeros(3, 2), "sigmas"),
    (torch.tensor([1.0, 2.0, 0.0]), torch.zeros(3, 2), "sigmas"),
    (torch.tensor([1.0, 0.5, -0.1]), torch.zeros(3, 2), "sigmas"),
    (torch.tensor([1.0, float("nan"), 0.0]), torch.zeros(3, 2), "sigmas"),
    (torch.tensor([1.0]), torch.zeros(3, 2), "sigmas"),
    (torch.tensor([[1.0, 0.0]]), torch.zeros(3, 2), "sigmas"),
    ([1.0, 0.5, 0.0], torch.zeros(3, 2), "sigmas"),
    (torch.tensor([1.0, 0.0]), torch.zeros(3, 2, dtype=torch.long), "x"),
    (torch.tensor([1.0, 0.0]), torch.zeros(3), "x"),
    (torch.tensor([1.0, 0.0]), [[0.0, 0.0]], "x"),
])
def test_samplers_reject_bad_input(name, sigmas, x, arg):
    with pytest.raises(ValueError, match=rf"\b{arg}\b"):
        S.get_sampler(name)(D, x, sigmas)


def test_get_sampler():
    for name, fn in S.SAMPLERS.items():
        assert S.get_sampler(name) is fn
    with pytest.raises(ValueError) as e:
        S.get_sampler("dpm++")
    msg = str(e.value)
    assert "sampler" in msg and "dpm++" in msg
    assert all(name in msg for name in S.SAMPLERS)
    with pytest.raises(ValueError):
        S.evaluations("nope", 3)
    with pytest.raises(ValueError, match=r"\bsteps\b"):
        S.evaluations("heun", 0)


def test_prior_sample():
    a = S.prior_sample(20_000, 3.0, generator=torch.Generator().manual_seed(0))
    b = S.prior_sample(20_000, 3.0, generator=torch.Generator().manual_seed(0))
    assert a.shape == (20_000, 2) and torch.equal(a, b)
    assert (a.std(0) / 3.0 - 1).abs().max() < 0.03
    with pytest.raises(ValueError, match=r"\bsigma_max\b"):
        S.prior_sample(5, 0.0)


def test_generate_with_oracle():
    """experiments.generate: one seed fixes the start and the noise; the oracle's samples land on the tree."""
    tree = toy.tree("A")
    sig = S.karras_sigmas(16, 0.002, 5.0)
    a = experiments.generate(tree.denoise, tree, 300, sig, "heun", seed=1)
    b = experiments.generate(tree.denoise, tree, 300, sig, "heun", seed=1)
    assert torch.equal(a, b)
    x0 = tree.sample(300, float(sig[0]), generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, S.heun(tree.denoise, x0, sig))
    truth = tree.logp(tree.sample(300, generator=torch.Generator().manual_seed(9))).median()
    assert tree.logp(a).median() > truth - 1.0


def test_counting_score_counts_calls_and_points():
    from hgutils.samplers import CountingScore

    class Unit:
        def score(self, x, sigma):
            return -x

    c = CountingScore(Unit())
    x = torch.ones(5, 2)
    assert torch.equal(c.score(x, 1.0), -x) and torch.equal(c.score(x[:3], 0.5), -x[:3])
    assert (c.calls, c.points) == (2, 8)
    c.reset()
    assert (c.calls, c.points) == (0, 0)
    with pytest.raises(ValueError, match="score"):
        CountingScore(object())
