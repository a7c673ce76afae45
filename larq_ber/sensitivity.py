r"""Layer sensitivity: which binarized layer of a network is fragile.

A network's binary activations are written into memory layer by layer, and the
layers differ in size and in how much an error in them costs. `sensitivity`
measures, for each binarized layer (each `BerSteSign`) alone, the accuracy with
activation write errors at one rate in that layer and none elsewhere, over
independent error draws; with the number of binary activations the layer writes
per input, it tells a hardware architect where a lower write voltage (a higher
BER) is cheap and where it is not.

For layer $l$ with input shape $s_l$ (without the batch axis), the layer writes
$n_l = \prod s_l$ binary activations per input, a share $n_l / \sum_k n_k$ of
the network's writes. Its accuracy under errors is the mean of `draws` draws
with a Student's t interval (`larq_ber.stats.mean_interval`); the drop is the
error-free accuracy minus it. The error-free accuracy is deterministic (no
draw), so the drop's interval is the accuracy's interval reflected about it:
$[c - \bar a_{high},\ c - \bar a_{low}]$. The intervals cover the error draws on
this test set and this network, not the test set nor training (see the user
guide's "How sure an estimate is").

The errors of one layer come as an `ErrorMap` with only that layer's entry
(`larq_ber.errors.activation_errors`: the other quantizers stay at rate 0);
draw $k$ reseeds the quantizers from `(seed, k)` as `larq_ber.lifetime` does,
so one seed gives one table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.errors import ErrorMap, activation_errors
from larq_ber.errors.maps import activation_positions
from larq_ber.evaluation import (
    accuracy,
    check_draws,
    chosen_layers,
    draw_key,
    named_seed,
)
from larq_ber.palette import COLOURS
from larq_ber.rates import ErrorRates, check_rate, split_rates
from larq_ber.stats import Interval, check_confidence, mean_interval

__all__ = ["COLUMNS", "LayerSensitivity", "Sensitivity", "plot_sensitivity",
           "sensitivity"]  # fmt: skip

#: The columns of `Sensitivity.rows` (a CSV of the table), in order.
COLUMNS = ("layer", "writes", "share", "clean", "accuracy", "accuracy_low",
           "accuracy_high", "drop", "drop_low", "drop_high", "ber_neg", "ber_pos",
           "draws", "confidence", "seed")  # fmt: skip


@dataclasses.dataclass(frozen=True)
class LayerSensitivity:
    r"""The accuracy of a network with activation errors in one layer alone.

    Attributes:
        layer: The layer's path (as `larq_ber.errors.maps.activation_positions`
            names its quantizer).
        writes: Binary activations the layer writes per input (the product of
            its input shape without the batch axis).
        share: Its share of all the network's activation writes, in [0, 1].
        accuracy: The accuracy interval over the draws (points, 0-100).
        drop: Error-free accuracy minus `accuracy` (points): its mean and the
            accuracy interval reflected about the error-free accuracy.
        values: The accuracy of each draw (points), in draw order.

    Example:
        >>> from larq_ber.stats import mean_interval
        >>> row = LayerSensitivity("dense", 800, 0.2, mean_interval([97.0, 99.0]),
        ...                        mean_interval([3.0, 1.0]), (97.0, 99.0))
        >>> row.drop.mean
        2.0
    """

    layer: str
    writes: int
    share: float
    accuracy: Interval
    drop: Interval
    values: tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class Sensitivity:
    r"""The layer sensitivity of a network: one `LayerSensitivity` per layer.

    Iterating over it, `len` and indexing (by position or by layer path) reach
    the layers, in the order their activations are laid out.

    Attributes:
        layers: One entry per layer evaluated.
        clean: The error-free accuracy (points).
        ber_neg: Probability that a written $-1$ reads as $+1$ in the layer.
        ber_pos: Probability that a written $+1$ reads as $-1$.
        draws: Error draws per layer.
        confidence: Confidence of the intervals, in (0, 1).
        seed: The seed of the draws.

    Example:
        >>> table = Sensitivity((), 99.0, 0.04, 0.04, 10, 0.95, 0)
        >>> len(table), table.clean
        (0, 99.0)
    """

    layers: tuple[LayerSensitivity, ...]
    clean: float
    ber_neg: float
    ber_pos: float
    draws: int
    confidence: float
    seed: int

    def __iter__(self) -> Iterator[LayerSensitivity]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, key: int | str) -> LayerSensitivity:
        """The entry at a position, or of a layer path.

        Raises:
            KeyError: If no layer has the path `key`.
        """
        if isinstance(key, str):
            for entry in self.layers:
                if entry.layer == key:
                    return entry
            raise KeyError(f"no layer {key!r}; the layers are {self.names()}")
        return self.layers[key]

    def rates_text(self) -> str:
        """The rates in words: `"BER 0.04"`, or both directions where they differ."""
        if self.ber_neg == self.ber_pos:
            return f"BER {self.ber_neg:g}"
        return f"BER {self.ber_neg:g} (−1→+1), {self.ber_pos:g} (+1→−1)"

    def names(self) -> list[str]:
        """The layer paths, in order."""
        return [entry.layer for entry in self.layers]

    def rows(self) -> list[dict[str, Any]]:
        """The table as one dict per layer, with the keys of `COLUMNS`.

        Returns:
            Rows with accuracies and drops in points, `share` as a fraction.
        """
        common = {"clean": self.clean, "ber_neg": self.ber_neg,
                  "ber_pos": self.ber_pos, "draws": self.draws,
                  "confidence": self.confidence, "seed": self.seed}  # fmt: skip
        rows = []
        for e in self.layers:
            row = {"layer": e.layer, "writes": e.writes, "share": e.share,
                   "accuracy": e.accuracy.mean, "accuracy_low": e.accuracy.low,
                   "accuracy_high": e.accuracy.high, "drop": e.drop.mean,
                   "drop_low": e.drop.low, "drop_high": e.drop.high,
                   **common}  # fmt: skip
            rows.append({column: row[column] for column in COLUMNS})
        return rows

    def __str__(self) -> str:
        """A table: per layer its writes, share, accuracy and drop with intervals."""
        rates = self.rates_text()
        head = (
            f"Activation errors at {rates} in one layer at a time (error-free "
            f"{self.clean:.2f} %; {self.confidence:.0%} t-intervals over "
            f"{self.draws} draws, seed {self.seed}):"
        )
        width = max([len("layer"), *(len(name) for name in self.names())])
        lines = [
            head,
            f"  {'layer':<{width}}  {'writes/input':>12}  {'share':>6}  "
            f"{'accuracy % [interval]':>24}  {'drop (points) [interval]':>24}",
        ]
        for e in self.layers:
            acc = f"{e.accuracy.mean:.2f} [{e.accuracy.low:.2f}, {e.accuracy.high:.2f}]"
            drop = f"{e.drop.mean:.2f} [{e.drop.low:.2f}, {e.drop.high:.2f}]"
            lines.append(
                f"  {e.layer:<{width}}  {e.writes:>12,}  {100 * e.share:>5.1f}%  "
                f"{acc:>24}  {drop:>24}"
            )
        return "\n".join(lines)


def _rates(ber: Any) -> tuple[float, float]:
    """`(ber_neg, ber_pos)` of a scalar rate or an `ErrorRates`, checked."""
    if isinstance(ber, ErrorRates):
        _, neg, pos = split_rates(ber)
        return float(neg), float(pos)
    rate = check_rate("ber", ber)
    return rate, rate


def _reflected(clean: float, accuracy: Interval) -> Interval:
    """The drop `clean - accuracy` with the accuracy's interval reflected."""
    return dataclasses.replace(
        accuracy,
        mean=clean - accuracy.mean,
        low=clean - accuracy.high,
        high=clean - accuracy.low,
    )


def _layer_draws(
    model: tf.keras.Model,
    data: Any,
    path: str,
    shape: tuple[int, ...],
    rates: tuple[float, float],
    *,
    draws: int,
    seed: int,
    metric: str | None,
) -> list[float]:
    """The accuracy (points) of each draw with errors in layer `path` alone."""
    pair = (np.full(shape, rates[0], np.float32), np.full(shape, rates[1], np.float32))
    values = []
    with activation_errors(model, ErrorMap(activations={path: pair}), seed=0) as qs:
        for draw in range(draws):
            key = draw_key(seed, draw)
            for k, quantizer in enumerate(qs):
                quantizer.reseed_inference_errors(key + k)
            values.append(accuracy(model, data, metric))
    return values


def sensitivity(
    model: tf.keras.Model,
    data: Any,
    ber: float | ErrorRates,
    *,
    draws: int = 10,
    confidence: float = 0.95,
    seed: int = 0,
    metric: str | None = None,
    layers: Sequence[str] | None = None,
) -> Sensitivity:
    r"""The accuracy of a network with activation errors in each layer alone.

    For each binarized layer $l$ (each `BerSteSign`, in the order of its
    activations), the model is evaluated `draws` times with activation write
    errors at `ber` in layer $l$ and none elsewhere; the result gives the mean
    accuracy with its t interval, the drop from the error-free accuracy
    $c$ (interval $[c - a_{high}, c - a_{low}]$), and the writes per input
    $n_l = \prod s_l$ with their share $n_l / \sum_k n_k$ of all the network's
    activation writes (over every binarized layer, also those not in `layers`).

    Args:
        model: A compiled Keras model with `BerSteSign` quantizers (built: called
            once) and an accuracy metric (`top1` or `accuracy`).
        data: The test data: a `tf.data.Dataset` of `(x, y)` batches or an
            `(x, y)` pair of arrays.
        ber: The layer's activation BER: a rate in [0, 1] for both directions,
            or an `ErrorRates` (its `ber_neg` and `ber_pos`).
        draws: Independent error draws per layer, an integer in [2, 100,000].
        confidence: Confidence of the intervals, in (0, 1).
        seed: Integer >= 0 seeding the draws (draw $k$ of every layer is seeded
            from `(seed, k)`).
        metric: The accuracy metric of `evaluate`'s logs (`None`: `top1` or
            `accuracy`, as `larq_ber.lifetime.METRICS`).
        layers: The layer paths to evaluate (`None`: every binarized layer);
            `Sensitivity.names` or `activation_positions` lists them.

    Returns:
        The `Sensitivity` table (print it; `rows()` for a CSV).

    Raises:
        ValueError: If `ber` is outside [0, 1], `draws` < 2, `confidence` is not
            in (0, 1), `seed` < 0, the model has no binarized layer, a name of
            `layers` is not one of its layers (the message lists them), or the
            metric is not compiled.

    Example:
        ```python
        table = sensitivity(model, (x_test, y_test), 0.04, draws=10)
        print(table)            # per layer: writes, share, accuracy, drop
        fragile = max(table, key=lambda layer: layer.drop.mean).layer
        ```
    """
    rates = _rates(ber)
    draws, seed = check_draws(draws), named_seed("seed", seed)
    confidence = check_confidence(confidence)
    positions = activation_positions(model)
    chosen = chosen_layers(positions, layers)
    total = sum(int(np.prod(shape)) for _, _, shape in positions)
    clean = accuracy(model, data, metric)
    entries = []
    for path, _, shape in chosen:
        values = _layer_draws(model, data, path, shape, rates, draws=draws,
                              seed=seed, metric=metric)  # fmt: skip
        interval = mean_interval(values, confidence)
        writes = int(np.prod(shape))
        entries.append(
            LayerSensitivity(path, writes, writes / total, interval,
                             _reflected(clean, interval), tuple(values))
        )  # fmt: skip
    return Sensitivity(tuple(entries), clean, *rates, draws, confidence, seed)


def plot_sensitivity(table: Sensitivity, ax: Any = None) -> Any:
    r"""Draws each layer's accuracy drop against its share of the writes.

    One point per layer, labelled with its path: its share of the network's
    activation writes (%) on the x axis, the drop from the error-free accuracy
    (points) on the y axis with its interval as a bar; a dashed line at no drop.
    Layers to the lower right are large and tolerant (cheap to write at a high
    BER), those to the upper left small and fragile.

    Args:
        table: The result of `sensitivity`.
        ax: The matplotlib axes to draw into (`None`: a new figure).

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: If `table` has no layer.

    Example:
        ```python
        figure = plot_sensitivity(sensitivity(model, (x, y), 0.04))
        figure.savefig("sensitivity.png", dpi=150)
        ```
    """
    import matplotlib.pyplot as plt

    if not len(table):
        raise ValueError("`table` must hold at least one layer, got none.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 4.2), layout="constrained")
    for i, entry in enumerate(table):
        share, drop = 100 * entry.share, entry.drop
        bars = [[drop.mean - drop.low], [drop.high - drop.mean]]
        colour = COLOURS[i % len(COLOURS)]
        ax.errorbar([share], [drop.mean], yerr=bars, fmt="o", color=colour,
                    ms=7, capsize=4, lw=1.5)  # fmt: skip
        label = f"{entry.layer}\n({entry.writes:,} writes/input)"
        ax.annotate(label, (share, drop.mean),
                    xytext=(8, 6), textcoords="offset points", fontsize="small",
                    color=colour)  # fmt: skip
    ax.axhline(0.0, color="0.55", ls="--", lw=1)
    ax.set_xlim(0, 105)
    ax.set_xlabel("share of the network's activation writes (%)")
    ax.set_ylabel("accuracy drop (points)")
    rates = table.rates_text()
    ax.set_title(
        f"Errors in one layer at a time, {rates}\nerror-free {table.clean:.2f} %; "
        f"{table.confidence:.0%} t-intervals over {table.draws} draws",
        fontsize="medium",
    )
    return ax.figure
