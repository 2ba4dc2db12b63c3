"""The committed notebooks are the executed records of their .py sources (so nbval compares real outputs)."""
import json
import sys
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
try:
    import launch
finally:
    sys.path.pop(0)
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


def test_every_chapter_is_in_the_toc():
    toc = (ROOT / "_toc.yml").read_text()
    assert SOURCES and all(f"notebooks/{p.stem}" in toc for p in SOURCES)


@pytest.mark.parametrize("py", SOURCES, ids=[p.stem for p in SOURCES])
def test_record_matches_source_and_is_executed(py):
    record = json.loads(py.with_suffix(".ipynb").read_text())
    source = jupytext.read(py)
    rec_cells = [(c["cell_type"], "".join(c["source"])) for c in record["cells"]]
    src_cells = [(c.cell_type, c.source) for c in source.cells]
    assert rec_cells == src_cells, f"{py.name} and its .ipynb differ: re-run scripts/run_notebooks.py {py.name}"
    code = [c for c in record["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code), "a code cell was never executed"
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    assert sum(bool(c.get("outputs")) for c in code) >= len(code) // 2, "too few outputs: not an executed record?"
    params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1 and code.index(params[0]) == 1, "the second code cell is the tagged parameters cell"
    # the first: the Colab setup cell derived from _config.yml (scripts/launch.py), hidden from the book
    colab = launch.colab_cell(*launch.repository(launch.read_config(ROOT)))
    assert "".join(code[0]["source"]) == colab, "the first code cell is the Colab cell: run scripts/launch.py"
    assert "remove-cell" in code[0].get("metadata", {}).get("tags", [])


LINE_MAX = 88        # what fits the book's column in its code font (book/_static/hg.css)


@pytest.mark.parametrize("py", SOURCES + [ROOT / "book" / "intro.py"],
                         ids=[p.stem for p in SOURCES] + ["intro"])
def test_code_and_printed_lines_fit_the_column(py):
    """No code line and no printed line is wider than the book's column (the browser check
    measures the same on the rendered pages)."""
    record = json.loads(py.with_suffix(".ipynb").read_text())
    wide = []
    for c in record["cells"]:
        if c["cell_type"] != "code":
            continue
        lines = "".join(c["source"]).splitlines()
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream":
                lines += "".join(o["text"]).splitlines()
        wide += [line for line in lines if len(line) > LINE_MAX]
    assert not wide, f"{len(wide)} lines over {LINE_MAX} characters, e.g. {wide[0]!r}"
