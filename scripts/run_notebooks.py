#!/usr/bin/env python
"""Re-execute notebooks with papermill: the .py (py:percent) source is the truth.

    python scripts/run_notebooks.py                       # every notebooks/NN_*.py, then book/intro.py
    python scripts/run_notebooks.py notebooks/01_ddpm_basics.ipynb -p steps 100 -o /tmp/out

Each notebook is first synced from its .py with jupytext (outputs dropped), then executed
in place by papermill (or into -o DIR, recommended when passing parameters, so that the
committed record stays at the defaults). Volatile metadata (timings) is stripped so that
re-running changes only what the code changed. Prints each notebook's execution time.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_value(text: str):
    """A parameter value: JSON if it parses (numbers, lists, true/false), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parameter_names(nb) -> list[str]:
    """The names a notebook's `parameters` cell assigns (the only names -p may set)."""
    import ast

    names: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                targets = node.targets if isinstance(node, ast.Assign) else (
                    [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
                names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def normalise(nb: dict) -> dict:
    """The executed record in a form that depends only on what the code printed and drew:
    no execution metadata (papermill's, timings, widget state of batch runs), and consecutive
    outputs to the same stream merged (the kernel splits one stream into several outputs at
    arbitrary flush points). Idempotent."""
    nb.get("metadata", {}).pop("papermill", None)
    nb.get("metadata", {}).pop("widgets", None)       # widget state of batch runs: unused by the static book
    for cell in nb.get("cells", []):
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
        merged = []
        for out in cell.get("outputs", []):
            prev = merged[-1] if merged else None
            if (out.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                    and prev.get("name") == out.get("name")):
                text = lambda o: o["text"] if isinstance(o["text"], str) else "".join(o["text"])
                joined = text(prev) + text(out)
                prev["text"] = joined.splitlines(keepends=True)
            else:
                merged.append(out)
        if "outputs" in cell:
            cell["outputs"] = merged
    return nb


def strip_volatile(path: Path) -> float:
    """Normalise the record in place; returns the seconds its Explore cells took (papermill's
    per-cell durations, read before they are dropped): the cost of the static players."""
    nb = json.loads(path.read_text())
    explore_s = sum(float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0)
                    for c in nb.get("cells", []) if "explore(" in "".join(c.get("source", "")))
    path.write_text(json.dumps(normalise(nb), indent=1, ensure_ascii=False) + "\n")
    return explore_s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", help="notebooks (.ipynb or .py); default: all in notebooks/")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("-o", "--output-dir", help="write executed notebooks here instead of in place")
    args = ap.parse_args(argv)

    import jupytext
    import papermill as pm

    os.environ["HG_BATCH"] = "1"          # the kernels inherit it: no progress bars, static widgets
    # the same CPU kernels as scripts/env.sh (AVX2 everywhere), so that a record executed here
    # is the one nbval reproduces on any machine CI draws, with or without AVX-512
    for name, value in (("ATEN_CPU_CAPABILITY", "avx2"), ("MKL_CBWR", "AVX2"),
                        ("ONEDNN_MAX_CPU_ISA", "AVX2")):
        os.environ.setdefault(name, value)
    # the chapters in order, then the introduction, which draws its table from chapter 9's results file
    sources = [Path(p) for p in args.notebooks] or (sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
                                                    + [ROOT / "book" / "intro.py"])
    params = {k: parse_value(v) for k, v in args.parameter}
    times = []
    for src in sources:
        py, ipynb = src.with_suffix(".py"), src.with_suffix(".ipynb")
        if not py.exists():
            print(f"error: {py} does not exist (the .py source is required)", file=sys.stderr)
            return 2
        nb = jupytext.read(py)
        allowed = parameter_names(nb)
        unknown = [k for k in params if k not in allowed]
        if unknown:                                       # papermill would run with the defaults
            print(f"error: {py.name} has no parameter {', '.join(map(repr, unknown))}; allowed: "
                  f"{', '.join(allowed) or 'none'}", file=sys.stderr)
            return 2
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        for i, cell in enumerate(nb.cells):              # stable ids: re-running changes only what changed
            cell["id"] = f"cell-{i:03d}"
        out = Path(args.output_dir) / ipynb.name if args.output_dir else ipynb
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / ipynb.name
            jupytext.write(nb, fresh)                     # fresh and unexecuted; the record is only `out`
            t0 = time.perf_counter()
            try:
                # the notebook's working directory: its own folder, or with -o the output folder, so that
                # files a chapter writes (09_results: data/toy_results.json) stay beside its record
                pm.execute_notebook(str(fresh), str(out), parameters=params or None, cwd=str(out.parent),
                                    kernel_name="python3", progress_bar=False, log_output=False)
            except pm.PapermillExecutionError as e:
                print(f"FAILED {py.name}: {e.ename}: {e.evalue}", file=sys.stderr)
                return 1
        dt = time.perf_counter() - t0
        explore_s = strip_volatile(out)
        times.append((py.stem, dt, explore_s))
        print(f"{py.stem:28s} {dt:7.1f} s  (Explore cells {explore_s:5.1f} s)  -> {out}")
    if len(times) > 1:
        print(f"{'total':28s} {sum(t for _, t, _ in times):7.1f} s  "
              f"(Explore cells {sum(e for _, _, e in times):5.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
