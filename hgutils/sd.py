"""The diffusers bridge: the study's guidance inside a user's Stable Diffusion pipeline.

diffusers' `StableDiffusionPipeline` guides with one constant `guidance_scale`. This module runs
the user's own pipeline object (its scheduler, VAE, text encoder, safety checker) with any
weight schedule of `hgutils.guidance` and with sigma scaling, by guiding the one UNet call of
each step. It does not copy the pipeline's loop: for the length of one call it wraps
``pipe.unet.forward``, asks the pipeline for no guidance of its own (``guidance_scale=1``), and
answers each step's call with the guided prediction.

    images = sd.sample(pipe, "a photograph of an astronaut riding a horse", seeds=[0, 1],
                       method="sigma_scaling", w=Cosine(3.0), k=1.1, steps=50)

The math in the study's conventions. A VP model at timestep t sees x_t = x/√(1+σ²), with
σ(t) = √((1 − ᾱ_t)/ᾱ_t), and predicts ε = −σ·s(x; σ) (or v = √(1+σ²)·ε − σ·x_t, v-prediction).
The guided score s = s_main(x; σ) + (w − 1)·(s_main(x; σ) − s_guide(x; σ_g)) is, in ε units at σ,

    ε = ε_g + w·(ε₁ − ε_g),   ε_g = (σ/σ_g)·ε₀'                                   (one line)

    CFG:           ε₁ = ε(x_t, t | prompt),  ε₀' = ε(x_t, t | negative prompt),  σ_g = σ
    sigma scaling: ε₁ = ε(x_t, t | prompt),  ε₀' = ε(x_t', t' | prompt),         σ_g = k·σ,
                   x_t' = x/√(1 + σ_g²),  t' the fractional timestep with σ(t') = σ_g

so ε = ε₁ + (w − 1)·(ε₁ − ε₀'/k). A plain blend ε₁ + (w − 1)(ε₁ − ε₀') of the two UNet outputs
is another method (it scales the guide's score by k). t' is interpolated linearly in ln σ on the
scheduler's ᾱ table (as diffusers' own `_sigma_to_t`); σ_g is clamped to the table's range, so
where k·σ exceeds the largest σ of the table the guide sits at that σ and σ/σ_g carries the
rest. Schedulers that start at the table's end (t = 999: Euler, DPM-Solver, UniPC, LMS, Heun
by default) thus make sigma scaling's first step unguided for any k > 1. Both halves go through
the UNet in one batched call of 2N rows (per-row timesteps), as diffusers' own CFG does; a step
with w = 1 makes one call of N rows.

σ is read from the timestep the pipeline passes to the UNet (what the network is told), so the
scheduler's timesteps must index the ᾱ table ("discrete"; Euler's "continuous" timesteps are
refused). For schedulers that round karras σ's to integer timesteps (DPM-Solver with
``use_karras_sigmas``) this is the rounded step's σ, a few per cent from the scheduler's own.

With a constant weight and CFG, ε = ε_u + w·(ε_c − ε_u) is diffusers' own line, evaluated in the
pipeline's own output (ε or v: the map between them is affine with the same coefficients for
both halves, so the blend commutes with it): the bridge reproduces diffusers' output.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile

import numpy as np
import torch

from ._checks import check_float, check_int
from .guidance import Schedule, _check_w, as_schedule, progress_on_grid

PROMPT = "a photograph of an astronaut riding a horse"
DEFAULT_MODEL = "stable-diffusion-v1-5/stable-diffusion-v1-5"
METHODS = ("cfg", "sigma_scaling")
PREDICTIONS = ("epsilon", "v_prediction")


# ---------------------------------------------------------------------------- checks


def _sd_pipeline_class():
    """diffusers' StableDiffusionPipeline, imported without transformers' notices about optional
    image backends (torchvision) that the pipelines here do not use (the level is restored)."""
    from transformers.utils import logging
    level = logging.get_verbosity()
    logging.set_verbosity_error()
    try:
        from diffusers import StableDiffusionPipeline
    finally:
        logging.set_verbosity(level)
    return StableDiffusionPipeline


def check_pipeline(pipe):
    """The pipeline kinds the bridge supports: diffusers' StableDiffusionPipeline (SD 1.x, 2.x)
    with an ε- or v-predicting UNet and a scheduler with an ᾱ table."""
    StableDiffusionPipeline = _sd_pipeline_class()
    if not isinstance(pipe, StableDiffusionPipeline):
        raise ValueError("pipe must be a diffusers StableDiffusionPipeline (SD 1.x or 2.x), got "
                         f"{type(pipe).__name__}")
    pred = pipe.scheduler.config.get("prediction_type", "epsilon")
    if pred not in PREDICTIONS:
        raise ValueError(f"pipe.scheduler.config.prediction_type must be one of {PREDICTIONS}, "
                         f"got {pred!r}")
    if getattr(pipe.unet.config, "time_cond_proj_dim", None) is not None:
        raise ValueError("pipe.unet takes the guidance weight as an input (a distilled model, "
                         "time_cond_proj_dim is set): it has no guidance to schedule")
    if getattr(pipe.scheduler, "alphas_cumprod", None) is None:
        raise ValueError(f"pipe.scheduler ({type(pipe.scheduler).__name__}) has no alphas_cumprod "
                         "table: the bridge needs a VP (DDPM-family) scheduler")
    kind = pipe.scheduler.config.get("timestep_type", "discrete")
    if kind != "discrete":
        raise ValueError(f"pipe.scheduler.config.timestep_type must be 'discrete' (timesteps that "
                         f"index the ᾱ table), got {kind!r}")
    return pred


def check_method(method) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return method


def check_prompts_seeds(prompts, seeds):
    """prompts: a string (used for every seed) or a list as long as seeds; seeds: a list of ints."""
    if isinstance(seeds, (int, np.integer)) or not isinstance(seeds, (list, tuple)):
        raise ValueError(f"seeds must be a list of integers >= 0 (one image each), got {seeds!r}")
    if len(seeds) < 1:
        raise ValueError("seeds must hold at least one seed, got an empty list")
    seeds = [check_int(s, "seeds[i]", 0) for s in seeds]
    if isinstance(prompts, str):
        prompts = [prompts] * len(seeds)
    if not isinstance(prompts, (list, tuple)) or not all(isinstance(p, str) for p in prompts):
        raise ValueError(f"prompts must be a string or a list of strings, got {prompts!r}")
    if len(prompts) != len(seeds):
        raise ValueError(f"prompts and seeds must have the same length (one image per pair), "
                         f"got {len(prompts)} prompts and {len(seeds)} seeds")
    return list(prompts), seeds


# ---------------------------------------------------------------------------- noise levels


class NoiseLevels:
    """σ(t) = √((1 − ᾱ_t)/ᾱ_t) of a scheduler's ᾱ table and its inverse t(σ), both linear in
    ln σ between integer timesteps; t(σ) clamps σ to the table's range [σ(0), σ(T − 1)]."""

    def __init__(self, alphas_cumprod):
        # a zero-terminal-SNR table (ᾱ_T = 0) gets diffusers' own floor, 2⁻²⁴
        a = np.maximum(torch.as_tensor(alphas_cumprod).double().cpu().numpy(), 2.0 ** -24)
        self.log_sigma = 0.5 * np.log((1 - a) / a)                     # [T], increasing in t
        if not (np.all(np.isfinite(self.log_sigma)) and np.all(np.diff(self.log_sigma) > 0)):
            raise ValueError("alphas_cumprod must decrease strictly inside (0, 1)")
        self.t = np.arange(len(a), dtype=np.float64)
        self.sigma_min, self.sigma_max = math.exp(self.log_sigma[0]), math.exp(self.log_sigma[-1])

    def sigma(self, t: float) -> float:
        return math.exp(float(np.interp(t, self.t, self.log_sigma)))

    def clamp(self, sigma: float) -> float:
        return min(max(sigma, self.sigma_min), self.sigma_max)

    def timestep(self, sigma: float) -> float:
        return float(np.interp(math.log(self.clamp(sigma)), self.log_sigma, self.t))


# ---------------------------------------------------------------------------- the guided step


class GuidedUNet:
    """Answers the pipeline's UNet call of each step with the guided prediction.

    forward(x_t [N, 4, h, w], t, encoder_hidden_states [N, L, D] (the prompt), ...) → [N, 4, h, w]
    in the pipeline's own parameterisation. `uncond` [N, L, D]: the negative prompt's
    embeddings (CFG). `evaluations` counts UNet rows / N (2 per guided step, 1 per w = 1 step).
    """

    def __init__(self, unet_forward, levels: NoiseLevels, prediction: str, method: str,
                 schedule: Schedule, k: float, uncond=None, timesteps=None):
        self.unet, self.levels, self.prediction = unet_forward, levels, prediction
        self.method, self.schedule, self.k, self.uncond = method, schedule, k, uncond
        self._log_grid = None
        # the run's timesteps, or a callable that gives them at the first call, once the
        # pipeline has set its scheduler (custom `timesteps=` or `sigmas=` included)
        self._timesteps = timesteps
        self.evaluations, self.calls, self.weights = 0.0, 0, []

    def set_grid(self, timesteps):
        """The run's σ grid (from the scheduler's timesteps) for progress-following schedules."""
        ts = sorted({float(t) for t in torch.as_tensor(timesteps).flatten()}, reverse=True)
        self._log_grid = torch.tensor([math.log(self.levels.sigma(t)) for t in ts],
                                      dtype=torch.float64)

    def weight(self, sigma: float) -> float:
        return self.schedule(progress_on_grid(self._log_grid, sigma), sigma)

    def _to_eps(self, out, x_t, sigma):
        """ε from the UNet's output at σ for input x_t (v = α·ε − s·y ⇒ ε = s·x_t + α·v)."""
        if self.prediction == "epsilon":
            return out
        a, s = _vp(sigma)
        return s * x_t + a * out

    def _from_eps(self, eps, x_t, sigma):
        if self.prediction == "epsilon":
            return eps
        a, s = _vp(sigma)
        return (eps - s * x_t) / a

    def __call__(self, sample, timestep, encoder_hidden_states, *args, return_dict=True, **kw):
        if self._log_grid is None and self._timesteps is not None:
            ts = self._timesteps
            self.set_grid(ts() if callable(ts) else ts)
        t = float(timestep)                      # one timestep per step in SD pipelines
        sigma = self.levels.sigma(t)
        w = self.weight(sigma)
        self.weights.append(w)
        n = sample.shape[0]
        self.calls += 1
        if w == 1:                               # no guidance: the main model alone
            self.evaluations += 1
            return self.unet(sample, timestep, encoder_hidden_states, *args,
                             return_dict=return_dict, **kw)
        if self.method == "cfg":                 # [negative; prompt] at the same x_t, t
            x2 = torch.cat([sample, sample])
            emb = torch.cat([self.uncond, encoder_hidden_states])
            t2, sigma_g = timestep, sigma
        else:                                    # [prompt at σ_g = kσ; prompt at σ]
            sigma_g = self.levels.clamp(self.k * sigma)
            x_g = sample * math.sqrt((1 + sigma ** 2) / (1 + sigma_g ** 2))   # x/√(1+σ_g²)
            x2 = torch.cat([x_g, sample])
            emb = torch.cat([encoder_hidden_states, encoder_hidden_states])
            t_g = self.levels.timestep(sigma_g)
            t2 = torch.tensor([t_g] * n + [t] * n, device=sample.device, dtype=torch.float32)
        out = self.unet(x2, t2, emb, *args, return_dict=False, **kw)[0]
        self.evaluations += 2
        o_g, o_m = out.chunk(2)
        if self.method == "cfg":                 # diffusers' line, in the pipeline's own output
            guided = o_g + w * (o_m - o_g)
        else:
            e_m = self._to_eps(o_m, sample, sigma)
            e_g = self._to_eps(o_g, x_g, sigma_g) * (sigma / sigma_g)        # score at σ_g in ε units at σ
            guided = self._from_eps(e_g + w * (e_m - e_g), sample, sigma)
        if not return_dict:
            return (guided,)
        from diffusers.models.unets.unet_2d_condition import UNet2DConditionOutput
        return UNet2DConditionOutput(sample=guided)


def _vp(sigma: float) -> tuple[float, float]:
    """(α, s) of the VP input x_t = α·y + s·ε at σ: α = 1/√(1+σ²), s = σ/√(1+σ²)."""
    r = math.sqrt(1 + sigma ** 2)
    return 1 / r, sigma / r


@contextlib.contextmanager
def guiding(pipe, guided: GuidedUNet):
    """For the length of the block, pipe.unet's forward answers with `guided` (then restored)."""
    unet = pipe.unet
    had = "forward" in unet.__dict__
    old = unet.__dict__.get("forward")
    guided.unet = unet.forward
    unet.forward = guided
    try:
        yield guided
    finally:
        if had:
            unet.forward = old
        else:
            del unet.forward


# ---------------------------------------------------------------------------- sampling


def generators(seeds):
    """One CPU generator per image: the start noise depends on the seed, not on the device."""
    return [torch.Generator("cpu").manual_seed(s) for s in seeds]


def sample(pipe, prompts, seeds, *, method: str = "cfg", w=7.5, k: float = 1.0, steps: int = 50,
           negative_prompt: str = "", output_type: str = "np", stats: dict | None = None,
           **pipe_kwargs):
    """Images from the user's pipeline with the study's guidance: one image per (prompt, seed).

    method: "cfg" (guide: the negative prompt) or "sigma_scaling" (guide: the prompt at σ_g = kσ).
    w: a number (constant weight; 1 = no guidance) or a `hgutils.guidance` schedule (Linear,
    Cosine, PresentationCosine, Interval with σ in the VP σ of the scheduler's table).
    k: σ_g/σ for sigma scaling (> 0; 1 is no guidance); CFG takes k = 1 only.
    steps: the scheduler's number of inference steps. pipe_kwargs go to the pipeline (height,
    width, eta, ...). stats: a dict that receives the evaluation count, weights and steps.
    Returns what the pipeline returns in `.images` (numpy [N, H, W, 3] in [0, 1] by default)."""
    prediction = check_pipeline(pipe)
    method = check_method(method)
    schedule = as_schedule(w)
    k = check_float(k, "k", 0, low_open=True)
    if method == "cfg" and k != 1:
        raise ValueError(f"k applies to method='sigma_scaling' only; CFG takes k = 1, got k={k}")
    steps = check_int(steps, "steps", 1)
    prompts, seeds = check_prompts_seeds(prompts, seeds)
    if not isinstance(negative_prompt, str):
        raise ValueError(f"negative_prompt must be a string, got {negative_prompt!r}")
    if negative_prompt and method != "cfg":
        raise ValueError("negative_prompt applies to method='cfg' only (sigma scaling's guide is "
                         f"the prompt itself), got {negative_prompt!r}")
    taken = {"guidance_scale", "prompt", "prompt_embeds", "negative_prompt_embeds", "generator",
             "num_inference_steps", "negative_prompt", "num_images_per_prompt"}
    if taken & set(pipe_kwargs):
        raise ValueError(f"sample() sets {sorted(taken & set(pipe_kwargs))} itself; pass method, "
                         f"w, k, steps, seeds, negative_prompt instead")
    unsupported = {"guidance_rescale", "ip_adapter_image", "ip_adapter_image_embeds"}
    if unsupported & set(pipe_kwargs):
        raise ValueError(f"sample() does not support {sorted(unsupported & set(pipe_kwargs))} "
                         "(diffusers applies them inside its own CFG, which the bridge replaces)")
    device = pipe._execution_device
    clip_skip = pipe_kwargs.pop("clip_skip", None)
    lora_scale = (pipe_kwargs.get("cross_attention_kwargs") or {}).get("scale")
    cond, uncond = pipe.encode_prompt(prompts, device, 1, method == "cfg",
                                      [negative_prompt] * len(prompts), lora_scale=lora_scale,
                                      clip_skip=clip_skip)
    guided = GuidedUNet(None, NoiseLevels(pipe.scheduler.alphas_cumprod), prediction, method,
                        schedule, k, uncond=uncond, timesteps=lambda: pipe.scheduler.timesteps)
    with guiding(pipe, guided):
        out = pipe(prompt_embeds=cond, guidance_scale=1.0, num_inference_steps=steps,
                   generator=generators(seeds), output_type=output_type, **pipe_kwargs)
    if stats is not None:
        stats.update(evaluations=guided.evaluations, calls=guided.calls,
                     weights=list(guided.weights), steps=steps)
    return out.images


def reference(pipe, prompts, seeds, *, w: float = 7.5, steps: int = 50, negative_prompt: str = "",
              output_type: str = "np", **pipe_kwargs):
    """diffusers' own output for the same seeds: its CFG with guidance_scale = w (w = 1: none;
    diffusers guides only for w > 1, so 0 ≤ w < 1 is refused)."""
    check_pipeline(pipe)
    prompts, seeds = check_prompts_seeds(prompts, seeds)
    w = _check_w(w)
    if w < 1:
        raise ValueError(f"w must be >= 1 for diffusers' own CFG (below 1 it does not guide), "
                         f"got {w}")
    return pipe(prompts, guidance_scale=w, num_inference_steps=check_int(steps, "steps", 1),
                negative_prompt=[negative_prompt] * len(prompts) if w > 1 else None,
                generator=generators(seeds), output_type=output_type, **pipe_kwargs).images


# ---------------------------------------------------------------------------- pipelines


def tiny_pipeline(seed: int = 0, prediction_type: str = "epsilon", scheduler: str = "pndm"):
    """A randomly initialised Stable Diffusion pipeline assembled from configs (UNet with cross-
    attention, VAE, CLIP text encoder and a character-level CLIP tokenizer written here), with
    SD 1.5's noise schedule: the real pipeline's code path at a size this CPU runs in seconds.
    Its pictures are noise; nothing is to be read from them."""
    StableDiffusionPipeline = _sd_pipeline_class()
    from diffusers import (AutoencoderKL, DDIMScheduler, EulerDiscreteScheduler, PNDMScheduler,
                           UNet2DConditionModel)
    from transformers import CLIPTextConfig, CLIPTextModel
    if prediction_type not in PREDICTIONS:
        raise ValueError(f"prediction_type must be one of {PREDICTIONS}, got {prediction_type!r}")
    kinds = {"pndm": PNDMScheduler, "ddim": DDIMScheduler, "euler": EulerDiscreteScheduler}
    if scheduler not in kinds:
        raise ValueError(f"scheduler must be one of {sorted(kinds)}, got {scheduler!r}")
    seed = check_int(seed, "seed", 0)
    sched_cfg = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                     num_train_timesteps=1000, steps_offset=1, prediction_type=prediction_type)
    if scheduler == "pndm":
        sched_cfg.update(skip_prk_steps=True, set_alpha_to_one=False)
    elif scheduler == "ddim":
        sched_cfg.update(clip_sample=False, set_alpha_to_one=False)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=16, in_channels=4, out_channels=4, layers_per_block=1,
        block_out_channels=(32, 64), norm_num_groups=16, cross_attention_dim=32,
        attention_head_dim=8, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"))
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(32, 64),
        norm_num_groups=16, layers_per_block=1, sample_size=32,
        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2)
    tokenizer = _tiny_tokenizer()
    text = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=77, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id))
    pipe = StableDiffusionPipeline(
        vae=vae.eval(), text_encoder=text.eval(), tokenizer=tokenizer, unet=unet.eval(),
        scheduler=kinds[scheduler](**sched_cfg), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _tiny_tokenizer():
    """CLIP's tokenizer with a character-level vocabulary (printable ASCII, no merges)."""
    from transformers import CLIPTokenizer
    chars = [chr(c) for c in range(33, 127)]
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "vocab.json"), "w") as f:
            json.dump(vocab, f)
        with open(os.path.join(d, "merges.txt"), "w") as f:
            f.write("#version: 0.2\n")
        tok = CLIPTokenizer(os.path.join(d, "vocab.json"), os.path.join(d, "merges.txt"))
    tok.model_max_length = 77
    return tok


def load_pipeline(model: str = DEFAULT_MODEL, device: str = "cpu", dtype=None):
    """(pipe, None) with real weights from a local folder or the local diffusers cache — never
    downloaded — or (None, why) when they are not there."""
    StableDiffusionPipeline = _sd_pipeline_class()
    if not isinstance(model, str) or not model:
        raise ValueError(f"model must be a model id or a local folder, got {model!r}")
    kw = {} if dtype is None else {"torch_dtype": dtype}
    try:
        pipe = StableDiffusionPipeline.from_pretrained(model, local_files_only=True,
                                                       low_cpu_mem_usage=False, **kw)
    except Exception as e:              # not cached, not a folder, or not an SD pipeline
        first = str(e).strip().splitlines()[0].split(". ")[0] if str(e).strip() else ""
        return None, f"{type(e).__name__}: {first[:200]}"
    return pipe.to(device), None
