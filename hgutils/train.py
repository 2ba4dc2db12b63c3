"""Training the toy models, and the on-disk registry that names each model by its whole config.

Two recipes:

* ``ToyConfig`` → `ToyNet`, by exact score regression against the tree oracle
  (the autoguidance paper's protocol): loss σ²‖s_θ(x; σ) − ∇ log p(x; σ)‖²,
  ln σ ~ N(P_mean, P_std²), Adam with lr = lr_ref/√max(i/lr_iter, 1), and a
  power-function EMA of the weights (EDM2) with relative std ``ema_std``.
  With ``nu`` finite the noise is Student-t (a Gaussian scale mixture): the target is the exact
  Gaussian score at σ/√κ for a drawn scale κ, whose mean given x is the Student-t score, and the
  loss weight falls off for far points (|c_in·x| ≫ 3) so that the heavy tail does not dominate.
  ``init`` fine-tunes an already trained model (`heavy_tail_config`).
* ``DDPMConfig`` → `EpsNet`, by the DDPM loss ‖ε̂(x_t, t) − ε‖² (Ho et al. 2020).

``load_or_train(config)`` returns the model from the cache when a valid file for
exactly that config exists, and otherwise trains it and writes it atomically.
Training is deterministic for a config (its ``seed`` drives every random draw).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from . import toy
from ._checks import check_float, check_int, check_nu
from .nets import SIGMA_DATA, EpsDenoiser, EpsNet, ToyNet, ddpm_alphas_cumprod
from .runtime import progress

FORMAT = 1                       # bump when the training code changes what a config produces
_MAGIC = b"HGUTILS-MODEL\n"


def _set(cfg, name, value):
    """Store a validated field as a plain Python int/float (numpy scalars would not serialise)."""
    object.__setattr__(cfg, name, value)


@dataclass(frozen=True)
class ToyConfig:
    """A `ToyNet` trained by exact score regression on the tree."""
    classes: str = "A"
    num_layers: int = 4
    hidden_dim: int = 64
    iters: int = 4096
    batch: int = 1024
    seed: int = 0
    P_mean: float = -2.3
    P_std: float = 1.5
    lr_ref: float = 1e-2
    lr_iter: int = 512
    ema_std: float = 0.010
    nu: float = math.inf          # noise of the training pairs: Gaussian (∞) or Student-t with ν degrees of freedom
    kappa_min: float = 1e-4       # Student-t only: the scale κ is drawn from Gamma(ν/2, rate ν/2) truncated to κ ≥ kappa_min
    init: "ToyConfig | None" = None   # fine-tune: start from the trained model of this config (same architecture)

    def __post_init__(self):
        if self.classes not in toy.ALLOWED_CLASSES:
            raise ValueError(f"classes must be one of {toy.ALLOWED_CLASSES}, got {self.classes!r}")
        for name in ("num_layers", "hidden_dim", "iters", "batch", "lr_iter"):
            _set(self, name, check_int(getattr(self, name), name, 1))
        _set(self, "seed", check_int(self.seed, "seed", 0))
        _set(self, "P_mean", check_float(self.P_mean, "P_mean"))
        _set(self, "P_std", check_float(self.P_std, "P_std", 0, low_open=True))
        _set(self, "lr_ref", check_float(self.lr_ref, "lr_ref", 0, low_open=True))
        _set(self, "ema_std", check_float(self.ema_std, "ema_std", 0, 0.28, low_open=True))
        _set(self, "nu", check_nu(self.nu))
        _set(self, "kappa_min", check_float(self.kappa_min, "kappa_min", 0, 1, low_open=True))
        if self.init is not None:
            if not isinstance(self.init, ToyConfig):
                raise ValueError(f"init must be a ToyConfig or None, got {type(self.init).__name__}")
            if (self.init.num_layers, self.init.hidden_dim) != (self.num_layers, self.hidden_dim):
                raise ValueError(f"init must have the same architecture: init is {self.init.num_layers}x"
                                 f"{self.init.hidden_dim}, this config {self.num_layers}x{self.hidden_dim}")


@dataclass(frozen=True)
class DDPMConfig:
    """An `EpsNet` trained with the DDPM loss on the tree, linear β schedule."""
    classes: str = "A"
    num_layers: int = 3
    hidden_dim: int = 128
    fourier: int = 6
    T: int = 1000
    iters: int = 3000
    batch: int = 1024
    seed: int = 0
    lr: float = 2e-3
    t_power: float = 1.0       # t = ⌈T·u^t_power⌉, u ~ U(0, 1]: 1 is uniform, > 1 draws small t more often

    def __post_init__(self):
        if self.classes not in toy.ALLOWED_CLASSES:
            raise ValueError(f"classes must be one of {toy.ALLOWED_CLASSES}, got {self.classes!r}")
        for name in ("num_layers", "hidden_dim", "T", "iters", "batch"):
            _set(self, name, check_int(getattr(self, name), name, 1))
        _set(self, "fourier", check_int(self.fourier, "fourier", 0))
        _set(self, "seed", check_int(self.seed, "seed", 0))
        _set(self, "lr", check_float(self.lr, "lr", 0, low_open=True))
        _set(self, "t_power", check_float(self.t_power, "t_power", 0, low_open=True))


# ---------------------------------------------------------------------------- EMA

def _phema_gamma(std: float) -> float:
    """Exponent γ of the power-function EMA whose relative std is `std` (EDM2, Karras et al. 2024).

    σ_rel² = (γ+1) / ((γ+2)²(γ+3)), decreasing in γ; solved by bisection in log γ.
    """
    rel = lambda g: math.sqrt((g + 1) / ((g + 2) ** 2 * (g + 3)))
    lo, hi = 1e-6, 1e9
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if rel(mid) > std else (lo, mid)
    return math.sqrt(lo * hi)


# ---------------------------------------------------------------------------- training

def _kappa(cfg: ToyConfig, n: int, gen: torch.Generator) -> torch.Tensor:
    """n draws of the Student-t scale κ ~ Gamma(ν/2, rate ν/2) truncated to κ ≥ kappa_min (inverse CDF): [n]."""
    from scipy.special import gammainc, gammaincinv

    a = cfg.nu / 2
    lo = float(gammainc(a, a * cfg.kappa_min))                                   # P(κ < kappa_min)
    u = torch.rand(n, generator=gen, dtype=torch.float64)
    q = (lo + u * (1 - lo)).clamp(max=1 - 1e-16).numpy()
    return torch.from_numpy(gammaincinv(a, q) / a).float()


def _batches(cfg: ToyConfig, gen: torch.Generator):
    """The training batches (σ [B], x [B, 2], target score [B, 2]), in order; deterministic for `gen`.

    Gaussian noise: x = y + σn and the exact score ∇ log p(x; σ). Student-t noise is a Gaussian
    scale mixture, n = z/√κ: draw κ, then x = y + (σ/√κ)z and the exact Gaussian score at σ/√κ.
    Its mean given (x, σ) is the Student-t score ∇ log p_ν(x; σ) (the regression target averages
    over κ as DSM averages over y), while y is integrated out exactly by the oracle."""
    oracle = toy.tree(cfg.classes)
    for _ in range(cfg.iters):
        sigma = (torch.randn(cfg.batch, generator=gen) * cfg.P_std + cfg.P_mean).exp()   # ln σ ~ N(P_mean, P_std²)
        s_eff = sigma if math.isinf(cfg.nu) else sigma / _kappa(cfg, cfg.batch, gen).sqrt()
        x = oracle.sample(cfg.batch, s_eff, generator=gen)                              # x = y + σn
        yield sigma, x, oracle.score(x, s_eff)                                          # target ∇ log p(x; σ/√κ)


def _prefetch(iterator, depth: int = 2):
    """Run `iterator` in a background thread (the oracle overlaps the network's step)."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def work():
        try:
            for item in iterator:
                q.put(item)
            q.put(done)
        except BaseException as e:            # hand the error to the consumer
            q.put(e)

    threading.Thread(target=work, daemon=True).start()
    while (item := q.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def train_toy(cfg: ToyConfig) -> ToyNet:
    """Train a ToyNet by exact score regression against the tree oracle; returns the EMA model.

    The oracle's batches are made in a second thread while the network steps, each with one
    intra-op thread (faster than both taking turns on two). Deterministic for cfg.seed.
    """
    gen = torch.Generator().manual_seed(cfg.seed)
    net = ToyNet(cfg.num_layers, cfg.hidden_dim, generator=gen).train()
    if cfg.init is not None:
        net.load_state_dict(load_or_train(cfg.init).state_dict())
    ema = ToyNet(cfg.num_layers, cfg.hidden_dim).eval().requires_grad_(False)
    ema.load_state_dict(net.state_dict())
    opt = torch.optim.Adam(net.parameters(), betas=(0.9, 0.99))
    gamma = _phema_gamma(cfg.ema_std)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        batches = _prefetch(_batches(cfg, gen))
        desc = f"train {cfg.classes} {cfg.num_layers}x{cfg.hidden_dim}"
        for i, (sigma, x, target) in enumerate(progress(batches, total=cfg.iters, desc=desc)):
            for g in opt.param_groups:
                g["lr"] = cfg.lr_ref / math.sqrt(max(i / cfg.lr_iter, 1))
            pred = net.score(x, sigma, create_graph=True)                                   # [B, 2]
            weight = sigma ** 2                                                              # λ(σ) = σ²
            if not math.isinf(cfg.nu):           # heavy tails: far points (|c_in·x| ≫ 3) must not dominate
                weight = weight / (1 + x.square().sum(-1) / (9 * (sigma ** 2 + SIGMA_DATA ** 2)))
            loss = (weight * (pred - target).square().mean(-1)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            beta = (1 - 1 / (i + 1)) ** (gamma + 1)                                          # power-function EMA
            with torch.no_grad():
                for pe, pn in zip(ema.parameters(), net.parameters()):
                    pe.lerp_(pn.detach(), 1 - beta)
    finally:
        torch.set_num_threads(threads)
    return ema


def draw_t(cfg: DDPMConfig, gen: torch.Generator) -> torch.Tensor:
    """The DDPM loss's time steps for one batch: [B] in 1..T. t_power 1 is uniform (Ho et al.
    2020); with p ≠ 1, t = ⌈T·u^p⌉ for u ~ U(0, 1], so P(t ≤ τ) = (τ/T)^(1/p)."""
    if cfg.t_power == 1:
        return torch.randint(1, cfg.T + 1, (cfg.batch,), generator=gen)
    u = 1 - torch.rand(cfg.batch, generator=gen)                                         # (0, 1]
    return (cfg.T * u.pow(cfg.t_power)).ceil().long().clamp(1, cfg.T)


def train_ddpm(cfg: DDPMConfig) -> EpsNet:
    """Train an EpsNet with the DDPM loss E‖ε̂(√ᾱ_t y + √(1−ᾱ_t) ε, t) − ε‖², t ~ U{1..T}
    (or, with t_power p ≠ 1, t = ⌈T·u^p⌉: a share (τ/T)^(1/p) of the draws at t ≤ τ)."""
    gen = torch.Generator().manual_seed(cfg.seed)
    net = EpsNet(cfg.num_layers, cfg.hidden_dim, cfg.T, cfg.fourier, generator=gen).train()
    abar = ddpm_alphas_cumprod(cfg.T).float()
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.iters)
    data = toy.tree(cfg.classes)
    for _ in progress(range(cfg.iters), total=cfg.iters, desc="train DDPM"):
        y = data.sample(cfg.batch, generator=gen)                                        # [B, 2]
        t = draw_t(cfg, gen)                                                             # [B]
        eps = torch.randn(cfg.batch, 2, generator=gen)
        a = abar[t - 1][:, None]
        x_t = a.sqrt() * y + (1 - a).sqrt() * eps
        loss = (net(x_t, t.float()) - eps).square().sum(-1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return net.eval().requires_grad_(False)


_RECIPES = {
    ToyConfig: (train_toy, lambda c: ToyNet(c.num_layers, c.hidden_dim)),
    DDPMConfig: (train_ddpm, lambda c: EpsNet(c.num_layers, c.hidden_dim, c.T, c.fourier)),
}
_DICTS: dict = {}


def register(config_type, trainer, empty, as_dict) -> None:
    """Add a recipe to the registry: trainer(cfg) → model, empty(cfg) → an untrained model of
    the same shape (to load a cached state into), as_dict(cfg) → the config as plain data."""
    _RECIPES[config_type] = (trainer, empty)
    _DICTS[config_type] = as_dict


# ---------------------------------------------------------------------------- registry / cache

def cache_dir() -> Path:
    """$HGUTILS_CACHE, else <repository>/.cache/models for a source checkout, else ~/.cache/hgutils."""
    if os.environ.get("HGUTILS_CACHE"):
        return Path(os.environ["HGUTILS_CACHE"])
    repo = Path(__file__).resolve().parents[1]
    if (repo / "pyproject.toml").exists():
        return repo / ".cache" / "models"
    return Path.home() / ".cache" / "hgutils"


def config_dict(cfg) -> dict:
    """The config's fields as plain data. Fields added later are left out at their neutral value
    (Gaussian noise, no init), so models cached before they existed keep their names."""
    if type(cfg) in _DICTS:
        return _DICTS[type(cfg)](cfg)
    d = dataclasses.asdict(cfg)
    if isinstance(cfg, DDPMConfig) and cfg.t_power == 1:
        del d["t_power"]
    if isinstance(cfg, ToyConfig):
        if math.isinf(d["nu"]):
            del d["nu"], d["kappa_min"]
        if cfg.init is None:
            del d["init"]
        else:
            d["init"] = config_dict(cfg.init)
    return d


def config_key(cfg) -> str:
    """Name of a model: its recipe, format and every config field, hashed."""
    body = json.dumps({"recipe": type(cfg).__name__, "format": FORMAT, **config_dict(cfg)}, sort_keys=True)
    return f"{type(cfg).__name__}-{hashlib.sha256(body.encode()).hexdigest()[:16]}"


def check_cache_writable(folder: Path) -> None:
    """Raise a clear error if trained models could not be stored in `folder`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise RuntimeError(
            f"the model cache {folder} is not writable ({e.strerror or e}); set HGUTILS_CACHE to a "
            "writable folder (or pass cache=False) so that the model is not trained and then lost"
        ) from None


def _write_atomic(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _read_checked(path: Path):
    """The stored object, or None if the file is missing, truncated or corrupt."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 32
    if len(raw) < head or not raw.startswith(_MAGIC):
        return None
    digest, payload = raw[len(_MAGIC):head], raw[head:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        return torch.load(io.BytesIO(payload), weights_only=True)
    except Exception:
        return None


def load_or_train(cfg, *, cache: bool = True, verbose: bool = False):
    """The trained model for `cfg`: loaded from the cache if valid, else trained (and cached)."""
    if type(cfg) not in _RECIPES:
        raise ValueError(f"cfg must be one of {[c.__name__ for c in _RECIPES]}, got {type(cfg).__name__}")
    trainer, empty = _RECIPES[type(cfg)]
    path = cache_dir() / f"{config_key(cfg)}.pt"
    if cache:
        stored = _read_checked(path)
        if stored is not None and stored.get("config") == config_dict(cfg):
            model = empty(cfg)
            model.load_state_dict(stored["state"])
            return model.eval().requires_grad_(False)
        if verbose and path.exists():
            print(f"cache file {path.name} is corrupt or stale: retraining")
    if cache:
        check_cache_writable(path.parent)          # before minutes of training, not after
    model = trainer(cfg).eval().requires_grad_(False)
    if cache:
        buf = io.BytesIO()
        torch.save({"config": config_dict(cfg), "state": model.state_dict()}, buf)
        _write_atomic(path, buf.getvalue())
    return model


def ddpm_denoiser(cfg: DDPMConfig = DDPMConfig()) -> EpsDenoiser:
    """The DDPM ε-model for `cfg`, wrapped as an EDM denoiser."""
    return EpsDenoiser(load_or_train(cfg), ddpm_alphas_cumprod(cfg.T))


# ---------------------------------------------------------------------------- the reference models
# The autoguidance paper's toy protocol (Karras et al. 2024): one main model, two guides.
MAIN = ToyConfig(classes="A", num_layers=4, hidden_dim=64, iters=4096)        # conditional: class A
AUTOGUIDE = ToyConfig(classes="A", num_layers=4, hidden_dim=32, iters=512)    # a worse model of class A
UNCOND = ToyConfig(classes="AB", num_layers=4, hidden_dim=32, iters=512)      # CFG's unconditional guide


def heavy_tail_config(nu: float, base: ToyConfig = MAIN, iters: int = 512, batch: int = 1024) -> ToyConfig:
    """A learned heavy-tail guide: `base` (the main model) fine-tuned for `iters` steps with Student-t
    noise of ν degrees of freedom (lr 3e-3, decaying after 128 steps). Starting from the main model
    costs an eighth of its training and gives the guide errors like the main model's."""
    return dataclasses.replace(base, nu=check_nu(nu), iters=iters, batch=batch, lr_ref=3e-3, lr_iter=128, init=base)

