"""hgutils.report (tables of numbers) and hgutils.runtime (batch vs interactive)."""
from __future__ import annotations

import math
import sys

import pytest

from hgutils import runtime
from hgutils.report import Link, Table, mean_std, pm


def test_mean_std():
    m, s = mean_std([1.0, 2.0, 3.0, 6.0])
    assert m == 3.0
    assert s == pytest.approx(math.sqrt(14 / 3), rel=1e-12)             # sample (n − 1) standard deviation
    assert mean_std([4]) == (4.0, 0.0)
    assert mean_std(iter([2, 2])) == (2.0, 0.0)


def test_pm():
    assert pm([1.0, 2.0, 3.0]) == "2.000 ± 1.000"
    assert pm([0.5], "{:.1f}") == "0.5 ± 0.0"
    assert pm([1e-3, 3e-3], "{:.1e}") == "2.0e-03 ± 1.4e-03"


def _table():
    t = Table(["method", "FID"], title="Results")
    t.add("heun", 1.5).add("euler", "12.25")
    return t


def test_table_html():
    assert _table()._repr_html_() == (
        '<table class="hg-table"><caption>Results</caption>'
        "<thead><tr><th>method</th><th>FID</th></tr></thead>"
        "<tbody><tr><td>heun</td><td>1.5</td></tr><tr><td>euler</td><td>12.25</td></tr></tbody></table>"
    )
    assert Table(["a"])._repr_html_() == '<table class="hg-table"><thead><tr><th>a</th></tr></thead><tbody></tbody></table>'
    # cells are escaped; a Link is an anchor in HTML and its text in plain text
    t = Table(["x", "y"], rows=[("a<b", Link("chapter 7", "../notebooks/07.html?a=1&b=2"))])
    assert "<td>a&lt;b</td>" in t._repr_html_()
    assert '<td><a href="../notebooks/07.html?a=1&amp;b=2">chapter 7</a></td>' in t._repr_html_()
    assert repr(t).splitlines()[-1] == "a<b  chapter 7"
    assert not hasattr(t, "_repr_markdown_")     # myst-nb would render Markdown output as raw pipes


def test_table_plain_text():
    assert repr(_table()) == (
        "Results\n"
        "method  FID\n"
        "------  -----\n"
        "heun    1.5\n"
        "euler   12.25"
    )
    assert repr(Table(["a", "bb"])) == "a  bb\n-  --"


def test_table_rows_given_at_construction():
    t = Table(["x", "y"], rows=[(1, 2.5), ("a", None)])
    assert t.rows == [["1", "2.5"], ["a", "None"]]
    assert repr(t).splitlines()[-1] == "a  None"


def test_table_add_checks_row_length():
    t = Table(["a", "b"])
    with pytest.raises(ValueError, match="2 cells"):
        t.add(1)
    with pytest.raises(ValueError, match="2 cells"):
        t.add(1, 2, 3)
    assert t.rows == []


@pytest.mark.parametrize("row", [[1], [1, 2, 3]])
def test_table_constructor_checks_row_length(row):
    """Rows passed to the constructor get the same check as `add` (else repr raises IndexError
    or drops cells, and the Markdown has a row with the wrong number of cells)."""
    with pytest.raises(ValueError, match="2 cells"):
        Table(["a", "b"], rows=[[0, 0], row])


def test_interactive_false_in_batch(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", sys)                 # pretend to be inside Jupyter
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("HG_BATCH", "0")
    assert runtime.interactive() is True
    monkeypatch.setenv("HG_BATCH", "1")
    assert runtime.interactive() is False
    monkeypatch.delenv("HG_BATCH")
    monkeypatch.setenv("CI", "true")
    assert runtime.interactive() is False


def test_progress_is_bare_iterable_in_batch(monkeypatch):
    monkeypatch.setenv("HG_BATCH", "1")
    it = [1, 2, 3]
    assert runtime.progress(it, total=3, desc="x") is it
