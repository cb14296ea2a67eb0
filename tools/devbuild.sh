#!/usr/bin/env bash
# Builds cnn into a private folder for development, so several people can build at once:
#   tools/devbuild.sh /tmp/me && PYTHONPATH=/tmp/me python -m pytest tests/test_x.py
set -euo pipefail
out=${1:?usage: tools/devbuild.sh OUTDIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"
rm -rf "$out/cnn" && cp -r python/cnn "$out/cnn"
python setup.py -q build_ext --build-lib "$out" --build-temp "$out/.tmp" >/dev/null
