"""What the digits chapters start from: the networks of each training seed, the sampler, the
metrics, in the interface of `experiments.ToySetup`, so that `runs.Runs` and the methods
registry (`hgutils.methods.METHODS`) work on images unchanged.

    S = DigitsSetup(training_seeds=[0, 1, 2])
    nets = S.nets[0]                  # main model, CFG's null class, autoguide, heavy-tail guides
    S.evaluate(GuidedDenoiser(nets.main, nets.uncond, 2.0), seeds=[0, 1], n=400)

Every run asks for the balanced classes 0, 1, …, 9, 0, … (`digits.balanced_labels`) and starts
from σ_max·N(0, I) drawn with torch.Generator(seed), the same for every method.
"""
from __future__ import annotations

import dataclasses
import math

import torch

from . import digits
from ._checks import check_int
from .imagemetrics import DigitMetrics
from .runs import Measured
from .samplers import heun, karras_sigmas
from .unet import UNetConfig

MAIN = UNetConfig(channels=(16, 32), iters=1200)
AUTOGUIDE = UNetConfig(channels=(8, 16), iters=300)          # smaller and a quarter of the training
FINE_TUNE = dict(iters=300, lr_ref=2e-3, lr_iter=100)         # heavy-tail guide and its Gaussian control


# The knob range of each method of the registry (`methods.METHODS`) on the digits: every method
# gets the same number of candidates, evenly spaced over its range. The ranges were set from a
# coarse look at training seed 0 (around each method's lowest FD), so they are not blind.
SPANS = {"CFG": (1.1, 1.4), "CFG + linear": (1.1, 1.4), "CFG + cosine": (1.1, 1.4),
         "interval CFG": (2.0, 5.0), "autoguidance": (1.05, 1.35),
         "heavy tail (learned)": (1.1, 1.7), "sigma scaling": (1.002, 1.011),
         "sigma scaling + cosine": (1.01, 1.07)}


def _extras() -> dict:
    """Two controls the digits chapters add to the registry's methods (chapter 9's table is the
    registry's alone): the Gaussian fine-tune as guide (it separates the Student-t tail from the
    extra training of the heavy-tail guide) and the presentation's cosine read literally."""
    from .guidance import GuidedDenoiser, PresentationCosine, sigma_scaling
    from .methods import SSC_W_MAX, Method
    return {
        "Gaussian fine-tune (control)": Method(
            "w", SPANS["heavy tail (learned)"],
            lambda setup, nets, v: GuidedDenoiser(nets.main, nets.heavy_tail(math.inf), v),
            lambda v: f"ν = ∞, w = {v:g}", "fine-tuned model, Gaussian noise", "06_heavy_tail"),
        "sigma scaling + cosine (literal)": Method(
            "k", SPANS["sigma scaling + cosine"],
            lambda setup, nets, v: sigma_scaling(
                nets.main, v, PresentationCosine(SSC_W_MAX, literal=True), sigmas=setup.sigmas),
            lambda v: f"k = {v:g}, w_max = {SSC_W_MAX:g}, literal", "none",
            "08_schedule_sigma_scaling"),
    }


def methods() -> dict:
    """{name: `methods.Method`}: the registry's methods, then the digits' two controls."""
    from .methods import METHODS
    return {**METHODS, **_extras()}


SPANS["Gaussian fine-tune (control)"] = SPANS["heavy tail (learned)"]
SPANS["sigma scaling + cosine (literal)"] = SPANS["sigma scaling + cosine"]


def grid(name: str, size: int) -> list[float]:
    """`size` values evenly spaced over the method's digits range ([1.0] for no guidance)."""
    import numpy as np

    known = methods()
    if name not in known:
        raise ValueError(f"name must be one of {list(known)}, got {name!r}")
    if name not in SPANS:
        return [1.0]
    size = check_int(size, "size", 2)
    return [round(float(v), 4) for v in np.linspace(*SPANS[name], size)]


def heavy_tail_config(nu: float, base: UNetConfig = MAIN) -> UNetConfig:
    """`base` fine-tuned with Student-t noise of ν degrees of freedom (ν = ∞: Gaussian noise, the
    control that separates the tail from the extra training)."""
    return dataclasses.replace(base, nu=nu, init=base, **FINE_TUNE)


class DigitNetworks:
    """The networks of one training seed, trained (or loaded) on first use, bound to the balanced
    classes: `main`, `uncond` (the main network with the null class: CFG's guide), `autoguide`,
    `heavy_tail(ν)`. `for_class(c)` gives the same networks asked for one class c."""

    def __init__(self, seed: int = 0, label=None, _cache=None):
        self.seed = check_int(seed, "seed", 0)
        if label is not None:
            digits.check_labels(label, 1, "label", allow_null=False)
        self.label = label
        self._nets = {} if _cache is None else _cache

    def config(self, name: str, nu: float | None = None) -> UNetConfig:
        base = {"main": MAIN, "autoguide": AUTOGUIDE}
        if name == "heavy_tail":
            return heavy_tail_config(nu, dataclasses.replace(MAIN, seed=self.seed))
        if name not in base:
            raise ValueError(f"name must be one of ['autoguide', 'heavy_tail', 'main'], got {name!r}")
        return dataclasses.replace(base[name], seed=self.seed)

    def network(self, name: str, nu: float | None = None):
        """The trained EDMUNet (unbound)."""
        from .train import load_or_train
        key = (name, nu)
        if key not in self._nets:
            self._nets[key] = load_or_train(self.config(name, nu))
        return self._nets[key]

    main = property(lambda self: self.network("main").bind(self.label),
                    doc="the main model (16/32 channels, 1,200 steps)")
    uncond = property(lambda self: self.network("main").bind(digits.NULL),
                      doc="the main network with the null class: CFG's guide")
    autoguide = property(lambda self: self.network("autoguide").bind(self.label),
                         doc="autoguidance's guide (8/16 channels, 300 steps)")

    def heavy_tail(self, nu: float):
        """The main network fine-tuned with Student-t noise of ν degrees of freedom (∞: Gaussian)."""
        return self.network("heavy_tail", float(nu)).bind(self.label)

    def for_class(self, label: int) -> "DigitNetworks":
        """The same networks (loaded once) asked for class `label` (0–9)."""
        return DigitNetworks(self.seed, label, self._nets)

    def __repr__(self):
        return f"DigitNetworks(seed={self.seed})"


def generate(denoiser, sigmas, n: int = 400, seed: int = 0) -> torch.Tensor:
    """n images of `denoiser` by Heun's method on the grid `sigmas`, from σ_0·N(0, I) drawn with
    torch.Generator(seed): every method given the same seed starts from the same noise."""
    gen = torch.Generator().manual_seed(check_int(seed, "seed", 0))
    x0 = float(sigmas[0]) * torch.randn(check_int(n, "n", 1), *digits.SHAPE, generator=gen)
    return heun(getattr(denoiser, "denoise", denoiser), x0, sigmas)


class DigitsSetup:
    """Networks per training seed, the sampler grid (Heun, `steps` steps, σ from sigma_max to
    sigma_min, ρ = 7) and the metrics (`imagemetrics.DigitMetrics`)."""

    sample_shape = digits.SHAPE

    def __init__(self, training_seeds=(0,), steps: int = 18, sigma_min: float = 0.002,
                 sigma_max: float = 80.0):
        seeds = [check_int(s, "training_seeds[i]", 0) for s in training_seeds]
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError(f"training_seeds must be distinct seeds >= 0, at least one, got "
                             f"{training_seeds!r}")
        self.split = digits.load()
        self._networks: dict = {}
        self.nets = [self.networks(s) for s in seeds]
        self.sigmas = karras_sigmas(steps, sigma_min, sigma_max)
        self.measure = DigitMetrics()
        self.exact = self.measure.exact

    @property
    def metric_names(self) -> tuple:
        return self.measure.names

    def networks(self, seed: int) -> DigitNetworks:
        seed = check_int(seed, "seed", 0)
        if seed not in self._networks:
            self._networks[seed] = DigitNetworks(seed)
        return self._networks[seed]

    def start(self, n: int, seed: int) -> torch.Tensor:
        """The start noise of sampling seed `seed`: σ_max·N(0, I), [n, 1, 8, 8]."""
        gen = torch.Generator().manual_seed(check_int(seed, "seed", 0))
        return float(self.sigmas[0]) * torch.randn(check_int(n, "n", 1), *digits.SHAPE, generator=gen)

    def sample(self, denoiser, n: int = 400, seed: int = 0, sigmas=None) -> torch.Tensor:
        """n images of `denoiser` (a model's bound `.denoise`, a guided denoiser) by Heun's method."""
        return generate(denoiser, self.sigmas if sigmas is None else sigmas, n, seed)

    def metrics(self, x, labels=None) -> dict:
        return self.measure(x, labels)

    def evaluate(self, denoiser, seeds=(0, 1, 2), n: int = 400, sigmas=None) -> Measured:
        """{metric: [value per seed]} as a `runs.Measured`, like `ToySetup.evaluate`."""
        seeds = list(seeds)
        out: dict = {}
        for seed in seeds:
            for k, v in self.metrics(self.sample(denoiser, n, seed, sigmas)).items():
                out.setdefault(k, []).append(v)
        return Measured(out, n, seeds, sigmas)

    def floor(self, seeds=(0, 1, 2), n: int = 400) -> dict:
        """The metrics of n training images (drawn per seed, balanced classes) against the test
        split: what a model that sampled the training distribution exactly would score (its
        'memorised' is 1 by construction: they are the training images)."""
        out: dict = {}
        y = self.split.y_train
        for seed in seeds:
            gen = torch.Generator().manual_seed(10_000 + seed)
            lab = digits.balanced_labels(n)
            idx = torch.empty(n, dtype=torch.int64)
            for c in range(digits.NUM_CLASSES):
                pool = (y == c).nonzero()[:, 0]
                want = lab == c
                idx[want] = pool[torch.randint(len(pool), (int(want.sum()),), generator=gen)]
            for k, v in self.metrics(self.split.x_train[idx], lab).items():
                out.setdefault(k, []).append(v)
        return out


def best_setting(results: dict, accuracy_floor: float | None = None, recall_floor: float = 0.9):
    """The digits criterion for a method's best setting: among candidates whose mean recall is at
    least `recall_floor` (and mean accuracy at least `accuracy_floor`, if given), the lowest mean
    FD; ties go to the higher accuracy. Returns (candidate, True), or (the highest-recall
    candidate, False) when none qualifies."""
    import numpy as np
    if not results:
        raise ValueError("results must hold at least one candidate")
    m = lambda c, k: float(np.mean(results[c][k]))
    ok = [c for c in results if m(c, "recall") >= recall_floor
          and (accuracy_floor is None or m(c, "accuracy") >= accuracy_floor)]
    if ok:
        return min(ok, key=lambda c: (m(c, "fd"), -m(c, "accuracy"))), True
    return max(results, key=lambda c: m(c, "recall")), False
