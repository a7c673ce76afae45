"""Is the input pipeline ever the bottleneck? Goal: ratio >= 0.95.

Trains LeNet-4 on 60,000 MNIST-shaped images written as IDX files and fed by
`larq_ber.study.data.load("idx:...")` (shuffled, cached, batched, prefetched), and on
one batch of the same tensors already in memory (`Dataset.from_tensors(...).repeat()`,
no input work at all). Rounds alternate the two; prints training steps per second of
each and the ratio pipeline / in-memory of the medians.

    python benchmarks/input_pipeline.py [--rounds 3] [--steps 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

from larq_ber.models import LeNet4
from larq_ber.study.data import load


def write_idx(directory: Path, n_train: int = 60_000, n_test: int = 10_000) -> None:
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        (directory / f"{prefix}-images-idx3-ubyte").write_bytes(
            struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes()
        )
        (directory / f"{prefix}-labels-idx1-ubyte").write_bytes(
            struct.pack(">II", 0x801, n) + labels.tobytes()
        )


def steps_per_second(model: tf.keras.Model, ds: tf.data.Dataset, steps: int) -> float:
    start = time.perf_counter()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--steps", type=int, default=200, help="steps per run")
    parser.add_argument("--batch-size", type=int, default=128, help="default 128")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_idx(directory)
        piped = load(
            f"idx:{directory}", split="train", batch_size=args.batch_size, seed=0
        )
        piped = piped.repeat()
        batch = next(iter(piped))
        in_memory = tf.data.Dataset.from_tensors(batch).repeat()
        model = LeNet4(ber=0.04)
        model.compile(tf.keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
        steps_per_epoch = 60_000 // args.batch_size + 1
        # Warm up: trace, and fill the pipeline's cache with one full epoch.
        steps_per_second(model, piped, steps_per_epoch)
        steps_per_second(model, in_memory, 20)
        rates: dict[str, list[float]] = {"pipeline": [], "in memory": []}
        for r in range(args.rounds):
            order = (
                ("pipeline", "in memory") if r % 2 == 0 else ("in memory", "pipeline")
            )
            for name in order:
                ds = piped if name == "pipeline" else in_memory
                rates[name].append(steps_per_second(model, ds, args.steps))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, value in medians.items():
        print(f"{name:10s} {value:7.1f} steps/s  (runs: "
              + ", ".join(f"{v:.1f}" for v in rates[name]) + ")")  # fmt: skip
    print(
        f"ratio pipeline / in memory: {medians['pipeline'] / medians['in memory']:.3f}"
    )


if __name__ == "__main__":
    main()
