"""A class-conditional diffusers `UNet2DModel` in the EDM σ-parameterization, and its training.

    D(x; σ, c) = c_skip(σ)·x + c_out(σ)·F_θ(c_in(σ)·x; c_noise(σ), c)          x: [N, 1, 8, 8]
    c_skip = σ_d²/(σ² + σ_d²),  c_out = σσ_d/√(σ² + σ_d²),  c_in = 1/√(σ² + σ_d²)

as for the toy (Karras et al. 2022), with σ_d measured from the training pixels. diffusers' UNet
embeds an integer-like timestep with sinusoids made for t ∈ [0, 1000]; it gets
t = 100·(ln σ + 7) (σ = 0.002 → 78, σ = 80 → 1138), an affine map of EDM's c_noise = ln(σ)/4.
The class c is an embedding added to the time embedding; class `digits.NULL` (10) is "no class",
seen in training with probability `label_dropout` (classifier-free guidance's unconditional model).

Training: the EDM loss λ(σ)·‖D(y + σn; σ, c) − y‖², λ = (σ² + σ_d²)/(σσ_d)², ln σ ~ N(P_mean,
P_std²), Adam with lr = lr_ref/√max(i/lr_iter, 1) and a power-function EMA (EDM2). With ν finite
the noise is Student-t, n = z/√κ (κ ~ Gamma(ν/2, rate ν/2), one κ per image), and the target is
the denoiser of the Student-t kernel (denoising score matching with that kernel):

    x + σ²·∇ₓ log T_ν(x − y; σ) = x − (ν + d)·(x − y)·σ²/(νσ² + ‖x − y‖²),   d = 64,

with the loss of far points (‖c_in·x‖²/d ≫ 9) weighted down as for the toy. `init` fine-tunes a
trained model (the heavy-tail guide and its Gaussian control start from the main model).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from . import digits
from ._checks import append_dims, check_float, check_int, check_nu, check_sigma
from .runtime import progress


@dataclass(frozen=True)
class UNetConfig:
    """A class-conditional `UNet2DModel` trained on the digits' training split."""
    channels: tuple = (16, 32)
    iters: int = 1200
    batch: int = 128
    seed: int = 0
    P_mean: float = -1.2
    P_std: float = 1.2
    lr_ref: float = 4e-3
    lr_iter: int = 300
    ema_std: float = 0.05
    label_dropout: float = 0.1
    nu: float = math.inf
    kappa_min: float = 1e-3
    init: "UNetConfig | None" = None

    def __post_init__(self):
        ch = self.channels
        if (not isinstance(ch, (tuple, list)) or len(ch) < 1
                or any(isinstance(c, bool) or not isinstance(c, int) or c < 4 or c % 4 for c in ch)):
            raise ValueError(f"channels must be a tuple of multiples of 4 (one per level), got {ch!r}")
        object.__setattr__(self, "channels", tuple(int(c) for c in ch))
        for name in ("iters", "batch", "lr_iter"):
            object.__setattr__(self, name, check_int(getattr(self, name), name, 1))
        object.__setattr__(self, "seed", check_int(self.seed, "seed", 0))
        for name, lo in (("P_std", 0), ("lr_ref", 0)):
            object.__setattr__(self, name, check_float(getattr(self, name), name, lo, low_open=True))
        object.__setattr__(self, "P_mean", check_float(self.P_mean, "P_mean"))
        object.__setattr__(self, "ema_std", check_float(self.ema_std, "ema_std", 0, 0.28, low_open=True))
        object.__setattr__(self, "label_dropout", check_float(self.label_dropout, "label_dropout", 0, 1))
        object.__setattr__(self, "nu", check_nu(self.nu))
        object.__setattr__(self, "kappa_min", check_float(self.kappa_min, "kappa_min", 0, 1, low_open=True))
        if self.init is not None:
            if not isinstance(self.init, UNetConfig):
                raise ValueError(f"init must be a UNetConfig or None, got {type(self.init).__name__}")
            if self.init.channels != self.channels:
                raise ValueError(f"init must have the same channels: {self.init.channels} vs {self.channels}")


class EDMUNet(torch.nn.Module):
    """``denoise(x, sigma, labels)`` → D(x; σ, c): [N, 1, 8, 8]; ``score`` likewise. ``bind(label)``
    gives the two-argument denoiser of samplers and guidance (`digits.Bound`)."""

    sample_shape = digits.SHAPE

    def __init__(self, channels=(16, 32), sigma_data: float | None = None, seed: int = 0):
        super().__init__()
        from diffusers import UNet2DModel

        self.sigma_data = digits.load().sigma_data if sigma_data is None else float(sigma_data)
        groups = math.gcd(*channels, 8)
        with torch.random.fork_rng(devices=[]):                 # deterministic initialisation
            torch.manual_seed(seed)
            self.unet = UNet2DModel(
                sample_size=8, in_channels=1, out_channels=1, layers_per_block=1,
                block_out_channels=tuple(channels), norm_num_groups=groups,
                down_block_types=("DownBlock2D",) * len(channels),
                up_block_types=("UpBlock2D",) * len(channels),
                num_class_embeds=digits.NUM_CLASSES + 1)          # 0–9 and NULL

    def denoise(self, x, sigma, labels):
        if not (isinstance(x, torch.Tensor) and x.ndim == 4 and tuple(x.shape[1:]) == digits.SHAPE):
            raise ValueError(f"x must be images of shape [N, 1, 8, 8], got "
                             f"{list(getattr(x, 'shape', [])) or type(x).__name__}")
        s = check_sigma(sigma, len(x), device=x.device, dtype=x.dtype, positive=True)
        return self._denoise(x, s, digits.check_labels(labels, len(x)).to(x.device))

    def _denoise(self, x, sigma, labels):
        """`denoise` without checks: σ (a number, a 0-d or an [N] tensor, > 0) and the labels are
        validated once per sampling call (`digits.Bound`, the sampler), not on every step, so
        a step reads no values back from the device."""
        s = torch.as_tensor(sigma, dtype=x.dtype).to(x.device, non_blocking=True)
        s = s.expand(len(x)) if s.ndim == 0 else s                  # [N]
        sd = self.sigma_data
        c_skip = sd ** 2 / (s ** 2 + sd ** 2)
        c_out = s * sd / (s ** 2 + sd ** 2).sqrt()
        c_in = 1 / (s ** 2 + sd ** 2).sqrt()
        t = 100 * (s.log() + 7)                                   # an affine map of ln(σ)/4
        f = self.unet(append_dims(c_in, 4) * x, t, class_labels=labels).sample
        return append_dims(c_skip, 4) * x + append_dims(c_out, 4) * f

    forward = denoise

    def score(self, x, sigma, labels):
        s = append_dims(torch.as_tensor(sigma, dtype=x.dtype, device=x.device), x.ndim)
        return (self.denoise(x, sigma, labels) - x) / s ** 2

    def bind(self, label=None) -> digits.Bound:
        """The model for the balanced classes (None), one class (0–9) or no class (NULL)."""
        return digits.Bound(self, label)


def _targets(cfg: UNetConfig, y, sigma, gen):
    """(x, target D) of one batch: Gaussian noise, or Student-t noise with the kernel's denoiser."""
    n = torch.randn(y.shape, generator=gen)
    if math.isinf(cfg.nu):
        return y + append_dims(sigma, 4) * n, y
    from .train import _kappa                      # κ ~ Gamma(ν/2, rate ν/2), κ ≥ kappa_min

    kappa = _kappa(cfg, len(y), gen)                                            # [B]
    x = y + append_dims(sigma / kappa.sqrt(), 4) * n                            # x = y + σ z/√κ
    d = y[0].numel()
    r2 = (x - y).flatten(1).square().sum(1)                                     # ‖x − y‖²
    shrink = (cfg.nu + d) * sigma ** 2 / (cfg.nu * sigma ** 2 + r2)            # [B]
    return x, x - append_dims(shrink, 4) * (x - y)


def train_unet(cfg: UNetConfig) -> EDMUNet:
    """Train an EDMUNet with the EDM loss on the training split; returns the EMA model.
    Deterministic for cfg.seed (two intra-op threads, whatever the machine has)."""
    from .train import _phema_gamma, load_or_train

    split = digits.load()
    # a fine-tune draws its own batches: with the main model's seed it would replay the main
    # model's first batches, noise and σ draws exactly
    gen = torch.Generator().manual_seed(cfg.seed if cfg.init is None else 1_000_003 + cfg.seed)
    net = EDMUNet(cfg.channels, split.sigma_data, seed=cfg.seed).train()
    if cfg.init is not None:
        net.load_state_dict(load_or_train(cfg.init).state_dict())
    ema = EDMUNet(cfg.channels, split.sigma_data).eval().requires_grad_(False)
    ema.load_state_dict(net.state_dict())
    opt = torch.optim.Adam(net.parameters(), betas=(0.9, 0.99))
    gamma, sd = _phema_gamma(cfg.ema_std), split.sigma_data
    far = 9 * split.x_train[0].numel()
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        desc = f"train digits UNet {cfg.channels}" + ("" if math.isinf(cfg.nu) else f" ν={cfg.nu:g}")
        for i in progress(range(cfg.iters), total=cfg.iters, desc=desc):
            for g in opt.param_groups:
                g["lr"] = cfg.lr_ref / math.sqrt(max(i / cfg.lr_iter, 1))
            idx = torch.randint(len(split.x_train), (cfg.batch,), generator=gen)
            y, c = split.x_train[idx], split.y_train[idx].clone()                # [B, 1, 8, 8], [B]
            c[torch.rand(cfg.batch, generator=gen) < cfg.label_dropout] = digits.NULL
            sigma = (torch.randn(cfg.batch, generator=gen) * cfg.P_std + cfg.P_mean).exp()
            x, target = _targets(cfg, y, sigma, gen)
            weight = (sigma ** 2 + sd ** 2) / (sigma * sd) ** 2                  # λ(σ)
            if not math.isinf(cfg.nu):
                weight = weight / (1 + x.flatten(1).square().sum(1) / (far * (sigma ** 2 + sd ** 2)))
            loss = (weight * (net.denoise(x, sigma, c) - target).flatten(1).square().mean(1)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            beta = (1 - 1 / (i + 1)) ** (gamma + 1)
            with torch.no_grad():
                for pe, pn in zip(ema.parameters(), net.parameters()):
                    pe.lerp_(pn.detach(), 1 - beta)
    finally:
        torch.set_num_threads(threads)
    return ema


VERSION = 2     # bump when the training code changes what a config produces (2: fine-tunes
                # draw their own batches)


def config_dict(cfg: UNetConfig) -> dict:
    d = dataclasses.asdict(cfg)
    d["version"] = VERSION
    d["channels"] = list(cfg.channels)
    if math.isinf(cfg.nu):
        d["nu"] = "inf"
    d["init"] = None if cfg.init is None else config_dict(cfg.init)
    return d


def edm_loss(net: EDMUNet, seed: int = 0, n: int = 512, split: str = "test") -> float:
    """The EDM loss of `net` on fixed draws (σ, noise) over `split` images: a held-out check."""
    data = digits.load()
    x, c = (data.x_test, data.y_test) if split == "test" else (data.x_train, data.y_train)
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(len(x), (n,), generator=gen)
    y, c = x[idx], c[idx]
    sigma = (torch.randn(n, generator=gen) * 1.2 - 1.2).exp()
    xn = y + append_dims(sigma, 4) * torch.randn(y.shape, generator=gen)
    sd = net.sigma_data
    with torch.no_grad():
        err = (net.denoise(xn, sigma, c) - y).flatten(1).square().mean(1)
    return float(((sigma ** 2 + sd ** 2) / (sigma * sd) ** 2 * err).mean())


def _register():
    from . import train
    train.register(UNetConfig, train_unet, lambda c: EDMUNet(c.channels), config_dict)


_register()
