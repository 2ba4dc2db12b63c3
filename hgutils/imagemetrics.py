"""Metrics for generated digits, in the feature space of a digits classifier.

A small CNN is trained on the training split only (`ClassifierConfig`; its test accuracy is
reported in the book). Its 64 penultimate features are the space in which generated images are
compared with the test split, as Inception features are for FID:

* accuracy: share of samples that the classifier reads as the requested class (fidelity);
* FD: the Fréchet distance between Gaussians fitted to the samples' and the test images'
  features (an FID analogue; test against training images gives its floor at the same n);
* precision, recall, density, coverage (Kynkäänniemi et al. 2019; Naeem et al. 2020) with k = 5
  nearest neighbours in that space, the test images as the reference;
* diversity: the mean pairwise feature distance between samples of the same requested class,
  averaged over classes (true images give its reference level);
* memorised: share of samples nearer (in pixels) to their nearest training image than 95% of
  test images are to theirs (test images: 5% by construction; copies of training images: 100%).

    m = DigitMetrics()                 # the classifier (trained once, cached), test features
    m(x, labels)                       # {metric: value} for images x [N, 1, 8, 8], labels [N]
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch

from . import digits
from ._checks import check_float, check_int
from .runtime import progress


@dataclass(frozen=True)
class ClassifierConfig:
    """A CNN digits classifier trained on the training split (shifts of ±1 pixel as augmentation)."""
    epochs: int = 40
    batch: int = 64
    lr: float = 2e-3
    seed: int = 0
    features: int = 64

    def __post_init__(self):
        for name in ("epochs", "batch", "features"):
            object.__setattr__(self, name, check_int(getattr(self, name), name, 1))
        object.__setattr__(self, "seed", check_int(self.seed, "seed", 0))
        object.__setattr__(self, "lr", check_float(self.lr, "lr", 0, low_open=True))


class DigitClassifier(torch.nn.Module):
    """conv 3×3 (16) → conv 3×3 (32) → max-pool → linear (features) → linear (10)."""

    def __init__(self, features: int = 64, seed: int = 0):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.body = torch.nn.Sequential(
                torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
                torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
                torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                torch.nn.Linear(32 * 16, features), torch.nn.ReLU())
            self.head = torch.nn.Linear(features, digits.NUM_CLASSES)

    def features(self, x):                                      # x: [N, 1, 8, 8] → [N, features]
        return self.body(x)

    def forward(self, x):                                       # logits: [N, 10]
        return self.head(self.body(x))


def _shift(x, gen):
    """Each image shifted by −1, 0 or +1 pixel in each direction (zero padding at −1 = white)."""
    pad = torch.nn.functional.pad(x, (1, 1, 1, 1), value=-1.0)
    dx, dy = torch.randint(0, 3, (2,), generator=gen).tolist()
    return pad[:, :, dy:dy + 8, dx:dx + 8]


def train_classifier(cfg: ClassifierConfig) -> DigitClassifier:
    split = digits.load()
    gen = torch.Generator().manual_seed(cfg.seed)
    net = DigitClassifier(cfg.features, cfg.seed).train()
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    n = len(split.x_train)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for _ in progress(range(cfg.epochs), total=cfg.epochs, desc="train classifier"):
            order = torch.randperm(n, generator=gen)
            for a in range(0, n, cfg.batch):
                i = order[a:a + cfg.batch]
                x = _shift(split.x_train[i], gen)
                loss = torch.nn.functional.cross_entropy(net(x), split.y_train[i])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    finally:
        torch.set_num_threads(threads)
    return net.eval().requires_grad_(False)


def _register():
    from . import train
    train.register(ClassifierConfig, train_classifier,
                   lambda c: DigitClassifier(c.features), dataclasses.asdict)


_register()


# ---------------------------------------------------------------------------- the metrics

def frechet_distance(fa: torch.Tensor, fb: torch.Tensor) -> float:
    """‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2(Σ_a Σ_b)^½) of Gaussians fitted to features [N, F], [M, F]."""
    a, b = fa.double().numpy(), fb.double().numpy()
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ev, vec = np.linalg.eigh(ca)                                  # tr (Σ_aΣ_b)^½ = tr (Σ_a^½ Σ_b Σ_a^½)^½,
    ra = (vec * np.sqrt(ev.clip(0))) @ vec.T                      # symmetric and PSD: stable when a
    tr_root = np.sqrt(np.linalg.eigvalsh(ra @ cb @ ra).clip(0)).sum()   # covariance is singular
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * tr_root)


def _dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Euclidean distances [N, M], computed directly (not by ‖a‖² − 2a·b + ‖b‖², which loses
    precision for near points)."""
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


def _kth(d: torch.Tensor, k: int) -> torch.Tensor:
    """Distance of each row to its k-th nearest other row of the same set ([N, N] distances)."""
    return d.kthvalue(k + 1, dim=1).values                     # +1: the point itself (distance 0)


def prdc(real: torch.Tensor, fake: torch.Tensor, k: int = 5) -> dict:
    """Precision, recall, density and coverage (Naeem et al. 2020) of `fake` against `real`
    features, k nearest neighbours, Euclidean distances in float64."""
    r, f = real.double(), fake.double()
    d_rr, d_ff, d_rf = _dist(r, r), _dist(f, f), _dist(r, f)                     # [R, R], [F, F], [R, F]
    rad_r, rad_f = _kth(d_rr, k), _kth(d_ff, k)
    inside = d_rf <= rad_r[:, None]                                              # fake j in real ball i
    return {"precision": float(inside.any(0).double().mean()),
            "recall": float((d_rf <= rad_f[None]).any(1).double().mean()),
            "density": float(inside.sum(0).double().mean() / k),
            "coverage": float((d_rf.min(1).values <= rad_r).double().mean())}


def diversity(feats: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean pairwise feature distance within each class, averaged over the classes present."""
    out = []
    for c in labels.unique():
        f = feats[labels == c].double()
        if len(f) > 1:
            d = _dist(f, f)
            out.append(float(d.sum() / (len(f) * (len(f) - 1))))
    return float(np.mean(out)) if out else math.nan


class DigitMetrics:
    """All metrics of generated digits against the test split (see the module's text)."""

    names = ("accuracy", "fd", "precision", "recall", "density", "coverage", "diversity",
             "memorised")

    def __init__(self, cfg: ClassifierConfig = ClassifierConfig(), k: int = 5, quantile: float = 0.05):
        from .train import load_or_train

        self.split = digits.load()
        self.classifier = load_or_train(cfg)
        self.k = check_int(k, "k", 1)
        self.exact = digits.TrainingSet(self.split)
        self.test_features = self.features(self.split.x_test)
        d_test, _ = self.exact.nearest(self.split.x_test)
        self.quantile = check_float(quantile, "quantile", 0, 1, low_open=True)
        self.memo_radius = float(torch.quantile(d_test, self.quantile))

    @torch.no_grad()
    def features(self, x) -> torch.Tensor:
        return self.classifier.features(x.float())

    @torch.no_grad()
    def test_accuracy(self) -> float:
        """The classifier's accuracy on the test split (it never saw it)."""
        pred = self.classifier(self.split.x_test).argmax(1)
        return float((pred == self.split.y_test).double().mean())

    @torch.no_grad()
    def __call__(self, x, labels=None, reference: torch.Tensor | None = None) -> dict:
        """{metric: value} of images x [N, 1, 8, 8] (clipped to [−1, 1] first, as an image would be
        saved) that were asked to be of classes `labels` ([N], default `digits.balanced_labels`)."""
        x = digits.check_images(x.clamp(-1, 1))
        labels = digits.balanced_labels(len(x)) if labels is None else \
            digits.check_labels(labels, len(x), allow_null=False)
        f = self.features(x)
        ref = self.test_features if reference is None else reference
        acc = float((self.classifier.head(f).argmax(1) == labels).double().mean())
        d_train, _ = self.exact.nearest(x)
        return {"accuracy": acc, "fd": frechet_distance(f, ref), **prdc(ref, f, self.k),
                "diversity": diversity(f, labels),
                "memorised": float((d_train < self.memo_radius).double().mean())}

    @torch.no_grad()
    def per_class_accuracy(self, x, labels=None) -> np.ndarray:
        """Accuracy for each requested class: [10]."""
        x = digits.check_images(x.clamp(-1, 1))
        labels = digits.balanced_labels(len(x)) if labels is None else \
            digits.check_labels(labels, len(x), allow_null=False)
        hit = (self.classifier(x).argmax(1) == labels).double()
        return np.array([float(hit[labels == c].mean()) if (labels == c).any() else math.nan
                         for c in range(digits.NUM_CLASSES)])
