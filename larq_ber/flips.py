r"""Bit errors drawn into signs: the pure functions behind `BerSteSign`.

`ber_sign` returns $\operatorname{sign}(x)$ with independent Bernoulli flips per
element (rates per sign), drawn as geometric gaps between flips for rates up to
`SPARSE_MAX_RATE` ($O(np)$ random numbers), above it as one random byte per element
(a quarter of a 32-bit random number) plus sparse flips for the remainder of the
rate below 1/256, and under XLA as one uniform draw per element; `ber_ste_sign`
adds the straight-through gradient of the un-flipped sign. Both take a
`tf.random.Generator` or an op-level seed, from which each call draws one key for
stateless random ops.

Where `larq_ber.kernel.build()` has compiled larq-ber's CPU kernel, `ber_sign` runs
it instead on CPUs (outside XLA, float32): the sign and its flips in one pass, at
the cost of a plain sign.

Rates held in variables (`BerSteSign` in training) choose the sampler in the graph;
that choice is one `tf.function` of a flat vector, traced once per process and
called by every layer, so a model's first `fit` does not trace ~400 operations per
binarized layer.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import larq as lq
import tensorflow as tf
from tensorflow.python.ops import control_flow_util

from larq_ber import kernel

__all__ = ["SPARSE_MAX_RATE", "ber_sign", "ber_ste_sign"]

# A built, verified kernel's operation is registered with TensorFlow on import (not
# with LARQ_BER_KERNEL=0), so that SavedModels trained with it load wherever
# larq-ber is imported.
kernel.load()

# Above this rate one random byte per element is cheaper than drawing the gaps
# between flips: on 2 CPU cores, forward and backward, the two cost the same near
# 0.04 for LeNet-4's 369 k-element activation (1.1 ms over a plain sign) and for
# NiN's 12.6 M (18 ms); at 0.125 the gaps cost 2x (LeNet-4) and 3.6x (NiN) the
# bytes (benchmarks/quantizer_overhead.py --per-call).
SPARSE_MAX_RATE = 0.05

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


def _static_rates(ber_neg: tf.Tensor, ber_pos: tf.Tensor) -> tuple[float, float] | None:
    """Both rates as Python floats if they are known when tracing, else `None`.

    Each is read on its own: `tf.get_static_value` does not fold operations such
    as `tf.maximum` or `tf.equal` of two constants.
    """
    neg, pos = tf.get_static_value(ber_neg), tf.get_static_value(ber_pos)
    if neg is None or pos is None:
        return None
    return float(neg), float(pos)


@functools.lru_cache(maxsize=1)
def _gpu_visible() -> bool:
    return bool(tf.config.list_logical_devices("GPU"))


def _cpu_kernel(dtype: tf.DType) -> Any:
    """The compiled `larq_ber_sign` operation if it applies here, else `None`.

    It applies to float32 tensors outside XLA when `larq_ber.kernel.build()` has
    built it, `larq_ber.kernel.load()` accepts it and no GPU is visible (it has a
    CPU kernel only).
    """
    if dtype != tf.float32 or _compiling_with_xla():
        return None
    module = kernel.load()
    if module is None or _gpu_visible():
        return None
    return module.larq_ber_sign


def _multiplier(flips: tf.Tensor) -> tf.Tensor:
    """-1.0 where `flips` (bool), else 1.0 (float32)."""
    return 1.0 - 2.0 * tf.cast(flips, tf.float32)


def _signs(x: tf.Tensor, multiplier: tf.Tensor) -> tf.Tensor:
    r"""The sign of `x` as larq's (NaN where `x` is NaN) times `multiplier` ($\pm 1$).

    A product: on 2 CPU cores 0.4 ms less per call on LeNet-4's 369 k-element
    activation than selecting between the signs with `tf.where`.
    """
    return lq.math.sign(x) * tf.cast(multiplier, x.dtype)


def _draw_key(seed: int | None, generator: Any) -> tf.Tensor:
    """A fresh key `[2]` (int64) for the stateless draws of one call.

    From `generator` if given (its state advances by one step), else from one
    seeded stateful op (reproducible under `tf.keras.utils.set_random_seed`).
    """
    if generator is not None:
        return generator.uniform_full_int([2], tf.int64)
    return tf.random.uniform([2], 0, 2**62, tf.int64, seed=seed)


def _random_bytes(n: tf.Tensor, key: tf.Tensor) -> tf.Tensor:
    """`n` independent uniform bytes (a uint8 vector).

    They come from `ceil(n / 4)` 32-bit random numbers: a quarter of the random
    numbers one float per element would take.
    """
    words = (n + 3) // 4
    bits = tf.random.stateless_uniform([words], key, None, None, tf.uint32)
    return tf.reshape(tf.bitcast(bits, tf.uint8), [-1])[:n]


def _sparse_flips(
    values: tf.Tensor,
    ber_neg: tf.Tensor,
    ber_pos: tf.Tensor,
    key: tf.Tensor,
    marks: tuple[Any, Any] = (-1.0, 1.0),
) -> tf.Tensor:
    r"""A vector like `values` (flat): `marks[0]` where a sign flips, else `marks[1]`.

    `marks` $(-1, 1)$ gives the factors the signs are multiplied by, `(True, False)`
    a mask.

    Candidates form a Bernoulli($p$) process over the flat tensor with
    $p = \max(\mathrm{ber}_-, \mathrm{ber}_+) > 0$: the gap before the next
    candidate is $G = \lfloor \ln U / \ln(1 - p) \rfloor$, $U \sim \mathcal{U}(0, 1]$.
    Each candidate is kept with probability $\mathrm{ber}_\pm / p$ for its sign
    (`values < 0` for $-1$), which leaves every element flipped independently at
    the rate of its sign, for $O(np)$ random numbers instead of $O(n)$. The number
    of candidates drawn is fixed by $n$ and $p$ (no data-dependent shape).
    """
    gaps_key, thinning_key = tf.unstack(tf.random.split(key, 2))
    n = tf.size(values, out_type=tf.int64)
    p = tf.cast(tf.maximum(ber_neg, ber_pos), tf.float64)
    mean = tf.cast(n, tf.float64) * p
    draws = tf.cast(
        tf.math.ceil(mean + _SPARSE_MARGIN_SIGMA * tf.sqrt(mean * (1.0 - p)) + 16.0),
        tf.int64,
    )
    uniform = 1.0 - tf.random.stateless_uniform([draws], gaps_key, dtype=tf.float64)
    # Gaps past the end are all alike: capped at n, so that a tiny p (or p = 0,
    # 0 / 0 or -inf) cannot overflow int64 or wrap around to a flip.
    gaps = tf.floor(tf.math.log(uniform) / tf.math.log1p(-p))
    gaps = tf.where(p > 0.0, tf.minimum(gaps, tf.cast(n, tf.float64)), 0.0)
    gaps = tf.where(p > 0.0, tf.cast(gaps, tf.int64), n)
    positions = tf.cumsum(gaps + 1) - 1
    inside = positions < n

    def thinned() -> tf.Tensor:
        signs = tf.gather(values, tf.minimum(positions, n - 1)) < 0
        rate = tf.cast(tf.where(signs, ber_neg, ber_pos), tf.float64)
        # float64: a ratio rate / p below 2^-24 keeps its value (float32 uniforms
        # would keep about 6e-8 of the candidates at any smaller ratio).
        keep = tf.random.stateless_uniform([draws], thinning_key, dtype=tf.float64)
        return inside & (keep * p < rate)

    # Symmetric rates (the paper's setting) keep every candidate; rates known when
    # tracing (errors at inference) pick the branch without a `tf.cond`.
    static = _static_rates(ber_neg, ber_pos)
    if static is not None:
        keep = inside if static[0] == static[1] else thinned()
    else:
        keep = tf.cond(tf.equal(ber_neg, ber_pos), lambda: inside, thinned)
    # One SparseToDense (the slot past the end takes the unused candidates): a
    # quarter of the cost of scattering into the signs on 2 CPU cores; with factors
    # for marks, no pass turns a mask into factors.
    return tf.raw_ops.SparseToDense(
        sparse_indices=tf.where(keep, positions, n),
        output_shape=tf.reshape(n + 1, [1]),
        sparse_values=tf.constant(marks[0]),
        default_value=tf.constant(marks[1]),
        validate_indices=False,
    )[:n]


def _byte_flips(
    values: tf.Tensor, ber_neg: tf.Tensor, ber_pos: tf.Tensor, key: tf.Tensor
) -> tf.Tensor:
    r"""Like `_sparse_flips`' factors, from a random byte per element plus sparse flips.

    A byte $B$ flips where $B < k = \min(\lfloor 256 p \rfloor, 255)$; the rate
    $r = (p - k/256) / (1 - k/256)$ that remains is drawn by `_sparse_flips`.
    """
    bytes_key, rest_key = tf.unstack(tf.random.split(key, 2))
    draws = _random_bytes(tf.size(values), bytes_key)
    static = _static_rates(ber_neg, ber_pos)
    if static is not None:  # rates known when tracing: levels and rest in Python
        k = [min(math.floor(256 * r), 255) for r in static]
        level_neg, level_pos = (tf.constant(level, tf.uint8) for level in k)
        rest = [
            (r - level / 256) / (1 - level / 256)
            for r, level in zip(static, k, strict=True)
        ]
        flips = (
            draws < level_neg
            if k[0] == k[1]
            else draws < tf.where(values < 0, level_neg, level_pos)
        )
        if max(rest) <= 0:
            return _multiplier(flips)
        rest_neg, rest_pos = (tf.constant(r, tf.float32) for r in rest)
        sparse = _sparse_flips(values, rest_neg, rest_pos, rest_key, (True, False))
        return _multiplier(flips | sparse)
    k_neg = tf.minimum(tf.floor(256.0 * ber_neg), 255.0)
    k_pos = tf.minimum(tf.floor(256.0 * ber_pos), 255.0)
    level_neg, level_pos = tf.cast(k_neg, tf.uint8), tf.cast(k_pos, tf.uint8)
    flips = tf.cond(
        tf.equal(level_neg, level_pos),
        lambda: draws < level_neg,
        lambda: draws < tf.where(values < 0, level_neg, level_pos),
    )
    # What the bytes leave of each rate, as independent sparse flips.
    rest_neg = (ber_neg - k_neg / 256.0) / (1.0 - k_neg / 256.0)
    rest_pos = (ber_pos - k_pos / 256.0) / (1.0 - k_pos / 256.0)
    return tf.cond(
        tf.maximum(rest_neg, rest_pos) > 0,
        lambda: _multiplier(
            flips | _sparse_flips(values, rest_neg, rest_pos, rest_key, (True, False))
        ),
        lambda: _multiplier(flips),
    )


def _flip_factors(
    values: tf.Tensor, ber_neg: tf.Tensor, ber_pos: tf.Tensor, key: tf.Tensor
) -> tf.Tensor:
    r"""Gaps up to `SPARSE_MAX_RATE`, bytes above it: the factors $\pm 1$."""
    return tf.cond(
        tf.maximum(ber_neg, ber_pos) <= SPARSE_MAX_RATE,
        lambda: _sparse_flips(values, ber_neg, ber_pos, key),
        lambda: _byte_flips(values, ber_neg, ber_pos, key),
    )


# Rates that change while training (variables) need the choice of sampler in the
# graph: about 400 operations, which took 0.4-0.6 s to trace per binarized layer
# (pure-Python protobuf). One function of a flat vector of any length, traced once
# per process and called by every layer, costs that once. It is inlined where it is
# called: not inlining it halved the first run's graph optimisation but cost 0.1-0.2
# ms per call at run time (1.1-2.4 ms calls, 921 k elements, 2 cores).
_shared_flip_factors = tf.function(
    _flip_factors,
    input_signature=[
        tf.TensorSpec([None], tf.float32),
        tf.TensorSpec([], tf.float32),
        tf.TensorSpec([], tf.float32),
        tf.TensorSpec([2], tf.int64),
    ],
    autograph=False,
)


def ber_sign(
    x: tf.Tensor,
    ber_neg: float | tf.Tensor,
    ber_pos: float | tf.Tensor,
    seed: int | None = None,
    generator: tf.random.Generator | None = None,
    *,
    nonzero: bool = False,
) -> tf.Tensor:
    r"""Sign function whose outputs suffer independent bit errors.

    Returns $\operatorname{sign}(x)$ (larq's, with $\operatorname{sign}(0) = 1$)
    in which every $-1$ is flipped to $+1$ with probability `ber_neg` and every
    $+1$ to $-1$ with probability `ber_pos`, independently (Bernoulli). Rates up to
    `SPARSE_MAX_RATE` are sampled as geometric gaps between flips ($O(np)$ random
    numbers for $n$ elements, scattered into factors of $\pm 1$). Higher rates
    compare one random byte $B \in \{0, \dots, 255\}$ per element with
    $k = \min(\lfloor 256 p \rfloor, 255)$ and add sparse flips at the rate
    $r = (p - k/256) / (1 - k/256) < 1/(256 - k)$ that remains, so that
    $P(\text{flip}) = k/256 + (1 - k/256)\,r = p$ exactly. In a function compiled
    with XLA every rate uses one uniform draw per element, which XLA fuses. Where
    the compiled kernel is built (`larq_ber.kernel`), float32 tensors on CPUs
    outside XLA use it instead: one random byte per element from a vectorized
    Philox and a finer draw where the byte ties with $k$, in a single pass that
    also computes the sign (the same distribution, another random stream). A zero
    rate draws nothing. No gradient is defined: `ber_ste_sign` adds the
    straight-through one.

    Args:
        x: Real-valued tensor whose signs are stored.
        ber_neg: Probability in $[0, 1]$ that a $-1$ is stored as $+1$.
        ber_pos: Probability in $[0, 1]$ that a $+1$ is stored as $-1$.
        seed: Optional op-level seed; with the global seed of
            `tf.keras.utils.set_random_seed` the draws are reproducible.
        generator: Optional `tf.random.Generator` to draw from instead (its state
            is a variable, so a checkpoint restores the stream exactly).
        nonzero: Whether a rate is known to be above 0 whenever the function
            runs (as under `larq_ber.errors.activation_errors`): leaves out the
            run-time branch that skips the drawing at rate 0. The result is the
            same either way; only the work at rate 0 differs.

    Returns:
        A tensor of $\pm 1$ values of the shape and dtype of `x` (NaN where `x`
        is NaN, as larq's sign).

    Example:
        >>> ber_sign(tf.constant([-1.0, 2.0, -3.0]), 1.0, 0.0).numpy()
        array([1., 1., 1.], dtype=float32)
    """
    # Which elements flip does not depend differentiably on `x`. Without the stop,
    # autodiff would make the `tf.cond` below output all its intermediates.
    x = tf.stop_gradient(tf.convert_to_tensor(x))
    ber_neg = tf.cast(ber_neg, tf.float32)
    ber_pos = tf.cast(ber_pos, tf.float32)
    p = tf.maximum(ber_neg, ber_pos)

    def flipped(sampler: Any) -> tf.Tensor:
        # The samplers read which signs are negative (`values < 0`) only where the
        # rates differ by sign: float32 inputs go as they are, others as signs.
        values = x if x.dtype == tf.float32 else tf.where(x < 0, -1.0, 1.0)
        key = _draw_key(seed, generator)
        factors = sampler(tf.reshape(values, [-1]), ber_neg, ber_pos, key)
        return _signs(x, tf.reshape(factors, tf.shape(x)))

    def dense() -> tf.Tensor:
        negative = x < 0
        if generator is not None:
            uniform = generator.uniform(tf.shape(x))
        else:
            uniform = tf.random.uniform(tf.shape(x), seed=seed)
        flips = uniform < tf.where(negative, ber_neg, ber_pos)
        return _signs(x, _multiplier(flips))

    rates = _static_rates(ber_neg, ber_pos)
    fused_op = _cpu_kernel(x.dtype)
    if fused_op is not None:  # the compiled kernel: sign and flips in one pass

        def fused() -> tf.Tensor:
            key = _draw_key(seed, generator)
            return fused_op(x, tf.stack([ber_neg, ber_pos]), key)

        if rates is not None:
            return lq.math.sign(x) if max(rates) <= 0.0 else fused()
        if nonzero:
            return fused()
        return tf.cond(p <= 0.0, lambda: lq.math.sign(x), fused)
    # Under XLA one uniform draw per element fuses with the comparisons and costs
    # less than the scatter of the sparse sampler at every rate.
    xla = _compiling_with_xla()
    if rates is not None:  # constant rates (errors at inference): no control flow
        static = max(rates)
        if static <= 0.0:
            return lq.math.sign(x)
        if xla:
            return dense()
        return flipped(_sparse_flips if static <= SPARSE_MAX_RATE else _byte_flips)
    if nonzero:  # the samplers flip nothing at rate 0 too, at the cost of drawing
        return dense() if xla else flipped(_shared_flip_factors)
    if xla:
        return tf.cond(p <= 0.0, lambda: lq.math.sign(x), dense)
    return tf.cond(
        p <= 0.0, lambda: lq.math.sign(x), lambda: flipped(_shared_flip_factors)
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
    nonzero: bool = False,
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
        nonzero: Whether a rate is known to be above 0 when it runs (see
            `ber_sign`).

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
        outputs = ber_sign(x, ber_neg, ber_pos, seed, generator, nonzero=nonzero)

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
