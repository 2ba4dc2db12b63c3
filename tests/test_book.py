"""The book builds without a single warning and renders in a real browser.

(a) ``jupyter-book build --warningiserror --keep-going`` into a temporary
    folder must succeed and produce exactly the pages of ``_toc.yml``
    (the jupytext ``.py`` sources beside the notebooks are never pages);
(b) ``scripts/check_rendered.py`` must pass on the result in headless
    Chromium (pages load, images show, math is typeset, no JavaScript error,
    nothing fetched from outside, no raw pipe table, every hg-table of the
    notebooks shown, nothing scrolls sideways, figures shown at least
    BOOK_COLUMN_PX wide, every Explore player's slider switches its frame
    without a kernel, at most 6 MB per page); it saves
    ``_build/screenshot_ch01.png``. tests/test_check_rendered.py shows on a
    tiny fake book that each of these checks fails when it should.
    Without /usr/bin/chromium (b) is skipped, except under CI where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.book

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = REPO_ROOT / "_build" / "screenshot_ch01.png"
BUILD_TIMEOUT_S = 900
CHECK_TIMEOUT_S = 600


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _jupyter_book() -> str:
    """The jupyter-book command of the running Python environment."""
    beside = Path(sys.executable).parent / "jupyter-book"
    if beside.is_file():
        return str(beside)
    found = shutil.which("jupyter-book")
    if found is None:
        pytest.fail("jupyter-book is not installed (pip install -r requirements.txt)")
    return found


def _toc_docnames() -> list[str]:
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        from check_rendered import toc_docnames
    finally:
        sys.path.pop(0)
    return toc_docnames(REPO_ROOT / "_toc.yml")


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    """Build the book once for this module; returns (CompletedProcess, html dir)."""
    out = tmp_path_factory.mktemp("book")
    cmd = [
        _jupyter_book(), "build", "--warningiserror", "--keep-going",
        "--path-output", str(out), ".",
    ]
    proc = subprocess.run(
        cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )
    return proc, out / "_build" / "html"


def test_book_builds_without_warnings(built_book):
    proc, html = built_book
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"jupyter-book build failed (warnings are errors):\n{log[-8000:]}"
    assert (html / "index.html").is_file(), f"no index.html in {html}"

    expected = set(_toc_docnames())
    special = {"index", "genindex", "search", "py-modindex"}
    built = {
        p.relative_to(html).with_suffix("").as_posix()
        for p in html.rglob("*.html")
        if not p.relative_to(html).parts[0].startswith("_")
    } - special
    assert built == expected, (
        f"pages built {sorted(built)} differ from the toc {sorted(expected)} "
        "(a jupytext .py source or a stray file became a page?)"
    )


def test_book_renders_in_browser(built_book):
    proc, html = built_book
    if proc.returncode != 0:
        pytest.fail("the book did not build; see test_book_builds_without_warnings")
    if not os.path.exists(CHROMIUM):
        if _in_ci():
            pytest.fail(f"{CHROMIUM} is missing under CI: install it (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    check = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "check_rendered.py"), str(html),
         "--toc", str(REPO_ROOT / "_toc.yml"), "--chromium", CHROMIUM,
         "--screenshot", str(SCREENSHOT)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S,
    )
    print(check.stdout)
    assert check.returncode == 0, (
        f"rendered-book check failed (exit {check.returncode}):\n{check.stdout}\n{check.stderr}"
    )
    assert SCREENSHOT.is_file() and SCREENSHOT.stat().st_size > 10_000, "no screenshot saved"
