"""The diffusers bridge (hgutils.sd): its step against the study's score-space guidance, its
output against diffusers' own CFG on a tiny randomly initialised pipeline, and its errors."""
import math

import numpy as np
import pytest
import torch

from hgutils import sd
from hgutils.guidance import (Constant, Cosine, GuidedDenoiser, Interval, Linear,
                              PresentationCosine)

STEPS = 4
SEEDS = [0, 1]


@pytest.fixture(scope="module")
def pipe():
    return sd.tiny_pipeline()


@pytest.fixture(scope="module")
def pipe_v():
    return sd.tiny_pipeline(prediction_type="v_prediction", scheduler="ddim")


# ---------------------------------------------------------------- the step, in score space

C2 = 0.6 ** 2              # Gaussian data N(0, c²I): the exact score is −x/(c² + σ²)


class Gaussian:
    """The exact model of Gaussian data, as a score model and as a VP UNet forward."""

    def __init__(self, levels, prediction):
        self.levels, self.prediction = levels, prediction

    def score(self, x, sigma):
        return -x / (C2 + sigma ** 2)

    def unet(self, sample, timestep, encoder_hidden_states, return_dict=False, **kw):
        n = sample.shape[0]
        ts = torch.as_tensor(timestep, dtype=torch.float64).expand(n)
        sig = torch.tensor([self.levels.sigma(float(t)) for t in ts], dtype=sample.dtype)
        sig = sig.view(-1, 1, 1, 1)
        x = sample * (1 + sig ** 2).sqrt()                      # x = x_t·√(1+σ²)
        eps = -sig * self.score(x, sig)                         # ε = −σ·s
        # v = α·ε − s·y with α = 1/√(1+σ²), s = σ/√(1+σ²), x_t = α·y + s·ε  ⇒  v = √(1+σ²)·ε − σ·x_t
        out = eps if self.prediction == "epsilon" else (1 + sig ** 2).sqrt() * eps - sig * sample
        return (out,)


@pytest.mark.parametrize("prediction", sd.PREDICTIONS)
@pytest.mark.parametrize("t, k", [(500, 1.3), (300, 0.8), (990, 1.5)])
def test_sigma_scaling_step_is_the_score_space_rule(pipe, prediction, t, k):
    """ε = −σ·[s(x; σ) + γ(s(x; σ) − s(x; σ_g))] with σ_g = kσ clamped to the table: the
    bridge's step (input scaling, fractional timestep, combination) against GuidedDenoiser."""
    levels = sd.NoiseLevels(pipe.scheduler.alphas_cumprod)
    model = Gaussian(levels, prediction)
    w = 2.5
    step = sd.GuidedUNet(model.unet, levels, prediction, "sigma_scaling", Constant(w), k)
    x_t = torch.randn(3, 4, 8, 8, generator=torch.Generator().manual_seed(t), dtype=torch.float64)
    emb = torch.zeros(3, 7, 5, dtype=torch.float64)
    out = step(x_t, torch.tensor(t), emb, return_dict=False)[0]
    sigma = levels.sigma(t)
    sigma_g = min(k * sigma, levels.sigma_max)
    if t == 990:
        assert sigma_g < k * sigma                            # the clamped case is exercised
    x = x_t * math.sqrt(1 + sigma ** 2)
    s = GuidedDenoiser(model, model, w, guide_scale=sigma_g / sigma, dim=None).score(x, sigma)
    eps = -sigma * s
    expect = eps if prediction == "epsilon" else math.sqrt(1 + sigma ** 2) * eps - sigma * x_t
    # (the bridge passes timesteps as float32, as the UNet takes them: t' carries ~1e-7 relative)
    assert torch.allclose(out, expect, rtol=1e-6, atol=1e-6)
    # a plain blend of the two outputs is a different rule (unless k = 1)
    o_g, o_m = model.unet(torch.cat([x_t * math.sqrt((1 + sigma ** 2) / (1 + sigma_g ** 2)), x_t]),
                          torch.tensor([levels.timestep(sigma_g)] * 3 + [t] * 3), None)[0].chunk(2)
    assert not torch.allclose(out, o_g + w * (o_m - o_g), atol=1e-4)
    assert step.evaluations == 2


def test_noise_levels_round_trip(pipe):
    levels = sd.NoiseLevels(pipe.scheduler.alphas_cumprod)
    for t in (0.0, 1.0, 17.25, 500.0, 998.5, 999.0):
        assert levels.timestep(levels.sigma(t)) == pytest.approx(t, abs=1e-9)
    assert levels.timestep(1e6) == 999.0 and levels.timestep(1e-9) == 0.0
    a = pipe.scheduler.alphas_cumprod[10].double()
    assert levels.sigma(10) == pytest.approx(float(((1 - a) / a).sqrt()), rel=1e-12)


# ---------------------------------------------------------------- against diffusers itself

def _max_diff(a, b):
    return float(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)).max())


TOL = 1e-5       # images in [0, 1]; the bridge is bit-identical here, the tolerance covers BLAS order
TOL_K1 = 1e-4    # k = 1 runs 2N rows where diffusers runs N: kernels may round by batch size


@pytest.mark.parametrize("which", ["pipe", "pipe_v"])
def test_reference_checks(which, request):
    """Constant w: diffusers' own CFG; w = 1 and k = 1: diffusers' unguided output."""
    p = request.getfixturevalue(which)
    for w in (1.0, 4.0):
        ref = sd.reference(p, sd.PROMPT, SEEDS, w=w, steps=STEPS)
        ours = sd.sample(p, sd.PROMPT, SEEDS, method="cfg", w=w, steps=STEPS)
        assert _max_diff(ref, ours) <= TOL, (which, w)
    ref = sd.reference(p, sd.PROMPT, SEEDS, w=1, steps=STEPS)
    ss = sd.sample(p, sd.PROMPT, SEEDS, method="sigma_scaling", w=3.0, k=1.0, steps=STEPS)
    assert _max_diff(ref, ss) <= TOL_K1
    moved = sd.sample(p, sd.PROMPT, SEEDS, method="sigma_scaling", w=3.0, k=1.2, steps=STEPS)
    assert _max_diff(ref, moved) > 1e-3                       # k ≠ 1 does guide


def test_euler_scheduler_reference():
    p = sd.tiny_pipeline(scheduler="euler")
    ref = sd.reference(p, sd.PROMPT, [3], w=3.0, steps=3)
    assert _max_diff(ref, sd.sample(p, sd.PROMPT, [3], w=3.0, steps=3)) <= TOL


SCHEDULES = {
    "constant": lambda: 4.0, "linear": lambda: Linear(4.0), "cosine": lambda: Cosine(4.0),
    "presentation cosine": lambda: PresentationCosine(6.0),
    "interval": lambda: Interval(4.0, 0.3, 5.0),
}


@pytest.mark.parametrize("method", sd.METHODS)
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_method_runs(pipe, method, name):
    stats = {}
    k = 1.1 if method == "sigma_scaling" else 1.0
    out = sd.sample(pipe, [sd.PROMPT, "a horse"], SEEDS, method=method, w=SCHEDULES[name](),
                    k=k, steps=STEPS, stats=stats)
    assert out.shape == (2, 32, 32, 3) and np.isfinite(out).all()
    # one UNet call per scheduler call; 2 rows per image when guided, 1 when w = 1
    guided = sum(w != 1 for w in stats["weights"])
    assert stats["evaluations"] == stats["calls"] + guided
    if name in ("linear", "cosine", "presentation cosine"):
        assert stats["weights"][0] == 1.0 and max(stats["weights"]) > 1
    assert "forward" not in pipe.unet.__dict__                 # the pipeline is given back as it was


def test_same_seed_same_start_noise(pipe):
    a = sd.sample(pipe, sd.PROMPT, [5, 6], w=2.0, steps=2)
    b = sd.sample(pipe, sd.PROMPT, [6], w=2.0, steps=2)
    assert _max_diff(a[1:], b) <= TOL


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, match", [
    (dict(method="autoguidance"), "method must be one of"),
    (dict(method="sigma_scaling", k=0.0), "k must be > 0"),
    (dict(method="sigma_scaling", k=-1.0), "k must be > 0"),
    (dict(method="sigma_scaling", k=float("nan")), "k must be finite"),
    (dict(method="cfg", k=1.1), "k applies to method='sigma_scaling' only"),
    (dict(steps=0), "steps must be an integer >= 1"),
    (dict(seeds=[0, 1, 2]), "prompts and seeds must have the same length"),
    (dict(seeds=[]), "seeds must hold at least one seed"),
    (dict(seeds=3), "seeds must be a list"),
    (dict(seeds=[-1, 0]), r"seeds\[i\] must be an integer >= 0"),
    (dict(w=-2.0), "w must be a finite number >= 0"),
    (dict(w=float("inf")), "w must be a finite number >= 0"),
    (dict(guidance_scale=7.5), "sets .*guidance_scale.* itself"),
    (dict(negative_prompt=None), "negative_prompt must be a string"),
    (dict(method="sigma_scaling", k=1.1, negative_prompt="blurry"),
     "negative_prompt applies to method='cfg' only"),
    (dict(guidance_rescale=0.7), "does not support .*guidance_rescale"),
    (dict(ip_adapter_image_embeds=[torch.zeros(2, 1, 4)]), "does not support .*ip_adapter"),
])
def test_bad_input_names_the_argument(pipe, kwargs, match):
    args = dict(prompts=[sd.PROMPT, "a horse"], seeds=[0, 1], steps=STEPS)
    args.update(kwargs)
    prompts, seeds = args.pop("prompts"), args.pop("seeds")
    with pytest.raises(ValueError, match=match):
        sd.sample(pipe, prompts, seeds, **args)
    assert "forward" not in pipe.unet.__dict__


def test_unsupported_pipelines(pipe):
    with pytest.raises(ValueError, match="pipe must be a diffusers StableDiffusionPipeline"):
        sd.sample(object(), sd.PROMPT, [0])
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel
    ddpm = DDPMPipeline(UNet2DModel(sample_size=8, block_out_channels=(8, 16), norm_num_groups=8,
                                    down_block_types=("DownBlock2D",) * 2,
                                    up_block_types=("UpBlock2D",) * 2), DDPMScheduler())
    with pytest.raises(ValueError, match="got DDPMPipeline"):
        sd.sample(ddpm, sd.PROMPT, [0])
    p = sd.tiny_pipeline()
    p.scheduler.register_to_config(prediction_type="sample")
    with pytest.raises(ValueError, match="prediction_type must be one of"):
        sd.sample(p, sd.PROMPT, [0])


def test_unsupported_unets_and_schedulers():
    from diffusers import EulerDiscreteScheduler
    p = sd.tiny_pipeline()
    p.unet.register_to_config(time_cond_proj_dim=8)
    with pytest.raises(ValueError, match="time_cond_proj_dim"):
        sd.sample(p, sd.PROMPT, [0])
    p = sd.tiny_pipeline()
    p.scheduler = EulerDiscreteScheduler.from_config(p.scheduler.config,
                                                     timestep_type="continuous")
    with pytest.raises(ValueError, match="timestep_type must be 'discrete'"):
        sd.sample(p, sd.PROMPT, [0])
    p = sd.tiny_pipeline()
    p.scheduler.alphas_cumprod = None
    with pytest.raises(ValueError, match="has no alphas_cumprod"):
        sd.sample(p, sd.PROMPT, [0])


def test_reference_refuses_weights_diffusers_does_not_apply(pipe):
    with pytest.raises(ValueError, match="w must be >= 1 for diffusers' own CFG"):
        sd.reference(pipe, sd.PROMPT, [0], w=0.5)


def test_text_encoder_options_reach_the_prompt(pipe, monkeypatch):
    """clip_skip and a LoRA scale act on the prompt encoding, which the bridge does itself.
    (diffusers 0.42's own clip_skip and LoRA-scale paths fail on transformers 5's CLIPTextModel,
    so the options are checked where they are passed, not by their effect.)"""
    seen = {}
    encode = pipe.encode_prompt

    def spy(*args, **kwargs):
        if not seen:                   # the bridge's call (the pipeline's own comes after)
            seen.update(kwargs)
        return encode(*args, **{**kwargs, "clip_skip": None, "lora_scale": None})

    monkeypatch.setattr(pipe, "encode_prompt", spy)
    sd.sample(pipe, sd.PROMPT, [0], w=3.0, steps=1, clip_skip=1,
              cross_attention_kwargs={"scale": 0.5})
    assert seen["clip_skip"] == 1 and seen["lora_scale"] == 0.5


@pytest.mark.parametrize("scheduler", ["euler", "ddim"])
def test_sigma_scaling_on_other_schedulers(scheduler):
    p = sd.tiny_pipeline(scheduler=scheduler, prediction_type="v_prediction")
    if scheduler == "ddim":      # zero terminal SNR (ᾱ_T = 0), as SD 2.x fine-tunes use
        from diffusers import DDIMScheduler
        p.scheduler = DDIMScheduler.from_config(p.scheduler.config, rescale_betas_zero_snr=True,
                                                timestep_spacing="trailing")
    plain = sd.sample(p, sd.PROMPT, [0], w=1.0, steps=3)
    ss = sd.sample(p, sd.PROMPT, [0], method="sigma_scaling", k=1.3, w=Cosine(3.0), steps=3)
    assert np.isfinite(ss).all() and _max_diff(plain, ss) > 1e-4


def test_transformers_logging_is_left_as_it_was(pipe):
    from transformers.utils import logging
    before = logging.get_verbosity()
    logging.set_verbosity_info()
    try:
        sd.check_pipeline(pipe)
        assert logging.get_verbosity() == logging.INFO
    finally:
        logging.set_verbosity(before)


def test_tiny_pipeline_arguments():
    with pytest.raises(ValueError, match="prediction_type must be one of"):
        sd.tiny_pipeline(prediction_type="x0")
    with pytest.raises(ValueError, match="scheduler must be one of"):
        sd.tiny_pipeline(scheduler="heun")


def test_forward_is_restored_after_a_failure(pipe):
    with pytest.raises(ValueError):
        sd.sample(pipe, sd.PROMPT, [0], steps=2, height=30, width=30)     # not a multiple of 8
    assert "forward" not in pipe.unet.__dict__


def test_load_pipeline_never_downloads(tmp_path):
    pipe, why = sd.load_pipeline(str(tmp_path / "no-such-model"))
    assert pipe is None and why
    pipe, why = sd.load_pipeline("nobody/not-a-cached-model")
    assert pipe is None and why
    with pytest.raises(ValueError, match="model must be"):
        sd.load_pipeline("")


def test_schedule_follows_the_pipelines_own_timesteps():
    """Custom timesteps passed to the pipeline: the schedule's progress is read from the
    scheduler the pipeline set, p = 0, 1/3, 2/3, 1 over four steps."""
    p = sd.tiny_pipeline(scheduler="euler")
    stats = {}
    sd.sample(p, sd.PROMPT, [0], w=Linear(2.5), steps=4, timesteps=[999, 700, 400, 100],
              stats=stats)
    assert stats["weights"] == pytest.approx([1.0, 2.0, 3.0, 4.0])
