#!/usr/bin/env bash
# Every GPU measurement of the collection in one command, on whichever Keras backend is set.
# On a GPU machine with JAX and no TensorFlow, after `bash ../shared/gpu/prepare.sh` here and with
# .gpu-kit/ carried along (see ../shared/gpu/README.md):
#
#   python3 -m pip install -q --no-index --no-deps --target .gpu-kit/site .gpu-kit/whl/*.whl \
#     && PYTHONPATH=$PWD/.gpu-kit/site KERAS_BACKEND=jax DLT_CACHE_DIR=$PWD/.gpu-kit/cache \
#        XLA_PYTHON_CLIENT_PREALLOCATE=false bash benchmarks/gpu.sh
#
# Writes its tables and logs under $OUT (or runs/gpu): device.txt, augment.md, mnist.md,
# mnist.log and text.log (text_lstm's GPU configuration, at most 9 minutes of training; its
# run directory under runs/). About 14 minutes on an H200; TEXT_FLAGS=--quick for a dry run. On a machine with TensorFlow's CUDA build,
# KERAS_BACKEND=tensorflow measures that backend instead.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
python=${PYTHON:-python3}
{ nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"; echo "KERAS_BACKEND=${KERAS_BACKEND:-tensorflow}"; } \
  | tee "$out/device.txt"
"$python" -m benchmarks.augment_cost --backends="${KERAS_BACKEND:-tensorflow}" \
  | tee "$out/augment.md"
"$python" -m benchmarks.mnist_reference --with_unaugmented --jit_compile=true \
  --out="$out/mnist.md" ${MNIST_FLAGS:-} 2>&1 | tee "$out/mnist.log"
# text_lstm, the GPU goal (held-out loss at or below 1.30 nats per character within 10 minutes):
# two LSTM(1024) layers with dropout, wide batches of random windows, XLA. Prepared, not yet run.
"$python" -m projects.text_lstm.train --runs_dir="$out/runs" --layers=2 --units=1024 \
  --dropout=0.3 --batching=windows --window=128 --batch_size=256 --learning_rate=2e-3 \
  --final_learning_rate=1e-4 --epochs=60 --max_minutes=9 --jit_compile=true --sample_length=300 \
  ${TEXT_FLAGS:-} 2>&1 | tee "$out/text.log"
