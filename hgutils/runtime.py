"""Is this a person at a notebook, or a batch run (papermill, nbval, CI)?

Batch runs set ``HG_BATCH=1`` (the repository's scripts and tests do). Progress
bars and widgets appear only when interactive, so the executed notebooks hold
no volatile output and nbval compares stable text.
"""
from __future__ import annotations

import os
import sys


def interactive() -> bool:
    """True in a live Jupyter or terminal session; False under HG_BATCH=1 or CI."""
    if os.environ.get("HG_BATCH", "") not in ("", "0") or os.environ.get("CI", "") not in ("", "0", "false"):
        return False
    if "ipykernel" in sys.modules:
        return True
    return sys.stderr.isatty()


def progress(iterable, total=None, desc=None):
    """tqdm when interactive, the bare iterable otherwise."""
    if not interactive():
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, total=total, desc=desc, leave=False)
