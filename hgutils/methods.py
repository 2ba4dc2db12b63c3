"""The registry of guidance methods that the results chapter compares: one entry per method.

A method is a way to build a denoiser from one training seed's networks (`experiments.Networks`)
and the value of the one knob the results chapter searches. Adding a method is one entry here:
chapter 9 reads this registry for its candidates, its tables, the paired comparisons and the
results file.

    build(setup, nets, value) → denoiser       (setup: `experiments.ToySetup`, for the σ grid)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._checks import check_int
from .guidance import (Cosine, GuidedDenoiser, Interval, Linear, PresentationCosine, heavy_tail,
                       sigma_scaling)

HT_NU = 10.0          # heavy-tail guidance: the tail order held (chapter 6's best learned guide)
SS_W = 3.0            # sigma scaling: the weight held while k varies (chapter 7)
SSC_W_MAX = 3.0       # sigma scaling + the presentation's cosine: its w_max (chapter 8)
INTERVAL = (0.0, 0.1)  # interval CFG: guidance only for σ in this (lo, hi] (chapter 4)


@dataclass(frozen=True)
class Method:
    """knob: the searched knob as shown; span: (first, last) value of chapter 9's grid (None: a
    single setting); build(setup, nets, value) → denoiser; setting(value) → its name; extra: the
    second model it needs; chapter: where it is studied."""
    knob: str
    span: tuple | None
    build: Callable
    setting: Callable
    extra: str
    chapter: str


def _g(guide_of, schedule=None):
    """build() of a method guiding the main model by the network `guide_of(nets)`."""
    def build(setup, nets, v):
        w = v if schedule is None else schedule(v)
        return GuidedDenoiser(nets.main, guide_of(nets), w, sigmas=setup.sigmas)
    return build


_uncond = lambda nets: nets.uncond
_lo, _hi = INTERVAL
METHODS = {
    "no guidance": Method("w", None, lambda setup, nets, v: nets.main.denoise,
                          lambda v: "w = 1", "—", "02_score_ode"),
    "CFG": Method("w", (1.15, 1.6), _g(_uncond), lambda v: f"w = {v:g}",
                  "unconditional model", "03_cfg"),
    "CFG + linear": Method("w̄", (1.1, 1.4), _g(_uncond, Linear), lambda v: f"w̄ = {v:g}",
                           "unconditional model", "04_schedules"),
    "CFG + cosine": Method("w̄", (1.1, 1.4), _g(_uncond, Cosine), lambda v: f"w̄ = {v:g}",
                           "unconditional model", "04_schedules"),
    "interval CFG": Method("w", (1.25, 2.0), _g(_uncond, lambda w: Interval(w, _lo, _hi)),
                           lambda v: f"w = {v:g}, σ ∈ ({_lo:g}, {_hi:g}]",
                           "unconditional model", "04_schedules"),
    "autoguidance": Method("w", (1.25, 2.0), _g(lambda nets: nets.autoguide),
                           lambda v: f"w = {v:g}", "smaller, shorter-trained model",
                           "05_autoguidance"),
    "heavy tail (learned)": Method(
        "w", (1.5, 2.4), lambda setup, nets, v: heavy_tail(nets.main, nets.heavy_tail(HT_NU), v),
        lambda v: f"ν = {HT_NU:g}, w = {v:g}", "fine-tuned model per ν", "06_heavy_tail"),
    "sigma scaling": Method(
        "k", (1.02, 1.08), lambda setup, nets, v: sigma_scaling(nets.main, v, SS_W),
        lambda v: f"k = {v:g}, w = {SS_W:g}", "none", "07_sigma_scaling"),
    "sigma scaling + cosine": Method(
        "k", (1.04, 1.10),
        lambda setup, nets, v: sigma_scaling(nets.main, v, PresentationCosine(SSC_W_MAX),
                                             sigmas=setup.sigmas),
        lambda v: f"k = {v:g}, w_max = {SSC_W_MAX:g}", "none", "08_schedule_sigma_scaling"),
}


def grid(name: str, size: int) -> list[float]:
    """`size` values evenly spaced over the method's span (one value, 1, without a span)."""
    m = METHODS[name]
    if m.span is None:
        return [1.0]
    size = check_int(size, "size", 2)
    return [round(float(v), 4) for v in np.linspace(*m.span, size)]
