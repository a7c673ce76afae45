"""How robust is my deployed binarized network? Bit errors at deployment, end to end.

Trains LeNet-4 on the offline `digits` data without errors and with activation
errors, evaluates both under errors at deployment (`larq_ber.errors`: activation
errors at inference x weight errors, a few seeded draws each, printed as mean ± std;
stuck-at faults once), evaluates them at the rates of an MRAM device
(`larq_ber.mtj.error_rates`, a symmetric and an asymmetric MTJ), and picks the
cheapest write operating point that the robustness table allows
(`larq_ber.mtj.cheapest_operating_point`).

    python examples/robust_deployment.py [--epochs 5] [--draws 3] [--tolerance 0.02]
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

from larq_ber import mtj
from larq_ber.errors import activation_errors, stuck_at, weight_errors
from larq_ber.models import LeNet4
from larq_ber.study.data import digits_arrays

tf.get_logger().setLevel("ERROR")  # stuck_at blocks retrace evaluate: no warnings


def train(ber: float, data, epochs: int, seed: int) -> tf.keras.Model:
    """LeNet-4 trained with activation errors at `ber` (0: error-free)."""
    (x_train, y_train), _ = data
    tf.keras.utils.set_random_seed(seed)
    model = LeNet4(ber=ber)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    return model


def accuracy(model: tf.keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Test accuracy of `model` as it is now (with whatever errors are active)."""
    return float(model.evaluate(x, y, batch_size=len(x), verbose=0)[1])


def robustness_table(models, x, y, test_bers, weight_bers, draws, seed):
    """One record per trained model, activation BER, weight BER and draw.

    Inside one `activation_errors` block every evaluation is a new draw of the
    activation errors (from the block's seed); `weight_errors` flips a new set of
    stored signs per draw (seed = draw) and restores the weights on leaving.
    """
    records = []
    for ber, model in models.items():
        for test_ber in test_bers:
            with activation_errors(model, test_ber, seed=seed):
                for weight_ber in weight_bers:
                    for draw in range(draws):
                        with weight_errors(model, weight_ber, seed=draw):
                            top1 = accuracy(model, x, y)
                        records.append(
                            {
                                "ber": ber,
                                "test_ber": test_ber,
                                "weight_ber": weight_ber,
                                "draw": draw,
                                "test_top1": top1,
                            }
                        )
    return records


def format_table(records) -> str:
    """Mean ± std (over the draws) of the accuracy, one row per training/test BER."""
    cells = defaultdict(list)
    for r in records:
        cells[r["ber"], r["test_ber"], r["weight_ber"]].append(100 * r["test_top1"])
    weight_bers = sorted({r["weight_ber"] for r in records})
    lines = [
        f"{'train BER':>9s} {'test BER':>8s} "
        + " ".join(f"{f'weight BER {w:g}':>15s}" for w in weight_bers)
    ]
    for ber, test_ber in sorted({(r["ber"], r["test_ber"]) for r in records}):
        row = [cells[ber, test_ber, w] for w in weight_bers]
        lines.append(
            f"{ber:>9g} {test_ber:>8g} "
            + " ".join(f"{np.mean(v):7.2f} ± {np.std(v):5.2f}" for v in row)
        )
    return "\n".join(lines)


def duration(seconds: float) -> str:
    """`seconds` in hours below two days, else in days."""
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} days"


def main() -> None:
    """Runs the example with the command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--train-bers",
        type=float,
        nargs="+",
        default=[0.0, 0.1],
        metavar="BER",
        help="activation BERs to train with (default: 0 0.1)",
    )
    parser.add_argument(
        "--test-bers",
        type=float,
        nargs="+",
        default=[0.0, 0.05, 0.1, 0.2],
        metavar="BER",
        help="activation BERs at inference (default: 0 0.05 0.1 0.2)",
    )
    parser.add_argument(
        "--weight-bers",
        type=float,
        nargs="+",
        default=[0.0, 0.01, 0.05],
        metavar="BER",
        help="weight BERs at inference (default: 0 0.01 0.05)",
    )
    parser.add_argument(
        "--draws", type=int, default=3, help="error draws per cell (default: 3)"
    )
    parser.add_argument(
        "--epochs", type=int, default=5, help="training epochs (default: 5)"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.02,
        help="accuracy loss accepted for the operating point, as a fraction "
        "(default: 0.02)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of data, weights, errors (default: 0)"
    )
    args = parser.parse_args()
    if 0.0 not in args.test_bers or 0.0 not in args.weight_bers:
        parser.error("--test-bers and --weight-bers must include 0 (the baseline)")

    data = digits_arrays(seed=args.seed)
    x_test, y_test = data[1]

    # 1. Train without and with activation errors (inference is error-free).
    models = {}
    for ber in args.train_bers:
        models[ber] = train(ber, data, args.epochs, args.seed)
        print(
            f"trained at BER {ber:g}: error-free test accuracy "
            f"{100 * accuracy(models[ber], x_test, y_test):.2f} %"
        )

    # 2. Errors at deployment: activation BER at inference x weight BER.
    records = robustness_table(
        models, x_test, y_test, args.test_bers, args.weight_bers, args.draws, args.seed
    )
    print(
        f"\ndeployed test accuracy (%), mean ± std over {args.draws} draws:\n"
        + format_table(records)
    )
    model = models[max(models)]  # the one trained with the most errors
    with stuck_at(model, 0.01, seed=args.seed) as faults:
        stuck = accuracy(model, x_test, y_test)
    print(
        f"\nstuck-at faults (1 % of weight and activation positions, {faults.stuck} "
        f"cells) on the model trained at BER {max(models):g}: {100 * stuck:.2f} %; "
        f"removed: {100 * accuracy(model, x_test, y_test):.2f} %"
    )

    # 3. Rates from the device: 0.5 V, 10 ns writes; weights stored 1 h, read 1e4 x.
    # `activation_errors` takes the two write directions (ber_neg, ber_pos) of an
    # ErrorRates, `weight_errors` its weight_ber.
    devices = {
        "symmetric MTJ": mtj.MTJ.paper(),
        "MTJ with field h=0.1": mtj.MTJ(h=0.1),
    }
    print()
    for name, device in devices.items():
        rates = mtj.error_rates(0.5, 10e-9, device, storage_time=3600, reads=10**4)
        deployed = []
        for ber, model in models.items():
            top1 = []
            with activation_errors(model, rates, seed=args.seed):
                for draw in range(args.draws):
                    with weight_errors(model, rates, seed=draw):
                        top1.append(100 * accuracy(model, x_test, y_test))
            deployed.append(
                f"trained at {ber:g}: {np.mean(top1):.2f} ± {np.std(top1):.2f} %"
            )
        print(
            f"{name}: ber_neg {rates.ber_neg:.4f}, ber_pos {rates.ber_pos:.4f}, "
            f"weight_ber {rates.weight_ber:.4f} -> " + ", ".join(deployed)
        )

    # 4. The cheapest write that keeps the deployed accuracy within the tolerance.
    point = mtj.cheapest_operating_point(records, args.tolerance)
    storage = duration(point.storage_time)
    print(
        f"\ncheapest operating point (within {100 * args.tolerance:g} points of "
        f"{100 * point.baseline_accuracy:.2f} %): {point.voltage:.3f} V, "
        f"{point.pulse * 1e9:.2f} ns, energy {point.energy:.2f} x the WER-1e-6 "
        f"point; activation BER {point.ber:g}, train at BER {point.train_ber:g}; "
        f"weight BER up to {point.weight_ber:g}: store the weights up to {storage} "
        f"(no reads); deployed accuracy {100 * point.accuracy:.2f} %"
    )


if __name__ == "__main__":
    main()
