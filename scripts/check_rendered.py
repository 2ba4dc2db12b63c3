#!/usr/bin/env python3
"""Check the rendered book in a real headless browser.

Usage:
    python scripts/check_rendered.py _build/html --screenshot _build/screenshot_ch01.png

For every page listed in ``_toc.yml`` the built HTML is served over http on
127.0.0.1 (a random free port) and opened in Debian's headless Chromium
(``/usr/bin/chromium``), driven through the Chrome DevTools Protocol (CDP)
with the small ``websocket-client`` package. Each page must:

* load: HTTP 200 for the page itself, a non-empty <title> and body text;
* show every <img>: loaded and decodable (naturalWidth > 0);
* render its math: on pages with math, MathJax is loaded (from the book
  itself: the machines have no internet), every Sphinx math element holds a
  MathJax ``mjx-container``, MathJax reported no TeX error, and no raw TeX
  (``$$``, ``\\(``, ``\\[``, ``\\begin{``, ``$...\\macro...$``) is left in
  the visible prose of any page;
* produce no JavaScript error: no console.error/console.assert, no uncaught
  exception, no browser log entry of level "error";
* request nothing outside the local server, and get no HTTP error (>= 400)
  or failed load for any of its requests. Nothing is filtered: the book has
  to be self-contained (MathJax is vendored under book/_static/mathjax);
* show no raw Markdown pipe table: no delimiter row (``|---|---|``, also
  with the dashes typeset as em/en dashes) and no line that starts with
  ``|`` and holds three or more ``|`` in its visible text outside pre/code;
* hold its tables: a notebook page shows exactly as many
  ``<table class="hg-table">`` as the ``text/html`` outputs of its source
  notebook (``<book root>/<docname>.ipynb``) hold, each with a body row;
* scroll nothing sideways: the page is no wider than the window, and no
  <pre> of the article (code cells and outputs, those folded away by
  ``hide-input``/``hide-output`` included: every <details> is opened and
  togglebutton's hidden content shown before measuring) overflows its box;
* fit every table in the column (an output area would clip it or scroll it);
* show figures big enough to read: every <img> of a cell output or of an
  ``.hg-player`` is at least min(naturalWidth, BOOK_COLUMN_PX) - 2 CSS px
  wide. The figure helpers size their fonts assuming the book shows a figure
  at least ``BOOK_COLUMN_PX`` wide (read from hgutils/plots.py, default 680);
* move its sliders without a kernel: a notebook page holds a static player
  (``div.hg-player`` with ``input.hg-player-slider``, ``div.hg-player-frame``
  one per value, all but one hidden, and ``span.hg-player-value``; see
  hgutils.widgets) for each Explore section of its notebook (a
  Markdown heading with the word "Explore"; a notebook without one, such as
  the introduction, needs no player); moving each slider
  (an ``input`` event) must show exactly one other frame and change the value
  text, with every image of the new frame decodable, without any JavaScript error;
* weigh at most 6 MB: the HTML file plus the local files of its <img>
  elements (each file once). A ``data:`` URI counts by its length as part of
  the HTML (or script) that holds it, so it is not counted a second time.

One line per page tells what was checked. With ``--screenshot`` a PNG of the
first notebook chapter is saved. The exit code is 0 when every check passed,
1 when a check failed and 2 when the check could not run (missing build,
missing browser, browser crash).
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

try:
    import websocket  # the "websocket-client" package
except ImportError:  # pragma: no cover - reported as a setup error
    websocket = None

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
SOURCE_SUFFIXES = (".md", ".ipynb", ".rst", ".myst")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PAGE_TIMEOUT_S = 60.0
MAX_PAGE_BYTES = 6_000_000  # 6 MB per page: its HTML plus its images
DEFAULT_BOOK_COLUMN_PX = 680  # used when hgutils/plots.py declares no BOOK_COLUMN_PX
PLOTS_MODULE = REPO_ROOT / "hgutils" / "plots.py"


class SetupError(RuntimeError):
    """The check could not run at all (exit code 2)."""


# --------------------------------------------------------------------------
# table of contents


def toc_docnames(toc_path: Path) -> list[str]:
    """All page docnames of a jupyter-book ``_toc.yml``, in reading order."""
    data = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    names: list[str] = []

    def strip(name: str) -> str:
        for suffix in SOURCE_SUFFIXES:
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name

    def walk(node):
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    names.append(strip(node[key]))
            for key in ("parts", "chapters", "sections", "subtrees", "entries"):
                if node.get(key):
                    walk(node[key])

    walk(data)
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]


def is_notebook(docname: str, html_dir: Path, book_root: Path) -> bool:
    return (html_dir / "_sources" / f"{docname}.ipynb").is_file() or (
        book_root / f"{docname}.ipynb"
    ).is_file()


# --------------------------------------------------------------------------
# what the sources promise


# <table ... class="... hg-table ..." ...> (not "hg-table-wrap" and the like)
HG_TABLE_RE = re.compile(
    r"<table\b[^>]*\bclass\s*=\s*([\"'])(?:(?!\1).)*(?<![\w-])hg-table(?![\w-])",
    re.IGNORECASE | re.DOTALL,
)


# A Markdown heading of an Explore section ("## Explore", "### Explore: w").
EXPLORE_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+.*\bExplore\b", re.MULTILINE)


def _cells(notebook: Path) -> list[dict]:
    """The cells of ``notebook`` that the book renders (not tagged ``remove-cell``)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return [
        cell for cell in nb.get("cells", [])
        if "remove-cell" not in cell.get("metadata", {}).get("tags", [])
    ]


def explore_sections(notebook: Path) -> int:
    """Number of Explore section headings in the Markdown cells of ``notebook``."""
    count = 0
    for cell in _cells(notebook):
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            count += len(EXPLORE_HEADING_RE.findall("".join(source) if isinstance(source, list) else source))
    return count


def expected_hg_tables(notebook: Path) -> int:
    """Number of ``<table class="hg-table">`` in the text/html outputs of ``notebook``.

    Cells tagged ``remove-output`` or ``remove-cell`` are not rendered and not counted.
    """
    count = 0
    for cell in _cells(notebook):
        if "remove-output" in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if isinstance(html, list):
                html = "".join(html)
            if html:
                count += len(HG_TABLE_RE.findall(html))
    return count


def book_column_px(plots_module: Path = PLOTS_MODULE) -> int:
    """``BOOK_COLUMN_PX`` of hgutils/plots.py (read as text), else the default."""
    try:
        text = plots_module.read_text(encoding="utf-8")
    except OSError:
        return DEFAULT_BOOK_COLUMN_PX
    match = re.search(r"^BOOK_COLUMN_PX\s*(?::\s*int\s*)?=\s*(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else DEFAULT_BOOK_COLUMN_PX


def page_weight(html_file: Path, html_dir: Path, image_urls: list[str]) -> tuple[int, list[str]]:
    """Bytes of ``html_file`` plus the distinct local files behind ``image_urls``.

    ``image_urls`` are the browser's absolute image URLs; ``data:`` URIs are
    part of the HTML already and add nothing. Returns (bytes, problems).
    """
    total = html_file.stat().st_size
    problems: list[str] = []
    seen: set[Path] = set()
    root = html_dir.resolve()
    for url in image_urls:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or parsed.hostname not in LOCAL_HOSTS:
            continue  # data: URIs (in the HTML) and foreign hosts (reported elsewhere)
        path = (root / urllib.parse.unquote(parsed.path).lstrip("/")).resolve()
        if path in seen:
            continue
        seen.add(path)
        if path.is_file() and path.is_relative_to(root):
            total += path.stat().st_size
        else:
            problems.append(f"page weight: image file not found under the book: {parsed.path}")
    return total, problems


# --------------------------------------------------------------------------
# local http server


def start_server(html_dir: Path):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - stdlib signature
            pass  # the browser's own network events are checked instead

    Handler.extensions_map = {
        **Handler.extensions_map,
        ".js": "text/javascript",
        ".woff": "font/woff",
        ".woff2": "font/woff2",
        ".svg": "image/svg+xml",
    }
    handler = functools.partial(Handler, directory=str(html_dir))

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            # The browser may drop a connection it no longer needs (e.g. when
            # it is closed at the end); that is no error of the book.
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


# --------------------------------------------------------------------------
# browser and CDP


class CDPError(RuntimeError):
    pass


class CDP:
    """A minimal synchronous Chrome DevTools Protocol client for one page."""

    def __init__(self, ws_url: str):
        self.ws = websocket.create_connection(
            ws_url,
            timeout=30,
            suppress_origin=True,  # Chromium refuses foreign Origin headers
            http_no_proxy=list(LOCAL_HOSTS),
        )
        self._next_id = 0
        self.events: list[dict] = []

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass

    def _recv(self, deadline: float):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        self.ws.settimeout(remaining)
        try:
            raw = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        except (websocket.WebSocketConnectionClosedException, OSError) as exc:
            raise SetupError(f"lost the connection to chromium: {exc}") from exc
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, timeout: float = 30.0):
        self._next_id += 1
        msg_id = self._next_id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            msg = self._recv(deadline)
            if msg is None:
                raise CDPError(f"{method}: no answer from chromium within {timeout:.0f}s")
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise CDPError(f"{method}: {msg['error'].get('message', msg['error'])}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def pump(self, seconds: float):
        """Collect events for ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            msg = self._recv(deadline)
            if msg is None:
                return
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, method: str, timeout: float) -> bool:
        """Wait until an event ``method`` has arrived."""
        if any(e["method"] == method for e in self.events):
            return True
        deadline = time.monotonic() + timeout
        while True:
            msg = self._recv(deadline)
            if msg is None:
                return False
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == method:
                    return True

    def evaluate(self, expression: str, timeout: float = 30.0):
        result = self.call(
            "Runtime.evaluate",
            {
                "expression": expression,
                "awaitPromise": True,
                "returnByValue": True,
                "timeout": int(timeout * 1000),
            },
            timeout=timeout + 5,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"evaluating a check script failed: {text}")
        return result.get("result", {}).get("value")


class Browser:
    """Debian's chromium, headless, with a fresh profile, on a CDP port."""

    def __init__(self, executable: str):
        self.executable = executable
        self.profile = Path(tempfile.mkdtemp(prefix="check-rendered-profile-"))
        self.log_path = self.profile.parent / (self.profile.name + ".log")
        self.proc: subprocess.Popen | None = None
        self.cdp: CDP | None = None

    def start(self, width: int, height: int):
        args = [
            self.executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-default-browser-check",
            "--no-proxy-server",
            "--hide-scrollbars",
            "--mute-audio",
            f"--window-size={width},{height}",
            f"--user-data-dir={self.profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended in close()
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        port = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SetupError(
                    f"chromium exited with code {self.proc.returncode} at start:\n{self.log_tail()}"
                )
            if port_file.is_file():
                lines = port_file.read_text().split()
                if lines and lines[0].isdigit():
                    port = int(lines[0])
                    break
            time.sleep(0.1)
        if port is None:
            raise SetupError(f"chromium did not open its DevTools port in 60s:\n{self.log_tail()}")

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        ws_url = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and ws_url is None:
            try:
                with opener.open(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
                    targets = json.load(resp)
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    ws_url = pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            if ws_url is None:
                time.sleep(0.2)
        if ws_url is None:
            raise SetupError(f"chromium showed no page target:\n{self.log_tail()}")
        self.cdp = CDP(ws_url)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.cdp.call(f"{domain}.enable")
        # Never serve stale files from a previous page or run.
        self.cdp.call("Network.setCacheDisabled", {"cacheDisabled": True})
        return self.cdp

    def log_tail(self, n: int = 20) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no chromium log)"
        return "\n".join("    " + line for line in lines[-n:]) or "    (chromium printed nothing)"

    def close(self):
        if self.cdp is not None:
            self.cdp.close()
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
        try:
            self.log_path.unlink()
        except OSError:
            pass


# --------------------------------------------------------------------------
# in-page checks (JavaScript run with Runtime.evaluate)

# Wait until the page has settled: every image requested and decoded (lazy
# ones forced to load), MathJax's first typeset done, web fonts loaded.
SETTLE_JS = r"""
(async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  for (const img of document.images) {
    if (img.loading === "lazy") img.loading = "eager";
  }
  window.scrollTo(0, document.documentElement.scrollHeight);
  await sleep(50);
  window.scrollTo(0, 0);
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && [...document.images].some((i) => !i.complete)) {
    await sleep(50);
  }
  let mathjax = "absent";
  if (window.MathJax) {
    if (MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
      mathjax = "MathJax " + (MathJax.version || "?");
    } else {
      mathjax = "config-only";  // the config object is there, the script never ran
    }
  }
  if (document.fonts && document.fonts.ready) await document.fonts.ready;
  return mathjax;
})()
"""

# Facts about the rendered page.
FACTS_JS = r"""
(async () => {
  const images = [];
  for (const img of document.images) {
    const src = img.currentSrc || img.src || "";
    let decoded = false;
    try { await img.decode(); decoded = true; } catch (e) { decoded = false; }
    const isSvg = /\.svg(\?|#|$)/i.test(src) || src.startsWith("data:image/svg");
    images.push({
      src: src.startsWith("data:") ? src.slice(0, 40) + "..." : src,
      complete: img.complete,
      width: img.naturalWidth,
      ok: img.complete && decoded && (img.naturalWidth > 0 || isSvg),
    });
  }
  // Sphinx writes math as <span class="math"> / <div class="math"> holding
  // \(..\) / \[..\]; MathJax replaces the TeX with an <mjx-container>.
  const mathEls = [...document.querySelectorAll(".math")];
  const unrendered = mathEls
    .filter((e) => !e.querySelector("mjx-container"))
    .map((e) => e.textContent.trim().slice(0, 80));
  // A TeX error is typeset as an merror node (one report per formula).
  const texErrors = [...document.querySelectorAll("mjx-container")]
    .map((c) => c.querySelector("[data-mjx-error], mjx-merror, merror"))
    .filter((e) => e)
    .map((e) => (e.getAttribute("data-mjx-error") || e.textContent || "TeX error").slice(0, 80));
  // The noundefined TeX package typesets an undefined macro as red text
  // (CHTML draws glyphs with CSS, so its name is read from the assistive MathML).
  const undefinedMacros = [...document.querySelectorAll("mjx-container")]
    .filter((c) => c.querySelector('mjx-mtext[style*="color: red"], mtext[mathcolor="red"]'))
    .map((c) => {
      const names = [...c.querySelectorAll('mtext[mathcolor="red"]')].map((m) => m.textContent.trim());
      return names.length ? names.join(" ") : "(an undefined macro, shown in red)";
    });
  // Raw TeX left in visible prose (code, program output and MathJax's own
  // nodes excluded): the sign that some math was never handed to MathJax.
  const rawTex = [];
  const patterns = [/\$\$/, /\\\(|\\\)|\\\[|\\\]/, /\\begin\{/, /\$[^$\s][^$]*\\[A-Za-z]+[^$]*\$/];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      const el = node.parentElement;
      if (!el || el.closest("pre, code, kbd, samp, script, style, textarea, noscript, " +
                            "mjx-container, .highlight, .output, .cell_output")) {
        return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    const el = node.parentElement;
    if (!patterns.some((p) => p.test(text))) continue;
    if (el.checkVisibility && !el.checkVisibility()) continue;
    rawTex.push(text.trim().slice(0, 100));
  }
  // Raw Markdown pipe tables: a delimiter row (Sphinx's smartquotes may have
  // turned its dashes into em/en dashes) or a line that starts with "|" and
  // holds at least three of them, in visible text outside pre/code. The text
  // is joined per block so that inline markup cannot split a line.
  const delimiterRow = /\|(?:\s*(?:—|–|:?-{3,}:?)\s*\|){2,}/;
  const blockText = new Map();
  const pipeWalker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      const el = node.parentElement;
      if (!el || el.closest("pre, code, kbd, samp, script, style, textarea, noscript, " +
                            "mjx-container, .highlight")) {
        return NodeFilter.FILTER_REJECT;
      }
      return node.textContent.includes("|") ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
    },
  });
  for (let node = pipeWalker.nextNode(); node; node = pipeWalker.nextNode()) {
    const el = node.parentElement;
    if (el.checkVisibility && !el.checkVisibility()) continue;
    const block = el.closest("p, li, dd, dt, td, th, caption, figcaption, blockquote, " +
                             "h1, h2, h3, h4, h5, h6, div, section, article, body") || el;
    blockText.set(block, (blockText.get(block) || "") + node.textContent);
  }
  const pipeTables = [];
  for (const text of blockText.values()) {
    const lines = text.split(/\r?\n/);
    const hit = lines.find((line) => delimiterRow.test(line) ||
      (line.trim().startsWith("|") && (line.match(/\|/g) || []).length >= 3));
    if (hit) pipeTables.push(hit.trim().slice(0, 80));
  }
  // The study's tables (HTML outputs of the notebooks).
  const hgTables = [...document.querySelectorAll("table.hg-table")].map((t) => {
    const body = t.tBodies.length
      ? [...t.tBodies].flatMap((b) => [...b.rows])
      : [...t.rows].filter((r) => !r.closest("thead") && r.querySelector("td"));
    const caption = t.caption ? t.caption.textContent.trim() : "";
    return {
      bodyRows: body.length,
      label: (caption || t.textContent.trim()).replace(/\s+/g, " ").slice(0, 60),
    };
  });
  const main = document.querySelector("main, article, [role=main]");
  return {
    url: location.href,
    title: document.title.trim(),
    bodyChars: (document.body ? document.body.innerText.trim().length : 0),
    mainChars: (main ? main.innerText.trim().length : 0),
    images,
    mathElements: mathEls.length,
    mjxContainers: document.querySelectorAll("mjx-container").length,
    unrendered,
    texErrors,
    undefinedMacros,
    rawTex,
    pipeTables,
    hgTables,
    scrollHeight: document.documentElement.scrollHeight,
  };
})()
"""

# Layout, measured with everything unfolded: every <details> (myst-nb's
# hide-input/hide-output, togglebutton's dropdowns) is opened and
# togglebutton's hidden content shown. Called with BOOK_COLUMN_PX.
LAYOUT_JS = r"""
(async (columnPx) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  for (const d of document.querySelectorAll("details")) d.open = true;
  for (const el of document.querySelectorAll(".toggle-hidden")) el.classList.remove("toggle-hidden");
  for (const b of document.querySelectorAll(".toggle-button-hidden")) {
    b.classList.remove("toggle-button-hidden");
  }
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  await sleep(50);
  // (a player's frames other than the one shown are hidden: not measured)
  const imgs = [...document.querySelectorAll(".cell_output img, .hg-player img")]
    .filter((i) => !i.closest(".hg-player-frame[hidden]"));
  await Promise.all(imgs.map((i) => i.decode().catch(() => null)));

  const article = document.querySelector("article, main, [role=main]") || document.body;
  const widePres = [...article.querySelectorAll("pre")]
    .filter((pre) => pre.scrollWidth > pre.clientWidth + 1)
    .map((pre) => ({
      overflow: pre.scrollWidth - pre.clientWidth,
      width: pre.clientWidth,
      where: pre.closest(".cell_input") ? "code cell" : pre.closest(".cell_output") ? "output" : "text",
      text: pre.textContent.trim().slice(0, 80),
    }))
    .sort((a, b) => b.overflow - a.overflow);
  // Tables: never wider than the column (an output area would clip or scroll them).
  const articleRight = article.getBoundingClientRect().right;
  const wideTables = [...article.querySelectorAll("table")]
    .filter((t) => t.offsetParent !== null && !t.closest(".hg-player-frame[hidden]"))
    .map((t) => {
      let box = t.parentElement;
      while (box && box !== article && box.clientWidth === 0) box = box.parentElement;
      const room = Math.min(box ? box.clientWidth : article.clientWidth, article.clientWidth);
      const right = t.getBoundingClientRect().right;
      return { overflow: Math.max(t.scrollWidth - room, Math.round(right - articleRight)), width: t.scrollWidth,
               text: (t.querySelector("caption, th") || t).textContent.trim().slice(0, 60) };
    })
    .filter((t) => t.overflow > 1);
  // Figures: never shown narrower than the helpers assumed.
  const smallFigures = imgs
    .filter((i) => i.naturalWidth > 0 && i.clientWidth < Math.min(i.naturalWidth, columnPx) - 2)
    .map((i) => {
      const src = i.currentSrc || i.src || "";
      return {
        src: src.startsWith("data:") ? src.slice(0, 30) + "..." : src.split("/").pop(),
        shown: i.clientWidth,
        natural: i.naturalWidth,
      };
    });
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    pres: article.querySelectorAll("pre").length,
    widePres,
    wideTables,
    figures: imgs.length,
    smallFigures,
  };
})
"""

# The static players: move every slider and watch the frame change.
PLAYERS_JS = r"""
(async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const short = (src) => (src.startsWith("data:") ? src.slice(0, 30) + "..." : src.split("/").pop());
  const results = [];
  const players = [...document.querySelectorAll(".hg-player")];
  for (const [index, player] of players.entries()) {
    const res = { index, problems: [] };
    results.push(res);
    const slider = player.querySelector('input[type="range"].hg-player-slider');
    const frames = [...player.querySelectorAll(".hg-player-frame")];
    const value = player.querySelector(".hg-player-value");
    const visible = () => frames.filter((f) => !f.hidden && f.offsetParent !== null);
    if (!slider) res.problems.push('no <input type="range" class="hg-player-slider">');
    if (frames.length < 2) res.problems.push(`${frames.length} .hg-player-frame (at least 2 needed)`);
    if (!value) res.problems.push('no <span class="hg-player-value">');
    if (res.problems.length) continue;
    const min = slider.min === "" ? "0" : slider.min;  // the defaults of a range input
    const max = slider.max === "" ? "100" : slider.max;
    if (!(Number(max) > Number(min))) {
      res.problems.push(`the slider has a single position (min ${min}, max ${max})`);
      continue;
    }
    const shownBefore = visible();
    if (shownBefore.length !== 1) {
      res.problems.push(`${shownBefore.length} frames shown before moving the slider (1 expected)`);
      continue;
    }
    const before = { frame: shownBefore[0], text: value.textContent.trim(), value: slider.value };
    slider.value = Number(slider.value) === Number(min) ? max : min;
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    await sleep(0);
    res.move = `${before.value} -> ${slider.value}`;
    const shownAfter = visible();
    const after = { frame: shownAfter[0], text: value.textContent.trim() };
    if (shownAfter.length !== 1) {
      res.problems.push(`moving the slider ${res.move} shows ${shownAfter.length} frames (1 expected)`);
      continue;
    }
    if (after.frame === before.frame || after.frame.innerHTML === before.frame.innerHTML) {
      res.problems.push(`moving the slider ${res.move} did not change the frame`);
    }
    if (after.text === before.text) {
      res.problems.push(`moving the slider ${res.move} did not change the value text (${after.text || "empty"})`);
    }
    const imgs = [...after.frame.querySelectorAll("img")];
    await Promise.all(imgs.map((i) => i.decode().catch(() => null)));
    if (!after.frame.textContent.trim() && !imgs.length) {
      res.problems.push(`the frame after moving the slider ${res.move} is empty`);
    }
    for (const img of imgs) {
      if (!(img.naturalWidth > 0)) {
        res.problems.push(`the frame after moving the slider does not show (src ${short(img.src)})`);
      }
    }
  }
  return results;
})()
"""


# --------------------------------------------------------------------------
# one page


def _host(url: str) -> str | None:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme in ("http", "https", "ws", "wss"):
        return parsed.hostname
    return None  # data:, blob:, about:, chrome-*: stay in the browser


def _console_text(params: dict) -> str:
    parts = []
    for arg in params.get("args", []):
        if "value" in arg:
            parts.append(str(arg["value"]))
        else:
            parts.append(arg.get("description") or arg.get("type", "?"))
    return " ".join(parts)


def wait_for_load(cdp: CDP, url: str, timeout: float) -> bool:
    """Wait for the load event of ``url`` in the main frame (not of an earlier page)."""
    deadline = time.monotonic() + timeout
    navigated_at = None
    while time.monotonic() < deadline:
        if navigated_at is None:
            for i, event in enumerate(cdp.events):
                frame = event.get("params", {}).get("frame", {})
                if (event["method"] == "Page.frameNavigated" and not frame.get("parentId")
                        and frame.get("url", "").split("#")[0] == url):
                    navigated_at = i
                    break
        if navigated_at is not None and any(
            e["method"] == "Page.loadEventFired" for e in cdp.events[navigated_at:]
        ):
            return True
        cdp.pump(0.05)
    return False


@dataclass
class PageSpec:
    """What the sources promise about one page."""

    players: int = 0  # .hg-player it needs at least: one per Explore section of its notebook
    hg_tables: int | None = None  # table.hg-table it must show (None: not checked)
    html_file: Path | None = None  # the built page, for its weight (None: not weighed)
    html_dir: Path | None = None
    column_px: int = DEFAULT_BOOK_COLUMN_PX  # BOOK_COLUMN_PX of the figure helpers


def page_spec(doc: str, html_dir: Path, book_root: Path, column_px: int) -> PageSpec:
    spec = PageSpec(html_file=html_dir / f"{doc}.html", html_dir=html_dir, column_px=column_px)
    for source in (book_root / f"{doc}.ipynb", html_dir / "_sources" / f"{doc}.ipynb"):
        if source.is_file():
            try:
                spec.hg_tables = expected_hg_tables(source)
                spec.players = explore_sections(source)
            except (OSError, ValueError) as exc:
                raise SetupError(f"cannot read the notebook {source}: {exc}") from exc
            break
    return spec


def check_page(
    cdp: CDP, url: str, label: str, page_timeout: float, spec: PageSpec | None = None
) -> tuple[list[str], str, dict]:
    """Load ``url`` and check it. Returns (problems, summary line, facts)."""
    spec = spec or PageSpec()
    problems: list[str] = []
    # Start each page from a blank tab so that no event leaks between pages.
    cdp.events.clear()
    cdp.call("Page.navigate", {"url": "about:blank"})
    cdp.wait_for("Page.loadEventFired", 10)
    cdp.pump(0.1)
    cdp.events.clear()

    t0 = time.monotonic()
    nav = cdp.call("Page.navigate", {"url": url}, timeout=page_timeout)
    if nav.get("errorText"):
        return [f"navigation failed: {nav['errorText']}"], "", {}
    loader_id = nav.get("loaderId")
    if not wait_for_load(cdp, url, page_timeout):
        problems.append(f"the load event did not fire within {page_timeout:.0f}s")
    mathjax = cdp.evaluate(SETTLE_JS, timeout=page_timeout) or "absent"
    facts = cdp.evaluate(FACTS_JS, timeout=page_timeout)
    layout = cdp.evaluate(f"{LAYOUT_JS}({int(spec.column_px)})", timeout=page_timeout) or {}
    # Before the events are read: an error thrown by a player's script counts.
    players = cdp.evaluate(PLAYERS_JS, timeout=page_timeout) or []
    cdp.pump(0.3)  # late console messages / requests
    elapsed = time.monotonic() - t0

    # ---- events: network, console, exceptions
    requests: dict[str, str] = {}
    external: list[str] = []
    http_errors: list[str] = []
    failed: list[str] = []
    js_errors: list[str] = []
    warnings = 0
    doc_status = None
    for event in cdp.events:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            req_url = params["request"]["url"]
            requests[params["requestId"]] = req_url
            host = _host(req_url)
            if host is not None and host not in LOCAL_HOSTS:
                external.append(req_url)
        elif method == "Network.responseReceived":
            status = params["response"].get("status", 0)
            resp_url = params["response"].get("url", "")
            if params.get("type") == "Document" and params["requestId"] == loader_id:
                doc_status = status
            if status >= 400:
                http_errors.append(f"HTTP {status} {resp_url}")
        elif method == "Network.loadingFailed":
            req_url = requests.get(params["requestId"], "?")
            failed.append(f"{params.get('errorText', 'failed')} {req_url}")
        elif method == "Runtime.consoleAPICalled":
            if params.get("type") in ("error", "assert"):
                js_errors.append(f"console.{params['type']}: {_console_text(params)}")
            elif params.get("type") == "warning":
                warnings += 1
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "?")
            js_errors.append(f"uncaught exception: {text.splitlines()[0]}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                where = f" ({entry['url']})" if entry.get("url") else ""
                js_errors.append(f"browser log [{entry.get('source', '?')}]: {entry.get('text', '')}{where}")
            elif entry.get("level") == "warning":
                warnings += 1

    # ---- the page itself
    if doc_status != 200:
        problems.append(f"page answered HTTP {doc_status} (expected 200)")
    if not facts:
        problems.append("could not read the page")
        facts = {}
    if not facts.get("title"):
        problems.append("empty <title>")
    if facts.get("bodyChars", 0) == 0 or facts.get("mainChars", 0) == 0:
        problems.append("empty page body (no text in <main>/<article>)")

    # ---- images
    images = facts.get("images", [])
    bad_images = [i for i in images if not i["ok"]]
    for img in bad_images:
        problems.append(f"image not loaded: {img['src']} (naturalWidth={img['width']})")

    # ---- math
    n_math = facts.get("mathElements", 0)
    if n_math:
        if not mathjax.startswith("MathJax"):
            problems.append(f"page has {n_math} math elements but MathJax did not run ({mathjax})")
        for tex in facts.get("unrendered", [])[:5]:
            problems.append(f"math not rendered by MathJax: {tex!r}")
        if len(facts.get("unrendered", [])) > 5:
            problems.append(f"... {len(facts['unrendered']) - 5} more unrendered math elements")
    for err in facts.get("texErrors", [])[:5]:
        problems.append(f"MathJax TeX error: {err!r}")
    for macro in facts.get("undefinedMacros", [])[:5]:
        problems.append(f"undefined TeX macro: {macro}")
    for text in facts.get("rawTex", [])[:5]:
        problems.append(f"raw TeX left in the page text: {text!r}")

    # ---- raw pipe tables and the study's tables
    for line in facts.get("pipeTables", [])[:5]:
        problems.append(f"raw Markdown pipe table in the page text: {line!r}")
    if len(facts.get("pipeTables", [])) > 5:
        problems.append(f"... {len(facts['pipeTables']) - 5} more raw pipe tables")
    hg_tables = facts.get("hgTables", [])
    if spec.hg_tables is not None and len(hg_tables) != spec.hg_tables:
        problems.append(
            f"{len(hg_tables)} table.hg-table rendered, but the notebook's HTML outputs "
            f"hold {spec.hg_tables}"
        )
    for i, table in enumerate(hg_tables):
        if table["bodyRows"] < 1:
            problems.append(f"hg-table #{i + 1} ({table['label']!r}) has no body row")

    # ---- layout: nothing scrolls sideways, figures shown big enough
    if layout.get("scrollWidth", 0) > layout.get("innerWidth", 0):
        problems.append(
            f"the page scrolls sideways: {layout['scrollWidth']} px wide in a "
            f"{layout['innerWidth']} px window"
        )
    wide = layout.get("widePres", [])
    if wide:
        worst = wide[0]
        problems.append(
            f"{len(wide)} of {layout.get('pres', 0)} <pre> blocks scroll sideways; the worst, a "
            f"{worst['where']} {worst['width']} px wide, by {worst['overflow']} px: {worst['text']!r}"
        )
    for table in layout.get("wideTables", [])[:5]:
        problems.append(
            f"a table {table['width']} px wide does not fit the column (by {table['overflow']} px): "
            f"{table['text']!r}"
        )
    for fig in layout.get("smallFigures", [])[:5]:
        problems.append(
            f"figure shown {fig['shown']} px wide, less than min(natural {fig['natural']} px, "
            f"BOOK_COLUMN_PX {spec.column_px}) - 2: {fig['src']}"
        )
    if len(layout.get("smallFigures", [])) > 5:
        problems.append(f"... {len(layout['smallFigures']) - 5} more figures shown too small")

    # ---- static players
    if len(players) < spec.players:
        problems.append(
            f"{len(players)} static players (div.hg-player) on the page, but its notebook has "
            f"{spec.players} Explore sections (one player each at least)"
        )
    for player in players:
        for problem in player["problems"]:
            problems.append(f"player #{player['index'] + 1}: {problem}")
    players_ok = sum(1 for p in players if not p["problems"])

    # ---- page weight
    weight = None
    if spec.html_file is not None and spec.html_dir is not None:
        weight, weight_problems = page_weight(
            spec.html_file, spec.html_dir, [i["src"] for i in images]
        )
        problems.extend(weight_problems)
        if weight > MAX_PAGE_BYTES:
            problems.append(
                f"page weighs {weight / 1e6:.2f} MB (HTML + images), more than "
                f"{MAX_PAGE_BYTES / 1e6:.0f} MB"
            )

    # ---- JavaScript and network
    problems.extend(js_errors)
    for req_url in external:
        problems.append(f"request outside the local server (the book must be self-contained): {req_url}")
    problems.extend(http_errors)
    problems.extend(f"load failed: {f}" for f in failed)

    n_ok_img = len(images) - len(bad_images)
    math_txt = (
        f"math {n_math - len(facts.get('unrendered', []))}/{n_math} rendered ({mathjax})"
        if n_math
        else "no math"
    )
    summary = (
        f"{label}: HTTP {doc_status}, title {facts.get('title', '')!r}, "
        f"{facts.get('mainChars', 0)} chars, images {n_ok_img}/{len(images)} loaded, {math_txt}, "
        f"raw TeX {len(facts.get('rawTex', []))}, raw pipe tables {len(facts.get('pipeTables', []))}, "
        f"hg-tables {len(hg_tables)}"
        + (f"/{spec.hg_tables} expected" if spec.hg_tables is not None else "")
        + f", wide pre {len(wide)}/{layout.get('pres', 0)}, "
        f"page width {layout.get('scrollWidth', '?')}/{layout.get('innerWidth', '?')} px, "
        f"wide tables {len(layout.get('wideTables', []))}, "
        f"small figures {len(layout.get('smallFigures', []))}/{layout.get('figures', 0)}, "
        f"players {players_ok}/{len(players)} ok ({spec.players} Explore sections), "
        + (f"{weight / 1e6:.2f} MB, " if weight is not None else "")
        + f"JS errors {len(js_errors)} "
        f"(warnings {warnings}), requests {len(requests)} ({len(external)} external, "
        f"{len(http_errors) + len(failed)} failed), {elapsed:.1f}s"
    )
    return problems, summary, facts


def check_redirect(cdp: CDP, base: str, root_doc: str, timeout: float) -> list[str]:
    """The site's index.html must send the reader to the root page."""
    cdp.call("Page.navigate", {"url": base + "index.html"})
    target = f"/{root_doc}.html"
    deadline = time.monotonic() + timeout
    path = ""
    while time.monotonic() < deadline:
        cdp.pump(0.2)
        try:
            path = cdp.evaluate("location.pathname", timeout=5) or ""
        except CDPError:
            continue  # the page is navigating
        if path == target:
            return []
    return [f"index.html did not redirect to {target} (ended at {path!r})"]


def screenshot(cdp: CDP, url: str, out: Path, width: int, max_height: int):
    cdp.events.clear()
    cdp.call("Page.navigate", {"url": url})
    wait_for_load(cdp, url, PAGE_TIMEOUT_S)
    cdp.evaluate(SETTLE_JS, timeout=PAGE_TIMEOUT_S)
    height = int(cdp.evaluate("document.documentElement.scrollHeight") or 1000)
    height = max(600, min(height, max_height))
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    cdp.pump(0.5)
    cdp.evaluate(SETTLE_JS, timeout=PAGE_TIMEOUT_S)
    shot = cdp.call("Page.captureScreenshot", {"format": "png"}, timeout=60)
    cdp.call("Emulation.clearDeviceMetricsOverride")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(shot["data"]))
    return height


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", type=Path, help="the built book, e.g. _build/html")
    parser.add_argument("--toc", type=Path, default=REPO_ROOT / "_toc.yml",
                        help="the book's _toc.yml (default: %(default)s)")
    parser.add_argument("--screenshot", type=Path, default=None,
                        help="save a PNG of the first notebook chapter here")
    parser.add_argument("--screenshot-page", default=None,
                        help="docname to screenshot instead, e.g. notebooks/02_score_ode")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", DEFAULT_CHROMIUM),
                        help="browser executable (default: $CHROMIUM or %(default)s)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--screenshot-max-height", type=int, default=2400)
    parser.add_argument("--timeout", type=float, default=PAGE_TIMEOUT_S,
                        help="seconds allowed per page (default: %(default)s)")
    parser.add_argument("--book-column-px", type=int, default=None,
                        help="narrowest width the figure helpers assume the book shows a "
                             "figure at (default: BOOK_COLUMN_PX of hgutils/plots.py, "
                             f"else {DEFAULT_BOOK_COLUMN_PX})")
    args = parser.parse_args(argv)

    t_start = time.monotonic()
    html_dir = args.html_dir.resolve()
    try:
        if websocket is None:
            raise SetupError("the Python package websocket-client is not installed "
                             "(pip install -r requirements.txt)")
        if not (html_dir / "index.html").is_file():
            raise SetupError(f"{html_dir} holds no built book (no index.html): build it first")
        if not args.toc.is_file():
            raise SetupError(f"table of contents not found: {args.toc}")
        chromium = shutil.which(args.chromium) or args.chromium
        if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
            raise SetupError(f"browser not found: {args.chromium} (apt-get install -y chromium)")

        docnames = toc_docnames(args.toc)
        if not docnames:
            raise SetupError(f"no pages in {args.toc}")
        missing = [d for d in docnames if not (html_dir / f"{d}.html").is_file()]
        if missing:
            print("FAIL: pages of the toc missing from the build: " + ", ".join(missing))
            return 1

        book_root = args.toc.resolve().parent
        shot_doc = args.screenshot_page
        if shot_doc is None:
            notebooks = [d for d in docnames if is_notebook(d, html_dir, book_root)]
            shot_doc = notebooks[0] if notebooks else docnames[min(1, len(docnames) - 1)]
        elif shot_doc not in docnames:
            raise SetupError(f"--screenshot-page {shot_doc} is not in the toc")

        column_px = args.book_column_px or book_column_px()
        specs = {d: page_spec(d, html_dir, book_root, column_px) for d in docnames}

        server = start_server(html_dir)
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        browser = Browser(chromium)
        failures = 0
        try:
            cdp = browser.start(args.width, args.height)
            product = cdp.call("Browser.getVersion").get("product", "chromium")
            print(f"checking {len(docnames)} pages of {html_dir} at {base} with {product} "
                  f"(BOOK_COLUMN_PX {column_px})")
            for doc in docnames:
                try:
                    problems, summary, _ = check_page(
                        cdp, base + f"{doc}.html", doc, args.timeout, specs[doc]
                    )
                except CDPError as exc:
                    problems, summary = [str(exc)], ""
                if problems:
                    failures += 1
                    print(f"FAIL {summary}" if summary else f"FAIL {doc}")
                    for problem in problems:
                        print(f"     - {problem}")
                else:
                    print(f"ok   {summary}")
            redirect = check_redirect(cdp, base, docnames[0], 15)
            if redirect:
                failures += 1
                print(f"FAIL index.html: {redirect[0]}")
            else:
                print(f"ok   index.html: redirects to {docnames[0]}.html")
            if args.screenshot is not None:
                out = args.screenshot.resolve()
                height = screenshot(cdp, base + f"{shot_doc}.html", out, args.width,
                                    args.screenshot_max_height)
                print(f"screenshot of {shot_doc} ({args.width}x{height}) saved to {out}")
        finally:
            browser.close()
            server.shutdown()
            server.server_close()
    except (SetupError, CDPError) as exc:
        print(f"ERROR: the rendered-book check could not run: {exc}", file=sys.stderr)
        return 2

    elapsed = time.monotonic() - t_start
    if failures:
        print(f"FAILED: {failures} of {len(docnames) + 1} checks failed ({elapsed:.1f}s)")
        return 1
    print(f"all {len(docnames)} pages passed ({elapsed:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
