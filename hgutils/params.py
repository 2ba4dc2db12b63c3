"""Validation of a notebook's papermill parameters: each check raises ValueError naming the
parameter and what is allowed, so a bad run stops in the notebook's first cells."""
from __future__ import annotations

from ._checks import check_float, check_int  # noqa: F401  (re-exported)


def _check_list(values, name: str, check, allowed: str) -> list:
    """A non-empty list whose items each pass `check(item, item_name)`."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a non-empty list of {allowed}, got {values!r}")
    out = [check(v, f"{name}[{i}]") for i, v in enumerate(values)]
    if not out:
        raise ValueError(f"{name} must be a non-empty list of {allowed}, got []")
    return out


def check_int_list(values, name: str, minimum: int = 1) -> list[int]:
    """A non-empty list of integers >= minimum."""
    return _check_list(values, name, lambda v, n: check_int(v, n, minimum), f"integers >= {minimum}")


def check_float_list(values, name: str, low=None, low_open: bool = False) -> list[float]:
    """A non-empty list of finite numbers >= low (> low when low_open)."""
    return _check_list(values, name, lambda v, n: check_float(v, n, low, low_open=low_open),
                       f"numbers {'>' if low_open else '>='} {low}")

