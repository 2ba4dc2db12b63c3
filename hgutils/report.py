"""Tables of measured numbers, rounded to what is stable run to run.

A `Table` shows as Markdown in the book and as aligned plain text elsewhere (and to nbval).
"""
from __future__ import annotations

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
        self.rows.append([str(c) for c in cells])
        return self

    def _repr_markdown_(self):
        head = "| " + " | ".join(self.columns) + " |\n|" + "---|" * len(self.columns) + "\n"
        body = "".join("| " + " | ".join(r) + " |\n" for r in self.rows)
        return (f"**{self.title}**\n\n" if self.title else "") + head + body

    def __repr__(self):
        widths = [max(len(c), *(len(r[i]) for r in self.rows)) if self.rows else len(c)
                  for i, c in enumerate(self.columns)]
        line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
        out = [self.title] if self.title else []
        out += [line(self.columns), line(["-" * w for w in widths])] + [line(r) for r in self.rows]
        return "\n".join(out)
