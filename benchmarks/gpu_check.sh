#!/usr/bin/env bash
# GPU readiness check of larq-ber: one prepared script for when a GPU is at hand.
#
#   bash benchmarks/gpu_check.sh            # from the repository root, stack installed
#   PYTHON=.venv/bin/python OUT=gpu_check bash benchmarks/gpu_check.sh
#
# It needs the project installed (`pip install -e ".[dev]"`, plus the CUDA libraries
# TensorFlow wants, e.g. `pip install "tensorflow[and-cuda]"` of the pinned version)
# and does not download anything. Steps, each under its own time limit, every line
# also written to $OUT/gpu_check.log:
#   1. versions and the devices TensorFlow sees (stops if there is no GPU, unless
#      ALLOW_CPU=1: then it runs the same steps on the CPU, for trying the script);
#   2. the quantizer tests (flip statistics per rate and sign, XLA at every rate,
#      same seed -> same flips in two processes, no flips outside training);
#   3. the flip overhead benchmark with and without XLA (ratios to ste_sign, A/A row);
#   4. one epoch of each paper model (LeNet-4 28x28, NiN 32x32, BinaryAlexNet 224x224)
#      on random data, with and without XLA: seconds per epoch and per step;
#   5. robustness draws: one draw of a robustness table against a plain evaluate, and
#      entering an errors block (benchmarks/errors_overhead.py);
#   6. the peer benchmark against PyTorch on the GPU (benchmarks/peers.py), if
#      TORCH_PYTHON names a Python with a CUDA build of PyTorch (else skipped).
# A step that fails is reported and the next one still runs; the exit status is the
# number of failed steps. STEPS="tests overhead epochs robustness peers" (the default)
# picks steps 2-6;
# SCALE=0.01 trains on 1 % of the images (to try the script on a CPU).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT=${OUT:-gpu_check}
mkdir -p "$OUT"
LOG="$OUT/gpu_check.log"
: > "$LOG"
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
STEPS=${STEPS:-tests overhead epochs robustness peers}
export SCALE=${SCALE:-1}
failed=0
wanted() { [[ " $STEPS " == *" $1 "* ]]; }

step() {  # step NAME LIMIT_SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    echo "=== $name (limit ${limit} s)" | tee -a "$LOG"
    local start=$SECONDS
    timeout "$limit" "$@" 2>&1 | tee -a "$LOG"
    local rc=${PIPESTATUS[0]}
    echo "=== $name: exit $rc after $((SECONDS - start)) s" | tee -a "$LOG"
    if [ "$rc" -ne 0 ]; then failed=$((failed + 1)); fi
    return 0
}

step "versions and devices" 300 "$PY" - <<'PY'
import os, platform, sys
import tensorflow as tf
import larq, larq_compute_engine, larq_ber
print("python", platform.python_version(), "tensorflow", tf.__version__,
      "larq", larq.__version__, "larq-ber", larq_ber.__version__)
gpus = tf.config.list_physical_devices("GPU")
for gpu in gpus:
    print("GPU:", tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name))
if not gpus:
    print("no GPU visible to TensorFlow")
    sys.exit(0 if os.environ.get("ALLOW_CPU") == "1" else 1)
PY
if [ "$failed" -ne 0 ]; then
    echo "stopping: no GPU (set ALLOW_CPU=1 to run the steps on the CPU)" | tee -a "$LOG"
    exit 1
fi

wanted tests && step "quantizer tests" 900 "$PY" -m pytest -q -p no:cacheprovider tests/test_quantizers.py

wanted overhead && step "flip overhead, XLA and not" 1200 "$PY" benchmarks/quantizer_overhead.py \
    --rounds 3 --rates 0.001,0.04,0.25 --jit

wanted epochs && step "one epoch per model" 1200 "$PY" - <<'PY'
import os
import time

import numpy as np
import tensorflow as tf
from larq_ber.models import BinaryAlexNet, LeNet4, NiN

cases = [  # model, input shape, classes, images, batch
    (LeNet4, (28, 28, 1), 10, 60_000, 128),
    (NiN, (32, 32, 3), 10, 50_000, 128),
    (BinaryAlexNet, (224, 224, 3), 1000, 4_096, 64),
]
print(f"{'model':14s} {'XLA':>4s} {'images':>7s} {'batch':>5s} {'s/epoch':>8s} {'ms/step':>8s}")
for build, shape, classes, images, batch in cases:
    images = max(2 * batch, int(images * float(os.environ["SCALE"])))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((images, *shape), np.float32)
    y = rng.integers(0, classes, images)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).prefetch(2)
    for jit in (False, True):
        model = build(input_shape=shape, num_classes=classes, ber=0.04)
        model.compile("adam", "sparse_categorical_crossentropy", jit_compile=jit)
        model.fit(data.take(2), epochs=1, verbose=0)  # trace and warm up
        start = time.perf_counter()
        model.fit(data, epochs=1, verbose=0)
        seconds = time.perf_counter() - start
        steps = -(-images // batch)
        print(f"{build.__name__:14s} {'yes' if jit else 'no':>4s} {images:7d} {batch:5d} "
              f"{seconds:8.2f} {1000 * seconds / steps:8.2f}", flush=True)
    del x, y, data
PY

wanted robustness && step "robustness draws" 900 "$PY" benchmarks/errors_overhead.py --rounds 5

if wanted peers; then
    if [ -n "${TORCH_PYTHON:-}" ]; then
        step "peers: PyTorch on the GPU" 1500 "$PY" benchmarks/peers.py \
            --torch-python "$TORCH_PYTHON" --torch-device cuda --rounds 5 \
            --configs "larq-ber TF ops,torch eager,torch channels_last,torch.compile"
    else
        echo "=== peers: skipped (set TORCH_PYTHON to a Python with PyTorch)" | tee -a "$LOG"
    fi
fi

echo "gpu_check: $failed step(s) failed; log in $LOG" | tee -a "$LOG"
exit "$failed"
