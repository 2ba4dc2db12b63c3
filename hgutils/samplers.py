"""Samplers: one small signature for all of them.

    sampler(denoiser, x, sigmas, *, generator=None, return_trajectory=False) → x  (or (x, trajectory))

* ``denoiser(x, sigma)`` → D(x; σ): x [N, ...] (2-D points [N, 2], images [N, C, H, W]),
  sigma a 0-d tensor on the CPU (one noise level for the batch). Anything with that call works:
  a network's ``.denoise``, the oracle's ``.denoise``, a guided combination.
* ``x``: the starting points at noise level sigmas[0]: [N, ...], on any device.
* ``sigmas``: a decreasing grid σ_0 > σ_1 > … > σ_N = 0 ([N+1]), kept on the CPU.
* ``trajectory``: [N+1, N_points, ...], the state after each step (x first).

The input is validated once per call (`_check`); the step loop itself forces no device
synchronisation (σ and the step sizes are CPU scalars).

The probability-flow ODE (Song et al. 2021; Karras et al. 2022, EDM) is
dx/dσ = (x − D(x; σ))/σ; DDPM's ancestral step draws from the Gaussian posterior of
x at σ_{i+1} given x at σ_i and y = D(x; σ_i).
"""
from __future__ import annotations

import math

import torch

from ._checks import check_batch, check_float, check_int

# ---------------------------------------------------------------------------- σ grids


def karras_sigmas(steps: int = 32, sigma_min: float = 0.002, sigma_max: float = 5.0, rho: float = 7.0) -> torch.Tensor:
    """σ_i = (σ_max^{1/ρ} + i/(N−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ for i < N, then σ_N = 0: [N+1]."""
    steps = check_int(steps, "steps", 1)
    sigma_min = check_float(sigma_min, "sigma_min", 0, low_open=True)
    sigma_max = check_float(sigma_max, "sigma_max", sigma_min, low_open=True)
    rho = check_float(rho, "rho", 0, low_open=True)
    i = torch.arange(steps, dtype=torch.float64)
    frac = i / max(steps - 1, 1)
    s = (sigma_max ** (1 / rho) + frac * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([s, s.new_zeros(1)]).float()


def ddpm_sigmas(steps: int, alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """The DDPM grid: `steps` timesteps evenly spaced over 1..T (always including T),
    σ_t = √((1 − ᾱ_t)/ᾱ_t), then 0: [steps+1]. steps = T gives Ho et al.'s full chain."""
    T = len(alphas_cumprod)
    steps = check_int(steps, "steps", 1)
    if steps > T:
        raise ValueError(f"steps must be <= T = {T} for the DDPM grid, got {steps}")
    t = torch.linspace(T, 1, steps, dtype=torch.float64).round().long()        # T, …, 1
    a = alphas_cumprod[t - 1]
    s = ((1 - a) / a).sqrt()
    return torch.cat([s, s.new_zeros(1)]).float()


def _check(x, sigmas):
    x = check_batch(x)
    if not isinstance(sigmas, torch.Tensor) or sigmas.ndim != 1 or len(sigmas) < 2:
        raise ValueError("sigmas must be a 1-D tensor σ_0 > … > σ_N = 0 with at least 2 entries (steps >= 1)")
    if not torch.isfinite(sigmas).all() or (sigmas < 0).any() or (sigmas[1:] >= sigmas[:-1]).any():
        raise ValueError("sigmas must be finite, >= 0 and strictly decreasing")
    return x, sigmas.detach().to("cpu", x.dtype)


def _out(x, traj, return_trajectory):
    return (x, torch.stack(traj)) if return_trajectory else x


# ---------------------------------------------------------------------------- samplers

@torch.no_grad()
def euler(denoiser, x, sigmas, *, generator=None, return_trajectory=False):
    """Euler steps of the probability-flow ODE: x ← x + (σ_{i+1} − σ_i)·(x − D(x; σ_i))/σ_i. N evaluations."""
    x, sigmas = _check(x, sigmas)
    traj = [x]
    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        d = (x - denoiser(x, s)) / s
        x = x + (s_next - s) * d
        traj.append(x)
    return _out(x, traj, return_trajectory)


@torch.no_grad()
def heun(denoiser, x, sigmas, *, generator=None, return_trajectory=False):
    """Heun's 2nd-order method on the ODE (EDM Algorithm 1); the last step (to σ=0) is Euler. 2N−1 evaluations."""
    x, sigmas = _check(x, sigmas)
    traj = [x]
    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        d = (x - denoiser(x, s)) / s
        x_next = x + (s_next - s) * d
        if s_next > 0:
            d2 = (x_next - denoiser(x_next, s_next)) / s_next
            x_next = x + (s_next - s) * 0.5 * (d + d2)
        x = x_next
        traj.append(x)
    return _out(x, traj, return_trajectory)


@torch.no_grad()
def heun_stochastic(denoiser, x, sigmas, *, generator=None, return_trajectory=False,
                    churn: float = 10.0, s_tmin: float = 0.0, s_tmax: float = math.inf, s_noise: float = 1.0):
    """EDM's stochastic sampler (Algorithm 2): before each Heun step, add noise to raise σ_i to
    σ̂ = σ_i(1 + γ), γ = min(churn/N, √2 − 1) for σ_i ∈ [s_tmin, s_tmax]. churn = 0 is `heun`."""
    x, sigmas = _check(x, sigmas)
    churn = check_float(churn, "churn", 0)
    n = len(sigmas) - 1
    traj = [x]
    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        gamma = min(churn / n, math.sqrt(2) - 1) if s_tmin <= float(s) <= s_tmax else 0.0
        s_hat = s * (1 + gamma)
        if gamma > 0:
            eps = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device) * s_noise
            x = x + (s_hat ** 2 - s ** 2).sqrt() * eps
        d = (x - denoiser(x, s_hat)) / s_hat
        x_next = x + (s_next - s_hat) * d
        if s_next > 0:
            d2 = (x_next - denoiser(x_next, s_next)) / s_next
            x_next = x + (s_next - s_hat) * 0.5 * (d + d2)
        x = x_next
        traj.append(x)
    return _out(x, traj, return_trajectory)


@torch.no_grad()
def ddpm(denoiser, x, sigmas, *, generator=None, return_trajectory=False):
    """DDPM ancestral sampling (Ho et al. 2020, Algorithm 2, posterior variance β̃), in σ form.

    With y = D(x; σ_i) and r = σ_{i+1}²/σ_i²:
        x ← y + r·(x − y) + σ_{i+1}·√(1 − r)·n,   n ~ N(0, I).
    This is the exact posterior q(x_{σ_{i+1}} | x_{σ_i}, y); scaled by √ᾱ it is Ho et al.'s update.
    N evaluations; the last step (σ → 0) returns D.
    """
    x, sigmas = _check(x, sigmas)
    traj = [x]
    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        y = denoiser(x, s)
        r = (s_next / s) ** 2
        x = y + r * (x - y)
        if s_next > 0:
            n = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
            x = x + s_next * (1 - r).sqrt() * n
        traj.append(x)
    return _out(x, traj, return_trajectory)


SAMPLERS = {"euler": euler, "heun": heun, "heun_stochastic": heun_stochastic, "ddpm": ddpm}


def get_sampler(name: str):
    """A sampler by name: one of SAMPLERS."""
    if name not in SAMPLERS:
        raise ValueError(f"sampler must be one of {sorted(SAMPLERS)}, got {name!r}")
    return SAMPLERS[name]


def evaluations(name: str, steps: int) -> int:
    """Denoiser evaluations a sampler spends on `steps` steps (Heun: 2N − 1)."""
    get_sampler(name)
    steps = check_int(steps, "steps", 1)
    return 2 * steps - 1 if name.startswith("heun") else steps


class CountingDenoiser:
    """Wrap a denoiser and count its calls (network evaluations)."""

    def __init__(self, denoiser):
        self.denoiser, self.calls = denoiser, 0

    def __call__(self, x, sigma):
        self.calls += 1
        return self.denoiser(x, sigma)


class CountingScore:
    """Wrap a model with ``score(x, σ)`` and count its evaluations: ``calls`` (batches) and ``points``
    (rows evaluated). Put one around each network of a guided denoiser to see what sampling costs."""

    def __init__(self, model):
        if not (hasattr(model, "score") and callable(model.score)):
            raise ValueError(f"model must have a score(x, sigma) method, got {type(model).__name__}")
        self.model, self.calls, self.points = model, 0, 0

    def score(self, x, sigma):
        self.calls += 1
        self.points += x.shape[0]
        return self.model.score(x, sigma)

    def reset(self):
        self.calls = self.points = 0


def prior_sample(n: int, sigma_max: float, generator=None, shape=(2,)) -> torch.Tensor:
    """n draws of σ_max·N(0, I) of one sample's `shape` ((2,) for points, (C, H, W) for images):
    [n, *shape], the usual start of sampling (the data's spread is negligible at large σ)."""
    n = check_int(n, "n", 1)
    sigma_max = check_float(sigma_max, "sigma_max", 0, low_open=True)
    shape = tuple(check_int(d, "shape[i]", 1) for d in shape)
    return sigma_max * torch.randn(n, *shape, generator=generator)
