#!/usr/bin/env bash
# The main job: set up, then run a bundled model through the pipeline and check it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
exec .venv/bin/python -m pelemay_ir.demo "$@"
