#!/usr/bin/env bash
# Fetch what tools/gpu_check.sh installs on the GPU machine (Python 3.12, no
# package index there): this project's pure-Python dependencies as wheels in
# .whl/, which git ignores; carry .whl with the run.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> "$(git rev-parse --git-common-dir)/info/exclude"
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux2014_x86_64 --platform any -d .whl \
    xdsl==0.74.0 immutabledict ordered-set
ls .whl
