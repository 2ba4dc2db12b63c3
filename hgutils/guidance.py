"""Guidance: a denoiser made of two, combined in score space, with a weight schedule.

    s(x; σ) = s_main(x; σ) + γ·(s_main(x; σ) − s_guide(x; σ_g)),   γ = w − 1,   D = x + σ²·s

w = 1 (γ = 0) is no guidance. In density form the guided model samples (at each σ)
p_w ∝ p₁·(p₁/p₀)^γ, with p₁ the main model's p(x; σ) and p₀ the guide's p(x; σ_g): the presentation's
"p₁(p₁/p₀)^w" is this formula with its exponent named w, i.e. its w is our γ = w − 1.

The guide is anything with a ``score(x, sigma)`` (or a plain denoiser callable ``D(x, sigma)``):
another network (CFG: the unconditional model; autoguidance: a smaller, shorter-trained model),
an exact oracle (`hgutils.toy.Tree`), or the main network itself at σ_g = k·σ (sigma scaling).
Scores are combined, not denoised outputs. With D = x + σ²s for the main model at σ and
D_g = x + σ_g²·s_guide for the guide at σ_g, a denoiser-space blend D + γ(D − D_g) equals
x + σ²[s_main + γ(s_main − s_guide)] + γ(σ² − σ_g²)·s_guide: for σ_g ≠ σ it adds a term along
the guide's score that p₁·(p₁/p₀)^γ does not contain (for σ_g = kσ, an extra (1 − k²)γσ² step).
The two agree only when σ_g = σ; the score is the gradient of the log-density the formula is about.

Schedules map the sampler's progress p ∈ [0, 1] (0 at the first step, σ_max; 1 at the last
nonzero σ) and σ to a weight w. The guided denoiser finds p from σ on the sampler's σ grid, so
samplers stay unaware of guidance: a guided denoiser is just a denoiser.
"""
from __future__ import annotations

import math

import torch

from ._checks import append_dims, check_float

# ---------------------------------------------------------------------------- schedules


def _check_w(w, name="w") -> float:
    try:
        v = float(w)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number >= 0 (1 = no guidance), got {w!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0 (1 = no guidance), got {w!r}")
    return v


class Schedule:
    """Base class: ``w(progress, sigma)``; `mean_w` is the weight it is compared with."""

    name = "schedule"
    needs_progress = True

    def __call__(self, progress: float, sigma: float) -> float:
        raise NotImplementedError

    def weights(self, sigmas: torch.Tensor) -> list[float]:
        """w at each sampler step i (σ_i, p_i = i/(N−1)) of a grid σ_0 > … > σ_{N−1} > σ_N = 0."""
        s = [float(v) for v in sigmas if float(v) > 0]
        n = len(s)
        return [self(i / max(n - 1, 1), s[i]) for i in range(n)]


class Constant(Schedule):
    """w(p) = w."""
    name, needs_progress = "constant", False

    def __init__(self, w: float):
        self.w = _check_w(w)

    def __call__(self, progress, sigma):
        return self.w

    def __repr__(self):
        return f"Constant(w={self.w:g})"


class Linear(Schedule):
    """Increasing linearly from no guidance (Wang et al. 2024): γ(p) = 2·γ̄·p, γ̄ = w_mean − 1.
    Its mean over evenly spaced steps p_i = i/(N−1) is exactly γ̄, i.e. mean w = w_mean."""
    name = "linear"

    def __init__(self, w_mean: float):
        self.w_mean = _check_w(w_mean, "w_mean")

    def __call__(self, progress, sigma):
        return 1 + (self.w_mean - 1) * 2 * progress

    def __repr__(self):
        return f"Linear(w_mean={self.w_mean:g})"


class Cosine(Schedule):
    """Increasing along a half cosine (Wang et al. 2024): γ(p) = γ̄·(1 − cos πp); mean over
    evenly spaced steps is exactly γ̄, i.e. mean w = w_mean."""
    name = "cosine"

    def __init__(self, w_mean: float):
        self.w_mean = _check_w(w_mean, "w_mean")

    def __call__(self, progress, sigma):
        return 1 + (self.w_mean - 1) * (1 - math.cos(math.pi * progress))

    def __repr__(self):
        return f"Cosine(w_mean={self.w_mean:g})"


class PresentationCosine(Schedule):
    """The presentation's w_t = ½·w_max·(1 + cos(π t/T)), t counting down from T (first step) to 0.

    Two readings. The default applies the shape to the guidance strength, so that it rises from
    no guidance (w = 1) to w_max: γ(p) = ½·(w_max − 1)·(1 − cos πp) (the shape of `Cosine` with
    w_mean = (1 + w_max)/2). ``literal=True`` takes the formula as the weight itself in this
    study's (w − 1) convention: w(p) = ½·w_max·(1 − cos πp), which starts at w = 0 (the guided score
    is then the guide's own) and stays below 1 — guidance away from the main model, toward the
    guide — until 1 − cos πp = 2/w_max."""
    name = "presentation_cosine"

    def __init__(self, w_max: float, literal: bool = False):
        self.w_max = _check_w(w_max, "w_max")
        if not isinstance(literal, bool):
            raise ValueError(f"literal must be True or False, got {literal!r}")
        self.literal = literal

    def __call__(self, progress, sigma):
        rise = 0.5 * (1 - math.cos(math.pi * progress))                # 0 → 1
        return self.w_max * rise if self.literal else 1 + (self.w_max - 1) * rise

    def __repr__(self):
        lit = ", literal=True" if self.literal else ""
        return f"PresentationCosine(w_max={self.w_max:g}{lit})"


class Interval(Schedule):
    """Guidance in a limited interval (Kynkäänniemi et al. 2024): w for σ ∈ (σ_lo, σ_hi], else 1.
    With ``inside=False`` it is the presentation's negative perturbation: w everywhere except for
    σ ∈ (σ_lo, σ_hi], where guidance is removed (w = 1)."""
    needs_progress = False

    def __init__(self, w: float, sigma_lo: float, sigma_hi: float, inside: bool = True):
        self.w = _check_w(w)
        self.sigma_lo = check_float(sigma_lo, "sigma_lo", 0)
        self.sigma_hi = check_float(sigma_hi, "sigma_hi", 0)
        if not self.sigma_lo < self.sigma_hi:
            raise ValueError(f"sigma_lo must be < sigma_hi, got sigma_lo={sigma_lo}, sigma_hi={sigma_hi}")
        self.inside = bool(inside)
        self.name = "interval" if inside else "removed"

    def __call__(self, progress, sigma):
        hit = self.sigma_lo < sigma <= self.sigma_hi
        return self.w if hit == self.inside else 1.0

    def __repr__(self):
        kind = "Interval" if self.inside else "Removed"
        return f"{kind}(w={self.w:g}, sigma in ({self.sigma_lo:g}, {self.sigma_hi:g}])"


def Removed(w: float, sigma_lo: float, sigma_hi: float) -> Interval:
    """The negative perturbation: constant w except none for σ ∈ (σ_lo, σ_hi]."""
    return Interval(w, sigma_lo, sigma_hi, inside=False)


def as_schedule(w) -> Schedule:
    """A schedule as it is, or a number as a constant weight (checked)."""
    return w if isinstance(w, Schedule) else Constant(w)


SCHEDULES = {"constant": Constant, "linear": Linear, "cosine": Cosine, "presentation_cosine": PresentationCosine,
             "interval": Interval, "removed": Removed}


def schedule(name: str, *args, **kwargs) -> Schedule:
    """A schedule by name, e.g. schedule("cosine", 3.0) or schedule("interval", 3, 0.1, 1.0)."""
    if name not in SCHEDULES:
        raise ValueError(f"schedule must be one of {sorted(SCHEDULES)}, got {name!r}")
    return SCHEDULES[name](*args, **kwargs)


# ---------------------------------------------------------------------------- the guided denoiser


def progress_on_grid(log_sigmas, sigma: float) -> float:
    """p ∈ [0, 1] of a noise level on a decreasing grid of ln σ (p_i = i/(N−1) at its points,
    interpolated in ln σ between them, clamped outside); 0 without a grid."""
    if log_sigmas is None:
        return 0.0
    ls = log_sigmas
    n = len(ls)
    if n == 1:
        return 0.0
    v = math.log(sigma)
    if v >= ls[0]:
        return 0.0
    if v <= ls[-1]:
        return 1.0
    i = int(torch.searchsorted(-ls, torch.tensor(-v, dtype=torch.float64)))   # ls[i-1] > v >= ls[i]
    frac = (float(ls[i - 1]) - v) / (float(ls[i - 1]) - float(ls[i]))
    return (i - 1 + frac) / (n - 1)


def score_fn(model, name: str):
    """A score function s(x, σ) for a model with `.score`, or for a plain denoiser callable D(x, σ)."""
    if hasattr(model, "score") and callable(model.score):
        return model.score
    if callable(model):
        def s(x, sigma):
            sig = append_dims(torch.as_tensor(sigma, dtype=x.dtype, device=x.device), x.ndim)
            return (model(x, sigma) - x) / sig ** 2
        return s
    raise ValueError(f"{name} must have a score(x, sigma) method or be a denoiser callable D(x, sigma), "
                     f"got {type(model).__name__}")


def _device(model):
    if isinstance(model, torch.nn.Module):
        for t in list(model.parameters()) + list(model.buffers()):
            return t.device
    return None


class GuidedDenoiser:
    """D(x; σ) = x + σ²·[s_main(x; σ) + γ·(s_main(x; σ) − s_guide(x; k·σ))], γ = w(p, σ) − 1.

    main, guide: models with ``score(x, sigma)`` (or denoiser callables). A main model with
    ``score_pair(guide, x, σ, σ_g)`` → (s_main, s_guide) or None evaluates both in one batched
    call when it can (`digits.Bound`: the same network with another class or noise level).
    w: a number (constant weight) or a `Schedule`.
    sigmas: the sampler's σ grid, needed by schedules that follow the progress p.
    guide_scale: k in σ_g = k·σ (1 for CFG and autoguidance; > 1 for sigma scaling).
    dim: the data dimension main and guide must both accept, or None for any sample shape
    [N, ...] (points, images); "auto": None when main declares a ``sample_shape`` (an image
    model), else 2. The score's shape is checked on the first call.

    x is any batch [N, ...]; the sampler validates it once per call, so a call here checks only
    its type and rank (no read of the values: no device synchronisation per step).

    `combine` is the guidance rule: override it for a rule that combines the two scores differently.
    """

    def __init__(self, main, guide, w=1.0, *, sigmas=None, guide_scale: float = 1.0, dim="auto"):
        self.schedule = as_schedule(w)
        self.main, self.guide = main, guide
        self.s_main, self.s_guide = score_fn(main, "main"), score_fn(guide, "guide")
        self.guide_scale = check_float(guide_scale, "guide_scale", 0, low_open=True)
        dm, dg = _device(main), _device(guide)
        if dm is not None and dg is not None and dm != dg:
            raise ValueError(f"guide is on device {dg} but main is on {dm}: put both on the same device")
        self._log_sigmas = None
        if sigmas is not None:
            s = torch.as_tensor(sigmas, dtype=torch.float64)
            s = s[s > 0]
            if len(s) < 1 or (len(s) > 1 and (s[1:] >= s[:-1]).any()):
                raise ValueError("sigmas must be the sampler's decreasing σ grid")
            self._log_sigmas = s.log()
        elif self.schedule.needs_progress:
            raise ValueError(f"sigmas (the sampler's σ grid) is required by the {self.schedule.name!r} schedule")
        self.dim = _dim(main) if isinstance(dim, str) and dim == "auto" else dim
        self._checked = False     # shapes are checked on the first call, not with a
                                                  # probe here (it would count in the sampler's cost)

    def progress(self, sigma: float) -> float:
        """p ∈ [0, 1] of a noise level on the grid (interpolated in ln σ; clamped outside)."""
        return progress_on_grid(self._log_sigmas, sigma)

    def weight(self, sigma: float) -> float:
        return self.schedule(self.progress(sigma), sigma)

    def score(self, x, sigma):
        if not (isinstance(x, torch.Tensor) and x.is_floating_point() and x.ndim >= 2):
            raise ValueError(f"x must be a float torch.Tensor batch [N, ...], got "
                             f"{type(x).__name__} {list(getattr(x, 'shape', []))}")
        if self.dim is not None and (x.ndim != 2 or x.shape[1] != self.dim):
            raise ValueError(f"x must have shape [N, {self.dim}], got {list(x.shape)}")
        s = float(sigma) if not (isinstance(sigma, torch.Tensor) and sigma.ndim == 1) else None
        if s is None:                                     # per-point σ: only for constant weights
            if self.schedule.needs_progress or isinstance(self.schedule, Interval):
                raise ValueError("a per-point sigma tensor needs a constant weight; pass a scalar sigma")
            gamma = self.schedule(0.0, 0.0) - 1
        else:
            gamma = self.weight(s) - 1
        if gamma == 0:
            return self._call("main", self.s_main, x, sigma)
        # one batched call of both when main can make it (the same network with another label
        # or noise level: CFG, sigma scaling); None: two calls
        pair = getattr(self.main, "score_pair", None)
        both = pair(self.guide, x, sigma, sigma * self.guide_scale) if pair else None
        if both is None:
            sm = self._call("main", self.s_main, x, sigma)
            both = sm, self._call("guide", self.s_guide, x, sigma * self.guide_scale)
        self._checked = True
        return self.combine(*both, gamma)

    def combine(self, s_main, s_guide, gamma):
        """The guidance rule: s = s_main + γ·(s_main − s_guide), γ = w − 1 (all of guidance)."""
        return s_main + gamma * (s_main - s_guide)

    def _call(self, name, fn, x, sigma):
        """fn(x, σ); until both models have answered once, a failure or a score of the wrong shape
        is reported as a clear error (no extra call: it would count in the sampler's cost)."""
        if self._checked:
            return fn(x, sigma)
        shape = ", ".join(str(d) for d in x.shape[1:])
        try:
            out = fn(x, sigma)
        except (RuntimeError, ValueError) as e:
            raise ValueError(f"{name} failed on an input of shape [N, {shape}] (another input "
                             f"shape or device?): {e}") from None
        if out.shape != x.shape:
            raise ValueError(f"{name} returned a score of shape {list(out.shape)} for x of shape "
                             f"{list(x.shape)}")
        return out

    def __call__(self, x, sigma):
        """The guided denoiser D = x + σ²·s."""
        s = self.score(x, sigma)
        sig = append_dims(torch.as_tensor(sigma, dtype=x.dtype, device=x.device), x.ndim)
        return x + sig ** 2 * s

    denoise = __call__

    def __repr__(self):
        k = f", guide at {self.guide_scale:g}·σ" if self.guide_scale != 1 else ""
        return f"GuidedDenoiser({self.schedule!r}{k})"


def _dim(model):
    """The data dimension GuidedDenoiser checks: 2 for the toy's point models, None (any shape)
    for models that declare ``sample_shape`` (image models)."""
    return None if hasattr(model, "sample_shape") else 2


def guided(main, guide, w=1.0, *, sigmas=None, guide_scale: float = 1.0) -> GuidedDenoiser:
    """Shorthand for GuidedDenoiser."""
    return GuidedDenoiser(main, guide, w, sigmas=sigmas, guide_scale=guide_scale)


def sigma_scaling(main, k: float, w=2.0, *, sigmas=None) -> GuidedDenoiser:
    """The presentation's sigma scaling: guide = the main model itself at σ_g = k·σ (k = 1 is no guidance)."""
    return GuidedDenoiser(main, main, w, sigmas=sigmas, guide_scale=k)


def heavy_tail(main, guide, w=2.0, *, k: float = 1.0, sigmas=None) -> GuidedDenoiser:
    """The presentation's heavy-tail guidance: p₀ = p_data ∗ T_ν(0, σ_g²I), σ_g = k·σ, a more spread-out
    version of the data than p₁ = p_data ∗ N(0, σ²I). `guide` models p₀: the exact oracle
    `toy.StudentT(tree, ν)` or a network trained with Student-t noise (`train.heavy_tail_config(ν)`).
    With ν = ∞ and the main network as guide this is `sigma_scaling`."""
    return GuidedDenoiser(main, guide, w, sigmas=sigmas, guide_scale=k)

