"""Explore sections: ipywidgets controls around a drawing function.

Live (a person at Jupyter, Binder or Colab) the controls are shown and redraw on
change. In batch runs (papermill, nbval, the book build; see `hgutils.runtime`)
the same function is drawn once at the controls' initial values, with a note,
because a static page cannot run Python behind a slider.
"""
from __future__ import annotations

from .runtime import interactive


def explore(fn, **controls):
    """Show `fn` with ipywidgets controls; returns the `interactive` widget (None in batch runs)."""
    import ipywidgets as W
    from IPython.display import Markdown, display

    if interactive():
        widget = W.interactive(fn, {"manual": False}, **controls)
        display(widget)
        return widget
    W.interactive(fn, {"manual": True}, **controls)          # built (and so checked) but not run or shown
    values = {k: c.value for k, c in controls.items() if isinstance(c, W.ValueWidget)}
    shown = ", ".join(f"{k} = {v}" for k, v in values.items())
    display(Markdown(f"*Static view at {shown}. Run the notebook live (launch buttons at the top) to move the controls.*"))
    fn(**values)
    return None
