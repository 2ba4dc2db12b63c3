"""scripts/run_notebooks.normalise: re-executing an unchanged notebook writes the same bytes."""
import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import normalise  # noqa: E402

sys.path.pop(0)


def _nb(outputs):
    return {"metadata": {"papermill": {"duration": 1.5}, "widgets": {"state": {}}, "kernelspec": {"name": "k"}},
            "cells": [{"cell_type": "code", "metadata": {"papermill": {}, "execution": {"t": 1}, "tags": ["x"]},
                       "outputs": outputs, "source": "print(1)"},
                      {"cell_type": "markdown", "metadata": {}, "source": "text"}]}


def test_split_streams_are_merged_and_volatile_metadata_dropped():
    split = _nb([{"output_type": "stream", "name": "stdout", "text": ["a\n", "b"]},
                 {"output_type": "stream", "name": "stdout", "text": "c\nd\n"},
                 {"output_type": "stream", "name": "stderr", "text": ["warn\n"]},
                 {"output_type": "stream", "name": "stdout", "text": ["e\n"]},
                 {"output_type": "display_data", "data": {"text/plain": ["x"]}, "metadata": {}},
                 {"output_type": "stream", "name": "stdout", "text": ["f\n"]}])
    whole = _nb([{"output_type": "stream", "name": "stdout", "text": ["a\n", "bc\n", "d\n"]},
                 {"output_type": "stream", "name": "stderr", "text": ["warn\n"]},
                 {"output_type": "stream", "name": "stdout", "text": ["e\n"]},
                 {"output_type": "display_data", "data": {"text/plain": ["x"]}, "metadata": {}},
                 {"output_type": "stream", "name": "stdout", "text": ["f\n"]}])
    a, b = normalise(copy.deepcopy(split)), normalise(copy.deepcopy(whole))
    assert json.dumps(a) == json.dumps(b)                   # the same record, however the stream was split
    assert "papermill" not in a["metadata"] and "widgets" not in a["metadata"] and a["metadata"]["kernelspec"]
    assert a["cells"][0]["metadata"] == {"tags": ["x"]}
    assert normalise(copy.deepcopy(a)) == a                 # idempotent


def test_committed_records_are_normalised():
    """Every committed record is already in normal form (so a re-run that changes nothing writes nothing)."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        assert normalise(copy.deepcopy(nb)) == nb, f"{path.name} is not normalised: re-run scripts/run_notebooks.py"
        assert path.read_text() == json.dumps(nb, indent=1, ensure_ascii=False) + "\n", path.name


def test_an_unknown_parameter_is_refused_before_running(tmp_path):
    """A misspelled -p name must not silently run with the defaults."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_notebooks.py"),
                           str(ROOT / "notebooks" / "01_ddpm_basics.py"), "-p", "setps", "3",
                           "-o", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "01_ddpm_basics.py has no parameter 'setps'; allowed: " in proc.stderr
    assert "steps" in proc.stderr.split("allowed: ")[1]
    assert not list(tmp_path.glob("*.ipynb"))
