"""A notebook run with an invalid parameter stops in its first cells with a clear message."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("notebook, name, value, message", [
    ("01_ddpm_basics", "steps", "0", "steps must be an integer >= 1, got 0"),
    ("02_score_ode", "sigma_min", "-1", "sigma_min must be > 0"),
    ("03_cfg", "seeds", "0", "seeds must be an integer >= 1, got 0"),
    ("04_schedules", "seeds", "0", "seeds must be an integer >= 1, got 0"),
    ("05_autoguidance", "seeds", "0", "seeds must be an integer >= 1, got 0"),
    ("06_heavy_tail", "nu_ref", "4", "nu_ref must be one of nu_list"),
    ("07_sigma_scaling", "seeds", "0", "seeds must be an integer >= 1, got 0"),
    ("08_schedule_sigma_scaling", "seeds", "0", "seeds must be an integer >= 1, got 0"),
    ("09_results", "recall_floor", "1.5", "recall_floor must be <= 1"),
    ("10_digits", "explore_class", "12", "explore_class must be a digit 0–9, got 12"),
    ("11_digits_vs_toy", "training_seeds", "1", "training_seeds must be an integer >= 2, got 1"),
    ("12_stable_diffusion", "k", "0", "k must be > 0, got 0.0"),
])
def test_invalid_parameter_stops_early(tmp_path, notebook, name, value, message):
    env = dict(os.environ, HG_BATCH="1", HGUTILS_CACHE=str(tmp_path / "cache"))
    record = ROOT / "notebooks" / f"{notebook}.ipynb"
    before = record.read_bytes()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), str(ROOT / "notebooks" / f"{notebook}.py"),
         "-p", name, value, "-o", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "ValueError" in proc.stderr and message in proc.stderr, proc.stderr
    nb = json.loads((tmp_path / f"{notebook}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    failed = [i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    # code cells: [Colab setup, parameters, injected parameters, validation, ...]: validation fails
    assert failed == [3], failed
    assert not (tmp_path / "cache").exists(), "nothing was trained before the error"
    assert record.read_bytes() == before, "a run with -o must leave the committed record alone"
