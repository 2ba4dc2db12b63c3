"""Metrics: samples against the ground truth. They take samples and a reference, never models.

* ``mean_logp(x, tree)``: mean of log p_data(x) over the samples (σ = 0). Higher is
  better; a sample far off the tree counts with its (very negative) log density, so
  this mean punishes outliers hard. Also returned: its median, robust to outliers.
* ``outlier_rate(x, tree, reference)``: share of samples whose log p_data lies below
  the level ℓ₉₉ that encloses 99% of the true mass, ℓ₉₉ = the 1% quantile of
  log p_data over true samples. True samples score ≈ 1% by construction.
* ``sliced_wasserstein(x, y)``: the sliced 2-Wasserstein distance between two sample
  sets, SW₂² = mean over directions θ of W₂²(θᵀx, θᵀy), with `n_dirs` directions evenly
  spaced on the half circle (deterministic) and 1-D W₂ from sorted projections
  (quantiles when the sizes differ).
"""
from __future__ import annotations

import math

import torch

from ._checks import check_int, check_points


def log_density_level(tree, reference: torch.Tensor, mass: float = 0.99) -> float:
    """ℓ such that P_data(log p_data(y) ≥ ℓ) ≈ `mass`, estimated from true samples `reference`."""
    reference = check_points(reference, "reference")
    if not 0 < mass < 1:
        raise ValueError(f"mass must be in (0, 1), got {mass}")
    return float(torch.quantile(tree.logp(reference).double(), 1 - mass))


def mean_logp(x: torch.Tensor, tree) -> dict:
    """{'mean': mean log p_data(x), 'median': median log p_data(x)} (σ = 0)."""
    lp = tree.logp(check_points(x)).double()
    return {"mean": float(lp.mean()), "median": float(lp.median())}


def outlier_rate(x: torch.Tensor, tree, reference: torch.Tensor, mass: float = 0.99) -> float:
    """Share of samples below the log-density level enclosing `mass` of the true distribution."""
    level = log_density_level(tree, reference, mass)
    return float((tree.logp(check_points(x)) < level).double().mean())


def sliced_wasserstein(x: torch.Tensor, y: torch.Tensor, n_dirs: int = 128) -> float:
    """Sliced 2-Wasserstein distance between sample sets x [N, 2] and y [M, 2]."""
    x, y = check_points(x, "x").double(), check_points(y, "y").double()
    n_dirs = check_int(n_dirs, "n_dirs", 1)
    ang = torch.arange(n_dirs, dtype=torch.float64) * math.pi / n_dirs
    theta = torch.stack([ang.cos(), ang.sin()], 1)                              # [D, 2]
    px, py = (x @ theta.T).sort(0).values, (y @ theta.T).sort(0).values        # [N, D], [M, D]
    if len(px) != len(py):
        q = (torch.arange(max(len(px), len(py)), dtype=torch.float64) + 0.5) / max(len(px), len(py))
        px, py = torch.quantile(px, q, dim=0), torch.quantile(py, q, dim=0)
    return float((px - py).square().mean().sqrt())


def summarize(x: torch.Tensor, tree, reference: torch.Tensor) -> dict:
    """All the foundation metrics of samples x against a tree and true samples `reference`."""
    lp = mean_logp(x, tree)
    return {"mean_logp": lp["mean"], "median_logp": lp["median"],
            "outlier_rate": outlier_rate(x, tree, reference),
            "sw2": sliced_wasserstein(x, reference)}
