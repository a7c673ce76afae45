r"""The errors a `BerSteSign` draws at inference, held as state read at run time.

`larq_ber.errors.activation_errors` sets them. What a traced function depends on
is only the *kind* of errors (none, one rate per direction, or a rate per position
and direction): the rates themselves, the rate maps and the random stream live in
variables that the function reads when it runs. So a block that changes the rates
or reseeds the draws does not need Keras to trace its predict and test functions
again, and a model traced while no block is active (an export, a SavedModel, a
Keras function traced outside the blocks) holds no random operation at all.

The variables are created on first use, outside Keras's attribute tracking: they
are not weights of the layer, so checkpoints and saved models do not change.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.quantizers.seeds import check_seed
from larq_ber.rates import check_rate

__all__ = ["InferenceErrors", "Snapshot"]

#: `(kind, rates, generator state)`: what `InferenceErrors.snapshot` returns.
Snapshot = tuple[str | None, Any, np.ndarray | None]


class InferenceErrors:
    """The inference errors of one quantizer: their kind, rates and random stream.

    `kind` is `None` (error-free inference, also at two zero rates), `"rates"`
    (`(ber_neg, ber_pos)`, one rate per direction, one of them above 0) or `"map"`
    (a rate per position and direction, float64 so that rates down to about
    $10^{-15}$ keep their value). Only `kind` is read when a function is traced;
    the rates and the draws are read when it runs.
    """

    def __init__(self) -> None:
        self.kind: str | None = None
        self._rates: tf.Variable | None = None
        self._maps: tuple[tf.Variable, tf.Variable] | None = None
        self._generator: tf.random.Generator | None = None
        # The rates as given (Python floats or float64 arrays), for `rates()`.
        self._given: tuple[Any, Any] | None = None
        #: The Keras models whose functions follow this quantizer's kind
        #: (`larq_ber.errors.functions`), held weakly.
        self.watchers: weakref.WeakSet[Any] = weakref.WeakSet()

    @property
    def generator(self) -> tf.random.Generator:
        """The random stream of the flips at inference (created on first use)."""
        if self._generator is None:
            with tf.init_scope():
                self._generator = tf.random.Generator.from_seed(0)
        return self._generator

    def rates_variable(self) -> tf.Variable:
        """`[ber_neg, ber_pos]` (float32), read at run time when `kind` is "rates"."""
        if self._rates is None:
            with tf.init_scope():
                self._rates = tf.Variable(
                    tf.zeros([2]), trainable=False, name="inference_ber_rates"
                )
        return self._rates

    def maps_variables(self, shape: tuple[int, ...]) -> tuple[tf.Variable, tf.Variable]:
        """The two rate maps (float64), read at run time when `kind` is "map"."""
        if self._maps is None:
            with tf.init_scope():
                self._maps = tuple(
                    tf.Variable(tf.zeros(shape, tf.float64), trainable=False, name=name)
                    for name in ("inference_ber_neg_map", "inference_ber_pos_map")
                )
        assert self._maps is not None
        if tuple(self._maps[0].shape) != tuple(shape):
            raise ValueError(
                f"Rate maps must have the shape {tuple(self._maps[0].shape)} of this "
                f"quantizer's earlier maps, got {tuple(shape)}."
            )
        return self._maps

    def set(self, rates: tuple[Any, Any] | None, seed: int | None = None) -> None:
        r"""Sets the errors (`None`: none) and, with `seed`, restarts the draws.

        Args:
            rates: `(ber_neg, ber_pos)`: two rates in $[0, 1]$, or two arrays of
                one shape (a rate per position), or `None`.
            seed: Integer $\ge 0$ the draws restart from, or `None` to continue.

        Raises:
            ValueError: If a rate is not in $[0, 1]$, the maps' shapes differ or
                `seed` is not an integer $\ge 0$.
        """
        checked = check_seed(seed)
        if rates is None:
            self._clear()
        elif isinstance(rates[0], np.ndarray):
            maps = [np.asarray(r, dtype=np.float64) for r in rates]
            if maps[0].shape != maps[1].shape:
                raise ValueError(
                    "The two rate maps must have one shape, got "
                    f"{maps[0].shape} and {maps[1].shape}."
                )
            if not all(np.all((m >= 0) & (m <= 1)) for m in maps):
                raise ValueError("Rate maps must hold probabilities in [0, 1].")
            for variable, values in zip(
                self.maps_variables(maps[0].shape), maps, strict=True
            ):
                variable.assign(values)
            self._zero(maps=False)  # a function traced for rates flips nothing
            self.kind, self._given = "map", (maps[0], maps[1])
        else:
            pair = [check_rate("ber_neg", rates[0]), check_rate("ber_pos", rates[1])]
            self.rates_variable().assign(pair)
            self._zero(rates=False)  # a function traced for maps flips nothing
            # Zero rates flip nothing: the error-free functions serve, and a
            # function traced for "rates" may count on a rate above 0.
            self.kind = "rates" if max(pair) > 0 else None
            self._given = (pair[0], pair[1])
        if checked is not None:
            self.generator.reset_from_seed(checked)

    def _clear(self) -> None:
        """No errors, the variables zeroed.

        So a function traced with errors and called after the block flips nothing.
        """
        self.kind, self._given = None, None
        self._zero()

    def _zero(self, *, rates: bool = True, maps: bool = True) -> None:
        """Zeroes the rates variable and/or the maps (those that exist)."""
        if rates and self._rates is not None:
            self._rates.assign(tf.zeros([2]))
        for variable in (self._maps or ()) if maps else ():
            variable.assign(tf.zeros_like(variable))

    def rates(self) -> tuple[Any, Any] | None:
        """The rates in force: two floats, two arrays (maps), or `None`."""
        return self._given

    def snapshot(self) -> Snapshot:
        """The errors in force and the position of their random stream."""
        state = None if self._generator is None else self._generator.state.numpy()
        return self.kind, self.rates(), state

    def restore(self, snapshot: Snapshot) -> None:
        """Puts back what `snapshot` returned: the rates and the stream's position."""
        _, rates, state = snapshot
        self.set(rates)
        if state is not None:
            self.generator.state.assign(state)
