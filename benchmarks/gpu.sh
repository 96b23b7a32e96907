#!/usr/bin/env bash
# The GPU rows of the decode benchmark in one run on a lent GPU machine (the `device` tool), Vicuna-7B shape
# with random weights, batch 1, a 1,536-token prompt and 256 new tokens: bf16 eager against bitsandbytes'
# int8 and the compiled fast path (torchao int8 and float8 weight-only, bf16 compiled), with compile times.
#
#   bash benchmarks/gpu.sh [--precisions LIST] [--layers N]      (extra arguments go to benchmarks.decode)
#
# That machine has torch and transformers but not this project's pins: carry wheels in .whl/ (transformers
# >= 5.20, torchao, bitsandbytes; see benchmarks/README.md) and this script installs them first. The table
# goes to stdout as each row finishes (unbuffered) and to $OUT/decode.json.
set -euo pipefail
cd "$(dirname "$0")/.."
site=/tmp/arxivgpt-site
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl
  export PYTHONPATH="$site:backend:."
else
  export PYTHONPATH="backend:."
fi
export PYTHONUNBUFFERED=1
out="${OUT:-/tmp/arxivgpt-gpu}"
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
python3 -m benchmarks.decode --preset vicuna-7b --random-weights \
  --precisions bf16,int8-torchao,fp8-torchao,bf16-compiled,int8 \
  --prompt-tokens 1536 --new-tokens 256 --device cuda --json "$out/decode.json" "$@"
