"""Where a training step's time goes: TensorFlow's profiler over one epoch, by op.

Trains a model of `larq_ber.models` (random weights, random images read from memory
without tf.data's autotuning, batch 128, Adam, BER 0.04) for a warm-up epoch, times
`--epochs` epochs, then records one epoch with `tf.profiler.experimental` and prints
the operations that took longest: milliseconds per training step, summed over
TensorFlow's compute threads (so the total can exceed the wall time when operations
run side by side), with each operation's share of that sum.

    python benchmarks/training_profile.py [--model lenet4] [--top 15] [--epochs 5]
        [--no-remapper]

`--no-remapper` turns grappler's remapper off
(`tf.config.optimizer.set_experimental_options({"remapping": False})`), and with it
oneDNN's fusion of a batch normalization with the ReLU after it.

It explains why a small network trains no faster than PyTorch does
(docs/benchmarks.md, "Against PyTorch").
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf
from _data import in_memory, random_images
from tensorflow.tsl.profiler.protobuf import xplane_pb2

from larq_ber.models import MODELS


def _op_times(folder: str) -> collections.Counter:
    """Milliseconds per operation name in the compute threads of a trace."""
    (path,) = glob.glob(f"{folder}/**/*.xplane.pb", recursive=True)
    space = xplane_pb2.XSpace()
    with open(path, "rb") as file:
        space.ParseFromString(file.read())
    totals: collections.Counter = collections.Counter()
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = names.get(event.metadata_id, "?")
                if name.startswith("ExecutorState::") or name == "ParallelFor":
                    continue  # containers and shards of the operations below
                totals[name] += event.duration_ps / 1e9
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="lenet4", choices=sorted(MODELS))
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--top", type=int, default=15, help="operations listed")
    parser.add_argument("--epochs", type=int, default=5, help="epochs timed")
    parser.add_argument("--no-remapper", action="store_true",
                        help="grappler's remapper (its fusions) off")  # fmt: skip
    args = parser.parse_args()
    if args.no_remapper:
        tf.config.optimizer.set_experimental_options({"remapping": False})
    tf.keras.utils.set_random_seed(0)
    model = MODELS[args.model](ber=0.04)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = random_images(model.input_shape[1:], args.images)
    data = in_memory(x, y, 128, train=True)
    steps = -(-args.images // 128)
    model.fit(data, epochs=1, verbose=0)  # trace and warm up
    seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.fit(data, epochs=1, verbose=0)
        seconds.append(time.perf_counter() - start)
    epoch = statistics.median(seconds)
    remapper = "off" if args.no_remapper else "on"
    print(f"{args.model}, remapper {remapper}: {steps} steps per epoch, "
          f"median epoch {epoch:.3f} s ({1e3 * epoch / steps:.1f} ms per step, "
          f"{args.epochs} epochs)")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        tf.profiler.experimental.start(folder)
        model.fit(data, epochs=1, verbose=0)
        tf.profiler.experimental.stop()
        totals = _op_times(folder)
    total = sum(totals.values())
    print(f"profiled epoch: {total / steps:.1f} ms of operations per step "
          "(all compute threads)")  # fmt: skip
    print(f"{'ms/step':>8} {'share':>6}  operation")
    for name, ms in totals.most_common(args.top):
        print(f"{ms / steps:8.2f} {ms / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
