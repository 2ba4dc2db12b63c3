"""Run a sampler from the exact start distribution and measure the result, over seeds."""
from __future__ import annotations

import torch

from . import metrics
from ._checks import check_float, check_int
from .runs import Measured
from .samplers import get_sampler


def generate(denoiser, tree, n: int, sigmas: torch.Tensor, sampler: str = "heun", seed: int = 0,
             return_trajectory: bool = False):
    """n samples: start from the tree smoothed at σ_0 = sigmas[0] (the exact p(x; σ_max)), then run `sampler`.

    One torch.Generator(seed) draws the start and any sampler noise, so every method
    compared with the same seed starts from the same points."""
    n = check_int(n, "n", 1)
    seed = check_int(seed, "seed", 0)
    if isinstance(denoiser, torch.nn.Module) and hasattr(denoiser, "denoise"):
        denoiser = denoiser.denoise             # a network or an oracle: its denoiser, not its forward (log p)
    gen = torch.Generator().manual_seed(seed)
    x0 = tree.sample(n, float(sigmas[0]), generator=gen)
    return get_sampler(sampler)(denoiser, x0, sigmas, generator=gen, return_trajectory=return_trajectory)


def evaluate(denoiser, tree, reference, sigmas, sampler: str = "heun", seeds=(0, 1, 2), n: int = 4096,
             metrics_fn=None) -> dict:
    """{metric: [value per seed]} for samples of `denoiser` against `tree` and true samples `reference`.

    metrics_fn(x) → {name: value}; default `metrics.summarize(x, tree, reference)`."""
    metrics_fn = metrics_fn or (lambda x: metrics.summarize(x, tree, reference))
    out: dict = {}
    for seed in seeds:
        x = generate(denoiser, tree, n, sigmas, sampler, seed)
        for k, v in metrics_fn(x).items():
            out.setdefault(k, []).append(v)
    return out


class Networks:
    """The learned networks of one training seed, each trained (or loaded) on first use.

    Every network of the autoguidance paper's protocol is trained with this seed — the main model,
    the autoguide, CFG's unconditional model — and so are the heavy-tail guides fine-tuned from
    this seed's main model (`heavy_tail(ν)`; ν = ∞ is the Gaussian fine-tune, their control).
    Seed 0 is the networks of chapters 2–8."""

    def __init__(self, seed: int = 0):
        self.seed = check_int(seed, "seed", 0)
        self._nets: dict = {}

    def config(self, name: str, nu: float | None = None):
        """The training config of network `name` ('main', 'autoguide', 'uncond', 'heavy_tail')."""
        import dataclasses

        from . import train
        base = {"main": train.MAIN, "autoguide": train.AUTOGUIDE, "uncond": train.UNCOND,
                "heavy_tail": train.MAIN}
        if name not in base:
            raise ValueError(f"name must be one of {sorted(base)}, got {name!r}")
        cfg = dataclasses.replace(base[name], seed=self.seed)
        return train.heavy_tail_config(nu, base=cfg) if name == "heavy_tail" else cfg

    def _get(self, name, nu=None):
        from . import train
        key = (name, nu)
        if key not in self._nets:
            self._nets[key] = train.load_or_train(self.config(name, nu))
        return self._nets[key]

    main = property(lambda self: self._get("main"), doc="the main model (4×64, class A)")
    autoguide = property(lambda self: self._get("autoguide"), doc="autoguidance's guide (4×32, 512 it.)")
    uncond = property(lambda self: self._get("uncond"), doc="CFG's unconditional model (4×32, A and B)")

    def heavy_tail(self, nu: float):
        """The main model of this seed fine-tuned with Student-t noise of ν degrees of freedom."""
        return self._get("heavy_tail", float(nu))

    def __repr__(self):
        return f"Networks(seed={self.seed})"


class ToySetup:
    """What every guidance chapter starts from: the class-A tree, the two-class tree, true
    class-A samples, the reference models of the autoguidance paper's protocol (trained on
    first use, then cached) and the reference sampler grid (32 Heun steps, σ from 5 to 0.002).

    training_seeds: the seeds of the networks (`nets`, one `Networks` each; trained when first
    used). `main`, `autoguide` and `uncond` are those of the first seed."""

    def __init__(self, n_reference: int = 8192, seed: int = 12345, steps: int = 32,
                 sigma_min: float = 0.002, sigma_max: float = 5.0, training_seeds=(0,),
                 leakage: bool = True):
        from . import toy
        from .samplers import karras_sigmas
        self.tree, self.tree_ab = toy.tree("A"), toy.tree("AB")
        self.reference = self.tree.sample(n_reference, generator=torch.Generator().manual_seed(seed))
        seeds = [check_int(s, "training_seeds[i]", 0) for s in training_seeds]
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError(f"training_seeds must be distinct seeds >= 0, at least one, got {training_seeds!r}")
        self._networks: dict = {}
        self.nets = [self.networks(s) for s in seeds]
        self.main = self.nets[0].main
        self.autoguide = self.nets[0].autoguide
        self.uncond = self.nets[0].uncond
        self.sigmas = karras_sigmas(steps, sigma_min, sigma_max)
        self.measure = metrics.ReferenceSet(self.tree, self.reference,
                                            self.tree_ab if leakage else None)

    @property
    def metric_names(self) -> tuple:
        """The keys of `metrics(x)`: what every run measures."""
        return self.measure.names

    def networks(self, seed: int) -> Networks:
        """The `Networks` of a training seed (one object per seed, so each network loads once)."""
        seed = check_int(seed, "seed", 0)
        if seed not in self._networks:
            self._networks[seed] = Networks(seed)
        return self._networks[seed]

    def metrics(self, x) -> dict:
        """All guidance metrics of samples x (class A is the target): `metrics.summarize_guidance`."""
        return self.measure(x)

    def evaluate(self, denoiser, seeds=(0, 1, 2), n: int = 4096, sigmas=None):
        """{metric: [value per seed]} of a (guided) denoiser with the reference sampler, as a
        `runs.Measured` (it records n, the seeds and the σ grid, so `Runs` can copy it)."""
        sig = self.sigmas if sigmas is None else sigmas
        seeds = list(seeds)
        return Measured(evaluate(denoiser, self.tree, self.reference, sig, "heun", seeds, n,
                                 self.metrics), n, seeds, sigmas)

    def floor(self, seeds=(0, 1, 2), n: int = 4096, offset: int = 1000) -> dict:
        """{metric: [value per seed]} of fresh true samples (seeds offset from the reference's): the floor."""
        out: dict = {}
        for seed in seeds:
            x = self.tree.sample(n, generator=torch.Generator().manual_seed(offset + seed))
            for k, v in self.metrics(x).items():
                out.setdefault(k, []).append(v)
        return out

    def sample(self, denoiser, n: int = 4096, seed: int = 0, return_trajectory: bool = False, sigmas=None):
        sig = self.sigmas if sigmas is None else sigmas
        return generate(denoiser, self.tree, n, sig, "heun", seed, return_trajectory)


def best_setting(results: dict, recall_floor: float = 0.90, max_branch_tv: float | None = None):
    """The study's criterion for a method's best setting: among the candidates whose mean recall is at
    least `recall_floor` (and, if given, whose mean branch TV is at most `max_branch_tv`), the one with
    the lowest mean outlier rate; ties go to the higher mean precision.

    results: {candidate: {metric: [value per seed]}} (as `ToySetup.evaluate` returns per candidate).
    Returns (candidate, True), or (the highest-recall candidate, False) when none qualifies."""
    from .report import mean_std

    if not results:
        raise ValueError("results must hold at least one candidate")
    recall_floor = check_float(recall_floor, "recall_floor", 0, 1)
    m = lambda name, key: mean_std(results[name][key])[0]
    ok = [n for n in results if m(n, "recall") >= recall_floor
          and (max_branch_tv is None or m(n, "branch_tv") <= max_branch_tv)]
    if ok:
        return min(ok, key=lambda n: (m(n, "outlier_rate"), -m(n, "precision"))), True
    return max(results, key=lambda n: m(n, "recall")), False


def true_vs_true(tree, reference, seeds=(0, 1, 2), n: int = 4096, offset: int = 1000) -> dict:
    """The same metrics for fresh true samples (seeds offset so they differ from `reference`): the floor."""
    out: dict = {}
    for seed in seeds:
        x = tree.sample(n, generator=torch.Generator().manual_seed(offset + seed))
        for k, v in metrics.summarize(x, tree, reference).items():
            out.setdefault(k, []).append(v)
    return out
