"""Tables of measured numbers, rounded to what is stable run to run.

A `Table` shows as an HTML table in the book and in Jupyter (`<table class="hg-table">`, which
the book's browser check counts) and as aligned plain text elsewhere (and to nbval).
"""
from __future__ import annotations

import html
import math


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    v = [float(a) for a in values]
    m = sum(v) / len(v)
    s = math.sqrt(sum((a - m) ** 2 for a in v) / (len(v) - 1)) if len(v) > 1 else 0.0
    return m, s


def pm(values, fmt: str = "{:.3f}") -> str:
    """'mean ± std' of a list of values, each formatted with `fmt`."""
    m, s = mean_std(values)
    return f"{fmt.format(m)} ± {fmt.format(s)}"


class Link(str):
    """A table cell that links to another page: its text in plain text, an anchor in HTML."""

    def __new__(cls, text: str, href: str):
        obj = super().__new__(cls, text)
        obj.href = href
        return obj

    def html(self) -> str:
        return f'<a href="{html.escape(self.href)}">{html.escape(str(self))}</a>'


class Table:
    """Rows of already formatted cells under named columns."""

    def __init__(self, columns, rows=(), title: str | None = None):
        self.columns = list(columns)
        self.rows = []
        self.title = title
        for r in rows:
            self.add(*r)

    def add(self, *cells):
        if len(cells) != len(self.columns):
            raise ValueError(f"a row needs {len(self.columns)} cells, got {len(cells)}")
        self.rows.append([c if isinstance(c, Link) else str(c) for c in cells])
        return self

    def _repr_html_(self):
        text = lambda c: c.html() if isinstance(c, Link) else html.escape(str(c))
        cell = lambda c, tag: f"<{tag}>{text(c)}</{tag}>"
        cap = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        head = "<tr>" + "".join(cell(c, "th") for c in self.columns) + "</tr>"
        body = "".join("<tr>" + "".join(cell(c, "td") for c in r) + "</tr>" for r in self.rows)
        return (f'<table class="hg-table">{cap}<thead>{head}</thead>'
                f"<tbody>{body}</tbody></table>")

    def __repr__(self):
        widths = [max(len(c), *(len(r[i]) for r in self.rows)) if self.rows else len(c)
                  for i, c in enumerate(self.columns)]
        line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
        out = [self.title] if self.title else []
        out += [line(self.columns), line(["-" * w for w in widths])] + [line(r) for r in self.rows]
        return "\n".join(out)


def say(name: str, value, fmt: str = "{:.3f}"):
    """Glue a measured number into the prose: `{glue:text}`name`` in a markdown cell shows it.

    The value is formatted here (`fmt`, or str for text), so the record holds exactly what the
    page shows and a rerun with other parameters re-words the text instead of contradicting it.
    Outside a notebook kernel (plain python) nothing is displayed. Returns None, so that a cell
    ending in a `say` call shows no output."""
    if isinstance(value, str):
        text = value
    else:
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"value of {name!r} must be finite, got {value!r}")
        text = fmt.format(v)
    from myst_nb import glue
    glue(name, text, display=False)
