#!/usr/bin/env bash
# The GPU check, in one run on a machine with an NVIDIA GPU, nvcc, PyTorch,
# NumPy and pytest (the device tool's machine): every op and every bundled
# model on the GPU against the reference, then bench/gpu.py against PyTorch.
# That machine reaches no package index: first, here, `bash tools/gpu_wheels.sh`
# fetches this project's pure-Python dependencies into .whl/ (carried along).
# Results go to $OUT (default out/gpu): tests.log, gpu.md, nvidia-smi.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-out/gpu}"
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/pelemay-site .whl/*.whl || exit 1
# The source folders as the installed package lays them out (pyproject.toml's package-dir).
for folder in dialects passes targets; do ln -sfn "../$folder" "pelemay_ir/$folder"; done
export PYTHONPATH="/tmp/pelemay-site:$PWD" PYTHONUNBUFFERED=1
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
nvcc --version >> "$OUT/nvidia-smi.txt" 2>&1
# The models (test_cuda.py, its gpu tests included), then every op family of
# test_lower_to_loops.py built for and run on the GPU (and on the emulator).
PELEMAY_TEST_GPU=1 python3 -m pytest -q -p no:cacheprovider -n 8 -m "gpu or not gpu" test/python/test_cuda.py \
    2>&1 | tee "$OUT/tests.log"
models=${PIPESTATUS[0]}
PELEMAY_TEST_GPU=1 python3 -m pytest -q -p no:cacheprovider -n 8 test/python/test_lower_to_loops.py -k "unary_ops \
    or binary_ops or integer_division or compare_and_select or cast_to or reductions or argmax or softmax_layer \
    or matmul_with or conv2d or pooling or layout_ops or reshape_of or constants_and" 2>&1 | tee -a "$OUT/tests.log"
ops=${PIPESTATUS[0]}
python3 bench/gpu.py --out "$OUT/gpu.md" 2>&1 | tee "$OUT/bench.log"
bench=${PIPESTATUS[0]}
echo "models exit $models, ops exit $ops, bench exit $bench"
[ "$models" -eq 0 ] && [ "$ops" -eq 0 ] && [ "$bench" -eq 0 ]
