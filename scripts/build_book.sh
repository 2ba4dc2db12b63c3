#!/usr/bin/env bash
# Build the book: set up .venv, execute every notebook with papermill, render HTML (warnings are errors).
set -euo pipefail
source "$(dirname "$0")/env.sh"
python scripts/run_notebooks.py
rm -rf _build/html
jupyter-book build --warningiserror --keep-going .
echo
echo "The book is at: $ROOT/_build/html/index.html"
