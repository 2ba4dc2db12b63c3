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
# # Guidance in diffusion models: a reproducible study
#
# Guidance is the knob that makes diffusion models produce sharp, on-prompt
# samples. Every variant studied here modifies the *score* that drives sampling.
# With a main density $p_1$ (e.g. the conditional model) and a guiding density
# $p_0$ (e.g. the unconditional model, or a weaker copy of the main model), the
# guided score at weight $w$ is
#
# $$
# \nabla_x \log p_1(x) + (w-1)\,\nabla_x \log \frac{p_1(x)}{p_0(x)} ,
# $$
#
# so $w = 1$ is the unguided model and $w > 1$ pushes samples towards regions
# where $p_1$ is large *relative to* $p_0$. The study follows a research
# presentation {cite}`seo2025guidance` that proposed two new guides, heavy-tail
# guidance and sigma scaling, and judged them, against classifier-free guidance,
# weight schedules and autoguidance, by pictures. Here each claim is measured.

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

# %% tags=["parameters", "remove-cell"]
results_path = "../notebooks/data/toy_results.json"   # chapter 9's results file
digits_path = "../notebooks/data/digits_results.json"  # chapter 11's results file

# %% tags=["remove-cell"]
import json
from pathlib import Path

import numpy as np
from myst_nb import glue

from hgutils import plots
from hgutils.methods import METHODS
from hgutils.runs import interval_text, t_interval, word
from hgutils.report import Link, Table

if not isinstance(results_path, str) or not results_path.endswith(".json"):
    raise ValueError(f"results_path must be a path ending in .json, "
                     f"got {results_path!r}")
if not Path(results_path).is_file():
    raise FileNotFoundError(f"results_path: {results_path} does not exist "
                            "(run notebooks/09_results first)")
toy = json.loads(Path(results_path).read_text())
if not isinstance(digits_path, str) or not Path(digits_path).is_file():
    raise FileNotFoundError(f"digits_path: {digits_path!r} does not exist "
                            "(run notebooks/11_digits_vs_toy first)")
dig = json.loads(Path(digits_path).read_text())
floor = toy["criterion"]["recall_floor"]
# The chapter that explains each method: its entry in the method registry (the exact
# heavy-tail guide is explained with the learned one).
def chapter(method):
    return METHODS[method.replace("(exact)", "(learned)")].chapter


def stat(row, metric):
    m = row["metrics"][metric]
    return m["mean"], m["std"]


# the headline rows: every method at its best setting, at the full sample size
rows = {m: r for m, r in toy["methods"].items() if r["samples"] == max(
    r["samples"] for r in toy["methods"].values())}
meets = {m: stat(r, "recall")[0] >= floor for m, r in rows.items()}
guided = [m for m in rows if m != "no guidance" and meets[m]]
best = min(guided, key=lambda m: stat(rows[m], "outlier_rate")[0]) if guided else "none"
glue("toy_floor", f"{floor:.2f}", display=False)
glue("toy_best", best, display=False)
glue("toy_n_guided", str(len([m for m in rows if m != "no guidance"])), display=False)
glue("toy_missing", ", ".join(m for m in rows if not meets[m]) or "none", display=False)
first = next(iter(rows.values()))
# paired against autoguidance (95% intervals over training seeds), from the same file
pairs = toy["paired"]["differences"]
ref = toy["paired"]["reference"]
side = lambda d: word((d["mean"], d["low"], d["high"]))
for w_ in ("fewer", "more", "not resolved"):
    ms = [k.split(" - ")[0] for k, d in pairs.items()
          if k.endswith(f" - {ref}") and side(d["outlier_rate"]) == w_]
    glue(f"toy_ag_{w_.replace(' ', '_')}", ", ".join(ms) or "none", display=False)
glue("toy_seeds", f"{len(first['training_seeds'])} training seeds × "
     f"{len(first['sampling_seeds'])} fresh sampling seeds", display=False)


def paired(a, b, k):
    """(mean, low, high) of a − b run by run: the 95% t-interval over training seeds
    of the per-seed means (the file stores a row's runs training seed by seed)."""
    shape = len(first["training_seeds"]), len(first["sampling_seeds"])
    v = lambda m: np.reshape(rows[m]["metrics"][k]["values"], shape)
    return t_interval((v(a) - v(b)).mean(1))


names = lambda ms: ", ".join(ms) or "none"
# emptying thin branches: against autoguidance on the measures it does not fool
others = [m for m in rows if m not in ("no guidance", ref)]
for k, tag, less, more in (("outlier_rate_mc", "mc", "fewer", "more"),
                           ("leaves", "lv", "fewer", "more"),
                           ("branch_tv", "tv", "lower", "higher")):
    w = {m: word(paired(m, ref, k), less, more) for m in others}
    glue(f"toy_ag_{tag}", "; ".join(
        f"{verdict}: {names([m for m in others if w[m] == verdict])}"
        for verdict in (less, more, "not resolved")), display=False)
# the winner: do its raw advantages survive the mass correction, and its leaves?
beats, turned = [], []
if best != "none":
    beats = [m for m in guided if m != best
             and word(paired(best, m, "outlier_rate")) == "fewer"]
    turned = [m for m in beats if word(paired(best, m, "outlier_rate_mc")) == "more"]
glue("toy_best_beats", names(beats), display=False)
glue("toy_best_turned", f"but on the mass-corrected rate resolvedly more than "
     f"{names(turned)}" if turned else "and on the mass-corrected rate resolvedly "
     "more than none of them", display=False)
lv = paired(best, ref, "leaves") if best not in ("none", ref) else None
glue("toy_best_lv", "—" if lv is None else f"{word(lv)} ({interval_text(lv)})",
     display=False)

# %% [markdown]
# ## What the study found
#
# **On the 2D toy** (a fractal tree whose density is known exactly; chapters 1–9), each of the
# {glue:text}`toy_n_guided` guided methods, plus no guidance, was run at its best setting by one
# criterion: the lowest outlier rate among settings with mean recall ≥ {glue:text}`toy_floor`,
# chosen on selection runs and reported on fresh sampling seeds of the same networks
# ({glue:text}`toy_seeds`). The fresh sampling seeds remove the sampling-noise part of the
# winner's curse; the training seeds are shared with the selection, so a selection effect
# through them remains. The guided method with the fewest outliers that still meets the recall
# floor on the fresh seeds: **{glue:text}`toy_best`**. That is a ranking of means; paired against
# autoguidance on the same networks and start noise (95% intervals over training seeds), fewer
# outliers: {glue:text}`toy_ag_fewer`; more: {glue:text}`toy_ag_more`; not resolved:
# {glue:text}`toy_ag_not_resolved`. Paired against the other methods that meet the floor, it has
# resolvedly fewer outliers than {glue:text}`toy_best_beats`, {glue:text}`toy_best_turned`;
# leaves reached against autoguidance:
# {glue:text}`toy_best_lv`.
# Methods whose fresh-seed recall misses the floor: {glue:text}`toy_missing`.
#
# The outlier rate can be lowered by emptying the tree's thin branches. Chapter 9's answer,
# paired against autoguidance on the measures that show it — the mass-corrected outlier rate,
# which emptying does not lower: {glue:text}`toy_ag_mc`; the share of leaves reached, which it
# lowers: {glue:text}`toy_ag_lv`; branch TV (blind to placement within the depth-3 subtrees):
# {glue:text}`toy_ag_tv`. Each row links to the chapter that explains the method;
# [chapter 9](../notebooks/09_results.ipynb) discusses the comparison.
#
# **On real images** (scikit-learn's 8 × 8 handwritten digits, a class-conditional diffusers UNet;
# chapters 10–11), every method ran at a setting chosen on selection runs, then on fresh sampling
# seeds and on networks of {glue:text}`dig_seeds` training seeds. Against no guidance, FD (a
# Fréchet distance in a digits classifier's features) is resolvedly lower for
# {glue:text}`dig_fd_lower` and resolvedly higher for {glue:text}`dig_fd_higher` (95% intervals
# over training seeds). The toy's pattern in each of its {glue:text}`dig_n_findings` paired
# comparisons, checked the same way on digits — {glue:text}`dig_verdicts`.
# [Chapter 11](../notebooks/11_digits_vs_toy.ipynb) has the tables and what 8 × 8 images
# cannot show.
#
# **Inside Stable Diffusion** ([chapter 12](../notebooks/12_stable_diffusion.ipynb)), the
# weight schedules and sigma scaling run in a user's own diffusers pipeline, one batched UNet
# call per step; with a constant weight the bridge reproduces diffusers' own CFG, checked on
# every run. Without real weights on the machine the chapter runs a tiny random pipeline and
# draws no conclusion from its pictures.

# %% tags=["remove-cell"]
fd = {m: d["fd"] for m, d in dig["paired_vs_no_guidance"].items()}
glue("dig_seeds", str(len(dig["protocol"]["training_seeds"])), display=False)
glue("dig_fd_lower", ", ".join(m for m, d in fd.items() if d["high"] < 0) or "none",
     display=False)
glue("dig_fd_higher", ", ".join(m for m, d in fd.items() if d["low"] > 0) or "none",
     display=False)
glue("dig_n_findings", str(len(dig["findings"])), display=False)
verdicts = "; ".join(f"{f['finding']}: {f['verdict']}" for f in dig["findings"])
glue("dig_verdicts", verdicts, display=False)

# %% tags=["remove-input"]
KEYS = [("outlier_rate", "outliers"), ("precision", "precision"), ("recall", "recall"),
        ("branch_tv", "branch TV"), ("leaves", "leaves")]
n = first["samples"]
n_t, n_s = len(first["training_seeds"]), len(first["sampling_seeds"])
tab = Table(["method", "setting"] + [c for _, c in KEYS] + ["recall ≥ floor"],
            title=f"toy: mean ± std over {n_t} training × {n_s} fresh sampling seeds "
                  f"× {n} samples "
                  f"(from {Path(results_path).name})")
tab.add("true samples", "", *(f"{toy['floor'][k]['mean']:.3f}" for k, _ in KEYS), "")
for m, r in rows.items():
    tab.add(Link(m, f"../notebooks/{chapter(m)}.html"), r["setting"],
            *("{:.3f} ± {:.3f}".format(*stat(r, k)) for k, _ in KEYS),
            "yes" if meets[m] else "no")
tab

# %% tags=["remove-input"]
names = list(rows)[::-1]
fig, axes = plots.figure(9.2, 0.32 * len(names) + 1.2, ncols=3, sharey=True)
for ax, (k, label) in zip(axes, [KEYS[0], KEYS[2], KEYS[3]]):
    mean_, std_ = zip(*(stat(rows[m], k) for m in names))
    colors = [plots.COLORS["truth"] if m == "no guidance" else plots.COLORS["main"]
              for m in names]
    ax.barh(range(len(names)), mean_, xerr=std_, color=colors, height=0.6)
    ax.axvline(toy["floor"][k]["mean"], color="k", lw=0.8, ls="--")
    ax.set_title(label)
axes[0].set_yticks(range(len(names)), names)
axes[1].axvline(floor, color=plots.COLORS["guide"], lw=1, ls=":")
axes[1].set_xlim(min(0.5, min(stat(rows[m], "recall")[0] for m in names) - 0.05), 1.0)
fig.suptitle("every method at its best setting: mean ± std over fresh seeds "
             "(dashed: true samples; dotted: recall floor)")
plots.plt.show()

# %% [markdown]
# ## The question
#
# Why do the guidance methods behave as they do?
#
# - **Classifier-free guidance** (CFG) {cite}`ho2022cfg` sharpens samples but
#   loses diversity and pushes them away from the data distribution.
# - **Weight schedulers** {cite}`wang2024schedulers` and **guidance in a limited
#   interval** {cite}`kynkaanniemi2024interval` vary $w$ over the noise levels.
# - **Autoguidance** {cite}`karras2024autoguidance` guides a model with a bad
#   version of itself instead of an unconditional model.
# - **Heavy-tail guidance**, after heavy-tailed diffusion models
#   {cite}`pandey2024heavytail`, and **sigma scaling** act on the noise: on its
#   distribution and on its level $\sigma$.
#
# The presentation {cite}`seo2025guidance` (an internship final presentation,
# POSTECH Statistics and Data Science Lab, 2025) answered these questions with
# pictures only. Here every claim becomes a measured, reproducible result that
# continuous integration re-checks, on a 2D toy problem whose ground truth
# (density, score, denoiser) is known exactly, so that errors can be computed
# instead of eyeballed, with metrics such as precision and recall
# {cite}`kynkaanniemi2019precision`.
#
# ## How to read it
#
# Read the chapters in order:
#
# 1. **DDPM basics**: the forward noising process, ε-prediction and ancestral
#    sampling, and how many steps it needs {cite}`ho2020ddpm,luo2022understanding`.
# 2. **Score, SDE and probability-flow ODE**: the same model seen as a score
#    model, the exact score against the learned one, and samplers at equal cost
#    {cite}`song2021sde,karras2022edm`.
# 3. **Classifier-free guidance**: what guiding a class-conditional model with an
#    unconditional one does to its samples, and its pathologies, measured
#    {cite}`ho2022cfg`.
# 4. **Weight schedulers**: does it matter *when* guidance is applied — increasing
#    schedules, guidance in a limited interval, and guidance removed over one range
#    of noise levels {cite}`wang2024schedulers,kynkaanniemi2024interval`.
# 5. **Autoguidance**: guiding a model with a worse version of itself, against
#    CFG, and on the exact model {cite}`karras2024autoguidance`.
# 6. **Heavy-tail guidance**: the presentation's first proposal, a guide smoothed
#    with Student-t noise, with the exact and a learned guide, over the tail order
#    {cite}`pandey2024heavytail`.
# 7. **Sigma scaling**: its second proposal, the main network itself at a larger
#    noise level $k\sigma$ as the guide — no extra model.
# 8. **A weight schedule with sigma scaling**: the presentation's cosine schedule on
#    top of sigma scaling, head to head with autoguidance.
# 9. **Results on the toy**: every method at its best setting by one criterion,
#    over fresh seeds, with the answer to the presentation's open questions.
# 10. **Digits**: every method on real images (scikit-learn's handwritten digits)
#     with a class-conditional diffusers UNet, beside the exact denoiser of its
#     training set; the sweeps and the choice of each method's setting.
# 11. **Real images against the toy**: each method at its best on fresh seeds and
#     fresh networks, and the toy's findings checked one by one.
#
# Planned: the methods inside diffusers' Stable Diffusion pipelines.
#
# ## Conventions
#
# We follow the EDM $\sigma$-parameterization {cite}`karras2022edm`:
#
# - a noisy sample is $x = y + \sigma n$ with clean data $y$ and
#   $n \sim \mathcal{N}(0, I)$;
# - the denoiser $D(x; \sigma)$ estimates $\mathbb{E}[y \mid x]$;
# - the score is $s(x; \sigma) = \nabla_x \log p(x; \sigma) = \big(D(x; \sigma) - x\big) / \sigma^2$;
# - guidance combines two scores,
#   $s = s_\text{main} + (w-1)\,(s_\text{main} - s_\text{guide})$, and $w = 1$
#   means no guidance.
#
# ## How to rerun it
#
# Everything on these pages comes from code in the repository. From its root:
#
# ```bash
# bash scripts/build_book.sh   # sets up .venv, executes every notebook, builds the book
# bash scripts/test.sh         # unit tests, nbval, the book build and a browser check
# ```
#
# Each chapter `notebooks/NAME.ipynb` is paired by
# [jupytext](https://jupytext.readthedocs.io) with a percent-format source
# `notebooks/NAME.py` (see `jupytext.toml`). Edit the `.py`, then re-execute it with
# papermill; parameters are the variables of the chapter's `parameters` cell, for
# example 100 sampling steps in chapter 1, written to another folder so that the
# committed record keeps its defaults:
#
# ```bash
# source scripts/env.sh
# python scripts/run_notebooks.py notebooks/01_ddpm_basics.py -p steps 100 -o /tmp/run
# ```
#
# Every number is computed with fixed seeds and printed rounded to what is stable
# from run to run. This page's table and figure are drawn, when the book is built,
# from chapter 9's results file `notebooks/data/toy_results.json`. The rocket button
# at the top of each chapter opens the notebook on Binder or Colab, where the
# Explore sections' controls are live; on these static pages each Explore section
# has a slider over its main control, with frames computed when the page was built.
