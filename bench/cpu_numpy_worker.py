"""NumPy's rows of bench/cpu.py, in a process of their own.

BLAS libraries read their thread count once, when NumPy is first imported,
so each thread setting is measured in a fresh process started by bench/cpu.py
with OPENBLAS_NUM_THREADS (and the other libraries' variables) already set.
Prints one JSON line: the results and the NumPy/BLAS versions.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cpu  # noqa: E402  (after the path is set)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--timing", required=True, help="JSON of cpu.Timing's knobs")
    args = p.parse_args(argv)
    ws = cpu.select(cpu.workloads(args.quick), args.only)
    results = cpu.run_numpy(ws, cpu.Timing(json.loads(args.timing)))
    print(json.dumps({"results": [dataclasses.asdict(r) for r in results], "info": cpu.numpy_info()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
