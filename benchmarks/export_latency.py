"""Export size and single-image latency: LCE interpreter vs float32 TFLite (XNNPACK).

For LeNet-4 (28×28×1), NiN (32×32×3) and binary AlexNet (224×224×3) this converts
the model twice — with Larq Compute Engine (`larq_ber.export.to_tflite`) and with
the plain TFLite converter (`to_float_tflite`) — and times one image at a time,
one thread each, in the same process: LCE's interpreter and TensorFlow Lite's
interpreter with its default XNNPACK delegate. It prints sizes, median latencies
and the ratios float / LCE.

LCE's x86-64 build runs reference-style binary kernels, not the ARM-optimised ones
LCE is made for, so on this CPU the latency ratio says little about a phone or a
Raspberry Pi; the size ratio carries over.

    python benchmarks/export_latency.py [--repeats 50] [--models lenet4 nin]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import timeit
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import larq_compute_engine as lce
import numpy as np
import tensorflow as tf

from larq_ber.export import to_float_tflite, to_tflite
from larq_ber.models import MODELS


def _median_ms(run, repeats: int) -> float:
    """Median wall time of `repeats` calls of `run()` (ms), after one warm-up call."""
    run()
    return 1000 * statistics.median(timeit.repeat(run, number=1, repeat=repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    args = parser.parse_args()
    print(
        f"{'model':15s} {'LCE KiB':>9s} {'float KiB':>10s} {'size x':>7s} "
        f"{'LCE ms':>8s} {'float ms':>9s} {'float/LCE':>9s}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            tf.keras.backend.clear_session()
            model = MODELS[name](ber=0.04)
            shape = model.input_shape[1:]
            x = np.random.default_rng(0).standard_normal((1, *shape), np.float32)
            lce_path, float_path = Path(tmp, "lce.tflite"), Path(tmp, "float.tflite")
            report = to_tflite(model, lce_path, verify_samples=x)
            float_size = to_float_tflite(model, float_path)
            lce_interpreter = lce.testing.Interpreter(
                lce_path.read_bytes(), num_threads=1
            )
            float_interpreter = tf.lite.Interpreter(
                model_path=str(float_path), num_threads=1
            )
            float_interpreter.allocate_tensors()
            index = float_interpreter.get_input_details()[0]["index"]

            def run_float(interpreter=float_interpreter, index=index, x=x):
                interpreter.set_tensor(index, x)
                interpreter.invoke()

            lce_ms = _median_ms(
                lambda i=lce_interpreter, x=x: i.predict(x), args.repeats
            )
            float_ms = _median_ms(run_float, args.repeats)
            print(
                f"{name:15s} {report.size_bytes / 1024:9.1f} {float_size / 1024:10.1f} "
                f"{float_size / report.size_bytes:7.1f} {lce_ms:8.2f} {float_ms:9.2f} "
                f"{float_ms / lce_ms:9.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
