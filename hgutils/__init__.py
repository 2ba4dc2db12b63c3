"""hgutils: the small library behind the guidance study.

Data flows one way: toy (ground truth) → nets + train (denoisers) → samplers → metrics → plots / widgets.
"""
from . import metrics, nets, samplers, toy, train  # noqa: F401  (plots and widgets are imported on demand)

__version__ = "0.1.0"
