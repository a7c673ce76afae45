r"""BatchNorm → max pool → ReLU as one layer, trained in one pass by the kernel.

LeNet-4's and the binary AlexNet's first block is a real-valued convolution
followed by a BatchNorm, a max pool and a ReLU. On a CPU these three spend more of
a LeNet-4 training step than the convolution they follow: each reads and writes
the whole convolution output (for LeNet-4, 128 × 24 × 24 × 20 floats per batch),
forward and backward.

`BatchNormMaxPoolReLU` is Keras's `BatchNormalization` with the pool and the ReLU
after it: the same weights (`gamma`, `beta`, the moving mean and variance), the
same configuration plus the pool's, the same function. At inference, and in
training wherever the compiled kernel does not apply, it calls Keras's
BatchNormalization, `tf.nn.max_pool2d` and `tf.nn.relu`, the operations the three
layers called, bit for bit. In training on a CPU where `larq_ber.kernel.build()`
has built the kernel, one operation does all three. A channel's BatchNorm is the
affine map $y = \gamma (x - \mu) / \sqrt{\sigma^2 + \epsilon} + \beta$, monotone in
$x$, so the maximum of a window after it is the image of the window's maximum of
$x$ where $\gamma > 0$ and of its minimum where $\gamma < 0$. The kernel therefore
reads $x$ once, for the batch statistics and the windows' picks together, and
normalises only the pooled values. Its gradient,

$$
\frac{\partial L}{\partial x} = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}}
\left(g - \frac{1}{M}\sum g - \hat{x}\,\frac{1}{M}\sum g\,\hat{x}\right),
$$

with $g$ the gradient at the picked elements (0 elsewhere), $\hat{x}$ the
normalised input and $M$ the elements per channel, sums over the pooled values
only and writes $\partial L / \partial x$ in one more pass. Outputs and gradients
agree with the three operations up to float rounding
(`tests/test_batch_norm_pool.py`); where two different values of a window round to
the same normalised value, the three operations pass the gradient to the first of
them, the kernel to the one it picked in $x$ (the larger where $\gamma > 0$).
The moving variance is updated with the batch's variance with Bessel's correction,
$\sigma^2 M / (M - 1)$, as Keras's (fused) BatchNormalization updates it.

The kernel applies to float32, channels-last, 4-D inputs and a `"valid"` pool,
outside XLA and without a visible GPU, to a fused, float32 layer without
renormalisation, virtual batches, an adjustment or synchronisation, and not with
`LARQ_BER_KERNEL=0`; anything else takes the three operations. An empty batch
leaves the moving statistics as they were.
"""

from __future__ import annotations

from typing import Any

import larq as lq
import tensorflow as tf

from larq_ber import flips, kernel

__all__ = ["BatchNormMaxPoolReLU"]


def _pair(name: str, value: Any) -> tuple[int, int]:
    """`value` (an int or two) as two positive ints, or a ValueError naming `name`."""
    pair = (value, value) if isinstance(value, int) else value
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in pair
        )
    ):
        raise ValueError(
            f"`{name}` must be a positive int or two positive ints, got {value!r}."
        )
    return (int(pair[0]), int(pair[1]))


def _trained_by_kernel(
    x: tf.Tensor,
    gamma: tf.Tensor,
    beta: tf.Tensor,
    operations: Any,
    *,
    epsilon: float,
    pool_size: tuple[int, int],
    strides: tuple[int, int],
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """The kernel's pooled output and the batch's mean and variance (no gradient)."""
    attrs = {"epsilon": epsilon, "ksize": list(pool_size), "strides": list(strides)}

    @tf.custom_gradient
    def _call(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) -> Any:
        y, selected, index, mean, variance = (
            operations.larq_ber_batch_norm_max_pool_relu(x, gamma, beta, **attrs)
        )

        def grad(dy: tf.Tensor, *unused: Any) -> tuple[tf.Tensor, ...]:
            return tuple(
                operations.larq_ber_batch_norm_max_pool_relu_grad(
                    dy, y, selected, index, x, gamma, mean, variance, **attrs
                )
            )

        return (y, mean, variance), grad

    y, mean, variance = _call(x, gamma, beta)
    return y, tf.stop_gradient(mean), tf.stop_gradient(variance)


@tf.keras.saving.register_keras_serializable(package="larq_ber")
@lq.utils.register_keras_custom_object
class BatchNormMaxPoolReLU(tf.keras.layers.BatchNormalization):
    r"""`BatchNormalization`, then a max pool, then a ReLU: one layer.

    Computes $\operatorname{relu}(\operatorname{maxpool}(\operatorname{BN}(x)))$,
    what `BatchNormalization()`, `MaxPool2D(pool_size, strides, padding)` and
    `ReLU()` compute one after the other, with the BatchNorm's weights. In training
    on a CPU with the compiled kernel (`larq-ber kernel build`), one operation
    computes it and one more its gradient (see the module's description); otherwise
    it calls the three operations.

    Args:
        pool_size: The pool's window, an int or (height, width).
        strides: The pool's strides, an int or two; default `pool_size`.
        padding: The pool's padding, `"valid"` or `"same"` (the kernel does
            `"valid"` only).
        **kwargs: Keyword arguments of `tf.keras.layers.BatchNormalization`
            (`momentum`, `epsilon`, ...); `axis` must be the last axis.

    Call arguments:
        inputs: A 4-D tensor, channels last.
        training: Python boolean or boolean tensor: normalise with the batch's
            statistics (and update the moving ones) or with the moving ones.

    Raises:
        ValueError: If `pool_size` or `strides` is not a positive int or two, or
            `padding` is neither `"valid"` nor `"same"`.

    Example:
        >>> layer = BatchNormMaxPoolReLU(2, momentum=0.9, epsilon=1e-4)
        >>> layer(tf.ones((1, 4, 4, 3))).shape
        TensorShape([1, 2, 2, 3])
    """

    def __init__(
        self,
        pool_size: int | tuple[int, int] = 2,
        strides: int | tuple[int, int] | None = None,
        padding: str = "valid",
        **kwargs: Any,
    ) -> None:
        self.pool_size = _pair("pool_size", pool_size)
        self.strides = self.pool_size if strides is None else _pair("strides", strides)
        if padding not in ("valid", "same"):
            raise ValueError(f"`padding` must be 'valid' or 'same', got {padding!r}.")
        self.padding = padding
        super().__init__(**kwargs)

    def call(self, inputs: tf.Tensor, training: Any = None) -> tf.Tensor:
        """Normalises, pools and rectifies `inputs` (see the class)."""
        training = self._get_training_value(training)
        operations = self._kernel(inputs)
        if operations is None or training is False:
            return self._three_operations(inputs, training)
        return tf.__internal__.smart_cond.smart_cond(
            training,
            lambda: self._one_operation(inputs, operations),
            lambda: self._three_operations(inputs, False),
        )

    def _three_operations(self, inputs: tf.Tensor, training: Any) -> tf.Tensor:
        x = super().call(inputs, training=training)
        x = tf.nn.max_pool2d(x, self.pool_size, self.strides, self.padding.upper())
        return tf.nn.relu(x)

    def _one_operation(self, inputs: tf.Tensor, operations: Any) -> tf.Tensor:
        y, mean, variance = _trained_by_kernel(
            inputs,
            tf.convert_to_tensor(self.gamma)
            if self.scale
            else tf.ones_like(self.moving_mean),
            tf.convert_to_tensor(self.beta)
            if self.center
            else tf.zeros_like(self.moving_mean),
            operations,
            epsilon=float(self.epsilon),
            pool_size=self.pool_size,
            strides=self.strides,
        )
        count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:3]), variance.dtype)
        unbiased = variance * count / tf.maximum(count - 1.0, 1.0)
        images = tf.shape(inputs)[0]  # no update from an empty batch (NaN statistics)
        self.add_update(
            lambda: self._assign_moving_average(
                self.moving_mean, mean, self.momentum, images
            )
        )
        self.add_update(
            lambda: self._assign_moving_average(
                self.moving_variance, unbiased, self.momentum, images
            )
        )
        return y

    def _kernel(self, inputs: tf.Tensor) -> Any:
        """The compiled operations if they apply to this layer and input, else None."""
        if (
            self.padding != "valid"
            or inputs.shape.rank != 4
            or list(self.axis) != [3]
            or inputs.dtype != tf.float32
            or self.compute_dtype != "float32"
            or self.moving_mean.dtype != tf.float32
            or not self.fused
            or self.renorm
            or self.virtual_batch_size is not None
            or self.adjustment is not None
            or getattr(self, "synchronized", False)
            or flips._compiling_with_xla()
        ):
            return None
        operations = kernel.load()
        if operations is None or flips._gpu_visible():
            return None
        return operations

    def unfused(self, *, relu_first: bool = False) -> list[tf.keras.layers.Layer]:
        """The three Keras layers this layer computes, with a copy of its weights.

        Args:
            relu_first: The ReLU before the pool, larq-ber 0.1's order (the same
                function: a ReLU commutes with a maximum).

        Returns:
            `[BatchNormalization, MaxPool2D, ReLU]`, or with `relu_first`
            `[BatchNormalization, ReLU, MaxPool2D]`; the BatchNormalization is built
            and holds a copy of this layer's weights.

        Raises:
            ValueError: If this layer is not built yet (it has no weights to copy).

        Example:
            >>> layer = BatchNormMaxPoolReLU(2)
            >>> _ = layer(tf.ones((1, 4, 4, 3)))
            >>> [type(x).__name__ for x in layer.unfused(relu_first=True)]
            ['BatchNormalization', 'ReLU', 'MaxPooling2D']
        """
        if not self.built:
            raise ValueError(
                "unfused() needs a built layer: call it on an input first."
            )
        config = self.get_config()
        pool = {key: config.pop(key) for key in ("pool_size", "strides", "padding")}
        config.pop("name")  # a name of its own, so that both fit in one model
        norm = tf.keras.layers.BatchNormalization.from_config(config)
        norm.build(tf.TensorShape([None, None, None, self.moving_mean.shape[0]]))
        norm.set_weights(self.get_weights())
        pooling, relu = tf.keras.layers.MaxPool2D(**pool), tf.keras.layers.ReLU()
        return [norm, relu, pooling] if relu_first else [norm, pooling, relu]

    def compute_output_shape(self, input_shape: Any) -> tf.TensorShape:
        """The pooled shape: (batch, pooled height, pooled width, channels)."""
        shape = tf.TensorShape(input_shape).as_list()
        for axis, (size, stride) in enumerate(
            zip(self.pool_size, self.strides, strict=True), 1
        ):
            if shape[axis] is not None:
                same = self.padding == "same"
                span = shape[axis] if same else shape[axis] - size + 1
                shape[axis] = max(0, -(-span // stride))
        return tf.TensorShape(shape)

    def get_config(self) -> dict[str, Any]:
        """The BatchNormalization's configuration and the pool's."""
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
        }
