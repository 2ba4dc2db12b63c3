#!/usr/bin/env python
"""Launch links (Binder, Colab) derived from ONE setting: `repository` in _config.yml.

    python scripts/launch.py            # rewrite what is derived from it
    python scripts/launch.py --check    # exit 1 and list the files that are out of date

`repository.url` and `repository.branch` (with `launch_buttons` for the two services) feed:

- jupyter-book's launch buttons (jupyter-book derives them itself);
- the Colab setup cell: the first code cell of every `notebooks/NN_*.py` (and of
  `book/intro.py` if there is one), tagged `remove-cell` so the book does not show it. On
  Colab it clones the repository, installs it (hgutils), moves into `notebooks/` and turns
  on Colab's widget manager; anywhere else it does nothing;
- the README badges, between `<!-- launch-badges -->` and `<!-- /launch-badges -->`.

Binder builds its environment from `binder/` (see the comments there).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

COLAB_MARK = "# Colab setup"            # the first line of the cell starts so: how sync finds it
COLAB_TAG_LINE = '# %% tags=["remove-cell"]'
FIRST_CHAPTER = "notebooks/01_ddpm_basics.ipynb"
BADGES_BEGIN, BADGES_END = "<!-- launch-badges -->", "<!-- /launch-badges -->"
MAX_LINE = 88


# ---------------------------------------------------------------------------- the one setting

def read_config(root: Path = ROOT) -> dict:
    return yaml.safe_load((Path(root) / "_config.yml").read_text()) or {}


def repository(config: dict) -> tuple[str, str]:
    """(url, ref) of the repository, from `repository.url` and `repository.branch`."""
    repo = config.get("repository") or {}
    url = str(repo.get("url", "")).strip().rstrip("/")
    if not url:
        raise ValueError("_config.yml has no repository.url")
    return url, str(repo.get("branch") or "main")


def github_parts(url: str) -> tuple[str, str]:
    """(org, repo) of a GitHub URL (Binder's gh provider and Colab's github/ need them)."""
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", url)
    if not m:
        raise ValueError(f"repository.url must be https://github.com/ORG/REPO, got {url!r}")
    return m.group(1), m.group(2)


def repo_name(url: str) -> str:
    name = url.rstrip("/").rsplit("/", 1)[-1]
    return name[:-4] if name.endswith(".git") else name


def launch_urls(config: dict, path: str = FIRST_CHAPTER) -> dict:
    """The Binder and Colab URLs of `path` (relative to the repository root), built as
    sphinx-book-theme builds the book's launch buttons, and the repository's URL."""
    url, ref = repository(config)
    org, repo = github_parts(url)
    buttons = config.get("launch_buttons") or {}
    binderhub = str(buttons.get("binderhub_url") or "https://mybinder.org").strip("/")
    colab = str(buttons.get("colab_url") or "https://colab.research.google.com").strip("/")
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[buttons.get("notebook_interface", "classic")]
    return {
        "binder": f"{binderhub}/v2/gh/{org}/{repo}/{ref}?urlpath={ui}/{path}",
        "colab": f"{colab}/github/{org}/{repo}/blob/{ref}/{path}",
        "repo": url,
    }


# ---------------------------------------------------------------------------- what it derives

def colab_cell(url: str, ref: str) -> str:
    """Source of the Colab setup cell: plain Python (no `!` magics), a no-op outside Colab."""
    name = repo_name(url)
    lines = [
        f"{COLAB_MARK}: clone and install this repository (does nothing elsewhere)",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        "    import os",
        "    import subprocess",
        "",
        f"    _repo = {json.dumps('/content/' + name)}",
        "    if not os.path.isdir(_repo):",
        "        subprocess.check_call(",
        f'            ["git", "clone", "--depth", "1", "--branch", {json.dumps(ref)},',
        f"             {json.dumps(url)}, _repo]",
        "        )",
        "    # installs hgutils and what Colab lacks (pip skips what is already there)",
        '    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-e", _repo])',
        "    if _repo not in sys.path:  # the running kernel never reads the new .pth file",
        "        sys.path.insert(0, _repo)",
        '    os.chdir(os.path.join(_repo, "notebooks"))  # chapters read and write data/...',
        "    from google.colab import output",
        "",
        "    output.enable_custom_widget_manager()  # live ipywidgets 8",
    ]
    source = "\n".join(lines)
    too_long = [line for line in source.splitlines() if len(line) > MAX_LINE]
    if too_long:
        raise ValueError(f"Colab cell lines over {MAX_LINE} characters: {too_long}")
    return source


def badges(config: dict) -> str:
    """The README badge block, markers included."""
    u = launch_urls(config)
    return "\n".join([
        BADGES_BEGIN,
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({u['binder']})",
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({u['colab']})",
        f"[![GitHub](https://img.shields.io/badge/GitHub-repository-181717?logo=github)]({u['repo']})",
        BADGES_END,
    ])


# ---------------------------------------------------------------------------- rewriting files

_CELL = re.compile(r"^# %%")
_NON_CODE = re.compile(r"^# %%.*\[(markdown|md|raw)\]")


def _split_cells(text: str) -> tuple[list[str], list[list[str]]]:
    """A py:percent file as (lines before the first cell, [lines of each cell])."""
    head, cells = [], []
    for line in text.splitlines(keepends=True):
        if _CELL.match(line):
            cells.append([line])
        elif cells:
            cells[-1].append(line)
        else:
            head.append(line)
    return head, cells


def _is_code(cell: list[str]) -> bool:
    return not _NON_CODE.match(cell[0])


def _is_colab(cell: list[str]) -> bool:
    body = [line.strip() for line in cell[1:] if line.strip()]
    return _is_code(cell) and bool(body) and body[0].startswith(COLAB_MARK)


def with_colab_cell(text: str, cell_source: str) -> str:
    """`text` (py:percent) whose first code cell is the Colab cell: an existing one (found by
    its first comment line) is replaced, a new one goes right before the first code cell (the
    tagged parameters cell in every chapter); with no code cell at all, at the end."""
    head, cells = _split_cells(text)
    cells = [c for c in cells if not _is_colab(c)]
    block = [COLAB_TAG_LINE + "\n"] + [line + "\n" for line in cell_source.split("\n")] + ["\n"]
    at = next((i for i, c in enumerate(cells) if _is_code(c)), len(cells))
    if at == len(cells) and cells and not cells[-1][-1].endswith("\n"):
        cells[-1][-1] += "\n"
    if at == len(cells) and cells and cells[-1][-1].strip():
        cells[-1].append("\n")
    if at == len(cells):
        block = block[:-1]                        # the file's last cell: no blank line after it
    cells.insert(at, block)
    return "".join(head) + "".join("".join(c) for c in cells)


def with_badges(text: str, block: str) -> str:
    """README `text` with the badge block replaced, or inserted after its first heading."""
    pattern = re.compile(re.escape(BADGES_BEGIN) + r".*?" + re.escape(BADGES_END), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    lines = text.splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if line.startswith("#")), None)
    if at is None:
        return block + "\n\n" + text
    return "".join(lines[:at + 1]) + "\n" + block + "\n" + "".join(lines[at + 1:])


def notebook_sources(root: Path = ROOT) -> list[Path]:
    root = Path(root)
    sources = sorted((root / "notebooks").glob("[0-9][0-9]_*.py"))
    intro = root / "book" / "intro.py"
    return sources + ([intro] if intro.exists() else [])


def sync(check: bool = False, root: Path | str = ROOT) -> list[str]:
    """Rewrite what derives from `repository` in _config.yml (check=True: only compare).

    Returns the files (relative to root) that were out of date: rewritten, or with
    check=True left as they are."""
    root = Path(root)
    config = read_config(root)
    cell = colab_cell(*repository(config))
    targets = [(p, lambda t: with_colab_cell(t, cell)) for p in notebook_sources(root)]
    readme = root / "README.md"
    if readme.exists():
        block = badges(config)
        targets.append((readme, lambda t: with_badges(t, block)))
    stale = []
    for path, derive in targets:
        text = path.read_text()
        new = derive(text)
        if new != text:
            stale.append(path.relative_to(root).as_posix())
            if not check:
                path.write_text(new)
    return stale


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = ap.parse_args(argv)
    stale = sync(check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'updated'}: {path}")
    if args.check and stale:
        print("run: python scripts/launch.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
