#!/usr/bin/env bash
# The test command: sets everything up, then runs the lit suite and pytest.
# Extra arguments go to pytest (e.g. `-m slow` for the heavy matrices).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== lit (test/lit)"
lit -s test/lit
echo "== pytest (test/python)"
pytest -q "$@"
