"""hgutils.nets and hgutils.train: denoiser parameterisations, deterministic training, the model cache."""
from __future__ import annotations

import dataclasses
import math
import os

import numpy as np
import pytest
import torch

from hgutils import nets, toy, train
from hgutils.nets import SIGMA_DATA, EpsDenoiser, EpsNet, ToyNet, ddpm_alphas_cumprod
from hgutils.train import DDPMConfig, ToyConfig, config_key, load_or_train

from helpers import F64, random_toynet

TINY = dict(iters=30, batch=256)


def _random_net(gain=0.7, seed=0, dtype=torch.float32):
    return random_toynet(3, 16, gain, seed, dtype)


def _points(n=32, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g, dtype=dtype)
    s = torch.exp(torch.randn(n, generator=g, dtype=dtype) * 1.5 - 1.5)
    return x, s


# ---------------------------------------------------------------------------- ToyNet

def test_toynet_score_is_gradient_of_logp():
    """Checked against central finite differences of logp (float64), not against autograd itself."""
    net = _random_net(dtype=F64)
    x, s = _points(dtype=F64)
    sc = net.score(x, s)
    h = 1e-5
    fd = torch.stack([(net.logp(x + h * e, s) - net.logp(x - h * e, s)) / (2 * h)
                      for e in torch.eye(2, dtype=F64)], 1)
    assert torch.allclose(sc, fd, rtol=1e-6, atol=1e-6)
    assert (sc + x / (s ** 2 + SIGMA_DATA ** 2)[:, None]).abs().max() > 1e-3   # the network term matters


def test_toynet_denoise_is_tweedie():
    net = _random_net()
    x, s = _points()
    assert torch.allclose(net.denoise(x, s), x + (s ** 2)[:, None] * net.score(x, s), rtol=1e-6, atol=1e-6)
    d = net.denoise(x, 0.3)
    assert torch.allclose(d, x + 0.09 * net.score(x, 0.3), rtol=1e-6, atol=1e-6)


def test_toynet_at_init_is_gaussian_fit():
    net = ToyNet(generator=torch.Generator().manual_seed(0)).eval()
    assert float(net.gain.detach()) == 0.0
    x, s = _points(64, 1)
    c_skip = SIGMA_DATA ** 2 / (s ** 2 + SIGMA_DATA ** 2)
    # x + σ²·s(x) cancels to c_skip·x: float32 rounding of x, relative to c_skip·x, grows like 1/c_skip
    assert torch.allclose(net.denoise(x, s), c_skip[:, None] * x, rtol=1e-5, atol=1e-6)
    assert torch.allclose(net.score(x, s), -x / (s ** 2 + SIGMA_DATA ** 2)[:, None], rtol=1e-6, atol=1e-7)
    with torch.no_grad():
        net.gain.fill_(0.1)
    assert not torch.allclose(net.denoise(x, s), c_skip[:, None] * x, rtol=1e-3, atol=1e-4)


def test_toynet_rejects_bad_input():
    net = ToyNet(1, 8)
    with pytest.raises(ValueError, match=r"\bsigma\b"):
        net.denoise(torch.zeros(3, 2), 0.0)                            # σ > 0 required
    with pytest.raises(ValueError, match=r"\bx\b"):
        net.score(torch.zeros(3, 3), 0.5)
    with pytest.raises(ValueError, match=r"\bhidden_dim\b"):
        ToyNet(2, 0)


# ---------------------------------------------------------------------------- DDPM ε-model as an EDM denoiser

def test_timestep_inverts_ddpm_sigmas():
    abar = ddpm_alphas_cumprod(1000)
    den = EpsDenoiser(EpsNet(1, 8), abar)
    sig = ((1 - abar) / abar).sqrt()
    t = den.timestep(sig.float())
    assert torch.allclose(t, torch.arange(1, 1001, dtype=torch.float32), rtol=0, atol=2e-3)
    mid = (sig[:-1] * sig[1:]).sqrt().float()                          # halfway in ln σ
    assert torch.allclose(den.timestep(mid), torch.arange(1, 1000) + 0.5, rtol=0, atol=2e-3)
    out = den.timestep(torch.tensor([float(sig[0]) / 10, float(sig[-1]) * 10]))
    assert out.tolist() == pytest.approx([1.0, 1000.0], abs=1e-4)     # clamped to [1, T]


def test_ddpm_alphas_cumprod_is_linear_beta_schedule():
    abar = ddpm_alphas_cumprod(1000)
    assert abar.dtype == F64 and abar.shape == (1000,)
    assert float(abar[0]) == pytest.approx(1 - 1e-4, rel=1e-14)
    beta = 1 - abar[1:] / abar[:-1]
    assert torch.allclose(beta, torch.linspace(1e-4, 0.02, 1000, dtype=F64)[1:], rtol=1e-9)


class _StubEps(torch.nn.Module):
    """An ε-model that returns a constant and remembers what it was shown."""

    def __init__(self, value):
        super().__init__()
        self.value = torch.tensor(value)
        self.seen = None

    def forward(self, x_t, t):
        self.seen = (x_t.clone(), t.clone())
        return self.value.expand_as(x_t).to(x_t.dtype)


def test_eps_denoiser_is_x_minus_sigma_eps():
    abar = ddpm_alphas_cumprod(1000)
    stub = _StubEps([0.3, -1.2])
    den = EpsDenoiser(stub, abar)
    x, s = _points(20, 2)
    s = s.clamp(0.02, 50)
    d = den.denoise(x, s)
    assert torch.allclose(d, x - s[:, None] * torch.tensor([0.3, -1.2]), rtol=1e-6, atol=1e-6)
    x_t, t = stub.seen
    assert torch.allclose(x_t, x / (1 + s ** 2).sqrt()[:, None], rtol=1e-6)   # VP input: √ᾱ·x
    assert torch.allclose(t, den.timestep(s))
    assert torch.allclose(den.score(x, s), (d - x) / (s ** 2)[:, None], rtol=1e-5, atol=1e-5)


class _ExactEps(torch.nn.Module):
    """The exact ε of the tree in the VP world: from (x_t, t) recover σ_t (log-linear between
    integer timesteps), x = x_t/√ᾱ_t, and ε* = (x − D*(x; σ_t))/σ_t with the oracle's D*."""

    def __init__(self, abar, tree):
        super().__init__()
        self.log_sig = ((1 - abar) / abar).sqrt().log().numpy()
        self.tree = tree

    def forward(self, x_t, t):
        sig = torch.from_numpy(np.exp(np.interp(t.double().numpy(), np.arange(1, len(self.log_sig) + 1),
                                                self.log_sig)))
        x = x_t.double() * (1 + sig ** 2).sqrt()[:, None]
        return ((x - self.tree.denoise(x, sig)) / sig[:, None]).to(x_t.dtype)


def test_eps_denoiser_with_exact_eps_is_exact_denoiser():
    tree = toy.tree("A")
    abar = ddpm_alphas_cumprod(1000)
    den = EpsDenoiser(_ExactEps(abar, tree), abar)
    g = torch.Generator().manual_seed(3)
    for sigma in (0.05, 0.3, 2.0):
        x = tree.sample(64, sigma, generator=g)
        assert torch.allclose(den.denoise(x, sigma), tree.denoise(x.double(), sigma).float(),
                              rtol=0, atol=2e-3 * max(sigma, 0.1))


# ---------------------------------------------------------------------------- training

def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_training_is_deterministic_and_seeded():
    a = _state(train.train_toy(ToyConfig(**TINY)))
    b = _state(train.train_toy(ToyConfig(**TINY)))
    c = _state(train.train_toy(ToyConfig(**TINY, seed=1)))
    assert _same(a, b)
    assert not _same(a, c)
    assert float(a["gain"]) != 0.0                                      # it did train


def test_ddpm_training_is_deterministic():
    cfg = DDPMConfig(T=100, iters=20, batch=128, hidden_dim=16, num_layers=2)
    a, b = _state(train.train_ddpm(cfg)), _state(train.train_ddpm(cfg))
    c = _state(train.train_ddpm(dataclasses.replace(cfg, seed=5)))
    assert _same(a, b) and not _same(a, c)


def _score_error(net, cfg, n=4096):
    """E σ²‖s_θ − ∇log p‖² on a fixed held-out batch drawn like the training batches."""
    g = torch.Generator().manual_seed(1234)
    oracle = toy.tree(cfg.classes)
    sigma = (torch.randn(n, generator=g) * cfg.P_std + cfg.P_mean).exp()
    x = oracle.sample(n, sigma, generator=g)
    return float((sigma ** 2 * (net.score(x, sigma) - oracle.score(x, sigma)).square().sum(1)).mean())


def test_training_reduces_score_error():
    cfg = ToyConfig(iters=300, batch=256, num_layers=2, hidden_dim=32, lr_iter=100, ema_std=0.05)
    init = ToyNet(cfg.num_layers, cfg.hidden_dim, generator=torch.Generator().manual_seed(cfg.seed)).eval()
    before = _score_error(init, cfg)
    after = _score_error(train.train_toy(cfg), cfg)
    assert after < 0.7 * before, (before, after)


def test_training_restores_thread_count():
    """train_toy runs on one intra-op thread and gives the caller's setting back."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train.train_toy(ToyConfig(iters=2, batch=16, num_layers=1, hidden_dim=4))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("std", [0.01, 0.05, 0.1, 0.2, 0.28])
def test_phema_gamma_inverts_relative_std(std):
    g = train._phema_gamma(std)
    rel = math.sqrt((g + 1) / ((g + 2) ** 2 * (g + 3)))
    assert rel == pytest.approx(std, rel=1e-9)


def test_phema_gamma_known_values():
    """EDM2 (Karras et al. 2024): σ_rel = 0.05 ↔ γ ≈ 16.97 and σ_rel = 0.10 ↔ γ ≈ 6.94."""
    assert train._phema_gamma(0.05) == pytest.approx(16.97, abs=0.01)
    assert train._phema_gamma(0.10) == pytest.approx(6.94, abs=0.01)


# ---------------------------------------------------------------------------- configs

@pytest.mark.parametrize("cls, field, value", [
    (ToyConfig, "iters", 0), (ToyConfig, "batch", -1), (ToyConfig, "classes", "C"), (ToyConfig, "P_std", 0.0),
    (ToyConfig, "P_std", float("nan")), (ToyConfig, "lr_ref", 0), (ToyConfig, "ema_std", 0.5),
    (ToyConfig, "num_layers", 1.5), (ToyConfig, "seed", -1), (ToyConfig, "hidden_dim", True),
    (DDPMConfig, "T", 0), (DDPMConfig, "lr", -1e-3), (DDPMConfig, "classes", "BA"), (DDPMConfig, "iters", 0),
    (DDPMConfig, "fourier", -1), (DDPMConfig, "t_power", 0.0), (DDPMConfig, "t_power", float("inf")),
])
def test_configs_reject_bad_fields(cls, field, value):
    with pytest.raises(ValueError, match=rf"\b{field}\b"):
        cls(**{field: value})


def test_config_keys():
    assert config_key(ToyConfig(iters=7)) == config_key(ToyConfig(iters=7))
    keys = {config_key(c) for c in (ToyConfig(), ToyConfig(iters=7), ToyConfig(seed=1), ToyConfig(classes="AB"),
                                    ToyConfig(P_mean=-2.2), DDPMConfig(), DDPMConfig(seed=1))}
    assert len(keys) == 7
    assert config_key(ToyConfig()).startswith("ToyConfig-") and config_key(DDPMConfig()).startswith("DDPMConfig-")


def test_ddpm_t_power_draws_small_t_more_often_and_keeps_the_uniform_key():
    """t_power p: P(t ≤ τ) = (τ/T)^(1/p); p = 1 is the uniform draw and the cached model's name."""
    from hgutils.train import config_dict, draw_t
    assert "t_power" not in config_dict(DDPMConfig())                     # models cached before it
    assert config_key(DDPMConfig(t_power=2.0)) != config_key(DDPMConfig())
    T, tau = 1000, 50
    for p in (1.0, 2.0, 0.5):
        t = draw_t(DDPMConfig(T=T, batch=200_000, t_power=p), torch.Generator().manual_seed(0))
        assert int(t.min()) >= 1 and int(t.max()) <= T
        assert abs(float((t <= tau).double().mean()) - (tau / T) ** (1 / p)) < 0.005


def test_config_key_numpy_integer_field():
    """A numpy integer passes the config's integer check (it has __index__), so it must also be
    usable: the same key as the equal Python int (or be refused by the config with a ValueError)."""
    try:
        cfg = ToyConfig(seed=np.int64(1))
    except ValueError:
        return
    assert config_key(cfg) == config_key(ToyConfig(seed=1))


# ---------------------------------------------------------------------------- the cache

CACHE_CFG = ToyConfig(iters=5, batch=64, num_layers=1, hidden_dim=8)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder, and a counter of trainer calls (the real trainer underneath)."""
    monkeypatch.setenv("HGUTILS_CACHE", str(tmp_path))
    calls = []
    real, empty = train._RECIPES[ToyConfig]

    def counting(cfg):
        calls.append(cfg)
        return real(cfg)

    monkeypatch.setitem(train._RECIPES, ToyConfig, (counting, empty))
    return tmp_path, calls


def _forbid_training(monkeypatch):
    def boom(cfg):
        raise AssertionError("retrained although a valid cache file exists")

    monkeypatch.setitem(train._RECIPES, ToyConfig, (boom, train._RECIPES[ToyConfig][1]))


def test_cache_writes_then_loads(cache, monkeypatch):
    path, calls = cache
    assert train.cache_dir() == path
    m1 = load_or_train(CACHE_CFG)
    assert len(calls) == 1
    f = path / f"{config_key(CACHE_CFG)}.pt"
    assert [p.name for p in path.iterdir()] == [f.name]                 # only the model: no .tmp left
    _forbid_training(monkeypatch)
    m2 = load_or_train(CACHE_CFG)
    assert isinstance(m2, ToyNet) and not m2.training
    assert _same(m1.state_dict(), m2.state_dict())
    assert not any(p.requires_grad for p in m2.parameters())


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage"])
def test_cache_detects_corrupt_file(cache, damage, capsys):
    path, calls = cache
    good = load_or_train(CACHE_CFG)
    f = path / f"{config_key(CACHE_CFG)}.pt"
    raw = f.read_bytes()
    if damage == "flip":
        i = len(raw) // 2
        raw = raw[:i] + bytes([raw[i] ^ 0x40]) + raw[i + 1:]
    elif damage == "truncate":
        raw = raw[: len(raw) - 100]
    elif damage == "empty":
        raw = b""
    else:
        raw = b"not a model at all" * 10
    f.write_bytes(raw)
    again = load_or_train(CACHE_CFG, verbose=True)
    assert len(calls) == 2                                              # retrained
    assert "corrupt or stale" in capsys.readouterr().out
    assert _same(good.state_dict(), again.state_dict())                # deterministic, so the same model
    assert train._read_checked(f) is not None                          # and rewritten as a valid file


def test_cache_detects_stale_file(cache):
    """A valid file holding another config's model (renamed into place) is not trusted."""
    path, calls = cache
    other = dataclasses.replace(CACHE_CFG, seed=3)
    load_or_train(other)
    (path / f"{config_key(other)}.pt").rename(path / f"{config_key(CACHE_CFG)}.pt")
    load_or_train(CACHE_CFG)
    assert [c.seed for c in calls] == [3, 0]


def test_cache_disabled(cache):
    path, calls = cache
    load_or_train(CACHE_CFG, cache=False)
    load_or_train(CACHE_CFG, cache=False)
    assert len(calls) == 2 and list(path.iterdir()) == []


def test_cache_write_is_atomic(cache, monkeypatch):
    """A write that fails half-way leaves neither a partial model file nor a temporary file."""
    path, calls = cache

    def fail(fd):
        raise OSError("disk full")

    monkeypatch.setattr(train.os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        load_or_train(CACHE_CFG)
    assert list(path.iterdir()) == []


def test_load_or_train_rejects_unknown_config():
    with pytest.raises(ValueError, match=r"\bcfg\b"):
        load_or_train({"iters": 3})


def test_ddpm_denoiser_from_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HGUTILS_CACHE", str(tmp_path))
    cfg = DDPMConfig(T=50, iters=3, batch=32, hidden_dim=8, num_layers=1)
    den = train.ddpm_denoiser(cfg)
    assert isinstance(den, EpsDenoiser)
    assert (tmp_path / f"{config_key(cfg)}.pt").exists()
    x = torch.zeros(4, 2)
    out = den.denoise(x, 0.5)
    assert out.shape == (4, 2) and torch.isfinite(out).all()
    den2 = train.ddpm_denoiser(cfg)
    assert torch.equal(den2.denoise(x, 0.5), out)


def test_forward_macs_counts_the_weights_of_the_matrices():
    assert nets.forward_macs(ToyNet(4, 64)) == 4 * 64 + 4 * 64 * 64        # input layer, then 4 hidden layers
    assert nets.forward_macs(ToyNet(4, 32)) == 4 * 32 + 4 * 32 * 32


def test_an_unwritable_cache_is_refused_before_training(cache, monkeypatch):
    path, calls = cache
    blocker = path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HGUTILS_CACHE", str(blocker / "models"))      # cannot be created
    with pytest.raises(RuntimeError, match="not writable.*set HGUTILS_CACHE"):
        load_or_train(CACHE_CFG)
    assert calls == []                                                   # nothing was trained
