r"""Binary convolutions on bit-packed operands: training, and inference under errors.

A binarized convolution multiplies signs: with $\pm 1$ inputs and the kernel
quantized to $\alpha_o \operatorname{sign}(w)$ (larq's `ste_sign`, or
`magnitude_aware_sign` with $\alpha_o$ the mean magnitude of filter $o$),

$$
y_o = \alpha_o \sum_{k=1}^{K} s_k\, w_{k,o} = \alpha_o \left(K - 2\,
\operatorname{popcount}(\mathbf{s} \oplus \mathbf{w}_o)\right),
$$

where $\mathbf{s}$ and $\mathbf{w}_o$ hold one bit per sign (1 for $-1$) over the
$K = k_h k_w c$ taps of a patch. Larq Compute Engine computes it so on phones;
TensorFlow's CPU convolution multiplies floats. `binary_conv2d` is that
XNOR-popcount convolution as an operation of the compiled kernel
(`larq_ber.kernel.build()`; 64 signs per machine word, AVX-512 VPOPCNTDQ where the
CPU has it).

A larq `QuantConv2D` (or larq-ber's dense or dropout variants) whose input
quantizer is a `BerSteSign` and whose kernel quantizer is `ste_sign`,
`approx_sign`, `swish_sign` or `magnitude_aware_sign` runs on it, once `pack` has
wrapped the layer (the model functions of `larq_ber.models` and
`activation_errors` do), where its inputs are exactly $\pm 1$:

- in training, on the signs with their flips; the gradient is the float
  convolution's, so training is larq's up to float rounding (not with input
  dropout, which scales the signs);
- inside an `activation_errors` block, in the `predict` and `evaluate` functions
  Keras traces there, on the flipped signs, reading the latent weights (which
  `weight_errors` changes in place) without the kernel quantizer's operations; a
  kernel with `stuck_at` faults (which wrap its quantizer) keeps the float
  convolution.

It applies to a `"valid"` convolution (or `"same"` with `pad_values` $\pm 1$,
which larq pads itself), channels-last, without dilation or groups, to float32
tensors outside XLA and without a visible GPU, and not with `LARQ_BER_KERNEL=0`;
anything else keeps larq's float convolution. Inference outside the blocks never
changes: a model exported or saved holds TensorFlow's convolution there, which
Larq Compute Engine turns into its own binary one. The two agree to float rounding
(an output moves by $2 \alpha_o$ with every sign; the float convolution rounds
at every addition of $\pm\alpha_o$, `binary_conv2d` once). A NaN activation
counts as $+1$ here.
"""

from __future__ import annotations

import functools
from typing import Any

import larq as lq
import tensorflow as tf

from larq_ber import flips, kernel
from larq_ber.layers import DropoutAfterQuantizer, input_quantizer_of
from larq_ber.quantizers.modules import submodules

__all__ = ["binary_conv2d", "pack", "packs", "unpack"]

#: Kernel quantizers whose forward pass is $\alpha \operatorname{sign}(w)$, with
#: whether $\alpha$ is the filter's mean magnitude (else 1).
_SIGN_QUANTIZERS = {
    lq.quantizers.SteSign: False,
    lq.quantizers.ApproxSign: False,
    lq.quantizers.SwishSign: False,
    lq.quantizers.MagnitudeAwareSign: True,
}

#: Larq sign quantizers whose outputs are exactly $\pm 1$ (allowed as a
#: `BerSteSign`'s surrogate): the unscaled ones above.
_SIGN_ONLY = tuple(q for q, scaled in _SIGN_QUANTIZERS.items() if not scaled)

# The instance attribute marking a layer whose convolution `pack` wrapped.
_WRAPPED = "_larq_ber_packed_convolution"


def binary_conv2d(
    inputs: tf.Tensor,
    kernel_weights: tf.Tensor,
    *,
    strides: tuple[int, int] = (1, 1),
    magnitude: bool = False,
) -> tf.Tensor:
    r"""The "valid" convolution of $\operatorname{sign}(x)$ with the signs of a kernel.

    $\operatorname{sign}(t) = -1$ where $t < 0$, else $+1$ (larq's `ste_sign`), for
    inputs and weights alike; the result is scaled per output channel by 1, or by
    the mean magnitude of the filter's latent weights with `magnitude` (larq's
    `magnitude_aware_sign`). Computed on bit-packed operands by the compiled kernel.
    Its gradient is the float convolution's, taken at `inputs` and the scaled kernel
    signs (straight through: with respect to the kernel as if it were those).

    Args:
        inputs: Float32 tensor `(batch, height, width, channels)`.
        kernel_weights: Float32 latent weights `(kernel_h, kernel_w, channels,
            filters)`.
        strides: Two positive integers.
        magnitude: Whether to scale by the filters' mean magnitudes.

    Returns:
        Float32 tensor `(batch, out_h, out_w, filters)`.

    Raises:
        RuntimeError: If the compiled kernel is not loaded here
            (`larq_ber.kernel.last_problem()` says why).
        ValueError: If `strides` is not two positive integers.
        tf.errors.InvalidArgumentError: If the shapes do not fit.

    Example:
        >>> x = tf.constant([[[[0.5, -2.0]]]])
        >>> w = tf.constant([[[[1.0, -3.0], [1.0, 1.0]]]])
        >>> if kernel.is_available():
        ...     y = binary_conv2d(x, w, magnitude=True).numpy().ravel().tolist()
        ... else:  # what it computes
        ...     y = [0.0, -4.0]
        >>> y  # (+1)(+1) + (-1)(+1) = 0; (+1)(-1) + (-1)(+1) = -2, times (3 + 1) / 2
        [0.0, -4.0]
    """
    pair = tuple(strides)
    if len(pair) != 2 or not all(isinstance(s, int) and s > 0 for s in pair):
        raise ValueError(f"`strides` must be two positive integers, got {strides!r}.")
    module = kernel.load()
    if module is None:
        raise RuntimeError(
            "binary_conv2d needs larq-ber's compiled kernel: "
            f"{kernel.last_problem() or 'run `larq-ber kernel build`'}."
        )
    return module.larq_ber_binary_conv2d(
        inputs, kernel_weights, strides=list(pair), magnitude=bool(magnitude)
    )


def _float_gradients(
    x: tf.Tensor, kernel_signs: tf.Tensor, dy: tf.Tensor, strides: list[int]
) -> tuple[tf.Tensor, tf.Tensor]:
    """The gradients of the VALID convolution of `x` with `kernel_signs`.

    A 1 x 1 kernel at stride 1 (a dense layer, NiN's 1 x 1 convolutions) as the
    two matrix products it is: oneDNN's convolution gradients of a 1 x 1 map are
    4-5x slower than the products on 2 cores.
    """
    shape = tf.shape(x)
    if tuple(kernel_signs.shape[:2]) == (1, 1) and strides == [1, 1]:
        channels, filters = kernel_signs.shape[2], kernel_signs.shape[3]
        flat_x = tf.reshape(x, [-1, channels])
        flat_dy = tf.reshape(dy, [-1, filters])
        matrix = tf.reshape(kernel_signs, [channels, filters])
        dx = tf.reshape(tf.matmul(flat_dy, matrix, transpose_b=True), shape)
        dkernel = tf.matmul(flat_x, flat_dy, transpose_a=True)
        return dx, tf.reshape(dkernel, tf.shape(kernel_signs))
    full = [1, *strides, 1]
    dx = tf.compat.v1.nn.conv2d_backprop_input(shape, kernel_signs, dy, full, "VALID")
    dkernel = tf.compat.v1.nn.conv2d_backprop_filter(
        x, tf.shape(kernel_signs), dy, full, "VALID"
    )
    return dx, dkernel


@tf.RegisterGradient("LarqBerBinaryConv2d")
def _gradient(op: Any, dy: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The float convolution's gradient, taken at `x` and the scaled kernel signs.

    Straight through: with respect to the kernel as if it were its scaled signs
    (the quantizers around the operation apply their own gradients, as around
    larq's convolution). Exact for inputs that are signs, as larq-ber's are.
    """
    x, kernel_weights = op.inputs
    kernel_signs = tf.where(kernel_weights < 0, -1.0, 1.0)
    if op.get_attr("magnitude"):
        kernel_signs *= tf.reduce_mean(tf.abs(kernel_weights), axis=[0, 1, 2])
    return _float_gradients(x, kernel_signs, dy, list(op.get_attr("strides")))


def _trained(x: tf.Tensor, quantized: tf.Tensor, strides: tuple[int, int]) -> Any:
    """`binary_conv2d` of signs and a quantized kernel, with larq's gradients."""

    @tf.custom_gradient
    def convolve(x: tf.Tensor, quantized: tf.Tensor) -> Any:
        y = binary_conv2d(x, quantized, strides=strides, magnitude=True)
        return y, lambda dy: _float_gradients(x, quantized, dy, list(strides))

    return convolve(x, quantized)


def packs(
    layer: tf.keras.layers.Layer, inputs: tf.Tensor, kernel_var: Any
) -> str | None:
    """How `layer`'s convolution of `inputs` runs on `binary_conv2d` now, if it does.

    Read while the layer is traced, right after its input quantizer ran.

    Args:
        layer: A larq convolution layer.
        inputs: The quantized inputs it convolves.
        kernel_var: The kernel it convolves them with.

    Returns:
        `"training"` (signs, in training), `"inference"` (flipped signs at inference
        inside an error block), or `None` where the kernel does not apply (see the
        module's description).
    """
    outer = getattr(layer, "input_quantizer", None)
    quantizer = input_quantizer_of(layer)
    mode = getattr(quantizer, "_packable", None)
    surrogate = getattr(quantizer, "surrogate", None)
    if (
        mode is None
        or (
            mode == "training"
            and isinstance(outer, DropoutAfterQuantizer)
            and outer.rate
        )
        or (surrogate is not None and type(surrogate) not in _SIGN_ONLY)
        or type(getattr(layer, "kernel_quantizer", None)) not in _SIGN_QUANTIZERS
        or not isinstance(kernel_var, lq.quantized_variable.QuantizedVariable)
        # The kernel's own quantizer: `stuck_at` wraps it (then the float convolution).
        or kernel_var.quantizer is not layer.kernel_quantizer
        or kernel_var.latent_variable.dtype != tf.float32
        or inputs.dtype != tf.float32
        or inputs.shape.rank != 4
        or layer.padding != "valid"
        or layer.data_format != "channels_last"
        or tuple(layer.dilation_rate) != (1, 1)
        or getattr(layer, "groups", 1) != 1
        or flips._compiling_with_xla()
        or kernel.load() is None
        or flips._gpu_visible()
    ):
        return None
    return str(mode)


def _convolution(
    layer: tf.keras.layers.Layer, original: Any, inputs: tf.Tensor, kernel_var: Any
) -> tf.Tensor:
    """`layer.convolution_op`: packed where `packs` says so, else the original."""
    mode = packs(layer, inputs, kernel_var)
    if not mode:
        return original(inputs, kernel_var)
    strides = (int(layer.strides[0]), int(layer.strides[1]))
    if mode == "training":
        # The quantized kernel (+-alpha per filter), so that the gradient reaches
        # the latent weights through the kernel quantizer, as in larq.
        return _trained(inputs, tf.convert_to_tensor(kernel_var), strides)
    return binary_conv2d(
        inputs,
        kernel_var.latent_variable,
        strides=strides,
        magnitude=_SIGN_QUANTIZERS[type(layer.kernel_quantizer)],
    )


def _members(layers: tf.keras.Model | list[Any]) -> list[Any]:
    """The layers of a model (nested ones included), or the list given."""
    return submodules(layers) if isinstance(layers, tf.Module) else list(layers)


def pack(layers: tf.keras.Model | list[Any]) -> None:
    """Lets the binary convolutions of a model run bit-packed where they apply.

    Wraps each larq `QuantConv2D` (and subclass) instance's `convolution_op` once;
    the wrapper decides when the layer is traced (`packs`), so nothing changes
    where the kernel does not apply. The model functions of `larq_ber.models` and
    `activation_errors` call it; call it on a model of your own to train it so.
    The wrapper is not saved with the model.

    Args:
        layers: A Keras model (its layers, nested ones included) or a list of
            layers (others than larq convolutions are left alone).

    Example:
        >>> conv = lq.layers.QuantConv2D(
        ...     4, 3, input_quantizer="ber_ste_sign", kernel_quantizer="ste_sign"
        ... )
        >>> model = tf.keras.Sequential([tf.keras.Input((6, 6, 2)), conv])
        >>> pack(model)
        >>> model(tf.ones((1, 6, 6, 2))).shape
        TensorShape([1, 4, 4, 4])
    """
    for layer in _members(layers):
        if not isinstance(layer, lq.layers.QuantConv2D) or _WRAPPED in vars(layer):
            continue
        original = layer.convolution_op
        wrapped = functools.partial(_convolution, layer, original)
        object.__setattr__(layer, "convolution_op", wrapped)
        object.__setattr__(layer, _WRAPPED, True)


def unpack(layers: tf.keras.Model | list[Any]) -> None:
    """Undoes `pack`: larq's float convolutions again, wherever the layers are traced.

    For comparisons, or to train bit for bit as plain larq; functions already
    traced keep what they traced, and `activation_errors` packs again.

    Args:
        layers: A Keras model (its layers, nested ones included) or a list of layers.

    Example:
        >>> conv = lq.layers.QuantConv2D(4, 3, input_quantizer="ber_ste_sign")
        >>> pack([conv]); unpack([conv])
        >>> "convolution_op" in vars(conv)
        False
    """
    for layer in _members(layers):
        if _WRAPPED in vars(layer):
            for name in ("convolution_op", _WRAPPED):
                object.__delattr__(layer, name)
