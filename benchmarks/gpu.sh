#!/usr/bin/env bash
# Every GPU measurement of the collection in one command, on whichever Keras backend is set.
# On a GPU machine with JAX and no TensorFlow, after `bash ../shared/gpu/prepare.sh` here and with
# .gpu-kit/ carried along (see ../shared/gpu/README.md):
#
#   python3 -m pip install -q --no-index --no-deps --target .gpu-kit/site .gpu-kit/whl/*.whl \
#     && PYTHONPATH=$PWD/.gpu-kit/site KERAS_BACKEND=jax DLT_CACHE_DIR=$PWD/.gpu-kit/cache \
#        XLA_PYTHON_CLIENT_PREALLOCATE=false bash benchmarks/gpu.sh [PART ...]
#
# PARTs, all by default: augment, mnist, text, word2vec (text_sweep only when named; see it
# below). Writes tables and logs under $OUT (or runs/gpu): device.txt, augment.md, mnist.md +
# mnist.log, text.log (text_lstm's GPU preset: its 4.2 minutes of training, or TEXT_MINUTES),
# word2vec_step.log + word2vec_<algorithm>.log (skip-gram and CBOW with their defaults, at most
# WORD2VEC_MINUTES each, 2 by default); run directories under runs/ (or RUNS_DIR).
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
  # minutes): text_lstm's "gpu" preset (projects/text_lstm/config.py): two GRU(1536) layers
  # with dropout, weight decay, weight drop and averaged weights, wide batches of random
  # windows, XLA, the best epoch kept. About 138 steps of 32,768 characters make an epoch
  # (about 5 s on an H200); the cosine schedule spans the preset's 4.2 minutes of training
  # (TEXT_MINUTES to change them; TEXT_EPOCHS bounds the epochs). All measurements:
  # benchmarks/results/gpu.md.
  # shellcheck disable=SC2086  # the flags are words
  "$python" -m projects.text_lstm.train --runs_dir="${RUNS_DIR:-$out/runs}" --preset=gpu \
    ${TEXT_EPOCHS:+--epochs=$TEXT_EPOCHS} ${TEXT_MINUTES:+--max_minutes=$TEXT_MINUTES} \
    ${TEXT_FLAGS:-} 2>&1 | tee "$out/text.log"
fi
if want text_sweep; then
  # Several text_lstm configurations at once on the one GPU (a recurrent step leaves most of a
  # large GPU idle, so runs side by side lose less than they would in turn), each for
  # TEXT_MINUTES with its cosine schedule fitted to those minutes (--epochs only bounds it). The
  # figures compare the configurations under the same sharing; one run alone is faster.
  # TEXT_SWEEP: "name:flags" entries separated by ";". Logs: text_<name>.log; table: text_sweep.md.
  # The default: the preset (GRU(1536), weight drop 0.2, averaged weights of momentum 0.995,
  # the best epoch kept) against the same with a confidence penalty of 0.2 and of 0.1: in the
  # CPU proxy of projects/text_lstm/EXPERIMENTS.md closest to the preset (weight drop, an
  # average with nothing of the first weights in it, as the GPU's is by its best epoch), 0.2
  # passed a best 0.048 and 0.070 below the run without it (two seeds; the confidence penalty
  # where the first weights count nothing). Tried before: weight drop and width
  # (benchmarks/results/gpu.md's fourth session); a longer average, no better with the penalty.
  # Side by side each run gets a share of the card: for the goal itself, run one entry alone
  # (TEXT_SWEEP="m2_cp2:--members=2 --confidence_penalty=0.2", as gpu.md's prepared call does:
  # two networks averaged, with the penalty).
  sweep=${TEXT_SWEEP:-"preset:;cp2:--confidence_penalty=0.2;cp1:--confidence_penalty=0.1"}
  IFS=';' read -ra entries <<< "$sweep"
  names=()
  for entry in "${entries[@]}"; do
    name=${entry%%:*}
    names+=("$name")
    # shellcheck disable=SC2086  # the flags are words
    "$python" -m projects.text_lstm.train --runs_dir="${RUNS_DIR:-$out/runs}/$name" --preset=gpu \
      --epochs="${TEXT_EPOCHS:-100}" --max_minutes="${TEXT_MINUTES:-7}" --sample_length=0 \
      ${entry#*:} ${TEXT_FLAGS:-} > "$out/text_$name.log" 2>&1 &
  done
  wait
  "$python" - "$out" "${names[@]}" <<'TABLE' | tee "$out/text_sweep.md"
import re, sys
out, names = sys.argv[1], sys.argv[2:]
print("| run | epochs | best held-out (epoch) | saved model's held-out | training loss | characters/s |")
print("|---|---|---|---|---|---|")
for name in names:
    log = open(f"{out}/text_{name}.log").read()
    held = [float(v) for v in re.findall(r"epoch \d+: held-out loss ([\d.]+)", log)]
    end = re.search(r"held-out loss ([\d.]+) nats .*training loss ([\d.]+); ([\d.]+k) char", log)
    best = f"{min(held):.4f} ({held.index(min(held)) + 1})" if held else "-"
    final = end.groups() if end else ("failed: see the log", "-", "-")
    print(f"| {name} | {len(held)} | {best} | {' | '.join(final)} |")
TABLE
  # then how overconfident each saved model is (held-out loss against a softmax temperature),
  # all at once; TEXT_TEMPERATURE=0 skips it
  if [[ ${TEXT_TEMPERATURE:-1} != 0 ]]; then
    for name in "${names[@]}"; do
      "$python" -m benchmarks.text_temperature --runs_dir="${RUNS_DIR:-$out/runs}/$name" \
        > "$out/text_temperature_$name.log" 2>&1 &
    done
    wait
    cat "$out"/text_temperature_*.log
  fi
fi
if want word2vec; then
  # WORD2VEC_STEP=0 skips the step timing; each of WORD2VEC_ALGORITHMS trains with its defaults
  if [[ ${WORD2VEC_STEP:-1} != 0 ]]; then
    "$python" -m benchmarks.word2vec_step 2>&1 | tee "$out/word2vec_step.log"
  fi
  for algorithm in ${WORD2VEC_ALGORITHMS:-skipgram cbow}; do
    # shellcheck disable=SC2086  # the flags are words
    "$python" -m projects.word2vec.train --runs_dir="${RUNS_DIR:-$out/runs}" \
      --algorithm="$algorithm" --max_minutes="${WORD2VEC_MINUTES:-2}" ${WORD2VEC_FLAGS:-} \
      2>&1 | tee "$out/word2vec_$algorithm.log"
  done
fi
