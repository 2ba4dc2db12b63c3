# Source me: create .venv when missing, install the pinned requirements and hgutils (-e), activate.
# Re-installs only when requirements.txt or pyproject.toml changed (a stamp file remembers).
set -e
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -x .venv/bin/python ]; then
  echo "creating the virtual environment .venv (Python: $(python3 --version))"
  python3 -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
stamp=".venv/.hg-installed"
want="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing requirements into .venv"
  python -m pip install -q --upgrade pip
  # torch first, alone: the CPU build (a plain resolve could pull a multi-GB CUDA build)
  python -m pip install -q "$(grep -E '^torch==' requirements.txt)"
  python -m pip install -q -r requirements.txt
  python -m pip install -q --no-deps -e .
  echo "$want" > "$stamp"
fi
export HG_BATCH=1   # batch run: no progress bars, widgets drawn statically
# The same floating-point code paths on every x86-64 machine with AVX2 (AVX-512 machines would
# otherwise take other kernels and round differently), so the records that nbval compares
# reproduce across the machines CI may draw. Costs nothing measurable here.
export ATEN_CPU_CAPABILITY="${ATEN_CPU_CAPABILITY:-avx2}" MKL_CBWR="${MKL_CBWR:-AVX2}"
export ONEDNN_MAX_CPU_ISA="${ONEDNN_MAX_CPU_ISA:-AVX2}"
