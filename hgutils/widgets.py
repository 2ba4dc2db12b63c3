"""Explore sections: ipywidgets controls around a drawing function.

Live (a person at Jupyter, Binder or Colab) the controls are shown and redraw on
change. In batch runs (papermill, nbval, the book build; see `hgutils.runtime`)
a static page cannot run Python behind a slider, so `explore` computes the view
once per value of the section's main control (the other controls at their
initial values) and shows a *player*: a plain HTML range slider that switches
between those precomputed frames with a few lines of inline JavaScript. It needs
no kernel, no widget manager and nothing from a CDN.

The player's markup (the book's browser check relies on it)::

    <div class="hg-player">                      one per Explore call
      <input type="range" class="hg-player-slider">  the frame index
      <span class="hg-player-value">               the main control's value
      <div class="hg-player-frame">                one per value; all but one hidden
"""
from __future__ import annotations

import hashlib
import html
import json

from .runtime import interactive

N_FRAMES = 5          # slider values when a chapter names none: evenly spaced from min to max
FRAME_SCALE = 1.5     # a player's frames are drawn at 1.5× the figures' dpi: its small panels read easily


def explore(fn, static: tuple[str, list] | None = None, **controls):
    """Show `fn` with ipywidgets controls; returns the `interactive` widget (None in batch runs).

    In batch runs a static player steps through values of one control: `static = (name, values)`,
    or by default the first control (a dropdown's options, a slider's N_FRAMES evenly spaced values
    plus its initial value)."""
    import ipywidgets as W
    from IPython.display import HTML, display

    if static is not None and static[0] not in controls:
        raise ValueError(f"static must name one of the controls {list(controls)}, got {static[0]!r}")
    if interactive():
        widget = W.interactive(fn, {"manual": False}, **controls)
        display(widget)
        return widget
    W.interactive(fn, {"manual": True}, **controls)          # built (and so checked) but not run or shown
    values = {k: c.value for k, c in controls.items() if isinstance(c, W.ValueWidget)}
    name, frames = static if static is not None else (next(iter(controls)), None)
    frames = list(frames) if frames is not None else frame_values(controls[name])
    if not frames:
        raise ValueError(f"static: no values to show for control {name!r}")
    rendered = [(shown(controls[name], v), render_frame(fn, {**values, name: v})) for v in frames]
    label = getattr(controls[name], "description", "") or name
    others = ", ".join(f"{getattr(controls[k], 'description', '') or k} = {shown(controls[k], v)}"
                       for k, v in values.items() if k != name)
    display(HTML(player_html(label, rendered, frames.index(values[name]) if values[name] in frames else 0,
                             others)))
    return None


def frame_values(control) -> list:
    """The values a static player shows for one control."""
    import ipywidgets as W
    import numpy as np

    if isinstance(control, W.Checkbox):
        return [False, True]
    if hasattr(control, "options"):                          # Dropdown, ToggleButtons, SelectionSlider …
        return [v for _, v in option_pairs(control)]
    if isinstance(control, (W.IntSlider, W.FloatSlider)):
        lo, hi, step = control.min, control.max, control.step or 1
        vals = {control.value}
        for t in np.linspace(lo, hi, N_FRAMES):
            v = lo + step * round((t - lo) / step)
            vals.add(int(v) if isinstance(control, W.IntSlider) else round(float(v), 10))
        return sorted(vals)
    raise TypeError(f"static: cannot step through a {type(control).__name__}; pass static=(name, values)")


def option_pairs(control) -> list[tuple[str, object]]:
    """A selection control's options as (label, value) pairs (options may be plain values,
    (label, value) pairs or a dict); [] for a control without options."""
    opts = getattr(control, "options", None) or ()
    items = opts.items() if isinstance(opts, dict) else opts
    return [o if isinstance(o, tuple) else (_text(o), o) for o in items]


def shown(control, value) -> str:
    """How the page names a control's value: a dropdown's label, else the value."""
    return next((str(label) for label, v in option_pairs(control) if v == value), _text(value))


def render_frame(fn, kwargs: dict) -> str:
    """Run fn(**kwargs) and return what it shows (printed text, displayed tables, its figures as
    PNG at FRAME_SCALE × their dpi) as HTML."""
    import base64
    import io

    import matplotlib.pyplot as plt
    from IPython.utils.capture import capture_output

    before = set(plt.get_fignums())
    show, plt.show = plt.show, lambda *a, **k: None             # the figures are collected below
    try:
        with capture_output() as cap:
            fn(**kwargs)
    finally:
        plt.show = show
    parts = [f"<pre>{html.escape(cap.stdout)}</pre>"] if cap.stdout else []
    for out in cap.outputs:
        data = out.data
        if "text/html" in data:
            parts.append(data["text/html"])
        elif "image/png" in data:
            parts.append(f'<img alt="frame" src="data:image/png;base64,{data["image/png"].strip()}">')
        elif "text/plain" in data:
            parts.append(f"<pre>{html.escape(data['text/plain'])}</pre>")
    for num in sorted(set(plt.get_fignums()) - before):
        fig = plt.figure(num)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=fig.dpi * FRAME_SCALE, bbox_inches="tight")
        plt.close(fig)
        parts.append(f'<img alt="frame" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">')
    return "".join(parts)


# The slider's handler: show frame i, hide the others, show its value.
SWITCH_JS = ("var i = +slider.value; frames.forEach(function (f, j) { f.hidden = j !== i; }); "
             "shown.textContent = values[i];")


def _text(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def player_html(label: str, frames: list[tuple[object, str]], start: int, others: str = "") -> str:
    """A slider over precomputed frames [(value, html)], starting at frames[start]."""
    body = "".join(
        f'<div class="hg-player-frame" data-value="{html.escape(_text(v))}"{"" if i == start else " hidden"}>'
        f"{h}</div>" for i, (v, h) in enumerate(frames))
    uid = "hgp-" + hashlib.sha1(body.encode()).hexdigest()[:12]
    values = json.dumps([_text(v) for v, _ in frames], ensure_ascii=False)
    note = (f"Static view: the slider steps through {len(frames)} values of {html.escape(label)} computed when "
            f"the page was built" + (f"; {html.escape(others)}" if others else "")
            + ". Run the notebook (launch buttons at the top) to move every control.")
    return (
        f'<div class="hg-player" id="{uid}">'
        f'<div class="hg-player-controls"><label>{html.escape(label)} '
        f'<input type="range" class="hg-player-slider" min="0" max="{len(frames) - 1}" step="1" '
        f'value="{start}"></label> <span class="hg-player-value">{html.escape(_text(frames[start][0]))}</span>'
        f"</div>"
        f'<div class="hg-player-note">{note}</div>{body}</div>'
        "<script>(function () {"
        f'var root = document.getElementById("{uid}"), values = {values};'
        'var slider = root.querySelector(".hg-player-slider"), shown = root.querySelector(".hg-player-value");'
        'var frames = root.querySelectorAll(".hg-player-frame");'
        f'slider.addEventListener("input", function () {{{SWITCH_JS}}});'
        "})();</script>"
    )
