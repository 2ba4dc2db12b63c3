#!/usr/bin/env python
"""Performance figures of the study, measured in one run (not a timed test).

    python scripts/benchmark.py              # oracle, training, and every notebook with an empty model cache
    python scripts/benchmark.py --skip-notebooks --skip-training

1. The tree oracle's log-density and score for 4096 points with per-point σ (the training batch):
   the branch-structured implementation (hgutils.toy) against the dense formulation of the same
   math (hgutils.toy.dense_logp_and_score: every [N, K, 2(, 2)] intermediate through einsum).
1b. The exact Student-t oracle (ν = 3 and 10, 4096 points from p_ν with per-point σ): the per-point
   κ grids of hgutils.toy against the rule before them (one grid for the whole batch, reaching
   e^{-25} below the farthest point's peak, steps of 0.7/√(a+1) ≤ 0.4, weights renormalised on
   the grid), both in float32, and their accuracy against a fine float64 grid.
2. Training the main toy model (hgutils.train.MAIN: 4×64, 4096 iterations, batch 1024) from scratch.
3. One Explore update of a guidance chapter (4096 samples, 32 guided Heun steps, metrics, a figure);
   one chapter run (2048 samples, sampling and metrics) on one thread and on two.
4. Executing each notebook with papermill with an empty model cache (so training is included):
   chapters 1–9 together against their limit of 15 minutes, chapters 10–11 (digits) against
   theirs of 15 minutes, and the whole book against 35 minutes.
5. The digits: one training step of the main UNet (batch 128), one Heun sampling run of
   chapters 10–11 (400 images, 18 steps) unguided and guided (CFG; limit 2.2× the unguided run),
   and the metrics of one run.
6. Stable Diffusion through hgutils.sd: UNet rows per image per step and the wall time of the
   denoising loop per image of each method relative to the bridge's CFG (and diffusers' own CFG),
   on chapter 12's tiny pipeline on this CPU (limit for sigma scaling: 1.05× CFG). With
   `--sd15 --device cuda`: the same with an SD-1.5-sized UNet (random weights) at 512×512.

    python scripts/benchmark.py --only sd                        # part 6 alone, on this CPU
    python scripts/benchmark.py --only sd --sd15 --device cuda   # part 6 on a GPU
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _batch_rule(tree, nu, x, s):
    """The κ rule before per-point grids (for the ratio): one grid for the whole batch."""
    import math

    import numpy as np
    from scipy.special import gammaincinv, gammaln
    a = nu / 2
    lo, hi = tree.mu.min(0).values, tree.mu.max(0).values
    far = torch.maximum((x.double() - lo).abs(), (x.double() - hi).abs()).square().sum(1)
    s2 = s.double().square().clamp(min=1e-12)
    u_peak = float(((a + 1) * 2 * s2 / (far + 2 * a * s2 + 2 * float(tree.L.max()))).min().log())
    u_hi = math.log(max(float(gammaincinv(a, 1 - 1e-15)), 1e-300) / a)
    u_lo = min(u_peak, u_hi) - max(25 / (a + 1), 8 / math.sqrt(a + 1))
    du = min(0.4, 0.7 / math.sqrt(a + 1))
    u = np.linspace(u_lo, u_hi, int(math.ceil((u_hi - u_lo) / du)) + 1)
    logw = a * math.log(a) - gammaln(a) + a * u - a * np.exp(u)
    logw = torch.tensor(logw - np.logaddexp.reduce(logw))[:, None].expand(-1, len(x))
    return tree._mixture(x, s, torch.tensor(np.exp(u))[:, None].expand(-1, len(x)), logw, True, 8192)


def bench_student():
    from hgutils import toy
    tree = toy.tree("A")
    print("1b. exact Student-t oracle, log p + score, 4096 points from p_ν, per-point σ "
          "(float32, best of 3)")
    for nu in (3.0, 10.0):
        gen = torch.Generator().manual_seed(1)
        sigma = (torch.randn(4096, generator=gen) * 1.5 - 2.3).exp()
        x = tree.sample(4096, sigma, nu=nu, generator=gen)
        new = best_of(lambda: tree.logp_and_score(x, sigma, nu=nu), 3)
        old = best_of(lambda: _batch_rule(tree, nu, x, sigma), 3)
        lp0, sc0 = toy.fine_student_logp_and_score(tree, x, sigma, nu)
        for name, (lp, sc) in (("per-point grids", tree.logp_and_score(x, sigma, nu=nu)),
                               ("batch grid (before)", _batch_rule(tree, nu, x, sigma))):
            err_lp = float((lp.double() - lp0).abs().max())
            err_sc = float(((sc.double() - sc0).square().sum() / sc0.square().sum()).sqrt())
            print(f"   ν = {nu:g}, {name:20s}: max |Δ log p| {err_lp:.1e}, "
                  f"score ‖Δ‖/‖s‖ {err_sc:.1e}")
        print(f"   ν = {nu:g}: per-point grids {new * 1e3:7.1f} ms, batch grid {old * 1e3:7.1f} ms, "
              f"ratio {old / new:.2f} x")


def bench_oracle():
    from hgutils import toy
    tree = toy.tree("A")
    gen = torch.Generator().manual_seed(0)
    sigma = (torch.randn(4096, generator=gen) * 1.5 - 2.3).exp()          # ln σ ~ N(−2.3, 1.5²)
    x = tree.sample(4096, sigma, generator=gen)
    fast = best_of(lambda: tree.logp_and_score(x, sigma), 10)
    dense = best_of(lambda: toy.dense_logp_and_score(tree, x, sigma), 3)
    lp, sc = tree.logp_and_score(x, sigma)
    lp64, sc64 = tree.logp_and_score(x.double(), sigma.double())
    lpd, scd = toy.dense_logp_and_score(tree, x.double(), sigma.double())
    rel = lambda a, b: float(((a - b).abs() / b.abs().clamp(min=1)).max())
    print("1. oracle log p + score, 4096 points, per-point σ (float32, best of runs)")
    print(f"   branch-structured: {fast * 1e3:8.1f} ms")
    print(f"   dense einsum:      {dense * 1e3:8.1f} ms")
    print(f"   speed-up:          {dense / fast:8.1f} x")
    print(f"   max relative difference, float64, log p: {rel(lp64, lpd):.1e}, score: "
          f"{float((sc64 - scd).norm(dim=1).max() / scd.norm(dim=1).clamp(min=1).min()):.1e}")
    print(f"   float32 fast vs float64 dense: log p {rel(lp, lpd):.1e} (|Δ|/max(|log p|,1)), "
          f"score {float((sc.double() - scd).norm() / scd.norm()):.1e} (relative, whole batch)")


def bench_training():
    from hgutils.train import MAIN, train_toy
    t0 = time.perf_counter()
    train_toy(MAIN)
    dt = time.perf_counter() - t0
    print(f"2. main toy model ({MAIN.num_layers}x{MAIN.hidden_dim}, {MAIN.iters} iterations, "
          f"batch {MAIN.batch}) trained in {dt:.1f} s")


def bench_explore():
    """One Explore update of the guidance chapters: 4096 samples, 32 guided Heun steps, metrics, a figure."""
    import matplotlib
    matplotlib.use("Agg")
    from hgutils import plots
    from hgutils.experiments import ToySetup
    from hgutils.guidance import GuidedDenoiser
    S = ToySetup()
    den = GuidedDenoiser(S.main, S.uncond, 4.0)

    def update():
        x = S.sample(den, 4096, seed=0)
        S.metrics(x)
        fig, (ax,) = plots.panels(1)
        plots.tree_density(ax, S.tree)
        plots.samples(ax, x)
        fig.canvas.draw()
        plots.plt.close(fig)

    dt = best_of(update, 3)
    print(f"3. one Explore update (4096 samples, 32 guided Heun steps, all guidance metrics, a figure): {dt:.2f} s")
    # the chapters' runs (2048 samples, then all metrics) on one thread and on both cores
    before = torch.get_num_threads()
    times = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        times[threads] = best_of(lambda: S.metrics(S.sample(den, 2048, seed=0)), 3)
    torch.set_num_threads(before)
    print(f"   one chapter run (2048 samples, sampling + metrics): {times[1]:.2f} s on one thread, "
          f"{times[2]:.2f} s on two ({times[1] / times[2]:.2f}x)")


def bench_notebooks():
    print("4. notebooks executed with papermill, empty model cache:")
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, HGUTILS_CACHE=cache, HG_BATCH="1")
        # the chapters only: the introduction reads chapter 9's results file from the repository
        chapters = sorted(str(p) for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
        run = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), *chapters,
                              "-o", out], env=env, stdout=subprocess.PIPE, text=True)
    print(run.stdout, end="")
    if run.returncode:
        raise SystemExit(f"a notebook failed (exit {run.returncode}); see the lines above")
    # lines "NN_topic   123.4 s  (Explore cells ...)": the chapters 1–9 are notebooks 01_ … 09_
    times = [float(line.split()[1]) for line in run.stdout.splitlines()
             if line[:2].isdigit() and line[2] == "_" and int(line[:2]) <= 9]
    total = sum(times)
    print(f"   chapters 1–9 together: {total:.1f} s ({total / 60:.1f} min; limit 15 min: "
          f"{'met' if total <= 900 else 'NOT met'})")
    digits = [float(line.split()[1]) for line in run.stdout.splitlines()
              if line[:2] in ("10", "11") and line[2] == "_"]
    print(f"   chapters 10–11 together: {sum(digits):.1f} s ({sum(digits) / 60:.1f} min; limit "
          f"15 min: {'met' if sum(digits) <= 900 else 'NOT met'})")
    sd12 = [float(line.split()[1]) for line in run.stdout.splitlines() if line[:3] == "12_"]
    print(f"   chapter 12 (Stable Diffusion, tiny pipeline): {sum(sd12):.1f} s (limit 2 min: "
          f"{'met' if sum(sd12) <= 120 else 'NOT met'})")
    every = [float(line.split()[1]) for line in run.stdout.splitlines()
             if line[:2].isdigit() and line[2] == "_"]
    print(f"   every chapter: {sum(every):.1f} s ({sum(every) / 60:.1f} min; the book's limit "
          f"35 min: {'met' if sum(every) <= 2100 else 'NOT met'})")


def bench_digits():
    import tempfile as tf

    from hgutils import images, unet
    from hgutils.guidance import GuidedDenoiser
    torch.set_num_threads(2)
    cfg = images.MAIN
    steps = 40
    before = os.environ.get("HGUTILS_CACHE")
    with tf.TemporaryDirectory() as cache:
        os.environ["HGUTILS_CACHE"] = cache                       # an empty model cache
        spent = {}
        unet.train_unet(unet.UNetConfig(channels=cfg.channels, iters=2, batch=cfg.batch))
        for iters in (10, 10 + steps):                  # the difference: steps, no set-up
            t0 = time.perf_counter()
            net = unet.train_unet(unet.UNetConfig(channels=cfg.channels, iters=iters,
                                                  batch=cfg.batch))
            spent[iters] = time.perf_counter() - t0
        per_step = (spent[10 + steps] - spent[10]) / steps
        from hgutils.samplers import karras_sigmas
        sig = karras_sigmas(18, 0.002, 80.0)
        main, null = net.bind(None), net.bind(10)
        guided = GuidedDenoiser(main, null, 2.0)
        t_plain = best_of(lambda: images.generate(main, sig, 400, 0), 3)
        t_guided = best_of(lambda: images.generate(guided, sig, 400, 0), 3)
        from hgutils.imagemetrics import DigitMetrics
        m = DigitMetrics()
        x = images.generate(main, sig, 400, 0)
        t_metrics = best_of(lambda: m(x), 3)
    if before is None:
        del os.environ["HGUTILS_CACHE"]
    else:
        os.environ["HGUTILS_CACHE"] = before
    print(f"5. digits UNet {cfg.channels}: one training step (batch {cfg.batch}) "
          f"{per_step * 1e3:.0f} ms; {cfg.iters} steps ≈ {per_step * cfg.iters:.0f} s")
    print(f"   one Heun run (400 images, 18 steps): unguided {t_plain:.2f} s, guided (CFG) "
          f"{t_guided:.2f} s, ratio {t_guided / t_plain:.2f} (limit 2.2: "
          f"{'met' if t_guided / t_plain <= 2.2 else 'NOT met'}); metrics {t_metrics:.2f} s")


def sd15_sized_pipeline(device, dtype):
    """An SD-1.5-sized UNet (860 M parameters, random weights) in a pipeline whose text encoder
    and VAE are small (their cost is once per image, not per step); 512×512 → 64×64 latents."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from hgutils import sd
    pipe = sd.tiny_pipeline(0)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=768, attention_head_dim=8,
                                block_out_channels=(320, 640, 1280, 1280), layers_per_block=2)
    vae = AutoencoderKL(block_out_channels=(16, 16, 16, 16), norm_num_groups=8, sample_size=512,
                        latent_channels=4, down_block_types=("DownEncoderBlock2D",) * 4,
                        up_block_types=("UpDecoderBlock2D",) * 4)
    from transformers import CLIPTextConfig, CLIPTextModel
    cfg = pipe.text_encoder.config
    text = CLIPTextModel(CLIPTextConfig(**{**cfg.to_dict(), "hidden_size": 768,
                                          "num_attention_heads": 12, "intermediate_size": 768}))
    pipe = type(pipe)(vae=vae, text_encoder=text, tokenizer=pipe.tokenizer, unet=unet,
                      scheduler=pipe.scheduler, safety_checker=None, feature_extractor=None,
                      requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device, dtype)


def bench_sd(sd15=False, device="cpu", size=None, steps=None):
    from hgutils import sd
    from hgutils.guidance import Cosine, Linear, PresentationCosine
    torch.set_num_threads(2)
    if sd15:
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        size, steps = size or 512, steps or 20
        pipe, seeds, repeat = sd15_sized_pipeline(device, dtype), [0, 1, 2, 3], 3
        what = f"SD-1.5-sized UNet, {size}×{size}, {dtype}, {device}"
    else:
        steps = steps or 25
        pipe, seeds, repeat = sd.tiny_pipeline(0).to(device), [0, 1, 2, 3], 9
        what = f"chapter 12's tiny pipeline, {device}"
    kw = dict(steps=steps, output_type="latent")
    if size:
        kw.update(height=size, width=size)
    sync = (lambda: torch.cuda.synchronize()) if device.startswith("cuda") else (lambda: None)
    methods = {
        "CFG w = 7.5": dict(method="cfg", w=7.5),
        "CFG, linear": dict(method="cfg", w=Linear(7.5)),
        "CFG, cosine": dict(method="cfg", w=Cosine(7.5)),
        "sigma scaling k = 1.1": dict(method="sigma_scaling", k=1.1, w=3.0),
        "sigma scaling + cosine": dict(method="sigma_scaling", k=1.1, w=PresentationCosine(3.0)),
        "no guidance": dict(method="cfg", w=1.0),
    }

    def once(fn):
        t0 = time.perf_counter()
        fn()
        sync()
        return (time.perf_counter() - t0) / len(seeds)

    # every method once per round, rounds interleaved, the best round of each: a slow spell of
    # the shared CPU then hits every method alike instead of the one being timed
    calls = {"diffusers' own CFG": lambda: sd.reference(pipe, sd.PROMPT, seeds, w=7.5, **kw)}
    calls.update({name: (lambda how=how: sd.sample(pipe, sd.PROMPT, seeds, **how, **kw))
                  for name, how in methods.items()})
    best = {name: math.inf for name in calls}
    with torch.no_grad():
        rows_per = {}
        for name, how in methods.items():
            st = {}
            sd.sample(pipe, sd.PROMPT, seeds, stats=st, **how, **kw)      # also the warm-up
            rows_per[name] = st["evaluations"] / st["calls"]
        for _ in range(repeat):
            for name, fn in calls.items():
                best[name] = min(best[name], once(fn))
    t_ref = best.pop("diffusers' own CFG")
    rows = {name: (rows_per[name], best[name]) for name in methods}
    cfg = rows["CFG w = 7.5"][1]
    print(f"6. Stable Diffusion bridge ({what}; {steps} steps, {len(seeds)} images per call, "
          f"denoising loop only): per image")
    print(f"   diffusers' own CFG: {t_ref * 1e3:.0f} ms ({t_ref / cfg:.3f}× the bridge's CFG)")
    for name, (per, t) in rows.items():
        print(f"   {name:24s} {per:.2f} UNet rows per image per step, {t * 1e3:.0f} ms, "
              f"{t / cfg:.3f}× CFG")
    ratio = rows["sigma scaling k = 1.1"][1] / cfg
    print(f"   sigma scaling / CFG per step: {ratio:.3f} (limit 1.05: "
          f"{'met' if ratio <= 1.05 else 'NOT met'})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--skip-notebooks", action="store_true")
    ap.add_argument("--only", choices=["sd"], help="run one part only (sd: part 6)")
    ap.add_argument("--sd15", action="store_true", help="part 6 with an SD-1.5-sized UNet")
    ap.add_argument("--device", default="cpu", help="part 6's device (cpu, cuda)")
    ap.add_argument("--size", type=int, help="part 6 with --sd15: image size (default 512)")
    ap.add_argument("--steps", type=int, help="part 6: inference steps (default 25; 20 with --sd15)")
    args = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    if args.only == "sd":
        bench_sd(args.sd15, args.device, args.size, args.steps)
        return
    bench_oracle()
    bench_student()
    if not args.skip_training:
        bench_training()
    bench_explore()
    bench_digits()
    bench_sd(args.sd15, args.device, args.size, args.steps)
    if not args.skip_notebooks:
        bench_notebooks()


if __name__ == "__main__":
    main()
