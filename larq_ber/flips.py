r"""Bit errors drawn into signs: the pure functions behind `BerSteSign`.

`ber_sign` returns $\operatorname{sign}(x)$ with independent Bernoulli flips per
element (rates per sign), drawn as geometric gaps between flips for rates up to
`SPARSE_MAX_RATE` ($O(np)$ random numbers) and one uniform draw per element above
and under XLA; `ber_ste_sign` adds the straight-through gradient of the un-flipped
sign. Both take a `tf.random.Generator` or an op-level seed.
"""

from __future__ import annotations

from typing import Any

import larq as lq
import tensorflow as tf
from tensorflow.python.ops import control_flow_util

__all__ = ["SPARSE_MAX_RATE", "ber_sign", "ber_ste_sign"]

# Above this rate one uniform draw per element is cheaper than drawing the gaps
# between flips: on 2 CPU cores the two cost the same near 0.18 for 12.6 M elements
# (NiN's largest activation at batch 64) and near 0.25 for 369 k (LeNet-4's).
SPARSE_MAX_RATE = 0.1875

# Gaps drawn beyond the expected count in the sparse sampler, in binomial standard
# deviations (plus 16): the chance of running short is below the normal tail beyond
# 8 sigma (6e-16), so the flips are Bernoulli up to that total-variation distance.
_SPARSE_MARGIN_SIGMA = 8.0


def _compiling_with_xla() -> bool:
    """Whether the graph being traced will be compiled by XLA (`jit_compile=True`)."""
    if tf.executing_eagerly():
        return False
    return bool(
        control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())
    )


def _op_seed(seed: int | None, offset: int) -> int | None:
    return None if seed is None else seed + offset


def _uniform(
    shape: Any, dtype: tf.DType, seed: int | None, generator: Any
) -> tf.Tensor:
    """U[0, 1) draws from `generator` if given, else from a seeded stateful op."""
    if generator is not None:
        return generator.uniform(shape, dtype=dtype)
    return tf.random.uniform(shape, dtype=dtype, seed=seed)


def _sparse_positions(
    flat: tf.Tensor,
    ber_neg: tf.Tensor,
    ber_pos: tf.Tensor,
    seed: int | None,
    generator: Any = None,
) -> tf.Tensor:
    r"""Flat indices of flips, drawn as geometric gaps and thinned per sign.

    Candidates form a Bernoulli($p$) process over the flat tensor with
    $p = \max(\mathrm{ber}_-, \mathrm{ber}_+) > 0$: the gap before the next
    candidate is $G = \lfloor \ln U / \ln(1 - p) \rfloor$, $U \sim \mathcal{U}(0, 1]$.
    Each candidate is kept with probability $\mathrm{ber}_\pm / p$ for its sign,
    which leaves every element flipped independently at the rate of its sign, for
    $O(np)$ random numbers instead of $O(n)$.

    Returns a vector of a length fixed by $n$ and $p$ (no data-dependent shape,
    so it compiles with XLA): the increasing indices of the flips, with $n$ in
    place of each candidate past the end or thinned away.
    """
    n = tf.size(flat, out_type=tf.int64)
    p = tf.cast(tf.maximum(ber_neg, ber_pos), tf.float64)
    mean = tf.cast(n, tf.float64) * p
    draws = tf.cast(
        tf.math.ceil(mean + _SPARSE_MARGIN_SIGMA * tf.sqrt(mean * (1.0 - p)) + 16.0),
        tf.int64,
    )
    uniform = 1.0 - _uniform([draws], tf.float64, seed, generator)
    gaps = tf.cast(tf.floor(tf.math.log(uniform) / tf.math.log1p(-p)), tf.int64)
    positions = tf.cumsum(gaps + 1) - 1
    inside = positions < n

    def thinned() -> tf.Tensor:
        signs = tf.gather(flat, tf.minimum(positions, n - 1))
        rate = tf.where(signs < 0, ber_neg, ber_pos)
        keep = _uniform([draws], tf.float32, _op_seed(seed, 1), generator)
        return inside & (keep * tf.cast(p, tf.float32) < rate)

    # Symmetric rates (the paper's setting) keep every candidate; rates known when
    # tracing (errors at inference) pick the branch without a `tf.cond`.
    symmetric = tf.get_static_value(tf.equal(ber_neg, ber_pos))
    if symmetric is not None:
        keep = inside if symmetric else thinned()
    else:
        keep = tf.cond(tf.equal(ber_neg, ber_pos), lambda: inside, thinned)
    return tf.where(keep, positions, n)


def ber_sign(
    x: tf.Tensor,
    ber_neg: float | tf.Tensor,
    ber_pos: float | tf.Tensor,
    seed: int | None = None,
    generator: tf.random.Generator | None = None,
) -> tf.Tensor:
    r"""Sign function whose outputs suffer independent bit errors.

    Returns $\operatorname{sign}(x)$ (larq's, with $\operatorname{sign}(0) = 1$)
    in which every $-1$ is flipped to $+1$ with probability `ber_neg` and every
    $+1$ to $-1$ with probability `ber_pos`, independently (Bernoulli). Rates up to
    `SPARSE_MAX_RATE` are sampled as geometric gaps between flips ($O(np)$ random
    numbers for $n$ elements, scattered into a mask), higher rates, and every rate
    in a function compiled with XLA, with one uniform draw per element; a zero
    rate draws nothing. No gradient is defined:
    `ber_ste_sign` adds the straight-through one.

    Args:
        x: Real-valued tensor whose signs are stored.
        ber_neg: Probability in $[0, 1]$ that a $-1$ is stored as $+1$.
        ber_pos: Probability in $[0, 1]$ that a $+1$ is stored as $-1$.
        seed: Optional op-level seed; with the global seed of
            `tf.keras.utils.set_random_seed` the draws are reproducible.
        generator: Optional `tf.random.Generator` to draw from instead (its state
            is a variable, so a checkpoint restores the stream exactly).

    Returns:
        A tensor of $\pm 1$ values of the shape and dtype of `x`.

    Example:
        >>> ber_sign(tf.constant([-1.0, 2.0, -3.0]), 1.0, 0.0).numpy()
        array([1., 1., 1.], dtype=float32)
    """
    # Which elements flip does not depend differentiably on `x`. Without the stop,
    # autodiff would make the `tf.case` below output all its intermediates.
    x = tf.stop_gradient(tf.convert_to_tensor(x))
    ber_neg = tf.cast(ber_neg, tf.float32)
    ber_pos = tf.cast(ber_pos, tf.float32)
    p = tf.maximum(ber_neg, ber_pos)

    def sparse() -> tf.Tensor:
        flat = tf.reshape(x, [-1])
        n = tf.size(flat, out_type=tf.int64)
        seed_1 = _op_seed(seed, 1)
        positions = _sparse_positions(flat, ber_neg, ber_pos, seed_1, generator)
        # A boolean mask of the flips from one SparseToDense (the slot past the end
        # takes the unused candidates), compared with x < 0 in place of the sign:
        # on 2 CPU cores this costs the drawing plus 0.5 ns per element over a
        # plain sign, a quarter of scattering into the signs or multiplying them.
        flips = tf.raw_ops.SparseToDense(
            sparse_indices=positions,
            output_shape=tf.reshape(n + 1, [1]),
            sparse_values=True,
            default_value=False,
            validate_indices=False,
        )[:n]
        negative = x < 0
        one = tf.ones([], x.dtype)
        return tf.where(tf.equal(negative, tf.reshape(flips, tf.shape(x))), one, -one)

    def dense() -> tf.Tensor:
        negative = x < 0
        uniform = _uniform(tf.shape(x), tf.float32, seed, generator)
        flips = uniform < tf.where(negative, ber_neg, ber_pos)
        one = tf.ones([], x.dtype)
        # sign(x) is -1 exactly where x < 0; a flip inverts it.
        return tf.where(tf.equal(negative, flips), one, -one)

    # Under XLA one uniform draw per element fuses with the comparisons and costs
    # less than the scatter of the sparse sampler at every rate.
    sparse_max = -1.0 if _compiling_with_xla() else SPARSE_MAX_RATE
    static = tf.get_static_value(p)
    if static is not None:  # constant rates (errors at inference): no control flow
        if static <= 0.0:
            return lq.math.sign(x)
        return sparse() if static <= sparse_max else dense()
    if sparse_max < 0.0:
        return tf.cond(p <= 0.0, lambda: lq.math.sign(x), dense)
    return tf.case(
        [(p <= 0.0, lambda: lq.math.sign(x)), (p <= sparse_max, sparse)],
        default=dense,
        exclusive=False,
    )


def ber_ste_sign(
    x: tf.Tensor,
    ber_neg: float | tf.Tensor,
    ber_pos: float | tf.Tensor,
    *,
    clip_value: float | None = 1.0,
    flip_gradient: bool = False,
    seed: int | None = None,
    generator: tf.random.Generator | None = None,
    surrogate: Any = None,
) -> tf.Tensor:
    r"""Sign function with bit errors and a straight-through gradient.

    Forward: `ber_sign`, i.e. $q(x) = m \cdot \operatorname{sign}(x)$ with an
    independent random $m \in \{-1, +1\}$ per element,
    $P(m = -1) = \mathrm{ber}_-$ where $x < 0$ and $\mathrm{ber}_+$ elsewhere.

    Backward (default, as in the paper): the flips are ignored and the gradient is
    the clipped straight-through estimator of the un-flipped sign,
    $\partial q / \partial x = 1_{|x| \le \texttt{clip\_value}}$. With
    `flip_gradient=True` it is multiplied by the same mask,
    $\partial q / \partial x = m \cdot 1_{|x| \le \texttt{clip\_value}}$.

    Args:
        x: Real-valued input tensor.
        ber_neg: Probability in $[0, 1]$ that a $-1$ is stored as $+1$.
        ber_pos: Probability in $[0, 1]$ that a $+1$ is stored as $-1$.
        clip_value: Threshold for clipping gradients; `None` disables clipping.
        flip_gradient: Whether the gradient is negated where the sign flipped.
        seed: Optional op-level seed of the random draws.
        generator: Optional `tf.random.Generator` to draw from instead.
        surrogate: Optional function (e.g. larq's `approx_sign`) whose gradient of
            the un-flipped input replaces the clipped straight-through one
            (`clip_value` is then ignored).

    Returns:
        A tensor of $\pm 1$ values of the shape and dtype of `x`.

    Example:
        >>> x = tf.constant([-0.5, 0.5, 2.0])
        >>> ber_ste_sign(x, 0.0, 1.0).numpy()
        array([-1., -1., -1.], dtype=float32)
    """
    # Read the rates outside the custom-gradient function (they may be variables).
    ber_neg = tf.convert_to_tensor(ber_neg, tf.float32)
    ber_pos = tf.convert_to_tensor(ber_pos, tf.float32)

    @tf.custom_gradient
    def _call(x: tf.Tensor) -> tuple[tf.Tensor, Any]:
        outputs = ber_sign(x, ber_neg, ber_pos, seed, generator)

        def grad(dy: tf.Tensor) -> tf.Tensor:
            if surrogate is not None:
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    smooth = surrogate(x)
                dy = tape.gradient(smooth, x, output_gradients=dy)
            elif clip_value is not None:
                dy = tf.where(tf.abs(x) <= clip_value, dy, tf.zeros_like(dy))
            if flip_gradient:
                # outputs * sign(x) is the mask m: -1 where the sign flipped.
                dy = dy * outputs * lq.math.sign(x)
            return dy

        return outputs, grad

    return _call(x)
