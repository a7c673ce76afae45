"""Time of a per-layer write-point search, against plain evaluates in the same run.

Issue 30's goal: `assign_write_points` on LeNet-4 with 10,000 test images (default
ladder, 10 draws per assignment, 50 verification draws) within 10 minutes on two
CPU cores; the time for NiN stated.

For each model it times one plain `evaluate` of the test set (the median of
`--evaluates`, before and after the search), then one whole search with no ledger,
and prints: the wall time, the assignments measured, the draws evaluated and the
search's time over (draws evaluated x one plain evaluate) -- what entering the error
blocks, the float64 maps and the bookkeeping add to the evaluates themselves.

* LeNet-4: `--run RUN`, a finished run folder (its Top1Max network and its test set;
  e.g. `runs/fashion_layers/runs/ber0_rep0` of the `fashion_mnist_layers` recipe, on
  Fashion-MNIST's 10,000 test images), searched at `--tolerance` points.
* NiN: random weights; `--nin-images` random 32x32x3 inputs labelled with the
  network's own error-free predictions (error-free accuracy 100 %, so errors cost
  accuracy and the search has a path to walk), searched on the coarse
  `--nin-ladder` (the default ladder's 12 rungs would take hours here). It prints
  the assignments measured and the time, then one plain evaluate of
  `--nin-time-images` images, from which the time of an assignment (10 draws) at
  10,000 images is extrapolated linearly; the path of a random network is not that
  of a trained one.

    python benchmarks/assignment_speed.py --run RUN [--tolerance 1] \
        [--models lenet4,nin] [--nin-images 100] [--nin-time-images 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

from larq_ber.assignment import assign_write_points
from larq_ber.models import NiN


def _plain(model: tf.keras.Model, data: Any, times: int) -> list[float]:
    """Seconds of `times` plain evaluates of `data`."""
    seconds = []
    for _ in range(times):
        start = time.perf_counter()
        if isinstance(data, tuple):
            model.evaluate(*data, verbose=0)
        else:
            model.evaluate(data, verbose=0)
        seconds.append(time.perf_counter() - start)
    return seconds


def _search(
    name: str,
    model: tf.keras.Model,
    data: Any,
    images: int,
    tolerance: float,
    evaluates: int,
    **options: Any,
) -> dict[str, Any]:
    """One timed search between plain evaluates of the same data."""
    plain = _plain(model, data, evaluates)
    start = time.perf_counter()
    answer = assign_write_points(model, data, tolerance, **options)
    search = time.perf_counter() - start
    plain += _plain(model, data, evaluates)
    draws = sum(step.accuracy.n for step in answer.steps)
    one = statistics.median(plain)
    return {"model": name, "images": images, "search_s": search,
            "evaluate_s": one, "assignments": answer.evaluations,
            "steps": len(answer.steps), "draws": draws,
            "overhead": search / (draws * one), "answer": answer}  # fmt: skip


def lenet4(run: str, tolerance: float, evaluates: int) -> dict[str, Any]:
    """The search on a finished LeNet-4 run and its test set."""
    from larq_ber.study.runspec import RunSpec
    from larq_ber.study.sweeps.robustness import _test_data

    spec = RunSpec.load(run)
    data = _test_data(spec, None)
    images = sum(int(x.shape[0]) for x, _ in data)
    model = spec.evaluation_model("best")
    return _search("lenet4", model, data, images, tolerance, evaluates)


def _nin_data(model: tf.keras.Model, images: int) -> tf.data.Dataset:
    """Random inputs labelled with the model's error-free predictions."""
    x = np.random.default_rng(0).standard_normal((images, 32, 32, 3))
    x = x.astype("float32")
    y = np.argmax(model.predict(x, batch_size=64, verbose=0), axis=1)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(64).cache()


def nin(args: argparse.Namespace) -> dict[str, Any]:
    """The search on a random NiN labelled by its own predictions."""
    tf.keras.utils.set_random_seed(0)
    model = NiN()
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ladder = tuple(float(b) for b in args.nin_ladder.split(","))
    result = _search("nin", model, _nin_data(model, args.nin_images), args.nin_images,
                     args.tolerance, args.evaluates, ladder=ladder)  # fmt: skip
    large = _nin_data(model, args.nin_time_images)
    per_image = statistics.median(_plain(model, large, args.evaluates))
    per_image /= args.nin_time_images
    result["assignment_10k_s"] = 10 * 10_000 * per_image
    result["ladder"] = ladder
    return result


def _report(r: dict[str, Any]) -> None:
    """Prints one model's line, its extrapolation and the answer."""
    print(
        f"{r['model']:<7} {r['images']:>7,} {r['search_s']:>8.1f}s "
        f"{r['assignments']:>11} {r['draws']:>6} {r['evaluate_s']:>8.3f}s "
        f"{r['overhead']:>26.2f}",
        flush=True,
    )
    if "assignment_10k_s" in r:
        seconds = r["assignment_10k_s"]
        print(f"        ladder {r['ladder']}; one assignment (10 draws) at 10,000 "
              f"images: ~{seconds:.0f} s (linear in the images)")  # fmt: skip
    print("  " + str(r["answer"]).replace("\n", "\n  "), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", help="a finished LeNet-4 run folder")
    parser.add_argument("--tolerance", type=float, default=1.0)
    parser.add_argument("--models", default="lenet4,nin")
    parser.add_argument("--nin-images", type=int, default=100)
    parser.add_argument("--nin-ladder", default="1e-6,0.01,0.04,0.16")
    parser.add_argument("--nin-time-images", type=int, default=1000)
    parser.add_argument("--evaluates", type=int, default=3)
    args = parser.parse_args()
    head = f"{'model':<7} {'images':>7} {'search':>9} {'assignments':>11} "
    print(head + f"{'draws':>6} {'evaluate':>9} {'search/(draws x evaluate)':>26}")
    for name in args.models.split(","):
        if name == "lenet4":
            if not args.run:
                parser.error("--run RUN is needed for lenet4 (a finished run folder)")
            _report(lenet4(args.run, args.tolerance, args.evaluates))
        else:
            _report(nin(args))


if __name__ == "__main__":
    main()
