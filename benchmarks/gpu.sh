#!/usr/bin/env bash
# Every GPU measurement of the collection in one command, on whichever Keras backend is set.
# On a GPU machine with JAX and no TensorFlow, after `bash ../shared/gpu/prepare.sh` here and with
# .gpu-kit/ carried along (see ../shared/gpu/README.md):
#
#   python3 -m pip install -q --no-index --no-deps --target .gpu-kit/site .gpu-kit/whl/*.whl \
#     && PYTHONPATH=$PWD/.gpu-kit/site KERAS_BACKEND=jax DLT_CACHE_DIR=$PWD/.gpu-kit/cache \
#        XLA_PYTHON_CLIENT_PREALLOCATE=false bash benchmarks/gpu.sh [PART ...]
#
# PARTs, all by default: augment, mnist, text, word2vec. Writes tables and logs under $OUT (or
# runs/gpu): device.txt, augment.md, mnist.md + mnist.log, text.log (text_lstm's GPU
# configuration for TEXT_MINUTES of training, 9 by default), word2vec_step.log + word2vec.log
# (the default configuration for WORD2VEC_MINUTES, 2 by default); run directories under runs/.
# TEXT_FLAGS / WORD2VEC_FLAGS=--quick for a dry run. On a machine with TensorFlow's CUDA build,
# KERAS_BACKEND=tensorflow measures that backend instead.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
python=${PYTHON:-python3}
parts=${*:-augment mnist text word2vec}
want() { [[ " $parts " == *" $1 "* ]]; }
{ nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"; echo "KERAS_BACKEND=${KERAS_BACKEND:-tensorflow}"; } \
  | tee "$out/device.txt"
if want augment; then
  "$python" -m benchmarks.augment_cost --backends="${KERAS_BACKEND:-tensorflow}" \
    | tee "$out/augment.md"
fi
if want mnist; then
  "$python" -m benchmarks.mnist_reference --with_unaugmented --jit_compile=true \
    --out="$out/mnist.md" ${MNIST_FLAGS:-} 2>&1 | tee "$out/mnist.log"
fi
if want text; then
  # text_lstm, the GPU goal (held-out loss at or below 1.30 nats per character within 10
  # minutes): two LSTM(1024) layers with dropout, wide batches of random windows, XLA. About
  # 138 steps of 32,768 characters make an epoch; the cosine schedule spans all epochs, so
  # choose epochs that fit the minutes (about 6 s an epoch on an H100). 20 was the best of 10,
  # 16, 20 and 45 measured (benchmarks/results/gpu_h100.md): more passes overfit.
  # The settings are text_lstm's "gpu" preset (projects/text_lstm/config.py).
  "$python" -m projects.text_lstm.train --runs_dir="$out/runs" --preset=gpu \
    --epochs="${TEXT_EPOCHS:-20}" --max_minutes="${TEXT_MINUTES:-9}" ${TEXT_FLAGS:-} \
    2>&1 | tee "$out/text.log"
fi
if want word2vec; then
  "$python" -m benchmarks.word2vec_step 2>&1 | tee "$out/word2vec_step.log"
  "$python" -m projects.word2vec.train --runs_dir="$out/runs" \
    --max_minutes="${WORD2VEC_MINUTES:-2}" ${WORD2VEC_FLAGS:-} 2>&1 | tee "$out/word2vec.log"
fi
