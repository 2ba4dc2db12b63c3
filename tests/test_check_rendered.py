"""scripts/check_rendered.py itself: it passes a good page and catches each defect.

A tiny fake book (one notebook page per case, written here) is built with
``jupyter-book build`` into a temporary folder and checked in headless
Chromium. The good page holds what the study's pages hold: an
``hg-table``, a static player (two matplotlib frames as base64 PNGs, switched
by an inline script on the slider's ``input`` event) in a ``hide-input``
cell, and a figure wider than the book's column. Every other page adds one
defect and must fail for that reason only. The helpers that need no browser
(expected table count, BOOK_COLUMN_PX, page weight) are tested directly.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BUILD_TIMEOUT_S = 300
CHECK_TIMEOUT_S = 300

sys.path.insert(0, str(REPO_ROOT / "scripts"))
try:
    import check_rendered
finally:
    sys.path.pop(0)


# --------------------------------------------------------------------------
# pieces of the fake book


def _png(text: str, width_in: float, height_in: float, dpi: int = 100) -> str:
    """A small matplotlib figure showing ``text``, as base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=dpi)
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=14)
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(rows: int = 2) -> str:
    body = "".join(f"<tr><td>{i}</td><td>{i / 10:.2f}</td></tr>" for i in range(rows))
    return (
        '<table class="hg-table"><caption>Outlier rate</caption>'
        "<thead><tr><th>w</th><th>outliers</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _player(ident: str, frames: list[str], script: str = "switch") -> str:
    """The static player of an Explore section, as hgutils.widgets writes it; ``script`` is
    switch (the real handler), none (does nothing) or throw."""
    from hgutils import widgets

    body = {"switch": widgets.SWITCH_JS, "none": "", "throw": "throw new Error('player broken');"}[script]
    page = widgets.player_html(
        "w", [(1 + 2 * i, f'<img alt="guided samples" src="data:image/png;base64,{f}">')
              for i, f in enumerate(frames)], 0)
    assert widgets.SWITCH_JS in page
    return page.replace(widgets.SWITCH_JS, body).replace('id="hgp-', f'id="{ident}-hgp-').replace(
        'getElementById("hgp-', f'getElementById("{ident}-hgp-')


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(source: str, outputs: list[dict], tags: list[str] | None = None) -> dict:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {"tags": tags} if tags else {},
        "source": source,
        "outputs": outputs,
    }


def _html(html: str) -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/html": html, "text/plain": "<HTML>"}}


def _png_output(b64: str) -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": b64, "text/plain": "<Figure>"}}


def _notebook(title: str, cells: list[dict]) -> dict:
    return {
        "cells": [_md(f"# {title}\n\nA page of the fake book.")] + cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _good_cells(frames: list[str], wide_figure: str, ident: str, script: str = "switch"):
    return [
        _code("show_table(results)", [_html(_table())]),
        _md("## Explore\n\nMove the slider."),
        _code("player(w_values)", [_html(_player(ident, frames, script))], tags=["hide-input"]),
        _code("plot_samples()", [_png_output(wide_figure)]),
    ]


def write_fake_book(root: Path) -> dict[str, str]:
    """Write the fake book under ``root``; returns {docname: the defect it holds}."""
    frames = [_png("frame A", 3, 2), _png("frame B", 3, 2)]
    wide_figure = _png("a wide figure", 9, 2)  # 900 px: the book shows it column-wide
    small = _png("shrunk", 6, 2)  # 600 px, shown 200 px wide
    pages = {
        "good": ("", _good_cells(frames, wide_figure, "p-good")),
        "pipe": ("raw pipe table", _good_cells(frames, wide_figure, "p-pipe") + [
            # The delimiter row has a column more than the header: no table, raw text.
            _md("The rates:\n\n| w | outliers |\n|---|---|---|\n| 1 | 0.10 |\n"),
        ]),
        "widepre": ("wide pre", _good_cells(frames, wide_figure, "p-wide") + [
            _code("x = " + " + ".join(f"value_{i}" for i in range(40)), [], tags=["hide-input"]),
        ]),
        "deadplayer": ("player script does nothing",
                       _good_cells(frames, wide_figure, "p-dead", script="none")),
        "throwplayer": ("player script throws",
                        _good_cells(frames, wide_figure, "p-throw", script="throw")),
        "noplayer": ("player missing", [
            _code("show_table(results)", [_html(_table())]),
            _md("## Explore\n\nThe player is missing."),
        ]),
        # A notebook without an Explore section (the introduction) needs no player.
        "noexplore": ("", [_code("show_table(results)", [_html(_table())])]),
        "tables": ("missing hg-table, table without body rows",
                   _good_cells(frames, wide_figure, "p-tables") + [
                       _code("show_table(empty)", [_html(_table(rows=0))]),
                   ]),
        "smallfig": ("figure shown too small", _good_cells(frames, wide_figure, "p-small") + [
            _code("thumbnail()", [_html(
                f'<img src="data:image/png;base64,{small}" style="width:200px" alt="thumb">')]),
        ]),
    }
    (root / "_config.yml").write_text(
        "title: Fake book\n"
        "author: test\n"
        "only_build_toc_files: true\n"
        "execute:\n  execute_notebooks: 'off'\n"
        "sphinx:\n"
        "  local_extensions:\n"
        f"    dedupe_js: {REPO_ROOT / 'book' / '_ext'}\n"
        "  config:\n"
        f"    html_static_path: ['{REPO_ROOT / 'book' / '_static'}']\n"
        "    mathjax_path: mathjax/tex-chtml-full.js\n"
        f"    html_favicon: '{REPO_ROOT / 'book' / 'favicon.svg'}'\n"
        "    html_context:\n      default_mode: auto\n"
        "    nb_ipywidgets_js: {}\n",
        encoding="utf-8",
    )
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: good\nchapters:\n"
        + "".join(f"  - file: {name}\n" for name in pages if name != "good"),
        encoding="utf-8",
    )
    for name, (title, cells) in pages.items():
        nb = _notebook(title or "Good page", cells)
        (root / f"{name}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return {name: defect for name, (defect, _) in pages.items()}


def _jupyter_book() -> str:
    beside = Path(sys.executable).parent / "jupyter-book"
    return str(beside) if beside.is_file() else (shutil.which("jupyter-book") or "jupyter-book")


def _problems_per_page(stdout: str) -> dict[str, tuple[str, list[str]]]:
    """{docname: ("ok" | "FAIL", [problems])} from the check's output."""
    pages: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in stdout.splitlines():
        match = re.match(r"^(ok|FAIL) +([^:\s]+)", line)
        if match:
            current = match.group(2)
            pages[current] = (match.group(1), [])
        elif line.startswith("     - ") and current is not None:
            pages[current][1].append(line[7:])
    return pages


# --------------------------------------------------------------------------
# the browser check on the fake book


@pytest.fixture(scope="module")
def fake_book_check(tmp_path_factory):
    """Build the fake book and run the check on it; returns (pages, stdout, returncode)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    root = tmp_path_factory.mktemp("fakebook")
    write_fake_book(root)
    out = tmp_path_factory.mktemp("fakebook_build")
    build = subprocess.run(
        [_jupyter_book(), "build", "--warningiserror", "--keep-going",
         "--path-output", str(out), str(root)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )
    assert build.returncode == 0, f"the fake book did not build:\n{(build.stdout + build.stderr)[-6000:]}"
    # The notebook gained a table after the build: the page now misses one.
    nb_path = root / "tables.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    nb["cells"].append(_code("show_table(more)", [_html(_table())]))
    nb_path.write_text(json.dumps(nb), encoding="utf-8")

    check = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "check_rendered.py"),
         str(out / "_build" / "html"), "--toc", str(root / "_toc.yml"),
         "--chromium", CHROMIUM, "--book-column-px", "680"],
        capture_output=True, text=True, timeout=CHECK_TIMEOUT_S,
    )
    print(check.stdout, check.stderr)
    assert check.returncode in (0, 1), f"the check could not run:\n{check.stdout}\n{check.stderr}"
    return _problems_per_page(check.stdout), check.stdout, check.returncode


def _only(pages, doc: str, pattern: str) -> None:
    """``doc`` failed, and every one of its problems matches ``pattern``."""
    status, problems = pages[doc]
    assert status == "FAIL" and problems, f"{doc} should fail: {problems}"
    assert all(re.search(pattern, p) for p in problems), f"{doc}: unexpected problems {problems}"


@pytest.mark.book
def test_good_page_passes(fake_book_check):
    pages, stdout, _ = fake_book_check
    assert pages["good"] == ("ok", []), stdout
    line = next(l for l in stdout.splitlines() if re.match(r"^ok +good:", l))
    for part in ("raw pipe tables 0", "hg-tables 1/1 expected", "wide pre 0/", "small figures 0/2",
                 "players 1/1 ok (1 Explore sections)", "MB"):
        assert part in line, f"{part!r} missing from the summary: {line}"


@pytest.mark.book
def test_raw_pipe_table_fails(fake_book_check):
    pages, _, returncode = fake_book_check
    assert returncode == 1
    _only(pages, "pipe", r"raw Markdown pipe table in the page text: '\|")


@pytest.mark.book
def test_wide_pre_in_hidden_input_fails(fake_book_check):
    _only(fake_book_check[0], "widepre", r"<pre> blocks scroll sideways; the worst, a code cell .*value_0")


@pytest.mark.book
def test_dead_player_fails(fake_book_check):
    _only(fake_book_check[0], "deadplayer",
          r"player #1: moving the slider 0 -> 1 did not change the (frame|value text)")


@pytest.mark.book
def test_throwing_player_fails(fake_book_check):
    pages = fake_book_check[0]
    _only(pages, "throwplayer", r"player #1: moving the slider|player broken")
    assert any("player broken" in p for p in pages["throwplayer"][1]), pages["throwplayer"]


@pytest.mark.book
def test_missing_player_fails(fake_book_check):
    pages = fake_book_check[0]
    _only(pages, "noplayer", r"0 static players \(div.hg-player\) on the page, but its notebook "
                             r"has 1 Explore sections")
    assert pages["noexplore"] == ("ok", []), pages["noexplore"]


@pytest.mark.book
def test_missing_and_empty_hg_tables_fail(fake_book_check):
    pages = fake_book_check[0]
    _only(pages, "tables", r"table\.hg-table rendered, but the notebook's HTML outputs hold 3"
                           r"|hg-table #2 .* has no body row")
    assert len(pages["tables"][1]) == 2, pages["tables"]


@pytest.mark.book
def test_shrunk_figure_fails(fake_book_check):
    _only(fake_book_check[0], "smallfig", r"figure shown 200 px wide, less than min\(natural 600 px")


# --------------------------------------------------------------------------
# the helpers, without a browser


def test_expected_hg_tables_counts_table_tags(tmp_path):
    nb = _notebook("t", [
        _code("a", [_html(_table() + '<table class="plain hg-table wide">…</table>')]),
        _code("b", [_html('<div class="hg-table-wrap"><table class="x"></table></div>')]),
        _code("c", [_html(_table())], tags=["remove-output"]),
        _code("d", [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                     "data": {"text/html": ["<table\n class='hg-table'>", "</table>"]}}]),
    ])
    path = tmp_path / "t.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert check_rendered.expected_hg_tables(path) == 3


def test_explore_sections(tmp_path):
    nb = _notebook("t", [
        _md("## Explore\n\ntext\n\n### Explore: the weight w\n"),
        _md("Explore the data: not a heading\n\n## Exploration"),
        {**_md("## Explore"), "metadata": {"tags": ["remove-cell"]}},
    ])
    path = tmp_path / "t.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert check_rendered.explore_sections(path) == 2


def test_book_column_px(tmp_path):
    plots = tmp_path / "plots.py"
    assert check_rendered.book_column_px(plots) == 680  # no file
    plots.write_text("DPI = 72\n", encoding="utf-8")
    assert check_rendered.book_column_px(plots) == 680
    plots.write_text("DPI = 72\nBOOK_COLUMN_PX: int = 700  # css px\n", encoding="utf-8")
    assert check_rendered.book_column_px(plots) == 700


def test_page_weight(tmp_path):
    html = tmp_path / "page.html"
    html.write_bytes(b"x" * 1000)
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "a b.png").write_bytes(b"y" * 7_000_000)
    urls = ["http://127.0.0.1:8000/_images/a%20b.png", "http://127.0.0.1:8000/_images/a%20b.png",
            "data:image/png;base64,AAAA..."]
    weight, problems = check_rendered.page_weight(html, tmp_path, urls)
    assert (weight, problems) == (7_001_000, [])
    assert weight > check_rendered.MAX_PAGE_BYTES
    weight, problems = check_rendered.page_weight(
        html, tmp_path, ["http://127.0.0.1:8000/_images/gone.png"])
    assert weight == 1000 and "not found" in problems[0]
