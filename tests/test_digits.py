"""The digits: data, the exact training-set denoiser, the EDM UNet and its training, image
sampling and guidance, the classifier metrics, and bad input."""
import math

import numpy as np
import pytest
import torch

from hgutils import digits, imagemetrics, samplers, unet
from hgutils.guidance import Cosine, GuidedDenoiser, sigma_scaling

SPLIT = digits.load()


@pytest.fixture(scope="module")
def tiny():
    """An untrained 8/16-channel EDMUNet (fast; the shapes are what matter)."""
    return unet.EDMUNet((8, 16), seed=0).eval().requires_grad_(False)


@pytest.fixture(scope="module")
def measure():
    return imagemetrics.DigitMetrics()


# ---------------------------------------------------------------------------- data

def test_split_sizes_scaling_and_strata():
    assert SPLIT.x_train.shape == (1347, 1, 8, 8) and SPLIT.x_test.shape == (450, 1, 8, 8)
    assert SPLIT.x_train.dtype == torch.float32 and SPLIT.y_train.dtype == torch.int64
    for x in (SPLIT.x_train, SPLIT.x_test):
        assert float(x.min()) == -1.0 and float(x.max()) == 1.0
        levels = ((x + 1) * 8).round()                      # the 17 grey levels 0–16
        assert torch.allclose((x + 1) * 8, levels, atol=1e-5)
    counts = torch.bincount(SPLIT.y_test, minlength=10).double()
    share = torch.bincount(torch.cat([SPLIT.y_train, SPLIT.y_test]), minlength=10) / 1797
    assert float((counts - 450 * share).abs().max()) <= 1          # stratified: each class's share
    assert 0.5 < SPLIT.sigma_data < 1.0
    again = digits.load()
    assert torch.equal(again.x_test, SPLIT.x_test)           # fixed split


# ---------------------------------------------------------------------------- the exact denoiser

def _direct(y, x, sigma):
    """D and log p of the mixture (1/M) Σ N(x; y_i, σ²I), term by term in float64."""
    y, x = y.double().flatten(1), x.double().flatten(1)
    logs = torch.stack([-((x - yi) ** 2).sum(1) / (2 * sigma ** 2) for yi in y], 1)    # [N, M]
    w = torch.softmax(logs, 1)
    d = y.shape[1]
    logp = torch.logsumexp(logs, 1) - math.log(len(y)) - 0.5 * d * math.log(2 * math.pi * sigma ** 2)
    return w @ y, logp


def test_training_set_denoiser_against_direct_computation():
    g = torch.Generator().manual_seed(0)
    idx = torch.randperm(len(SPLIT.x_train), generator=g)[:6]
    small = digits.Split(SPLIT.x_train[idx], SPLIT.y_train[idx], SPLIT.x_test, SPLIT.y_test)
    exact = digits.TrainingSet(small, chunk=3)
    x = torch.randn(7, 1, 8, 8, generator=g)
    for sigma in (0.05, 0.5, 3.0):
        d, lp = _direct(small.x_train, x, sigma)
        assert torch.allclose(exact.denoise(x, sigma).double().flatten(1), d, atol=1e-6)
        assert torch.allclose(exact.logp(x, sigma), lp, atol=1e-8)
        s = exact.score(x, sigma)
        assert torch.allclose(s, (exact.denoise(x, sigma) - x) / sigma ** 2)
    # one class: only that class's images count
    c = int(small.y_train[0])
    keep = small.y_train == c
    d, lp = _direct(small.x_train[keep], x, 0.5)
    labels = torch.full((7,), c)
    assert torch.allclose(exact.denoise(x, 0.5, labels).double().flatten(1), d, atol=1e-6)
    assert torch.allclose(exact.logp(x, 0.5, labels), lp, atol=1e-8)


def test_training_set_denoiser_is_finite_far_away_and_returns_a_copy_at_small_sigma():
    exact = digits.TrainingSet()
    far = torch.full((2, 1, 8, 8), 1e4)
    assert torch.isfinite(exact.denoise(far, 1e-3)).all() and torch.isfinite(exact.logp(far, 1e-3)).all()
    y = SPLIT.x_train[:3] + 0.01 * torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(exact.denoise(y, 0.05), SPLIT.x_train[:3], atol=1e-4)
    dist, idx = exact.nearest(SPLIT.x_train[:3])
    assert torch.equal(idx, torch.arange(3)) and float(dist.max()) == 0.0


# ---------------------------------------------------------------------------- the network

def test_edm_unet_shapes_preconditioning_and_determinism(tiny):
    x = torch.randn(5, 1, 8, 8)
    d = tiny.denoise(x, 0.3, torch.arange(5))
    assert d.shape == x.shape and d.dtype == torch.float32
    assert torch.equal(unet.EDMUNet((8, 16), seed=0).denoise(x, 0.3, torch.arange(5)), d)
    # σ → 0: c_skip → 1 and c_out → 0, so D(x; σ) → x
    assert torch.allclose(tiny.denoise(x, 1e-6, torch.zeros(5, dtype=torch.int64)), x, atol=1e-4)
    s = tiny.score(x, torch.full((5,), 0.3), torch.arange(5))
    assert torch.allclose(s, (d - x) / 0.09, atol=1e-4)
    null = tiny.bind(digits.NULL)
    assert torch.equal(null.denoise(x, 0.3), tiny.denoise(x, 0.3, torch.full((5,), 10)))


def test_a_few_training_steps_lower_the_held_out_loss(tmp_path, monkeypatch):
    monkeypatch.setenv("HGUTILS_CACHE", str(tmp_path))
    cfg = unet.UNetConfig(channels=(8, 16), iters=1, batch=64, seed=3)
    first = unet.edm_loss(unet.train_unet(cfg))
    trained = unet.train_unet(unet.UNetConfig(channels=(8, 16), iters=80, batch=64, seed=3))
    assert unet.edm_loss(trained) < 0.8 * first
    again = unet.train_unet(unet.UNetConfig(channels=(8, 16), iters=80, batch=64, seed=3))
    assert all(torch.equal(a, b) for a, b in zip(trained.state_dict().values(),
                                                 again.state_dict().values()))


def test_student_t_targets_are_the_kernel_denoiser():
    cfg = unet.UNetConfig(nu=5.0)
    g = torch.Generator().manual_seed(0)
    y = SPLIT.x_train[:4]
    sigma = torch.tensor([0.1, 0.5, 1.0, 3.0])
    x, target = unet._targets(cfg, y, sigma, g)
    r = x - y
    nu, d = 5.0, 64
    # x + σ²·∇ log T_ν(x − y; σ), with ∇ log T_ν = −(ν + d) r/(νσ² + ‖r‖²)
    score = -(nu + d) * r / (nu * sigma ** 2 + r.flatten(1).square().sum(1))[:, None, None, None]
    assert torch.allclose(target, x + sigma[:, None, None, None] ** 2 * score, atol=1e-5)
    xg, tg = unet._targets(unet.UNetConfig(), y, sigma, torch.Generator().manual_seed(0))
    assert torch.equal(tg, y)


# ---------------------------------------------------------------------------- sampling and guidance

@pytest.mark.parametrize("name", sorted(samplers.SAMPLERS))
def test_samplers_on_images_keep_shape_dtype_and_device(tiny, name):
    x0 = samplers.prior_sample(6, 80.0, torch.Generator().manual_seed(0), shape=digits.SHAPE)
    assert x0.shape == (6, 1, 8, 8)
    sig = samplers.karras_sigmas(4, 0.002, 80.0)
    out, traj = samplers.get_sampler(name)(tiny.bind(None).denoise, x0, sig,
                                           generator=torch.Generator().manual_seed(1),
                                           return_trajectory=True)
    assert out.shape == x0.shape and out.dtype == x0.dtype and out.device == x0.device
    assert traj.shape == (5, 6, 1, 8, 8) and torch.isfinite(out).all()


def test_guidance_on_images_costs_two_evaluations_per_step(tiny):
    calls = []

    class Counting:
        sample_shape = digits.SHAPE

        def __init__(self, label):
            self.bound = tiny.bind(label)

        def score(self, x, sigma):
            calls.append(len(x))
            return self.bound.score(x, sigma)

    sig = samplers.karras_sigmas(5, 0.002, 80.0)
    x0 = samplers.prior_sample(8, 80.0, torch.Generator().manual_seed(0), shape=digits.SHAPE)
    g = GuidedDenoiser(Counting(None), Counting(digits.NULL), Cosine(2.0), sigmas=sig)
    assert g.dim is None
    out = samplers.heun(g, x0, sig)
    assert out.shape == x0.shape
    evals = samplers.evaluations("heun", 5)
    # the cosine schedule is w = 1 at the first step, where only the main model is called
    assert len(calls) <= 2 * evals and len(calls) >= 2 * evals - 2 and set(calls) == {8}
    # k = 1 sigma scaling is no guidance, exactly
    plain = samplers.heun(tiny.bind(None).denoise, x0, sig)
    assert torch.allclose(samplers.heun(sigma_scaling(tiny.bind(None), 1.0, 3.0), x0, sig), plain,
                          atol=1e-5)


def test_cfg_and_sigma_scaling_batch_both_networks_into_one_call(tiny):
    calls = []
    plain = tiny._denoise

    class Spy:
        sample_shape = digits.SHAPE

        def _denoise(self, x, sigma, labels):
            calls.append(len(x))
            return plain(x, sigma, labels)

    class NoPair:
        sample_shape = digits.SHAPE

        def __init__(self, bound):
            self.score = bound.score

    spy = Spy()
    sig = samplers.karras_sigmas(4, 0.002, 80.0)
    x0 = samplers.prior_sample(6, 80.0, torch.Generator().manual_seed(0), shape=digits.SHAPE)
    for guide, k in ((digits.Bound(spy, digits.NULL), 1.0), (digits.Bound(spy), 1.05)):
        calls.clear()
        fused = samplers.heun(GuidedDenoiser(digits.Bound(spy), guide, 2.0, guide_scale=k),
                              x0, sig)
        assert calls == [12] * samplers.evaluations("heun", 4)       # one call of 2N per step
        alone = NoPair(digits.Bound(spy))                            # the same model, no fusion
        two = GuidedDenoiser(alone, guide, 2.0, guide_scale=k)
        calls.clear()
        apart = samplers.heun(two, x0, sig)
        assert calls == [6, 6] * samplers.evaluations("heun", 4)
        assert torch.allclose(fused, apart, atol=1e-4, rtol=1e-4)


# ---------------------------------------------------------------------------- metrics

def test_classifier_accuracy_and_metric_sanity(measure):
    assert measure.test_accuracy() >= 0.97
    g = torch.Generator().manual_seed(0)
    idx = torch.randperm(len(SPLIT.x_train), generator=g)[:450]
    train_vs_test = measure(SPLIT.x_train[idx], SPLIT.y_train[idx])
    test_vs_test = measure(SPLIT.x_test, SPLIT.y_test)
    assert train_vs_test["accuracy"] > 0.99 and test_vs_test["accuracy"] >= 0.97
    assert test_vs_test["fd"] < 1e-6 and train_vs_test["fd"] < 10
    assert test_vs_test["precision"] == 1.0 and test_vs_test["coverage"] == 1.0
    assert train_vs_test["memorised"] == 1.0
    assert abs(test_vs_test["memorised"] - 0.05) < 0.01            # the 5% quantile, by construction
    wrong = measure(SPLIT.x_test, (SPLIT.y_test + 1) % 10)
    assert wrong["accuracy"] < 0.05
    shuffled = SPLIT.y_test[torch.randperm(450, generator=g)]
    assert abs(measure(SPLIT.x_test, shuffled)["accuracy"] - 0.1) < 0.05
    noise = torch.rand(450, 1, 8, 8, generator=g) * 2 - 1
    bad = measure(noise, SPLIT.y_test)
    assert bad["fd"] > 10 * train_vs_test["fd"] and bad["precision"] < train_vs_test["precision"] - 0.3


def test_frechet_distance_and_prdc_on_known_cases():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(4000, 3, generator=g, dtype=torch.float64)
    b = torch.randn(4000, 3, generator=g, dtype=torch.float64) * 2 + 1
    # N(0, I) against N(1, 4I): ‖μ‖² + tr(I + 4I − 2·2I) = 3 + 3
    assert abs(imagemetrics.frechet_distance(a, b) - 6.0) < 0.4
    r = imagemetrics.prdc(a[:300], a[:300], k=5)
    assert r["precision"] == r["recall"] == r["coverage"] == 1.0
    far = imagemetrics.prdc(a[:300], a[:300] + 100, k=5)
    assert far["precision"] == far["recall"] == far["coverage"] == far["density"] == 0.0


# ---------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, match", [
    (lambda m: m(SPLIT.x_test[:20], torch.full((20,), 11)), "labels must be integers in 0–9"),
    (lambda m: m(SPLIT.x_test[:20], torch.full((20,), -1)), "labels must be integers in 0–9"),
    (lambda m: m(SPLIT.x_test[:20], torch.zeros(19, dtype=torch.int64)), r"labels must have shape \[20\]"),
    (lambda m: m(SPLIT.x_test[:20, 0], None), r"x must have shape \[N, 1, 8, 8\]"),
    (lambda m: m(torch.zeros(4, 3, 8, 8), None), r"x must have shape \[N, 1, 8, 8\]"),
    (lambda m: m(torch.full((4, 1, 8, 8), float("nan")), None), "x must be finite"),
    (lambda m: m(SPLIT.x_test[:20].long(), None), "x must be a float"),
])
def test_metrics_refuse_bad_input(measure, call, match):
    with pytest.raises(ValueError, match=match):
        call(measure)


def test_images_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"x must hold pixel values in \[-1, 1\]"):
        digits.check_images((SPLIT.x_test[:4] + 1) * 8)            # raw 0–16 pixels


@pytest.mark.parametrize("label, match", [
    (11, "label must be integers in 0–10"), (-1, "label must be integers in 0–10"),
    (2.5, "label must be integers"), (True, "label must be integers"),
])
def test_unknown_or_out_of_range_class_is_refused(tiny, label, match):
    with pytest.raises(ValueError, match=match):
        digits.check_labels(label, 1, "label")
    with pytest.raises(ValueError, match="labels? must be integers"):
        tiny.bind(label)


def test_network_refuses_wrong_image_shape_and_labels(tiny):
    with pytest.raises(ValueError, match=r"x must be images of shape \[N, 1, 8, 8\]"):
        tiny.denoise(torch.zeros(3, 64), 0.5, torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="labels must be integers in 0–10"):
        tiny.denoise(torch.zeros(3, 1, 8, 8), 0.5, torch.tensor([0, 1, 12]))
    with pytest.raises(ValueError, match="channels"):
        unet.UNetConfig(channels=(6, 16))
    with pytest.raises(ValueError, match="nu"):
        unet.UNetConfig(nu=0.5)


def test_digits_setup_runs_a_tiny_protocol(monkeypatch, tmp_path):
    from hgutils import images
    from hgutils.runs import Runs
    monkeypatch.setattr(images, "MAIN", unet.UNetConfig(channels=(8, 16), iters=2, batch=16))
    monkeypatch.setattr(images, "AUTOGUIDE", unet.UNetConfig(channels=(8, 16), iters=1, batch=16))
    monkeypatch.setenv("HGUTILS_CACHE", str(tmp_path))
    S = images.DigitsSetup(training_seeds=[0, 1], steps=3)
    runs = Runs(S, n=20, sampling_seeds=[0, 1])
    a = runs.run("none", lambda nets: nets.main.denoise)
    b = runs.run("auto", lambda nets: GuidedDenoiser(nets.main, nets.autoguide, 2.0))
    assert a["accuracy"].shape == (2, 2) and set(runs.values["auto"]) == set(S.metric_names)
    mean, lo, hi = runs.paired("auto", "none", "fd")
    assert lo <= mean <= hi and np.isfinite([mean, lo, hi]).all()
    one = S.nets[0].for_class(3)
    x = S.sample(one.main, n=4, seed=0)
    assert x.shape == (4, 1, 8, 8)
    assert torch.equal(S.start(4, 0), S.start(4, 0))
