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
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

from larq_ber.export import latency_ms, to_float_tflite, to_tflite
from larq_ber.models import MODELS


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
            report = to_tflite(model, lce_path, verify_samples=x, float_reference=False)
            float_size = to_float_tflite(model, float_path)
            lce_ms = latency_ms(lce_path, x, repeats=args.repeats)
            float_ms = latency_ms(
                float_path, x, interpreter="tflite", repeats=args.repeats
            )
            print(
                f"{name:15s} {report.size_bytes / 1024:9.1f} {float_size / 1024:10.1f} "
                f"{float_size / report.size_bytes:7.1f} {lce_ms:8.2f} {float_ms:9.2f} "
                f"{float_ms / lce_ms:9.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
