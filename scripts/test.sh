#!/usr/bin/env bash
# Run the tests: hgutils unit tests, nbval (strict) over every notebook, the book build and its
# check in headless Chromium. Sets up .venv and Chromium when missing.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium (headless browser for the rendered-book check)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
[ $# -gt 0 ] || set -- tests notebooks book/intro.ipynb   # default: everything; or pytest targets/options
python -m pytest -p no:cacheprovider --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg "$@"
