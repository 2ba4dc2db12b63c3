"""Shared helpers for the hgutils unit tests (import as ``from helpers import ...``).

Everything here is written from the *specification* of the toy problem, not from
hgutils' code, so the tests compare two independent implementations.
"""
from __future__ import annotations

import math

import numpy as np
import torch

# Other processes may share this 2-core machine: OpenMP's spinning threads then make
# a 2-thread torch several times slower than a 1-thread one (measured 0.3 s vs 2 s for
# the same oracle call). One intra-op thread keeps the suite's run time predictable.
torch.set_num_threads(1)

F64 = torch.float64

# ---------------------------------------------------------------------------- the tree, re-derived from its spec

SPEC_ORIGIN = np.array([0.0030, 0.0325])
SPEC_SCALE = np.array([1.3136, 1.3844])
SPEC_ANGLES = {"A": math.pi / 4, "B": 5 * math.pi / 4}


def spec_tree():
    """Karras et al. (2024)'s toy tree, rebuilt from its description.

    Returns {"A": (mu [K, 2], cov [K, 2, 2], phi [K]), "B": (...)} in build order, and
    the list of all normal draws consumed, in order (``draws``), and for each class the
    index of the draw used for its root branch's length (``root_draw``).

    Description: a branch at start ``pos`` with angle ``a`` and depth ``d`` draws n for its
    length 0.292·0.8^d·(1 + 0.2n); thickness 0.2·0.8^d/length; size = scale·length·0.06;
    weight length·0.5^d; 8 means (pos + dir·length·t)·scale at t ∈ linspace(0.07, 0.93, 8);
    covariance (dir dirᵀ + (I − dir dirᵀ)·thick²) ⊙ (size sizeᵀ). Then for sign = +1, −1 it
    draws n for the child's angle a + sign·0.7^d·(1 + 0.2n) and builds the child's subtree
    at pos + dir·length (a child at depth 7 is not built, but its angle is still drawn,
    exactly as in the paper's code where the angle is an argument of the recursive call).
    """
    rng = np.random.RandomState(2)
    draws: list[float] = []

    def draw():
        v = rng.randn()
        draws.append(v)
        return v

    out: dict = {}
    root_draw = {}

    def branch(store, pos, a, d):
        if d > 6:
            return
        u = np.array([math.cos(a), math.sin(a)])
        length = 0.292 * 0.8 ** d * (1 + 0.2 * draw())
        thick = 0.2 * 0.8 ** d / length
        size = SPEC_SCALE * length * 0.06
        P = np.outer(u, u)
        cov = (P + (np.eye(2) - P) * thick ** 2) * np.outer(size, size)
        for t in np.linspace(0.07, 0.93, 8):
            store["mu"].append((pos + u * length * t) * SPEC_SCALE)
            store["cov"].append(cov)
            store["phi"].append(length * 0.5 ** d)
        for sign in (+1, -1):
            child_angle = a + sign * 0.7 ** d * (1 + 0.2 * draw())
            branch(store, pos + u * length, child_angle, d + 1)

    for cls in ("A", "B"):
        store = {"mu": [], "cov": [], "phi": []}
        root_draw[cls] = len(draws)
        branch(store, SPEC_ORIGIN.copy(), SPEC_ANGLES[cls], 0)
        out[cls] = tuple(np.array(store[k]) for k in ("mu", "cov", "phi"))
    return out, draws, root_draw


def spec_mixture(classes: str):
    """(mu [K, 2], cov [K, 2, 2], log of normalised weights [K]) for "A", "B" or "AB" (A first)."""
    parts, _, _ = spec_tree()
    mus, covs, phis = zip(*(parts[c] for c in classes))
    phi = np.concatenate(phis)
    return np.concatenate(mus), np.concatenate(covs), np.log(phi / phi.sum())


# ---------------------------------------------------------------------------- small numerical tools

def grid_points(lo: float, hi: float, h: float, dtype=F64) -> torch.Tensor:
    """Midpoints of an h-spaced square grid over [lo, hi]²: [M, 2]."""
    xs = torch.arange(lo + h / 2, hi, h, dtype=dtype)
    X, Y = torch.meshgrid(xs, xs, indexing="xy")
    return torch.stack([X.ravel(), Y.ravel()], 1)


def tan_grid(n: int, center=(0.0, 0.0), L: float = 1.0):
    """Points and weights of a midpoint rule over the whole plane, x = c + L·tan(u) per axis.

    For heavy-tailed densities: the integrand in u stays bounded. Returns ([n², 2], [n²])."""
    u = (torch.arange(n, dtype=F64) + 0.5) / n * math.pi - math.pi / 2
    x = L * torch.tan(u)
    w = L / torch.cos(u) ** 2 * (math.pi / n)
    X, Y = torch.meshgrid(x + center[0], x + center[1], indexing="xy")
    WX, WY = torch.meshgrid(w, w, indexing="xy")
    return torch.stack([X.ravel(), Y.ravel()], 1), (WX * WY).ravel()


def mixture_moments(tree, sigma: float = 0.0):
    """Analytic mean [2] and covariance [2, 2] of p_data ∗ N(0, σ²I) for a Tree."""
    w = tree.log_phi.exp()
    m = (w[:, None] * tree.mu).sum(0)
    second = (w[:, None, None] * (tree.cov + tree.mu[:, :, None] * tree.mu[:, None, :])).sum(0)
    return m, second - torch.outer(m, m) + sigma ** 2 * torch.eye(2, dtype=F64)


def gaussian_denoiser(m, s: float):
    """The exact denoiser of N(m, s²I): D(x; σ) = m + s²/(s² + σ²)·(x − m) (σ a float or [N])."""
    m = torch.as_tensor(m)

    def D(x, sigma):
        sig = torch.as_tensor(sigma, dtype=x.dtype)
        if sig.ndim == 1:
            sig = sig[:, None]
        mm = m.to(x.dtype)
        return mm + s ** 2 / (s ** 2 + sig ** 2) * (x - mm)

    return D


def random_toynet(num_layers: int = 3, hidden_dim: int = 16, gain: float = 0.7, seed: int = 0, dtype=torch.float32):
    """An untrained ToyNet (seeded weights) with a nonzero gain, so that it is not the Gaussian baseline."""
    from hgutils.nets import ToyNet

    net = ToyNet(num_layers, hidden_dim, generator=torch.Generator().manual_seed(seed)).eval().to(dtype)
    with torch.no_grad():
        net.gain.fill_(gain)
    return net

