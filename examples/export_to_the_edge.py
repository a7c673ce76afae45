"""Export a BER-trained model to Larq Compute Engine and compare with float TFLite.

Trains the binarized LeNet-4 for a few epochs on the offline `digits` data with
4 % bit errors, exports it with `larq_ber.export.to_tflite` (op census, binary /
float layers, parity with Keras), writes the float32 TFLite model for comparison,
and times one image in each interpreter (LCE's x86 kernels are not its ARM ones:
the latency ratio here says little about a phone, the size ratio does).

    python examples/export_to_the_edge.py [--ber 0.04] [--epochs 3] [--out m.tflite]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# larq_ber before LCE: on TensorFlow >= 2.16 it makes tf.keras Keras 2 (tf-keras).
import larq_ber  # noqa: F401

# isort: split

import larq_compute_engine as lce
import numpy as np
import tensorflow as tf

from larq_ber.export import latency_ms, to_float_tflite, to_tflite
from larq_ber.models import LeNet4
from larq_ber.study.data import digits_arrays


def main() -> None:
    """Runs the example with the command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ber",
        type=float,
        default=0.04,
        help="training bit error rate (default: 0.04)",
    )
    parser.add_argument(
        "--epochs", type=int, default=3, help="training epochs (default: 3)"
    )
    parser.add_argument(
        "--tflite",
        "--out",
        default="lenet4.tflite",
        help="the .tflite file to write (default: lenet4.tflite)",
    )
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = digits_arrays(seed=0)
    tf.keras.utils.set_random_seed(0)
    model = LeNet4(ber=args.ber)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, verbose=0)
    print(
        f"error-free test accuracy: {model.evaluate(x_test, y_test, verbose=0)[1]:.4f}"
    )

    # The float32 file is converted below (for its latency), not twice.
    report = to_tflite(
        model, args.tflite, verify_samples=x_test[:128], float_reference=False
    )
    print(report)
    float_path = os.path.splitext(args.tflite)[0] + "_float32.tflite"
    float_size = to_float_tflite(model, float_path)

    lce_interpreter = lce.testing.Interpreter(
        open(args.tflite, "rb").read(), num_threads=1
    )
    lce_accuracy = np.mean(lce_interpreter.predict(x_test).argmax(-1) == y_test)
    image = x_test[:1]
    lce_ms = latency_ms(args.tflite, image)
    float_ms = latency_ms(float_path, image, interpreter="tflite")
    print(f"LCE interpreter test accuracy: {lce_accuracy:.4f}")
    print(
        f"size: LCE {report.size_bytes / 1024:.1f} KiB, float32 "
        f"{float_size / 1024:.1f} KiB ({float_size / report.size_bytes:.1f}x); "
        f"one image: LCE {lce_ms:.3f} ms, "
        f"float32 + XNNPACK {float_ms:.3f} ms on this CPU"
    )


if __name__ == "__main__":
    main()
