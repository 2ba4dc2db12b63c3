"""No measured number is typed by hand into a chapter's prose.

A decimal in a markdown cell is allowed only when it is a setting, not a result: the same
value appears as a literal in that notebook's code (a parameter, a grid point) or in the
hgutils source (a constant of a method, such as σ_min = 0.002). Measured numbers reach the
prose through `hgutils.report.say` (myst-nb glue), so a rerun cannot leave the text
contradicting the outputs.
"""
from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.py")) + [ROOT / "book" / "intro.py"]

DECIMAL = re.compile(r"(?<![\w.\\{])(\d*\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\d+(?=\s?%))"
                     r"(?![\w.]*\d)")
STRIP = [re.compile(p) for p in (
    r"\{glue(?::\w+)?\}`[^`]*`",          # glued numbers
    r"\{(?:cite|cite:\w+|doc|ref|numref)\}`[^`]*`",
    r"\]\([^)]*\)",                        # link targets
    r"<[^>]+>",                            # html tags
)]


def cells(path: Path):
    """(kind, text) of each py:percent cell; markdown text without the leading '# '."""
    out, kind, buf = [], None, []
    for line in path.read_text().splitlines():
        if line.startswith("# %%"):
            if kind:
                out.append((kind, "\n".join(buf)))
            kind, buf = ("markdown" if "[markdown]" in line else "code"), []
        elif kind:
            buf.append(line)
    if kind:
        out.append((kind, "\n".join(buf)))
    return [(k, "\n".join(l[2:] if l.startswith("# ") else l.lstrip("#") for l in t.splitlines())
             if k == "markdown" else t) for k, t in out]


def literals(code: str) -> set[float]:
    vals = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.NUMBER:
                try:
                    vals.add(float(tok.string.replace("_", "").rstrip("jJ")))
                except ValueError:
                    pass
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return vals


def _value(text: str) -> float:
    return float(text)


@pytest.fixture(scope="module")
def constants():
    vals = set()
    for f in (ROOT / "hgutils").glob("*.py"):
        vals |= literals(f.read_text())
    return vals


def hand_typed(path: Path, constants: set[float]) -> list[str]:
    cs = cells(path)
    allowed = set(constants)
    for kind, text in cs:
        if kind == "code":
            allowed |= literals(text)
    bad = []
    for kind, text in cs:
        if kind != "markdown":
            continue
        for pat in STRIP:
            text = pat.sub(" ", text)
        for m in DECIMAL.finditer(text):
            v = _value(m.group(1))
            pct = text[m.end():m.end() + 2].lstrip().startswith("%")
            if not ({v, -v} & allowed or pct and v / 100 in allowed):
                line = text[:m.start()].count("\n")
                ctx = text.splitlines()[line].strip()
                bad.append(f"{m.group(1)!r} in: {ctx[:100]}")
    return bad


def test_pattern_finds_decimals():
    found = [m.group(1) for m in DECIMAL.finditer("rate 0.072 vs .5, 7.3% and 1e-4; w = 3, v1.2x, 37 %")]
    assert found == ["0.072", ".5", "7.3", "1e-4", "37"]


def test_a_hand_typed_number_is_caught(tmp_path, constants):
    nb = tmp_path / "01_x.py"
    nb.write_text("# %%\nw = 1.5\n\n# %% [markdown]\n# at w = 1.5 the rate is 0.0731 "
                  "({glue:text}`rate`)\n")
    assert hand_typed(nb, constants) == ["'0.0731' in: at w = 1.5 the rate is 0.0731 ( )"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_no_hand_typed_measured_decimal(path, constants):
    bad = hand_typed(path, constants)
    assert not bad, (f"{path.name}: {len(bad)} decimal(s) in markdown that are neither glued nor "
                     "a literal of the notebook's code or of hgutils:\n  " + "\n  ".join(bad))
