#!/usr/bin/env bash
# Every GPU measurement of the collection in one command, on whichever Keras backend is set.
# On a GPU machine with JAX and no TensorFlow, after `bash ../shared/gpu/prepare.sh` here and with
# .gpu-kit/ carried along (see ../shared/gpu/README.md):
#
#   python3 -m pip install -q --no-index --no-deps --target .gpu-kit/site .gpu-kit/whl/*.whl \
#     && PYTHONPATH=$PWD/.gpu-kit/site KERAS_BACKEND=jax DLT_CACHE_DIR=$PWD/.gpu-kit/cache \
#        XLA_PYTHON_CLIENT_PREALLOCATE=false bash benchmarks/gpu.sh
#
# Writes its tables and logs under $OUT (or runs/gpu): device.txt, augment.md, mnist.md and
# mnist.log. About 4 minutes on an H200. On a machine with TensorFlow's CUDA build,
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
