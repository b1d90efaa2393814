#!/usr/bin/env bash
# The main job: set up, then compile a bundled model to C, build it, run it,
# check it against the NumPy reference and show its memory plan (files in out/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
if [ $# -eq 0 ]; then set -- examples/lenet5.mlir; fi
exec .venv/bin/python -m pelemay_ir.demo "$@"
