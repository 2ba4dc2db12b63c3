"""Launch buttons that work: the Colab setup cell, the derived files (scripts/launch.py), and
the Binder environment of binder/, installed offline exactly as repo2docker installs it."""
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
try:
    import launch
finally:
    sys.path.pop(0)

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
URL, REF = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
CELL = launch.colab_cell(URL, REF)
CHAPTER = "notebooks/01_ddpm_basics.ipynb"


def run_cell(source: str) -> tuple[str, str]:
    """Execute a cell's source in a fresh namespace; return what it printed (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        exec(compile(source, "<colab cell>", "exec"), {"__name__": "__main__"})
    return out.getvalue(), err.getvalue()


@pytest.fixture
def recorded(monkeypatch):
    """subprocess.check_call and os.chdir record their calls instead of running."""
    events = []
    monkeypatch.setattr(subprocess, "check_call", lambda cmd, *a, **k: events.append(("call", list(cmd))) or 0)
    monkeypatch.setattr(os, "chdir", lambda path: events.append(("chdir", str(path))))
    monkeypatch.setattr(sys, "path", list(sys.path))      # the cell may add the clone to sys.path
    return events


# ---------------------------------------------------------------------------- the Colab cell

def test_colab_cell_is_plain_short_python():
    lines = CELL.splitlines()
    assert lines[0].startswith("# ") and lines[0].startswith(launch.COLAB_MARK)
    assert all(len(line) <= 88 for line in lines), max(lines, key=len)
    assert not any(line.lstrip().startswith(("!", "%")) for line in lines), "no IPython magics"
    compile(CELL, "<colab cell>", "exec")


def test_colab_cell_does_nothing_outside_colab(monkeypatch, recorded):
    for name in [m for m in sys.modules if m == "google.colab" or m.startswith("google.colab.")]:
        monkeypatch.delitem(sys.modules, name)
    cwd, path = os.getcwd(), list(sys.path)
    out, err = run_cell(CELL)
    assert recorded == []
    assert (out, err) == ("", "")
    assert os.getcwd() == cwd and sys.path == path


@pytest.mark.parametrize("cloned", [False, True], ids=["fresh", "already-cloned"])
def test_colab_cell_on_colab(monkeypatch, recorded, cloned):
    widget_manager = []
    google, colab, output = (types.ModuleType(n) for n in ("google", "google.colab", "google.colab.output"))
    output.enable_custom_widget_manager = lambda: recorded.append(("widgets", None)) or widget_manager.append(1)
    google.colab, colab.output = colab, output
    for module in (google, colab, output):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    clone = "/content/" + URL.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    real_isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: cloned if str(p) == clone else real_isdir(p))

    out, err = run_cell(CELL)

    expected = [] if cloned else [("call", ["git", "clone", "--depth", "1", "--branch", REF, URL, clone])]
    expected += [
        ("call", [sys.executable, "-m", "pip", "install", "-q", "-e", clone]),
        ("chdir", clone + "/notebooks"),
        ("widgets", None),
    ]
    assert recorded == expected
    assert widget_manager == [1]
    assert sys.path[0] == clone, "hgutils importable in the running kernel"
    assert (out, err) == ("", "")


# ---------------------------------------------------------------------------- sync

def make_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "notebooks").mkdir(parents=True)
    (root / "scripts").mkdir()
    for name in ("_config.yml", "README.md"):
        shutil.copy(ROOT / name, root / name)
    for py in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        shutil.copy(py, root / "notebooks" / py.name)
    shutil.copy(ROOT / "scripts" / "launch.py", root / "scripts" / "launch.py")
    if (ROOT / "book" / "intro.py").exists():
        (root / "book").mkdir()
        shutil.copy(ROOT / "book" / "intro.py", root / "book" / "intro.py")
    return root


def code_cells(path: Path):
    return [c for c in jupytext.read(path).cells if c.cell_type == "code"]


def cli(root: Path, *args):
    return subprocess.run([sys.executable, str(root / "scripts" / "launch.py"), *args],
                          capture_output=True, text=True, timeout=120)


def test_sync_on_a_copy(tmp_path):
    root = make_copy(tmp_path)
    sources = sorted((root / "notebooks").glob("[0-9][0-9]_*.py")) + sorted((root / "book").glob("intro.py"))
    for py in sources:                                 # a copy without the cell (as before the first sync)
        py.write_text(re.sub(r'^# %% tags=\["remove-cell"\]\n# Colab setup.*?(?=^# %%)', "", py.read_text(),
                             flags=re.S | re.M))
    before = {py: jupytext.read(py).cells for py in sources}
    assert all(launch.COLAB_MARK not in py.read_text() for py in sources)
    (root / "README.md").write_text(re.sub(r"<!-- launch-badges -->.*?<!-- /launch-badges -->\n*", "",
                                           (root / "README.md").read_text(), flags=re.S))

    proc = cli(root, "--check")
    stale = [p.relative_to(root).as_posix() for p in sources] + ["README.md"]
    assert proc.returncode == 1 and re.findall(r"out of date: (\S+)", proc.stdout) == stale, proc
    assert launch.sync(check=True, root=root) == stale
    assert all(launch.COLAB_MARK not in py.read_text() for py in sources), "--check changes nothing"

    assert cli(root).returncode == 0
    for py in sources:
        code = code_cells(py)
        assert code[0].source == CELL and code[0].metadata.get("tags") == ["remove-cell"], py.name
        assert "parameters" in code[1].metadata.get("tags", []), f"{py.name}: inserted before the parameters cell"
        after = jupytext.read(py).cells
        assert [(c.cell_type, c.source) for c in after if c.source != CELL] == \
               [(c.cell_type, c.source) for c in before[py]], f"{py.name}: nothing else changed"
    readme = (root / "README.md").read_text().splitlines()
    assert readme[0].startswith("# ") and readme[2] == launch.BADGES_BEGIN, "badges right after the first heading"

    texts = {p: p.read_text() for p in root.rglob("*") if p.is_file()}
    assert launch.sync(root=root) == [] and cli(root, "--check").returncode == 0
    assert {p: p.read_text() for p in root.rglob("*") if p.is_file()} == texts, "idempotent"

    # a new repository URL: the cell and the badges are replaced, never duplicated
    config = root / "_config.yml"
    config.write_text(config.read_text().replace(URL, "https://github.com/someone/fork").replace(
        f"branch: {REF}", "branch: dev"))
    assert cli(root, "--check").returncode == 1
    assert len(launch.sync(root=root)) == len(stale)
    new_cell = launch.colab_cell("https://github.com/someone/fork", "dev")
    for py in sources:
        code = code_cells(py)
        assert code[0].source == new_cell and sum(launch.COLAB_MARK in c.source for c in code) == 1
    text = (root / "README.md").read_text()
    block = text[text.index(launch.BADGES_BEGIN):text.index(launch.BADGES_END)]
    assert text.count(launch.BADGES_BEGIN) == 1 and "someone/fork/dev?urlpath=" in block and URL not in block


def test_sync_handles_a_notebook_without_parameters(tmp_path):
    root = make_copy(tmp_path)
    (root / "book").mkdir(exist_ok=True)
    intro = root / "book" / "intro.py"
    intro.write_text("# %% [markdown]\n# # Intro\n\n# %%\nx = 1\n")
    launch.sync(root=root)
    code = code_cells(intro)
    assert [c.source for c in code] == [CELL, "x = 1"] and code[0].metadata["tags"] == ["remove-cell"]
    assert launch.sync(check=True, root=root) == []


def test_repository_is_in_sync():
    """Fails until `python scripts/launch.py` has been run after a change of _config.yml."""
    assert launch.sync(check=True) == [], "run: python scripts/launch.py"


# ---------------------------------------------------------------------------- the launch URLs

@pytest.mark.parametrize("where", ["copy", "repository"])
def test_readme_badges_are_derived_from_the_config(tmp_path, where):
    root = ROOT
    if where == "copy":
        root = make_copy(tmp_path)
        launch.sync(root=root)
    text = (root / "README.md").read_text()
    block = re.search(r"<!-- launch-badges -->(.*?)<!-- /launch-badges -->", text, re.S)
    assert block, "README has no badge block: run python scripts/launch.py"
    links = re.findall(r"\)\]\(([^)\s]+)\)", block.group(1))    # [![alt](image)](link)
    org, repo = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", URL).groups()
    buttons = CONFIG["launch_buttons"]
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[buttons["notebook_interface"]]
    # as sphinx-book-theme builds the book's launch buttons (path_to_book is "")
    assert links == [
        f"{buttons['binderhub_url'].rstrip('/')}/v2/gh/{org}/{repo}/{REF}?urlpath={ui}/{CHAPTER}",
        f"{buttons['colab_url'].rstrip('/')}/github/{org}/{repo}/blob/{REF}/{CHAPTER}",
        URL,
    ]
    assert (ROOT / CHAPTER).exists() and CONFIG["repository"]["path_to_book"] == ""


# ---------------------------------------------------------------------------- Binder, offline

def test_binder_files():
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK) and post.read_text().startswith("#!/bin/bash")
    assert re.search(r"^set -e$", post.read_text(), re.M)
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    lines = [line.strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == ["--extra-index-url https://download.pytorch.org/whl/cpu", "-r ../requirements.txt"]


def test_binder_environment_runs_chapter_1(tmp_path):
    """A fresh venv built from binder/ alone, as repo2docker builds it (`pip install -r
    binder/requirements.txt` in the repository root, then `binder/postBuild`), runs chapter 1.

    There is no network here: the PyTorch index fails at once (PIP_RETRIES=0) and is skipped,
    and pip takes torch 2.13.0+cpu from this machine's local wheels, as it would from that index."""
    venv = tmp_path / "venv"
    bin_ = venv / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(PATH=f"{bin_}{os.pathsep}{env.get('PATH', '')}", PIP_RETRIES="0", PIP_TIMEOUT="5",
               PIP_DEFAULT_TIMEOUT="5", PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               JUPYTER_PATH=str(venv / "share" / "jupyter"), HG_BATCH="1",
               HGUTILS_CACHE=str(tmp_path / "cache"),
               # one OpenMP thread: on a shared 2-core machine a 2-thread torch spins against
               # other processes and runs several times slower (see tests/helpers.py)
               OMP_NUM_THREADS="1")

    try:
        _build_and_run(tmp_path, venv, env)
    finally:
        shutil.rmtree(venv, ignore_errors=True)           # 1.6 GB: pytest keeps its last tmp folders


def _build_and_run(tmp_path, venv, env):
    t0 = time.perf_counter()
    bin_ = venv / "bin"

    def run(cmd, cwd=ROOT, timeout=600):
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc

    run([sys.executable, "-m", "venv", str(venv)])
    pip = run([str(bin_ / "pip"), "install", "--no-cache-dir", "-r", "binder/requirements.txt"], timeout=900)
    indexes = next(line for line in pip.stdout.splitlines() if line.startswith("Looking in indexes:"))
    assert "https://download.pytorch.org/whl/cpu" in indexes, "the extra index of binder/requirements.txt"
    run(["bash", "binder/postBuild"])
    t_install = time.perf_counter() - t0

    probe = ("import json, torch, hgutils, ipywidgets; print(json.dumps([torch.__version__, "
             "torch.version.cuda, hgutils.__file__, ipywidgets.__version__]))")
    version, cuda, hg_file, widgets = json.loads(run([str(bin_ / "python"), "-c", probe], cwd=tmp_path).stdout)
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert cuda is None and version.split("+")[0] == pins["torch"], version
    assert Path(hg_file).resolve() == (ROOT / "hgutils" / "__init__.py").resolve()
    assert widgets == pins["ipywidgets"]

    run([str(bin_ / "python"), "-m", "ipykernel", "install", "--prefix", str(venv), "--name", "hgbinder"])
    specs = json.loads(run([str(bin_ / "jupyter"), "kernelspec", "list", "--json"]).stdout)["kernelspecs"]
    assert Path(specs["hgbinder"]["spec"]["argv"][0]).parent == bin_

    out = tmp_path / "out.ipynb"
    t1 = time.perf_counter()
    run([str(bin_ / "python"), "-m", "papermill", Path(CHAPTER).name, str(out), "-k", "hgbinder",
         "--no-progress-bar"], cwd=ROOT / "notebooks", timeout=900)
    t_run = time.perf_counter() - t1
    nb = json.loads(out.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert code and all(c.get("execution_count") for c in code), "every cell ran"
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "no error output"
    assert not nb["metadata"]["papermill"].get("exception")
    print(f"binder env: install {t_install:.0f} s, chapter 1 {t_run:.0f} s")


def test_citation_file_matches_the_config():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"] == CONFIG["title"] and cff["repository-code"] == URL
    assert cff["authors"] == [{"name": CONFIG["author"]}]
    assert any(r["authors"][0]["family-names"] == "Seo" for r in cff["references"])
