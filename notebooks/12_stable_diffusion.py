# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12. Guidance inside Stable Diffusion
#
# ```{admonition} What this record ran on
# :class: important
# {glue:text}`source_txt`
# ```
#
# **The question.** The presentation {cite}`seo2025guidance` ends on Stable Diffusion
# {cite}`rombach2022ldm`: the prompt "a photograph of an astronaut riding a horse" with a
# constant weight, a linear and a cosine weight schedule, then sigma scaling. A diffusers
# pipeline takes one constant `guidance_scale`, and diffusers has no sigma scaling. Can the
# study's methods run inside a user's own `StableDiffusionPipeline` exactly as the study
# defines them, what does each cost per step, and is the bridge right? The last question has
# an exact answer, checked below against diffusers' own CFG.
#
# **From earlier chapters.** Guidance combines scores,
# $s = s_1(x;\sigma) + (w-1)\,(s_1(x;\sigma) - s_0(x;\sigma_g))$ (chapter
# [3](03_cfg.ipynb)); schedules make $w$ follow the sampler's progress
# ([chapter 4](04_schedules.ipynb)); sigma scaling takes the same network at
# $\sigma_g = k\sigma$ as the guide ([chapter 7](07_sigma_scaling.ipynb)), alone or with the
# presentation's cosine ([chapter 8](08_schedule_sigma_scaling.ipynb)).
#
# **Stable Diffusion in the study's conventions.** SD's UNet is a VP model: at timestep $t$
# it sees $x_t = x/\sqrt{1+\sigma^2}$, with $\sigma(t) = \sqrt{(1-\bar\alpha_t)/\bar\alpha_t}$
# from the scheduler's $\bar\alpha$ table, and predicts $\varepsilon = -\sigma\, s$ (or
# $v$ {cite}`salimans2022progressive`, which is affine in $\varepsilon$). In $\varepsilon$
# units at $\sigma$ the study's rule is one line,
#
# $$\varepsilon = \varepsilon_g + w\,(\varepsilon_1 - \varepsilon_g), \qquad
#   \varepsilon_g = \tfrac{\sigma}{\sigma_g}\,\varepsilon_0',$$
#
# where $\varepsilon_0'$ is the UNet's output for the guide. For CFG the guide is the negative
# prompt at the same $x_t$ and $t$ ($\sigma_g = \sigma$): diffusers' own line. For sigma
# scaling it is the prompt at $\sigma_g = k\sigma$, which needs its own input
# $x/\sqrt{1+k^2\sigma^2}$ and a fractional timestep $t'$ with $\sigma(t') = k\sigma$
# (interpolated in $\ln\sigma$ on the table; clamped to the table's largest $\sigma$). So
# $\varepsilon = \varepsilon_1 + (w-1)(\varepsilon_1 - \varepsilon_0'/k)$: a plain blend of the
# two UNet outputs would scale the guide's score by $k$ and be another method. Both halves go
# through the UNet in **one batched call** per step, as diffusers' CFG does.
#
# **How a user runs it** (`hgutils.sd`; the pipeline object and its scheduler stay theirs):
#
# ```python
# from hgutils import sd
# from hgutils.guidance import Cosine, PresentationCosine
#
# images = sd.sample(pipe, "a photograph of an astronaut riding a horse", seeds=[0, 1],
#                    method="cfg", w=Cosine(7.5), steps=50)           # CFG, cosine schedule
# images = sd.sample(pipe, "a photograph of an astronaut riding a horse", seeds=[0, 1],
#                    method="sigma_scaling", k=1.1, w=PresentationCosine(3.0), steps=50)
# ```

# %% tags=["remove-cell"]
# Colab setup: clone and install this repository (does nothing elsewhere)
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    _repo = "/content/guidance-study"
    if not os.path.isdir(_repo):
        subprocess.check_call(
            ["git", "clone", "--depth", "1", "--branch", "main",
             "https://github.com/guidance-study/guidance-study", _repo]
        )
    # installs hgutils and what Colab lacks (pip skips what is already there)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-e", _repo])
    if _repo not in sys.path:  # the running kernel never reads the new .pth file
        sys.path.insert(0, _repo)
    os.chdir(os.path.join(_repo, "notebooks"))  # chapters read and write data/...
    from google.colab import output

    output.enable_custom_widget_manager()  # live ipywidgets 8

# %% tags=["parameters"]
model = "stable-diffusion-v1-5/stable-diffusion-v1-5"   # id (local cache) or folder
device = "cpu"           # "cuda" for real weights
steps = 25               # the scheduler's inference steps
seeds = [0, 1, 2, 3]     # one image per seed, the same start noise for every method
prompts = ["a photograph of an astronaut riding a horse"]   # one, or one per seed
w = 7.5                  # CFG's weight; the schedules have this mean weight (chapter 4)
k = 1.1                  # sigma scaling: σ_g = k·σ
w_ss = 3.0               # sigma scaling's constant weight
w_ss_max = 3.0           # sigma scaling + the presentation's cosine: its w_max
tiny_seed = 0            # the tiny pipeline's random initialisation (no real weights)

# %% tags=["hide-input"]
from hgutils.params import check_float, check_int, check_int_list

if not isinstance(model, str) or not model:
    raise ValueError(f"model must be a model id or a local folder, got {model!r}")
if device not in ("cpu", "cuda", "mps") and not str(device).startswith("cuda:"):
    raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}")
steps = check_int(steps, "steps", 1)
seeds = check_int_list(seeds, "seeds", 0)
if isinstance(prompts, str) or not all(isinstance(p, str) for p in prompts):
    raise ValueError(f"prompts must be a list of strings, got {prompts!r}")
if len(prompts) not in (1, len(seeds)):
    raise ValueError(f"prompts must hold one prompt or one per seed ({len(seeds)}), "
                     f"got {len(prompts)}")
w = check_float(w, "w", 1)
k = check_float(k, "k", 0, low_open=True)
w_ss = check_float(w_ss, "w_ss", 1)
w_ss_max = check_float(w_ss_max, "w_ss_max", 1)
tiny_seed = check_int(tiny_seed, "tiny_seed", 0)

# %% tags=["hide-input"]
import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import torch

from hgutils import plots, sd
from hgutils.guidance import Constant, Cosine, Interval, Linear, PresentationCosine
from hgutils.report import Table, say

torch.set_num_threads(2)
PROMPTS = prompts * len(seeds) if len(prompts) == 1 else prompts
pipe, why = sd.load_pipeline(model, device)
REAL = pipe is not None
if not REAL:
    pipe = sd.tiny_pipeline(tiny_seed)
    source = (f"No weights for {model!r} are on this machine (nothing is downloaded: "
              f"{why}). Everything below ran the identical code on a TINY RANDOMLY "
              f"INITIALISED Stable Diffusion pipeline assembled from configs: its "
              f"pictures are noise, and no claim is drawn from them. The checks and "
              f"the costs hold.")
else:
    source = f"Real weights: {model} on {device}, {steps} steps."
pipe.set_progress_bar_config(disable=True)
LABEL = "" if REAL else "tiny random pipeline (no real weights): pictures are noise"
say("source_txt", source)
print(textwrap.fill(source, 88))

# %% [markdown]
# ## Checked against diffusers
#
# Three reference checks on the pipeline above, at the chapter's seeds and steps. The bridge
# asks the pipeline for no guidance of its own (`guidance_scale=1`) and answers each step's
# UNet call itself, so diffusers' own output is an independent reference:
#
# - CFG with a constant $w$ against diffusers' `guidance_scale` = $w$;
# - $w = 1$ against diffusers' unguided run;
# - sigma scaling with $k = 1$ (the guide is the main model: no guidance) against the same.
#
# On the tiny pipeline the same checks also run with $v$-prediction and a DDIM scheduler. The
# differences are the largest absolute pixel difference (images in $[0, 1]$). CFG and $w = 1$
# make the same UNet calls as diffusers, batch for batch, and must agree within
# {glue:text}`tol_txt`. The $k = 1$ check runs a batch of $2N$ rows where diffusers runs $N$,
# and convolution kernels may round differently by batch size (about 1e-6 per call on this
# CPU, more with TF32 or float16 on a GPU), so its tolerance is {glue:text}`tol_k1_txt`.

# %%
TOL = 1e-5
TOL_K1 = 1e-4 if device == "cpu" else 1e-2
say("tol_txt", f"{TOL:g}"), say("tol_k1_txt", f"{TOL_K1:g}")


def diff_text(d):
    """A difference as stable text: exact, under 1e-5, or its power of ten (coarse
    buckets, so that rounding on another machine does not change the record)."""
    if d == 0:
        return "0 (bit-identical)"
    if d < 1e-5:
        return "< 1e-5"
    return f"~1e{math.floor(math.log10(d))}"


def checks(p, name):
    rows = []
    ref = sd.reference(p, PROMPTS, seeds, w=w, steps=steps)
    rows.append((f"CFG w = {w:g}", ref, sd.sample(p, PROMPTS, seeds, w=w, steps=steps),
                 TOL))
    ref1 = sd.reference(p, PROMPTS, seeds, w=1, steps=steps)
    rows.append(("w = 1", ref1, sd.sample(p, PROMPTS, seeds, w=1, steps=steps), TOL))
    ss1 = sd.sample(p, PROMPTS, seeds, method="sigma_scaling", w=w_ss, k=1, steps=steps)
    rows.append((f"sigma scaling k = 1, w = {w_ss:g}", ref1, ss1, TOL_K1))
    return [(name, label, float(np.abs(a.astype(np.float64) - b).max()), tol)
            for label, a, b, tol in rows]


results = checks(pipe, f"this pipeline ({pipe.scheduler.config.prediction_type}, "
                       f"{type(pipe.scheduler).__name__})")
if not REAL:
    results += checks(sd.tiny_pipeline(tiny_seed, "v_prediction", "ddim"),
                      "tiny, v-prediction, DDIMScheduler")
t = Table(["pipeline", "check", "max |Δ| against diffusers", "tolerance", "within"])
for name, label, d, tol in results:
    t.add(name, label, diff_text(d), f"{tol:g}", "yes" if d <= tol else "NO")
n_ok = sum(d <= tol for *_, d, tol in results)
say("n_ok", str(n_ok)), say("n_checks", str(len(results)))
say("n_exact", str(sum(d == 0 for *_, d, _ in results)))
t

# %% [markdown]
# {glue:text}`n_ok` of the {glue:text}`n_checks` checks hold within the tolerance, and
# {glue:text}`n_exact` are bit-identical: with a constant weight, CFG through the bridge *is*
# diffusers' CFG. That the sigma-scaling step is the score-space rule, with its input scaling, fractional timestep and
# the $1/k$, is tested against the toy's `GuidedDenoiser` on a Gaussian whose score is exact
# (`tests/test_sd.py`).

# %% [markdown]
# ## The presentation's experiment
#
# Baseline (constant CFG), the linear and cosine schedules at the same mean weight
# ({glue:text}`w_txt`, as in chapter 4), sigma scaling alone and with the presentation's
# cosine, and no guidance for reference: every method from the same start noise (one column
# per seed).

# %%
METHODS = {
    "no guidance": dict(method="cfg", w=1.0),
    f"CFG w = {w:g}": dict(method="cfg", w=Constant(w)),
    "CFG, linear": dict(method="cfg", w=Linear(w)),
    "CFG, cosine": dict(method="cfg", w=Cosine(w)),
    f"sigma scaling k = {k:g}": dict(method="sigma_scaling", k=k, w=Constant(w_ss)),
    "sigma scaling + cosine": dict(method="sigma_scaling", k=k,
                                   w=PresentationCosine(w_ss_max)),
}
images, stats = {}, {}
for name, how in METHODS.items():
    stats[name] = {}
    images[name] = sd.sample(pipe, PROMPTS, seeds, steps=steps, stats=stats[name],
                             **how)
say("w_txt", f"w̄ = {w:g}")
size = 6.6
fig, ax = plots.figure(size, size * len(METHODS) / len(seeds) * 0.62 + 0.5)
plots.photo_grid(ax[0], np.concatenate(list(images.values())), rows=len(METHODS),
                 row_labels=list(METHODS), col_labels=[f"seed {s}" for s in seeds])
title = f"“{PROMPTS[0]}”, {steps} steps"
ax[0].set_title(title + (f"\n{LABEL}" if LABEL else ""),
                color="#b00" if LABEL else None)
plt.show()

# %% [markdown]
# The weights the bridge applied at each of the pipeline's UNet calls (left), and the guide's
# noise level relative to the main model's for sigma scaling (right): $k$ where $k\sigma$ is
# inside the scheduler's table; where $k\sigma$ would exceed its largest $\sigma$, the guide
# sits at that $\sigma$ and the ratio drops below $k$.

# %%
levels = sd.NoiseLevels(pipe.scheduler.alphas_cumprod)
pipe.scheduler.set_timesteps(steps)
sig = [levels.sigma(float(t)) for t in pipe.scheduler.timesteps]
k_eff = [levels.clamp(k * s) / s for s in sig]
fig, ax = plots.figure(6.6, 3.2, ncols=2)
for i, name in enumerate(METHODS):
    ws = stats[name]["weights"]
    ax[0].plot(range(len(ws)), ws, ".-", ms=3, lw=1, label=name,
               color=plots.METHOD_COLORS[i])
ax[0].set_xlabel("UNet call (first = highest σ)"), ax[0].set_ylabel("w")
fig.legend(*ax[0].get_legend_handles_labels(), loc="outside lower center", ncols=3,
           frameon=False)
ax[1].plot(range(len(sig)), k_eff, ".-", ms=3, color=plots.COLORS["guide"])
ax[1].axhline(k, color="grey", lw=0.6, ls=":")
ax[1].set_xlabel("scheduler step"), ax[1].set_ylabel("σ_g / σ")
ax[1].set_title(f"sigma scaling, k = {k:g}")
if LABEL:
    fig.suptitle(LABEL, color="#b00")
plt.show()
n_clamped = sum(ke < k - 1e-12 for ke in k_eff)
if n_clamped:
    clamp = (f"At the first {n_clamped} steps kσ exceeds the table's largest noise "
             f"level (σ = {levels.sigma_max:.1f}), so the guide there is less blurred "
             f"than k asks.")
else:
    clamp = (f"Here kσ stays inside the table at every step (the first step's σ is "
             f"{sig[0]:.1f}, the table's largest {levels.sigma_max:.1f}), so the guide "
             f"is at kσ throughout; a larger k or a scheduler that starts at the "
             f"table's end would clamp the first steps.")
_ = say("clamp_txt", clamp)

# %% [markdown]
# {glue:text}`clamp_txt` A guide farther out would need the network at noise levels it was
# never trained on.

# %% [markdown]
# ## What each method costs
#
# Counted by the bridge: UNet rows per image per pipeline step (a guided step is one batched
# call of both halves, two rows per image; a step with $w = 1$ is one row). The schedules that
# start from $w = 1$ save the first step's guide. Wall time per image relative to CFG is
# measured by `python scripts/benchmark.py --only sd` (README, Performance), not here: a
# timing would not reproduce from run to run.

# %%
t = Table(["method", "UNet calls", "UNet rows per image per call", "weights applied"])
for name in METHODS:
    s = stats[name]
    ws = s["weights"]
    t.add(name, str(s["calls"]), f"{s['evaluations'] / s['calls']:.2f}",
          f"{min(ws):.2f} … {max(ws):.2f}")
t

# %% [markdown]
# Sigma scaling's call is CFG's, row for row (the count is the bridge's design, not a
# finding): the same batched call, with the guide's rows at another timestep and input scale
# instead of another prompt. It needs no second network and no negative prompt. Whether it
# also costs the same time per step is what the benchmark measures.
#
# **What this chapter does not show.** {glue:text}`claim_txt` A verdict on real images needs
# a metric over many prompts and seeds, paired across methods (as chapters 10 and 11 do on
# digits); the pictures of one prompt are a first look, not a measurement.

# %%
if REAL:
    claim = ("The grid above is real Stable Diffusion at untuned settings (the toy's k "
             "and weights do not transfer to SD's noise scale).")
else:
    claim = ("This record ran without real weights: its pictures are noise, so nothing "
             "about image quality is read from them.")
say("claim_txt", claim)

# %% [markdown]
# ## On a GPU with real weights
#
# The run itself never downloads. Put the weights in the local diffusers cache once (or pass a
# folder as `model`), then re-execute this chapter with the parameters below; the command also
# prints the grid of the presentation's experiment at full size.

# %%
cmd = (f"hf download {model}   "
       "# once, online\n"
       "python scripts/run_notebooks.py notebooks/12_stable_diffusion.py \\\n"
       f"    -p model {model} -p device cuda -p steps 50 \\\n"
       f"    -p seeds '{list(seeds)}' -o /tmp/sd_run")
print(cmd)

# %% [markdown]
# ## Explore
#
# The bridge on this pipeline: pick the method, the schedule, $w$ and $k$ (sigma scaling only).
# Interval CFG guides only for $\sigma \in (0.28, 5.42]$, the interval
# {cite}`kynkaanniemi2024interval` used for SD-XL. In the book the slider steps through $w$.

# %%
import ipywidgets as W

from hgutils.widgets import explore

SCHED = {"constant": Constant, "linear": Linear, "cosine": Cosine,
         "presentation's cosine": PresentationCosine,
         "interval (0.28, 5.42]": lambda v: Interval(v, 0.28, 5.42)}


def view(w=w, method="cfg", schedule="constant", k=k):
    kk = k if method == "sigma_scaling" else 1.0
    x = sd.sample(pipe, PROMPTS, seeds, method=method, w=SCHED[schedule](w), k=kk,
                  steps=steps)
    fig, ax = plots.figure(6.6, 6.6 / len(seeds) * 0.62 + 0.6)
    plots.photo_grid(ax[0], x, rows=1, col_labels=[f"seed {s}" for s in seeds])
    ax[0].set_title(f"{method}, {schedule}, w = {w:g}" + (f", k = {kk:g}" if kk != 1
                                                           else "")
                    + (f"\n{LABEL}" if LABEL else ""), color="#b00" if LABEL else None)
    plt.show()


explore(view, static=("w", [1.0, 3.0, w, 12.0]),
        w=W.FloatSlider(value=w, min=1.0, max=15.0, step=0.5, description="w"),
        method=W.Dropdown(options=list(sd.METHODS), value="cfg", description="method"),
        schedule=W.Dropdown(options=list(SCHED), value="constant",
                            description="schedule"),
        k=W.FloatSlider(value=k, min=0.8, max=2.0, step=0.05, description="k"))

# %% [markdown]
# ## References
#
# The works cited here are listed on the [References](../book/references.md) page.
