"""Run a sampler from the exact start distribution and measure the result, over seeds."""
from __future__ import annotations

import torch

from . import metrics
from ._checks import check_int
from .samplers import get_sampler


def generate(denoiser, tree, n: int, sigmas: torch.Tensor, sampler: str = "heun", seed: int = 0,
             return_trajectory: bool = False):
    """n samples: start from the tree smoothed at σ_0 = sigmas[0] (the exact p(x; σ_max)), then run `sampler`.

    One torch.Generator(seed) draws the start and any sampler noise, so every method
    compared with the same seed starts from the same points."""
    n = check_int(n, "n", 1)
    seed = check_int(seed, "seed", 0)
    gen = torch.Generator().manual_seed(seed)
    x0 = tree.sample(n, float(sigmas[0]), generator=gen)
    return get_sampler(sampler)(denoiser, x0, sigmas, generator=gen, return_trajectory=return_trajectory)


def evaluate(denoiser, tree, reference, sigmas, sampler: str = "heun", seeds=(0, 1, 2), n: int = 4096) -> dict:
    """{metric: [value per seed]} for samples of `denoiser` against `tree` and true samples `reference`."""
    out: dict = {}
    for seed in seeds:
        x = generate(denoiser, tree, n, sigmas, sampler, seed)
        for k, v in metrics.summarize(x, tree, reference).items():
            out.setdefault(k, []).append(v)
    return out


def true_vs_true(tree, reference, seeds=(0, 1, 2), n: int = 4096, offset: int = 1000) -> dict:
    """The same metrics for fresh true samples (seeds offset so they differ from `reference`): the floor."""
    out: dict = {}
    for seed in seeds:
        x = tree.sample(n, generator=torch.Generator().manual_seed(offset + seed))
        for k, v in metrics.summarize(x, tree, reference).items():
            out.setdefault(k, []).append(v)
    return out
