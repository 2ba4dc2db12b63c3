"""Denoisers in the EDM σ-parameterization (Karras et al. 2022).

Every model here answers the same three questions for a batch x: [N, 2] at noise
levels sigma (a float or [N]):

* ``denoise(x, sigma)`` → D(x; σ) ≈ E[y | x = y + σn]          [N, 2]
* ``score(x, sigma)``   → s(x; σ) = (D(x; σ) − x)/σ²            [N, 2]
* ``logp(x, sigma)``    → log p(x; σ) up to a constant (where the model has one)

The exact tree oracle (`hgutils.toy.Tree`) answers them too, so learned models,
oracles and guided combinations are interchangeable in every sampler.
"""
from __future__ import annotations

import math

import torch

from ._checks import check_int, check_points, check_sigma

SIGMA_DATA = 0.5


def _normalize(w: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """Scale each output row of a weight matrix to norm √fan_in (unit RMS per element)."""
    norm = torch.linalg.vector_norm(w, dim=1, keepdim=True)
    return w / (eps + norm / math.sqrt(w.shape[1]))


class MPLinear(torch.nn.Module):
    """Magnitude-preserving linear layer (EDM2): weights kept at unit norm per output."""

    def __init__(self, d_in: int, d_out: int, generator=None):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(d_out, d_in, generator=generator))

    def forward(self, x):                                                       # x: [N, d_in]
        if self.training:                                                       # forced weight normalisation
            with torch.no_grad():
                self.weight.copy_(_normalize(self.weight))
        w = _normalize(self.weight) / math.sqrt(self.weight.shape[1])            # unit-norm rows
        return x @ w.T                                                          # [N, d_out]


class MPSiLU(torch.nn.Module):
    """SiLU rescaled to keep unit variance for unit-variance input."""

    def forward(self, x):
        return torch.nn.functional.silu(x) / 0.596


class ToyNet(torch.nn.Module):
    """A small MLP that outputs log p(x; σ) (up to a constant); the score comes by autograd.

    EDM preconditioning, written for a log-density: with c_in = 1/√(σ² + σ_d²),
        log p_θ(x; σ) = g · mean(f(c_in·x, ln σ / 4)²) / σ  −  ½‖c_in·x‖²,
    The second term is the log-density of N(0, (σ² + σ_d²)I), whose denoiser is
    c_skip·x with c_skip = σ_d²/(σ² + σ_d²): the network only learns the residual,
    and with gain g = 0 at initialisation it starts at the Gaussian fit of the data.
    """

    def __init__(self, num_layers: int = 4, hidden_dim: int = 64, sigma_data: float = SIGMA_DATA, generator=None):
        super().__init__()
        num_layers = check_int(num_layers, "num_layers", 1)
        hidden_dim = check_int(hidden_dim, "hidden_dim", 1)
        self.sigma_data = sigma_data
        layers = [MPLinear(4, hidden_dim, generator)]                            # input: c_in·x (2), ln σ/4, 1
        for _ in range(num_layers):
            layers += [MPSiLU(), MPLinear(hidden_dim, hidden_dim, generator)]
        self.layers = torch.nn.Sequential(*layers)
        self.gain = torch.nn.Parameter(torch.zeros([]))

    def logp(self, x, sigma):
        """log p_θ(x; σ) + const: [N]."""
        s = check_sigma(sigma, x.shape[0], device=x.device, dtype=x.dtype, positive=True)[:, None]  # [N, 1]
        xin = x / (self.sigma_data ** 2 + s ** 2).sqrt()                            # c_in·x: [N, 2]
        h = self.layers(torch.cat([xin, s.log() / 4, torch.ones_like(s)], -1))      # [N, H]
        return (h ** 2).mean(-1) * self.gain / s[:, 0] - 0.5 * (xin ** 2).sum(-1)   # [N]

    forward = logp

    def score(self, x, sigma, create_graph: bool = False):
        """∇ₓ log p_θ(x; σ) by autograd: [N, 2]."""
        x = check_points(x)
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            lp = self.logp(xg, sigma)
            (g,) = torch.autograd.grad(lp.sum(), xg, create_graph=create_graph)
        return g if create_graph else g.detach()

    def denoise(self, x, sigma):
        """D(x; σ) = x + σ²·s(x; σ): [N, 2]."""
        s = check_sigma(sigma, x.shape[0], device=x.device, dtype=x.dtype, positive=True)
        return x + (s * s)[:, None] * self.score(x, s)


# ---------------------------------------------------------------------------- DDPM (Ho et al. 2020)

def ddpm_alphas_cumprod(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """ᾱ_t for t = 1..T of the linear β schedule of Ho et al. (2020): [T] (float64)."""
    T = check_int(T, "T", 1)
    betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
    return torch.cumprod(1 - betas, 0)


class EpsNet(torch.nn.Module):
    """A plain MLP ε̂(x_t, t) for the DDPM world (VP): x_t = √ᾱ_t·y + √(1−ᾱ_t)·ε, t ∈ {1..T}.

    Input: x_t (2), its Fourier features sin/cos(2^k π x_t) for k < `fourier` (4·fourier), and a
    sinusoidal embedding of t/T (16); output: ε̂ (2). The Fourier features let a small MLP draw
    the thin branches (without them it blurs them much more).
    """

    def __init__(self, num_layers: int = 3, hidden_dim: int = 128, T: int = 1000, fourier: int = 6, generator=None):
        super().__init__()
        self.T = check_int(T, "T", 1)
        fourier = check_int(fourier, "fourier", 0)
        self.register_buffer("freqs", torch.exp(torch.linspace(0, math.log(200.0), 8)))
        self.register_buffer("xfreqs", (2.0 ** torch.arange(fourier)) * math.pi)
        dims = [2 + 4 * fourier + 16] + [check_int(hidden_dim, "hidden_dim", 1)] * check_int(num_layers, "num_layers", 1)
        layers = []
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [torch.nn.Linear(a, b), torch.nn.SiLU()]
        layers.append(torch.nn.Linear(dims[-1], 2))
        self.mlp = torch.nn.Sequential(*layers)
        if generator is not None:                                               # deterministic initialisation
            with torch.no_grad():
                for p in self.mlp.parameters():
                    bound = 1 / math.sqrt(p.shape[-1]) if p.ndim == 2 else 0.05
                    p.copy_(torch.rand(p.shape, generator=generator) * 2 * bound - bound)

    def forward(self, x_t, t):                                                  # x_t: [N, 2], t: [N] (float, 1..T)
        a = (t / self.T)[:, None] * self.freqs                                  # [N, 8]
        xf = (x_t[:, :, None] * self.xfreqs).flatten(1)                         # [N, 2·fourier]
        return self.mlp(torch.cat([x_t, xf.sin(), xf.cos(), a.sin(), a.cos()], -1))   # ε̂: [N, 2]


class EpsDenoiser(torch.nn.Module):
    """Wrap a DDPM ε-model as an EDM denoiser.

    VP ⇔ VE: x_t/√ᾱ_t = y + σ·ε with σ = √((1−ᾱ_t)/ᾱ_t). For an EDM input x at noise σ,
    the model sees x_t = x/√(1+σ²) at the (continuous) timestep t whose σ_t = σ
    (interpolated in ln σ), and D(x; σ) = x − σ·ε̂.
    """

    def __init__(self, eps_net: EpsNet, alphas_cumprod: torch.Tensor):
        super().__init__()
        self.net = eps_net
        sig = ((1 - alphas_cumprod) / alphas_cumprod).sqrt()
        self.register_buffer("log_sigmas", sig.log().float())                   # increasing in t: [T]

    def timestep(self, sigma: torch.Tensor) -> torch.Tensor:
        """Continuous t ∈ [1, T] with σ_t = σ (linear interpolation of ln σ_t): [N]."""
        ls = self.log_sigmas
        lo = sigma.log().clamp(float(ls[0]), float(ls[-1]))
        i = torch.searchsorted(ls, lo).clamp(1, len(ls) - 1)
        frac = (lo - ls[i - 1]) / (ls[i] - ls[i - 1])
        return i.to(sigma.dtype) + frac                                          # 1-based: t = i + frac

    def denoise(self, x, sigma):
        x = check_points(x)
        s = check_sigma(sigma, x.shape[0], device=x.device, dtype=x.dtype, positive=True)
        eps = self.net(x / (1 + s * s).sqrt()[:, None], self.timestep(s))
        return x - s[:, None] * eps

    def score(self, x, sigma):
        s = check_sigma(sigma, x.shape[0], device=x.device, dtype=x.dtype, positive=True)
        return (self.denoise(x, s) - x) / (s * s)[:, None]


def forward_macs(net: torch.nn.Module) -> int:
    """Multiply-accumulates of one forward pass per point: the weights of the network's matrices
    (the score, by autograd, adds a backward pass of about the same size)."""
    return sum(p.numel() for p in net.parameters() if p.ndim == 2)

