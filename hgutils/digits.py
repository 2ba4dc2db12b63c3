"""Handwritten digits: scikit-learn's bundled 8×8 images as a data set of the study.

    split = digits.load()                # fixed stratified split: 1,347 training, 450 test images
    split.x_train: [1347, 1, 8, 8] in [−1, 1];  split.y_train: [1347] (int64, 0–9)
    exact = digits.TrainingSet(split)    # the exact denoiser of the training set

Pixels 0–16 are scaled by x = v/8 − 1. Nothing is downloaded: the 1,797 images ship inside
scikit-learn. A data set of the study is one small object that draws true samples and, where it
is exact, gives log p and the score: `hgutils.toy.Tree` for the 2-D tree, `TrainingSet` here.

The exact denoiser of a finite set. The training images y_1..y_M smoothed by Gaussian noise of
level σ form a mixture with one component per image,

    p(x; σ) = (1/M) Σ_i N(x; y_i, σ²I),
    D(x; σ) = Σ_i softmax_i(−‖x − y_i‖²/(2σ²)) · y_i,       s = (D − x)/σ²,

the toy oracle's math with one "branch" per image. A network that fitted the training set
perfectly would be this denoiser, and sampling it returns copies of training images: it is the
memorisation end of what a learned model can be.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._checks import append_dims, check_int, check_sigma

NUM_CLASSES = 10
NULL = NUM_CLASSES            # the label of "no class" (classifier-free guidance's unconditional input)
SHAPE = (1, 8, 8)             # one image: [C, H, W]
TEST_SIZE = 450               # the fixed stratified split: 1,347 training and 450 test images
SPLIT_SEED = 0


@dataclass(frozen=True)
class Split:
    """The fixed train/test split: images [M, 1, 8, 8] in [−1, 1] (float32), labels [M] (int64)."""
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def sigma_data(self) -> float:
        """σ_data: the standard deviation of the training pixels (measured, not assumed)."""
        return float(self.x_train.double().std())


_SPLIT: Split | None = None


def load() -> Split:
    """The digits, scaled to [−1, 1], split 1,347 / 450 stratified by class (random_state 0)."""
    global _SPLIT
    if _SPLIT is None:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        d = load_digits()
        x = torch.tensor(d.images, dtype=torch.float32)[:, None] / 8 - 1          # [1797, 1, 8, 8]
        y = torch.tensor(d.target, dtype=torch.int64)
        i_tr, i_te = train_test_split(torch.arange(len(y)).numpy(), test_size=TEST_SIZE,
                                      stratify=d.target, random_state=SPLIT_SEED)
        i_tr, i_te = torch.as_tensor(i_tr), torch.as_tensor(i_te)
        _SPLIT = Split(x[i_tr], y[i_tr], x[i_te], y[i_te])
    return _SPLIT


def check_images(x, name: str = "x", low: float = -1.0, high: float = 1.0) -> torch.Tensor:
    """A float batch of digit images [N, 1, 8, 8] with finite values in [low, high] (generated
    images are clipped to [−1, 1] before they are measured)."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"{name} must be a float torch.Tensor of shape [N, 1, 8, 8], got "
                         f"{type(x).__name__}")
    if x.ndim != 4 or tuple(x.shape[1:]) != SHAPE or len(x) == 0:
        raise ValueError(f"{name} must have shape [N, 1, 8, 8] with N >= 1, got {list(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    lo, hi = float(x.min()), float(x.max())
    if lo < low - 1e-6 or hi > high + 1e-6:
        raise ValueError(f"{name} must hold pixel values in [{low:g}, {high:g}] (digits scaled by "
                         f"v/8 − 1), got values in [{lo:.3g}, {hi:.3g}]")
    return x


def check_labels(labels, n: int, name: str = "labels", allow_null: bool = True) -> torch.Tensor:
    """Class labels: an int (one class for all n images) or an int tensor [n], each in 0–9, or
    `NULL` (10, no class) where allowed."""
    top = NULL if allow_null else NUM_CLASSES - 1
    allowed = f"integers in 0–{top}" + (f" ({NULL} = no class)" if allow_null else "")
    if isinstance(labels, bool):
        raise ValueError(f"{name} must be {allowed}, got {labels!r}")
    if isinstance(labels, int) or (hasattr(labels, "__index__") and not isinstance(labels, torch.Tensor)):
        labels = torch.full((n,), int(labels), dtype=torch.int64)
    if not isinstance(labels, torch.Tensor) or labels.is_floating_point() or labels.is_complex():
        raise ValueError(f"{name} must be {allowed}, got {type(labels).__name__}")
    if labels.shape != (n,):
        raise ValueError(f"{name} must have shape [{n}] (one per image), got {list(labels.shape)}")
    bad = (labels < 0) | (labels > top)
    if bad.any():
        raise ValueError(f"{name} must be {allowed}, got {int(labels[bad][0])}")
    return labels.long()


def balanced_labels(n: int) -> torch.Tensor:
    """The requested classes of a batch of n: 0, 1, …, 9, 0, 1, … ([n]); every method and seed
    is asked for the same classes."""
    return torch.arange(check_int(n, "n", 1)) % NUM_CLASSES


class Bound:
    """A class-conditional model bound to requested classes: ``denoise(x, σ)`` and ``score(x, σ)``
    (the interface of samplers and guidance) call ``model.denoise(x, σ, labels)``.

    label: None for the balanced classes of `balanced_labels` (for the batch size of each call),
    an int class 0–9 for one class, or `NULL` for the unconditional model."""

    sample_shape = SHAPE

    def __init__(self, model, label=None):
        self.model = model
        if label is not None:
            check_labels(label, 1)
        self.label = label
        self._labels: dict = {}

    def labels(self, n: int, device=None) -> torch.Tensor:
        key = (n, str(device))
        if key not in self._labels:                  # made once per batch size: no work per step
            lab = balanced_labels(n) if self.label is None else torch.full((n,), int(self.label))
            self._labels[key] = lab.to(device)
        return self._labels[key]

    def denoise(self, x, sigma):
        # the labels were checked once (here, per batch size): no check per step
        fn = getattr(self.model, "_denoise", None) or self.model.denoise
        return fn(x, sigma, self.labels(len(x), x.device))

    __call__ = denoise

    def score(self, x, sigma):
        sig = append_dims(torch.as_tensor(sigma, dtype=x.dtype, device=x.device), x.ndim)
        return (self.denoise(x, sigma) - x) / sig ** 2

    def score_pair(self, other, x, sigma, sigma_other):
        """(s(x; σ), other's s(x; σ_other)) in one batched call of the network [2N, ...] when
        `other` binds the same network (CFG's null class, sigma scaling's larger σ); None
        otherwise. One call of 2N images costs less than two of N on a CPU or GPU."""
        if not (isinstance(other, Bound) and other.model is self.model):
            return None
        n = len(x)
        sig = [torch.as_tensor(v, dtype=x.dtype).expand(n) for v in (sigma, sigma_other)]
        s2 = torch.cat(sig).to(x.device, non_blocking=True)                       # [2N]
        lab = torch.cat([self.labels(n, x.device), other.labels(n, x.device)])
        x2 = torch.cat([x, x])                                                    # [2N, ...]
        fn = getattr(self.model, "_denoise", None) or self.model.denoise
        s = (fn(x2, s2, lab) - x2) / append_dims(s2, x.ndim) ** 2
        return s[:n], s[n:]

    def __repr__(self):
        what = "balanced classes" if self.label is None else (
            "no class" if self.label == NULL else f"class {self.label}")
        return f"Bound({type(self.model).__name__}, {what})"


class TrainingSet:
    """The exact denoiser, score and log-density of the training images smoothed by noise σ
    (a mixture of M Gaussians, one per image; see the module's text), optionally per class.

    ``denoise(x, σ, labels)``: labels [N] restrict each x to the images of its class (`NULL`: all
    images). Computed in float64 with squared distances taken directly (no ‖x‖² − 2x·y + ‖y‖²
    cancellation), in chunks, in log space: finite for any finite x and σ > 0."""

    sample_shape = SHAPE

    def __init__(self, split: Split | None = None, chunk: int = 64):
        split = split or load()
        self.y = split.x_train.double().flatten(1)                                  # [M, 64]
        self.classes = split.y_train.clone()                                        # [M]
        self.chunk = check_int(chunk, "chunk", 1)

    def _logits(self, x, sigma, labels):
        """log N(x; y_i, σ²I) + const per image, −inf outside the requested class: [N, M]."""
        n = len(x)
        s = check_sigma(sigma, n, device=x.device, dtype=torch.float64, positive=True)
        xf = x.double().flatten(1)                                                  # [N, 64]
        out = torch.empty(n, len(self.y), dtype=torch.float64)
        for a in range(0, n, self.chunk):                                           # [c, M, 64] per chunk
            d2 = (xf[a:a + self.chunk, None, :] - self.y[None]).square().sum(-1)
            out[a:a + self.chunk] = -d2 / (2 * s[a:a + self.chunk, None] ** 2)
        if labels is not None:
            lab = check_labels(labels, n)
            other = (lab[:, None] != self.classes[None]) & (lab[:, None] != NULL)
            out = out.masked_fill(other, -math.inf)
        return out, s

    def denoise(self, x, sigma, labels=None):
        """D(x; σ) = E[y | x] over the training images (of the requested classes): like x."""
        logits, _ = self._logits(x, sigma, labels)
        return (torch.softmax(logits, 1) @ self.y).to(x.dtype).reshape(x.shape)

    def score(self, x, sigma, labels=None):
        s = check_sigma(sigma, len(x), device=x.device, dtype=x.dtype, positive=True)
        return (self.denoise(x, s, labels) - x) / append_dims(s, x.ndim) ** 2

    def logp(self, x, sigma, labels=None):
        """log p(x; σ) of the (class's) training images smoothed by N(0, σ²I): [N] (float64)."""
        logits, s = self._logits(x, sigma, labels)
        d = self.y.shape[1]
        count = torch.isfinite(logits).sum(1).double()
        return (torch.logsumexp(logits, 1) - count.log()
                - 0.5 * d * torch.log(2 * math.pi * s ** 2))

    def nearest(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        """(distance, index) of the nearest training image to each x, in pixel space: [N], [N]."""
        xf = x.double().flatten(1)
        dist, idx = [], []
        for a in range(0, len(xf), self.chunk):
            d2 = (xf[a:a + self.chunk, None, :] - self.y[None]).square().sum(-1)
            v, i = d2.min(1)
            dist.append(v.sqrt())
            idx.append(i)
        return torch.cat(dist), torch.cat(idx)
