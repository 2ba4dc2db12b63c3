"""Argument validation shared by the hgutils modules: every error names the argument and what is allowed."""
from __future__ import annotations

import math

import torch


def check_points(x, name: str = "x", dim: int = 2, finite: bool = True) -> torch.Tensor:
    """Return `x` as a float tensor of shape [N, dim]; raise ValueError otherwise. With
    finite=False, NaN and inf rows are allowed (samples of a sampler that may diverge)."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a float torch.Tensor of shape [N, {dim}], got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"{name} must have shape [N, {dim}], got {list(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if finite and not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return x


def check_batch(x, name: str = "x", finite: bool = True) -> torch.Tensor:
    """Return `x` as a floating-point batch [N, ...] (points [N, d], images [N, C, H, W]); raise
    ValueError otherwise. The finiteness check reads the values (a device synchronisation): run
    it once per sampling call, not per step (finite=False skips it)."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a float torch.Tensor of shape [N, ...], got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{name} must be a batch of shape [N, ...] (points [N, d], images "
                         f"[N, C, H, W]), got shape {list(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if finite and not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return x


def append_dims(v: torch.Tensor, ndim: int) -> torch.Tensor:
    """A per-sample tensor [N] (or a 0-d one) shaped to broadcast over a batch of `ndim` dims:
    [N, 1, ..., 1] (0-d stays 0-d)."""
    return v if v.ndim == 0 else v.reshape(v.shape + (1,) * (ndim - v.ndim))


def check_sigma(sigma, n: int, name: str = "sigma", device=None, dtype=torch.float32, positive=False) -> torch.Tensor:
    """Return sigma as an [n] tensor; a float or an [n] tensor is allowed, σ ≥ 0 (σ > 0 if `positive`)."""
    if isinstance(sigma, torch.Tensor):
        s = sigma.to(device=device, dtype=dtype)
        if s.ndim == 0:
            s = s.expand(n)
        elif s.ndim != 1 or s.shape[0] != n:
            raise ValueError(f"{name} must be a float or a tensor of shape [{n}], got shape {list(s.shape)}")
    else:
        try:
            v = float(sigma)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a float or a tensor of shape [{n}], got {sigma!r}") from None
        s = torch.full((n,), v, device=device, dtype=dtype)
    if torch.isnan(s).any():
        raise ValueError(f"{name} must not be NaN; allowed: {name} >= 0")
    bad = (s <= 0) if positive else (s < 0)
    if bad.any():
        allowed = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be {allowed}, got {float(s[bad][0])}")
    if torch.isinf(s).any():
        raise ValueError(f"{name} must be finite")
    return s


def check_nu(nu) -> float:
    """Degrees of freedom ν ≥ 1 (the Cauchy tail and lighter); math.inf means Gaussian.

    Below ν = 1 the Student-t quadrature of `toy` is not verified and draws of the noise
    overflow, so such ν are refused rather than answered wrongly."""
    allowed = "a number >= 1 (1 is the Cauchy tail; math.inf for Gaussian noise)"
    try:
        v = float(nu)
    except (TypeError, ValueError):
        raise ValueError(f"nu must be {allowed}, got {nu!r}") from None
    if math.isnan(v) or v < 1:
        raise ValueError(f"nu must be {allowed}, got {nu!r}")
    return v


def check_int(value, name: str, minimum: int = 1) -> int:
    """An integer >= minimum (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (hasattr(value, "__index__")):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    v = int(value)
    if v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v}")
    return v


def check_float(value, name: str, low=None, high=None, low_open=False) -> float:
    """A finite float in [low, high] (or (low, high] when low_open)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (v <= low if low_open else v < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v
