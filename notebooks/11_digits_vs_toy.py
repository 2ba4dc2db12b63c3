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
# # 11. Real images against the toy
#
# **The question.** Which of the toy's findings about guidance hold on real images? Chapters 3–9
# measured them on a 2-D tree with an exact density; [chapter 10](10_digits.ipynb) built the same
# experiment on handwritten digits and chose each method's best setting on selection runs. Here
# every method runs at that setting on **fresh sampling seeds and on networks chapter 10 never
# saw** (training seeds {glue:text}`t_seeds_txt` of every network), and each of the toy's
# comparisons is repeated with the same paired protocol on both data sets.
#
# **From earlier chapters.** Chapter 10's setup: a class-conditional diffusers `UNet2DModel` in the
# EDM parameterization, {glue:text}`steps_txt` Heun steps, {glue:text}`n_samples_txt` images per
# run (the balanced classes 0–9), the guides (CFG's null class, a smaller and shorter-trained
# autoguide, the heavy-tail fine-tune and its Gaussian control, the main network at $k\sigma$), and
# the metrics in a digits classifier's feature space (accuracy, FD, precision, recall, density,
# coverage, diversity, memorised). The criterion, fixed there: {glue:text}`criterion_txt`.
# The toy numbers come from [chapter 9](09_results.ipynb) (`notebooks/data/toy_results.json`).
#
# **The protocol.** A run is one training seed and one sampling seed; every method runs on the
# same networks from the same start noise, so two methods are compared run by run. A difference
# is reported as its mean with a 95% t-interval over the training seeds (the per-seed means of the
# paired differences), as in chapter 9; a finding is called only where the interval excludes 0.

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
training_seeds = 3       # networks trained with seeds first_training_seed, … (fresh)
first_training_seed = 1  # chapter 10 chose the settings on the networks of seed 0
seeds = 2                # fresh sampling seeds per training seed
seed_offset = 100        # the fresh sampling seeds: seed_offset, seed_offset + 1, …
n_samples = 300          # images per run: chapter 10's, since recall depends on it
steps = 18               # Heun steps: chapter 10's
selection_path = "data/digits_selection.json"    # chapter 10's choice
toy_path = "data/toy_results.json"               # chapter 9's results
results_path = "data/digits_results.json"       # where this chapter's numbers go

# %% tags=["hide-input"]
from hgutils.params import check_int

training_seeds = check_int(training_seeds, "training_seeds", 2)   # intervals over them
first_training_seed = check_int(first_training_seed, "first_training_seed", 0)
seeds = check_int(seeds, "seeds", 1)
seed_offset = check_int(seed_offset, "seed_offset", 1)
n_samples = check_int(n_samples, "n_samples", 20)
steps = check_int(steps, "steps", 2)
for _name, _path in (("selection_path", selection_path), ("toy_path", toy_path),
                     ("results_path", results_path)):
    if not isinstance(_path, str) or not _path.endswith(".json"):
        raise ValueError(f"{_name} must be a path ending in .json, got {_path!r}")

# %% tags=["hide-input"]
import json
import math
from pathlib import Path

import numpy as np
import torch

from IPython.display import display

from hgutils import images, plots
from hgutils.guidance import GuidedDenoiser
from hgutils.methods import HT_NU
from hgutils.metrics import METRICS
from hgutils.report import Table, say
from hgutils.runs import Runs, interval_text, t_interval, word

# both cores: the UNet's convolutions use them
torch.set_num_threads(2)
chosen_file = json.loads(Path(selection_path).read_text())
toy = json.loads(Path(toy_path).read_text())
if chosen_file["n_samples"] != n_samples or chosen_file["steps"] != steps:
    raise ValueError(f"n_samples and steps must be chapter 10's "
                     f"({chosen_file['n_samples']}, {chosen_file['steps']}) so the "
                     f"recall floor means the same, got {n_samples}, {steps}")
if seed_offset < len(chosen_file["sampling_seeds"]):
    raise ValueError(f"seed_offset must be >= {len(chosen_file['sampling_seeds'])} so "
                     f"the fresh seeds differ from chapter 10's selection seeds, got "
                     f"{seed_offset}")
METHODS = images.methods()
CHOSEN = {m: r["chosen"] for m, r in chosen_file["methods"].items()}
if chosen_file["training_seed"] in range(first_training_seed,
                                        first_training_seed + training_seeds):
    print(f"note: training seed {chosen_file['training_seed']} chose the settings; the "
          f"report shares those networks")
T_SEEDS = range(first_training_seed, first_training_seed + training_seeds)
S = images.DigitsSetup(training_seeds=T_SEEDS, steps=steps)
fresh = Runs(S, n_samples, sampling_seeds=range(seed_offset, seed_offset + seeds))
say("steps_txt", str(steps)), say("n_samples_txt", str(n_samples))
say("t_seeds_txt", ", ".join(map(str, T_SEEDS)))
_ = say("criterion_txt", chosen_file["criterion"])

# %% [markdown]
# ## Every method at its best, on fresh runs
#
# Each method at the setting chapter 10 chose, on {glue:text}`n_runs_txt` fresh runs
# ({glue:text}`t_txt` training seeds × {glue:text}`s_txt` sampling seeds), mean ± std over the runs.
# **True samples** are training images against the test images (one draw per run): the floor. A
# setting whose recall falls below chapter 10's floor ({glue:text}`floor_txt`) on these fresh runs
# is marked ★.

# %%
for m in METHODS:
    fresh.run(m, lambda nets, m=m: METHODS[m].build(S, nets, CHOSEN[m]))
floor = S.floor(seeds=range(training_seeds * seeds), n=n_samples)
fresh.add("true samples", floor)
rf = chosen_file["recall_floor"]
say("n_runs_txt", str(training_seeds * seeds)), say("t_txt", str(training_seeds))
say("s_txt", str(seeds)), say("floor_txt", rf, "{:.2f}")
below = {m: fresh.mean(m, "recall") < rf for m in METHODS}
name = lambda m: m + (" ★" if below.get(m) else "")
KEYS1, KEYS2 = ["accuracy", "fd", "precision", "recall"], ["density", "coverage",
                                                           "diversity", "memorised"]
for keys in (KEYS1, KEYS2):
    t = Table(["method"] + [METRICS[k][0] for k in keys])
    for m in ["true samples", *METHODS]:
        t.add(name(m), *(fresh.pm(m, k, "{:.2f}" if k in ("fd", "diversity")
                                  else "{:.3f}") for k in keys))
    display(t)

# %% [markdown]
# The settings, and each method against no guidance, run by run (mean difference and its 95%
# interval over training seeds; FD: lower is better, accuracy and recall: higher):

# %%
def paired(a, b, k):
    return fresh.paired(a, b, k)


guided = [m for m in METHODS if m != "no guidance"]
t = Table(["method", "setting", "FD − none", "accuracy − none", "recall − none"])
for m in guided:
    t.add(m, METHODS[m].setting(CHOSEN[m]),
          *(interval_text(paired(m, "no guidance", k), "{:+.2f}")
            for k in ("fd", "accuracy", "recall")))
t

# %% [markdown]
# ## Beside the toy
#
# The same methods on the toy (chapter 9: {glue:text}`toy_runs_txt` fresh runs of
# {glue:text}`toy_n_txt` points; its criterion is the lowest outlier rate at recall ≥ 0.9). The
# toy's headline metric is the outlier rate, the share of samples off the tree; on digits it is FD.
# Each column is the method minus no guidance on its own data set, with its 95% interval.

# %%
TOY = {**toy["methods"], **toy["controls"]}
T_TOY = len(TOY["no guidance"]["training_seeds"])


def toy_values(m, k):
    """[training seeds, sampling seeds] of a toy method's metric (chapter 9's runs)."""
    return np.asarray(TOY[m]["metrics"][k]["values"], float).reshape(T_TOY, -1)


def toy_paired(a, b, k):
    d = toy_values(a, k) - toy_values(b, k)
    return t_interval(d.mean(1))


say("toy_runs_txt", str(len(TOY["no guidance"]["metrics"]["recall"]["values"])))
say("toy_n_txt", f"{TOY['no guidance']['samples']:,}")
t = Table(["method", "toy setting", "toy: outliers − none", "digits: FD − none"])
for m in guided:
    if m in toy["methods"]:
        t.add(m, TOY[m]["setting"],
              interval_text(toy_paired(m, "no guidance", "outlier_rate"), "{:+.3f}"),
              interval_text(paired(m, "no guidance", "fd"), "{:+.2f}"))
t

# %% [markdown]
# ## The toy's findings, one by one
#
# Each comparison $a - b$ is run on both data sets at each method's chosen setting (the
# heavy-tail controls at the heavy-tail guide's own weight, as on the toy). The metrics are
# matched in pairs, toy against digits:
#
# - **outliers** (share of samples off the data) against **precision** (share of samples inside
#   the test images' k-NN balls): does guidance keep samples on the data?
# - **leakage** (share of samples whose most likely class is the other one) against **accuracy**
#   (share read as the requested class): does it keep the class?
# - **recall** against **recall**: does it keep the data's coverage?
# - **branch TV** (how far the samples' spread over the tree's subtrees is from the data's)
#   against the **diversity gap**, $|\text{diversity} - \text{true samples' diversity}|$ per run:
#   is the spread within a class close to the data's? (Less diversity is not worse by itself:
#   true samples have less than the unguided model.)
#
# FD and the memorised share are the digits' own (for memorised the reading says only
# higher or lower: test images score 5% by construction, every method lower). **Reading** says
# on which side of 0 the interval lies — better or worse for $a$ — or "not resolved" when it
# holds 0 or when a share moved by less than one sample per run ($1/n$: three training seeds can
# give a zero-width interval to a difference of one image). The toy's pattern **holds** on
# digits when every pair the toy resolves is resolved the same way on digits; it is **reversed**
# where a pair resolves the other way; it holds **in part** when some pairs agree and the rest
# are not resolved on digits. The verdict is about the toy's measured differences, not about the
# presentation's claims.

# %%
w_ht = CHOSEN["heavy tail (learned)"]
# Student-t noise of scale σ has the standard deviation √(ν/(ν−2))·σ
k_var = math.sqrt(HT_NU / (HT_NU - 2))
CONTROL = "Gaussian fine-tune at the heavy tail's w"
CONTROL_K = f"the same at σ_g = {k_var:.3f}·σ"
fresh.run(CONTROL,
          lambda nets: GuidedDenoiser(nets.main, nets.heavy_tail(math.inf), w_ht))
fresh.run(CONTROL_K, lambda nets: GuidedDenoiser(
    nets.main, nets.heavy_tail(math.inf), w_ht, guide_scale=k_var))
FINDINGS = [
    ("CFG against no guidance", "CFG", "no guidance"),
    ("a cosine schedule against constant CFG", "CFG + cosine", "CFG"),
    ("a linear schedule against constant CFG", "CFG + linear", "CFG"),
    ("autoguidance against CFG", "autoguidance", "CFG"),
    ("the heavy tail against its Gaussian control", "heavy tail (learned)", CONTROL),
    ("the heavy tail against a scale-matched Gaussian control", "heavy tail (learned)",
     CONTROL_K),
    ("sigma scaling against autoguidance", "sigma scaling", "autoguidance"),
    ("a cosine schedule on sigma scaling", "sigma scaling + cosine", "sigma scaling"),
]
# (toy metric, digits counterpart); FD and the memorised share are the digits' own
PAIRS = [("outlier_rate", "precision"), ("leakage", "accuracy"), ("recall", "recall"),
         ("branch_tv", "diversity_gap")]
OWN = ["fd", "memorised"]
TOY_NAME = {CONTROL: "Gaussian fine-tune (control)"}
TRUE_DIV = fresh.mean("true samples", "diversity")
LABEL = {**{k: v[0] for k, v in METRICS.items()}, "diversity_gap": "diversity gap"}
BETTER = {**{k: v[1] for k, v in METRICS.items()}, "diversity_gap": "lower",
          "memorised": None}
SHARES = ["outlier_rate", "leakage", "precision", "accuracy", "recall", "coverage",
          "memorised"]
N_TOY = TOY["no guidance"]["samples"]


def dig_paired(a, b, k):
    """a − b on digits; the diversity gap is |diversity − true level|, per run."""
    if k != "diversity_gap":
        return paired(a, b, k)
    gap = lambda m: np.abs(fresh.values[m]["diversity"] - TRUE_DIV)        # [T, S]
    return t_interval((gap(a) - gap(b)).mean(1))


def reading(d, k, n):
    """better / worse (lower / higher where no side is better), or not resolved: the
    interval holds 0, or a share moved by less than one sample per run (1/n)."""
    if d[1] <= 0 <= d[2] or (k in SHARES and abs(d[0]) < 1 / n):
        return "not resolved"
    side = "lower" if d[2] < 0 else "higher"
    return side if BETTER[k] is None else ("better" if side == BETTER[k] else "worse")


def verdict(toy_read, dig_read):
    """The toy's pattern: holds / is reversed on digits / holds in part / is not
    resolved on digits / is not resolved on the toy / has no toy counterpart."""
    if not toy_read:
        return "has no toy counterpart"
    pairs = [(a, b) for a, b in zip(toy_read, dig_read) if a != "not resolved"]
    if not pairs:
        return "is not resolved on the toy"
    if any(b != "not resolved" and b != a for a, b in pairs):
        return "is reversed on digits"
    same = sum(a == b for a, b in pairs)
    return ("holds" if same == len(pairs) else "holds in part" if same
            else "is not resolved on digits")


fmt = lambda k: "{:+.2f}" if k in ("fd", "diversity", "diversity_gap") else "{:+.3f}"
found, verdicts = {}, {}
for i, (title, a, b) in enumerate(FINDINGS, 1):
    t = Table(["data", "metric", "a − b [95% interval]", "reading for a"],
              title=f"{i}. {title}: a = {a}, b = {b}")
    on_toy = TOY_NAME.get(a, a) in TOY and TOY_NAME.get(b, b) in TOY
    toy_read, dig_read, words = [], [], {"toy": [], "digits": []}
    for kt, kd in PAIRS + [(None, k) for k in OWN]:
        for data, k in (("toy", kt), ("digits", kd)):
            if k is None or (data == "toy" and not on_toy):
                continue
            d = (toy_paired(TOY_NAME.get(a, a), TOY_NAME.get(b, b), k) if data == "toy"
                 else dig_paired(a, b, k))
            r = reading(d, k, N_TOY if data == "toy" else n_samples)
            found[(title, data, k)] = (d, r)
            t.add(data, LABEL[k], interval_text(d, fmt(k)), r)
            words[data].append(f"{LABEL[k]} {r}")
            if kt is not None:
                (toy_read if data == "toy" else dig_read).append(r)
    verdicts[title] = verdict(toy_read, dig_read)
    say(f"v{i}", verdicts[title])
    say(f"toy{i}", ", ".join(words["toy"]) or "—")
    say(f"dig{i}", ", ".join(words["digits"]))
    display(t)

# %% [markdown]
# ## What holds on digits
#
# The toy's pattern in each comparison, read off the tables above (toy first, then digits):
#
# 1. **CFG against no guidance** (the toy: CFG concentrates) — the toy's pattern
#    {glue:text}`v1`. Toy: {glue:text}`toy1`. Digits: {glue:text}`dig1`.
# 2. **A cosine schedule against constant CFG** (the presentation: increasing schedules help) —
#    the toy's pattern {glue:text}`v2`. Toy: {glue:text}`toy2`. Digits: {glue:text}`dig2`.
# 3. **A linear schedule against constant CFG** — the toy's pattern {glue:text}`v3`. Toy:
#    {glue:text}`toy3`. Digits: {glue:text}`dig3`. Each schedule is at its own chosen weight
#    (digits: CFG {glue:text}`set_cfg`, cosine {glue:text}`set_cos`, linear {glue:text}`set_lin`;
#    toy: {glue:text}`toy_set_cfg`, {glue:text}`toy_set_cos`, {glue:text}`toy_set_lin`).
# 4. **Autoguidance against CFG** (the toy: autoguidance keeps the spread CFG loses) — the toy's
#    pattern {glue:text}`v4`. Toy: {glue:text}`toy4`. Digits: {glue:text}`dig4`.
# 5. **The heavy tail against its Gaussian control** (the same fine-tune with Gaussian noise, at
#    the same weight: does the tail matter beyond the extra training?) — the toy's pattern
#    {glue:text}`v5`. Toy: {glue:text}`toy5`. Digits: {glue:text}`dig5`.
# 6. **The heavy tail against a scale-matched control** — Student-t noise of scale σ has a
#    standard deviation √(ν/(ν − 2))·σ, so the heavy-tail guide also sits at a larger effective
#    noise level; this control puts the Gaussian fine-tune there (σ_g = {glue:text}`k_var`·σ).
#    This comparison {glue:text}`v6`. Digits: {glue:text}`dig6`.
# 7. **Sigma scaling against autoguidance** (the presentation's cheap substitute) — the toy's
#    pattern {glue:text}`v7`. Toy: {glue:text}`toy7`. Digits: {glue:text}`dig7`.
# 8. **A cosine schedule on sigma scaling** — the toy's pattern {glue:text}`v8`. Toy:
#    {glue:text}`toy8`. Digits: {glue:text}`dig8`.
#
# Effects that only the digits resolve (FD, memorised, and pairs the toy leaves open) are listed
# beside the verdict and do not change it.
#
# **Against no guidance**, the guided methods lower FD by up to {glue:text}`best_gain`
# ({glue:text}`best_gain_m`), against a floor of {glue:text}`fd_floor` for true samples;
# {glue:text}`n_fd_better` of the {glue:text}`n_main` methods of the registry lower FD with an
# interval that excludes 0 (the two controls aside). The presentation doubted that its own
# methods would work on real images. On these digits, against no guidance, sigma scaling
# {glue:text}`ss_vs_none` FD ({glue:text}`ss_fd_iv`) and changes recall by
# {glue:text}`ss_rec_iv`; heavy-tail guidance {glue:text}`ht_vs_none` FD ({glue:text}`ht_fd_iv`).
#
# **What 8 × 8 grey digits cannot show.** There is no colour, so CFG's best-known pathology on
# natural images — oversaturated, over-contrasted colours at large weights — cannot appear; nor
# can texture, composition or prompt alignment. The images have 64 pixels and 10 classes, so "mode
# collapse" here is the loss of handwriting styles within a class, and the networks are small
# enough that their errors (what autoguidance corrects) are large. The classifier's features are a
# stand-in for Inception's: FD and the k-NN metrics measure what a digit reader (right on
# {glue:text}`clf_acc` of the test images) separates, not what a person sees. And the sample size
# per run ({glue:text}`n_samples_txt`) makes FD noisy, which the paired intervals absorb but do
# not remove.

# %%
from hgutils.methods import METHODS as REGISTRY

main_methods = [m for m in guided if m in REGISTRY]
d_none = {m: paired(m, "no guidance", "fd") for m in main_methods}
gain = min(main_methods, key=lambda m: d_none[m][0])
say("best_gain", -d_none[gain][0], "{:.2f}"), say("best_gain_m", gain)
say("fd_floor", fresh.mean("true samples", "fd"), "{:.2f}")
say("n_fd_better", str(sum(d[2] < 0 for d in d_none.values())))
say("n_main", str(len(main_methods)))
say("k_var", k_var, "{:.3f}")
for key, m in (("cfg", "CFG"), ("cos", "CFG + cosine"), ("lin", "CFG + linear")):
    say(f"set_{key}", METHODS[m].setting(CHOSEN[m]))
    say(f"toy_set_{key}", TOY[m]["setting"])
say("ss_fd_iv", interval_text(d_none["sigma scaling"], "{:+.2f}"))
say("ht_fd_iv", interval_text(d_none["heavy tail (learned)"], "{:+.2f}"))
say("ss_rec_iv",
    interval_text(paired("sigma scaling", "no guidance", "recall"), "{:+.3f}"))
say("clf_acc", f"{S.measure.test_accuracy():.1%}")
verb = lambda d: ("leaves undetermined the change of" if d[1] <= 0 <= d[2]
                  else "lowers" if d[2] < 0 else "raises")
say("ss_vs_none", verb(d_none["sigma scaling"]))
_ = say("ht_vs_none", verb(d_none["heavy tail (learned)"]))

# %% [markdown]
# ## The results, machine-readable
#
# `notebooks/data/digits_results.json` holds, next to the toy's `toy_results.json`: the protocol,
# each method's setting and per-run values (training-seed order, then sampling seeds) with mean and
# std, the floor, the paired differences against no guidance and every finding with its interval
# and verdict.

# %%
r6 = lambda v: round(float(v), 6)
summary = lambda vals: {"mean": r6(np.mean(vals)), "std": r6(np.std(vals, ddof=1)),
                        "values": [r6(v) for v in np.ravel(vals)]}
iv = lambda d: {"mean": r6(d[0]), "low": r6(d[1]), "high": r6(d[2])}
out = {
    "protocol": {
        "criterion": chosen_file["criterion"], "selection": selection_path,
        "training_seeds": fresh.training_seeds, "sampling_seeds": fresh.sampling_seeds,
        "samples": n_samples, "steps": steps, "sampler": "heun",
        "interval": "95% t-interval over training seeds (per-seed means of the paired "
                    "differences over the sampling seeds)",
        "resolved": "the interval excludes 0 and, for a share, |mean| >= 1/samples",
        "share_metrics": SHARES, "toy_samples": N_TOY,
        "diversity_gap": f"|diversity - {TRUE_DIV:.6f}| (true samples' mean "
                         f"diversity)"},
    "floor": {k: summary(v) for k, v in fresh.values["true samples"].items()},
    "methods": {m: {"setting": METHODS[m].setting(CHOSEN[m]), "value": CHOSEN[m],
                    "meets_recall_floor": not below[m],
                    "metrics": {k: summary(v) for k, v in fresh.values[m].items()}}
                for m in METHODS},
    "paired_vs_no_guidance": {m: {k: iv(paired(m, "no guidance", k))
                                  for k in S.metric_names} for m in guided},
    "findings": [{"finding": title, "a": a, "b": b, "verdict": verdicts[title],
                  "differences": {f"{data}: {k}": {**iv(d), "reading": r}
                                  for (t_, data, k), (d, r) in found.items()
                                  if t_ == title}}
                 for title, a, b in FINDINGS],
}
path = Path(results_path)
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(out, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
print(f"{len(out['methods'])} methods and {len(FINDINGS)} findings written to "
      f"{results_path}")

# %% [markdown]
# ## Explore
#
# Move chapter 10's recall floor and see which candidate each method would have chosen on its
# selection runs (chapter 10's numbers, read from `digits_selection.json`; nothing is sampled).

# %%
import ipywidgets as W

from hgutils.widgets import explore


def view(recall_floor=0.90):
    t = Table(["method", "chosen", "FD", "accuracy", "recall"],
              title=f"chapter 10's selection runs, recall ≥ {recall_floor:.2f}")
    for m, r in chosen_file["methods"].items():
        c = {v: {k: [x[k]] for k in x} for v, x in zip(r["grid"], r["candidates"])}
        v, ok = images.best_setting(c, recall_floor=recall_floor)
        x = r["candidates"][r["grid"].index(v)]
        t.add(m, METHODS[m].setting(v) + ("" if ok else " ★"), f"{x['fd']:.2f}",
              f"{x['accuracy']:.3f}", f"{x['recall']:.3f}")
    display(t)


explore(view, recall_floor=W.FloatSlider(value=chosen_file["recall_floor"], min=0.8,
                                         max=0.98, step=0.01,
                                         description="recall floor"))

# %% [markdown]
# ## References
#
# The works cited here are listed on the [References](../book/references.md) page.
