"""Errors at deployment: activation flips at inference, weight sign flips."""

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.errors import (
    StuckAtFaults,
    activation_errors,
    active_errors,
    binarized_kernels,
    stuck_at,
    weight_errors,
)
from larq_ber.models import LeNet4
from larq_ber.quantizers import BerMagnitudeAwareSign, BerSteSign
from larq_ber.rates import ErrorRates

N = 200_000


def _probe(**kwargs):
    quantizer = BerSteSign(0.0, **kwargs)
    inputs = tf.keras.Input((N,))
    return tf.keras.Model(inputs, quantizer(inputs))


def _sigma(p, n):
    return 4 * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize(("ber_neg", "ber_pos"), [(0.04, 0.04), (0.01, 0.2)])
def test_activation_errors_flip_at_the_rates_at_inference_only_inside(ber_neg, ber_pos):
    model = _probe()
    x = np.concatenate([-np.ones((1, N // 2)), np.ones((1, N // 2))], axis=1)
    clean = model.predict(x, verbose=0)
    with activation_errors(model, ber_neg=ber_neg, ber_pos=ber_pos, seed=3):
        for call in (lambda: model.predict(x, verbose=0), lambda: model(x).numpy()):
            out = call()
            flipped = out != np.sign(x)
            neg, pos = flipped[:, : N // 2].mean(), flipped[:, N // 2 :].mean()
            assert abs(neg - ber_neg) <= _sigma(ber_neg, N // 2)
            assert abs(pos - ber_pos) <= _sigma(ber_pos, N // 2)
        # a new draw at every call
        assert (model.predict(x, verbose=0) != model.predict(x, verbose=0)).any()
    # exactly error-free again on exit, predict and a bare call alike
    np.testing.assert_array_equal(model.predict(x, verbose=0), clean)
    np.testing.assert_array_equal(model(x).numpy(), np.sign(x))


def test_activation_errors_leave_training_rates_alone_and_check_inputs():
    model = _probe()
    quantizer = model.layers[-1]
    with pytest.raises(ValueError, match="`ber` must be in the range"):
        with activation_errors(model, 1.5):
            pass
    with pytest.raises(ValueError, match="no BerSteSign"):
        with activation_errors(tf.keras.Sequential([tf.keras.layers.Dense(1)]), 0.1):
            pass
    with activation_errors(model, 0.3):
        assert (quantizer.ber_neg, quantizer.ber_pos) == (0.0, 0.0)


@pytest.mark.slow
def test_half_the_activations_flipped_is_chance_accuracy(tiny_batch):
    from larq_ber.data import load

    train = load("digits", split="train", batch_size=64, seed=0)
    test = load("digits", split="test", batch_size=359)
    model = LeNet4()
    model.compile(tf.keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                  ["accuracy"])  # fmt: skip
    model.fit(train, epochs=3, verbose=0)
    clean = model.evaluate(test, verbose=0)[1]
    with activation_errors(model, 0.5, seed=1):
        noisy = model.evaluate(test, verbose=0)[1]
    assert clean > 0.8
    n = 359  # test images; chance is 1/10 (classes balanced within one image each)
    assert abs(noisy - 0.1) <= 4 * np.sqrt(0.1 * 0.9 / n) + 0.02
    assert model.evaluate(test, verbose=0)[1] == clean


def test_weight_errors_flip_the_set_fraction_of_binarized_weights_only():
    model = LeNet4()
    before = {v.name: v.numpy().copy() for v in model.weights}
    kernels = dict(binarized_kernels(model))
    assert list(kernels) == ["binary_conv_2", "binary_dense_3"]
    total = sum(int(np.prod(v.shape)) for v in kernels.values())
    with weight_errors(model, 0.05, seed=0) as flipped:
        changed = sum(
            int((np.sign(v.numpy()) != np.sign(before[v.name])).sum())
            for v in kernels.values()
        )
        assert changed == flipped
        assert abs(flipped / total - 0.05) <= _sigma(0.05, total)
        for v in model.weights:  # real-valued layers untouched
            if all(v is not k for k in kernels.values()):
                np.testing.assert_array_equal(v.numpy(), before[v.name])
    for v in model.weights:
        np.testing.assert_array_equal(v.numpy(), before[v.name])


def test_weight_errors_restore_the_weights_after_an_exception():
    model = LeNet4()
    before = [v.numpy().copy() for v in model.weights]
    with pytest.raises(RuntimeError, match="boom"):
        with weight_errors(model, 0.5, seed=1):
            raise RuntimeError("boom")
    for v, value in zip(model.weights, before, strict=True):
        np.testing.assert_array_equal(v.numpy(), value)
    with pytest.raises(ValueError, match="`ber` must be in the range"):
        with weight_errors(model, -0.1):
            pass


def _zoo_style_model():
    """A small larq model with several sign quantizer kinds, QuickNet-like."""
    import larq as lq

    kernel = {"kernel_quantizer": "ste_sign", "kernel_constraint": "weight_clip",
              "use_bias": False}  # fmt: skip
    inputs = tf.keras.Input((12, 12, 3))
    x = tf.keras.layers.Conv2D(32, 3, padding="same")(inputs)
    x = tf.keras.layers.BatchNormalization()(x)
    x = lq.layers.QuantConv2D(32, 3, input_quantizer="ste_sign", padding="same",
                              pad_values=1.0, **kernel)(x)  # fmt: skip
    x = tf.keras.layers.BatchNormalization()(x)
    x = lq.layers.QuantConv2D(32, 3, input_quantizer="approx_sign", **kernel)(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = lq.layers.QuantConv2D(
        32, 3, input_quantizer=lq.quantizers.SwishSign(beta=5.0), **kernel
    )(x)
    x = tf.keras.layers.Flatten()(x)
    x = lq.layers.QuantDense(
        10, input_quantizer=lq.quantizers.SteSign(clip_value=0.5), **kernel
    )(x)
    return tf.keras.Model(inputs, tf.keras.layers.Softmax()(x))


def _outputs_and_gradients(model, x, y, training):
    with tf.GradientTape() as tape:
        out = model(x, training=training)
        loss = tf.keras.losses.sparse_categorical_crossentropy(y, out)
    grads = tape.gradient(loss, model.trainable_weights)
    return out.numpy(), [g.numpy() for g in grads]


def test_with_bit_errors_is_bit_identical_at_rate_zero_and_flips_above():
    from larq_ber.errors import with_bit_errors
    from larq_ber.quantizers import ber_quantizers

    original = _zoo_style_model()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 12, 12, 3)).astype("float32")
    y = rng.integers(0, 10, 16)
    copy = with_bit_errors(original)
    kinds = [type(q.surrogate).__name__ if q.surrogate else q.clip_value
             for q in ber_quantizers(copy)]  # fmt: skip
    assert kinds == [1.0, "ApproxSign", "SwishSign", 0.5]
    for training in (False, True):
        out_a, grads_a = _outputs_and_gradients(original, x, y, training)
        out_b, grads_b = _outputs_and_gradients(copy, x, y, training)
        np.testing.assert_array_equal(out_a, out_b)
        for a, b in zip(grads_a, grads_b, strict=True):
            np.testing.assert_array_equal(a, b)
    # the original keeps its quantizers; the copy flips once a rate is set
    assert not ber_quantizers(original)
    noisy = with_bit_errors(original, 0.3)
    np.testing.assert_array_equal(noisy(x).numpy(), original(x).numpy())
    # (training also moves BatchNorm's statistics: compare with the original's)
    assert not np.array_equal(
        noisy(x, training=True).numpy(), original(x, training=True).numpy()
    )


def test_with_bit_errors_refuses_what_it_cannot_convert():
    import larq as lq

    from larq_ber.errors import with_bit_errors

    inputs = tf.keras.Input((8,))
    layer = lq.layers.QuantDense(
        4, input_quantizer=lq.quantizers.NoOp(precision=1), name="odd_layer"
    )
    model = tf.keras.Model(inputs, layer(inputs))
    with pytest.raises(ValueError, match=r"layer .odd_layer.*NoOp is 1-bit"):
        with_bit_errors(model)


def test_error_rates_set_the_directions_of_quantizers_and_context_managers():
    rates = ErrorRates(0.01, 0.2, weight_ber=0.05)
    quantizer = BerSteSign(rates)
    assert (quantizer.ber_neg, quantizer.ber_pos) == (0.01, 0.2)
    assert quantizer.ber == pytest.approx(0.105)
    quantizer.set_ber(ErrorRates(0.3, 0.0))
    assert (quantizer.ber_neg, quantizer.ber_pos) == (0.3, 0.0)
    assert BerMagnitudeAwareSign(rates).ber == 0.05

    model = _probe()
    x = np.concatenate([-np.ones((1, N // 2)), np.ones((1, N // 2))], axis=1)
    with activation_errors(model, rates, seed=0):
        flipped = model.predict(x, verbose=0) != np.sign(x)
    assert abs(flipped[:, : N // 2].mean() - 0.01) <= _sigma(0.01, N // 2)
    assert abs(flipped[:, N // 2 :].mean() - 0.2) <= _sigma(0.2, N // 2)

    lenet = LeNet4()
    total = sum(int(np.prod(v.shape)) for _, v in binarized_kernels(lenet))
    with weight_errors(lenet, rates, seed=0) as count:
        assert abs(count / total - 0.05) <= _sigma(0.05, total)


def test_ber_magnitude_aware_sign_flips_weights_in_training_steps_only():
    import larq as lq

    quantizer = BerMagnitudeAwareSign(0.1, seed=3)
    w = tf.random.stateless_normal([3, 3, 32, 64], seed=[1, 2])
    reference = lq.quantizers.MagnitudeAwareSign()(w).numpy()
    np.testing.assert_array_equal(quantizer(w, training=False).numpy(), reference)
    np.testing.assert_array_equal(quantizer(w).numpy(), reference)
    first = quantizer(w, training=True).numpy()
    second = quantizer(w, training=tf.constant(True)).numpy()
    n = w.shape.num_elements()
    for out in (first, second):
        np.testing.assert_allclose(np.abs(out), np.abs(reference))  # scale kept
        rate = np.mean(np.sign(out) != np.sign(reference))
        assert abs(rate - 0.1) <= _sigma(0.1, n)
    assert (first != second).any()  # a fresh draw per step
    # the straight-through gradient of the un-flipped sign
    with tf.GradientTape() as tape:
        tape.watch(w)
        out = quantizer(w, training=True)
    grad = tape.gradient(out, w).numpy()
    scale = np.abs(reference).reshape(-1, 64)[0]
    expected = np.where(np.abs(w.numpy()) <= 1.0, 1.0, 0.0) * scale
    np.testing.assert_allclose(grad, expected, rtol=1e-6)
    quantizer.set_ber(0.0)
    np.testing.assert_array_equal(quantizer(w, training=True).numpy(), reference)
    with pytest.raises(ValueError, match="`ber` must be in the range"):
        BerMagnitudeAwareSign(1.5)


def test_ber_magnitude_aware_sign_alias_config_and_training(tiny_batch):
    import larq as lq

    layer = lq.layers.QuantDense(
        4, kernel_quantizer="ber_magnitude_aware_sign", kernel_constraint="weight_clip"
    )
    assert isinstance(layer.kernel_quantizer, BerMagnitudeAwareSign)
    config = BerMagnitudeAwareSign(0.02, seed=5, clip_value=0.5).get_config()
    again = BerMagnitudeAwareSign.from_config(config)
    assert (again.ber, again.seed, again.clip_value) == (0.02, 5, 0.5)
    model = LeNet4(weight_ber=0.05)
    quantizers = [model.get_layer(name).kernel_quantizer
                  for name, _ in binarized_kernels(model)]  # fmt: skip
    assert len(quantizers) == 2
    assert all(isinstance(q, BerMagnitudeAwareSign) and q.ber == 0.05
               for q in quantizers)  # fmt: skip
    x, y = tiny_batch((28, 28, 1), n=32)
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    clean = model.predict(x, verbose=0)
    np.testing.assert_array_equal(clean, model.predict(x, verbose=0))


def _fraction_within(faults, fraction):
    total = sum(mask.size for mask, _ in faults.faults.values())
    assert abs(faults.stuck / total - fraction) <= _sigma(fraction, total)


def test_stuck_at_positions_read_stuck_at_every_call_and_training_step(tiny_batch):
    x, y = tiny_batch((28, 28, 1), n=32)
    model = LeNet4(ber=0.1)
    model.compile("adam", "sparse_categorical_crossentropy")
    clean = model.predict(x, verbose=0)
    faults = stuck_at(model, 0.2, value=-1, seed=4)
    assert sorted(faults.faults) == [
        "binary_conv_2/input", "binary_conv_2/kernel",
        "binary_dense_3/input", "binary_dense_3/kernel",
    ]  # fmt: skip
    _fraction_within(faults, 0.2)
    assert all((values == -1).all() for _, values in faults.faults.values())
    stuck = model.predict(x, verbose=0)
    assert not np.array_equal(stuck, clean)
    np.testing.assert_array_equal(stuck, model.predict(x, verbose=0))
    np.testing.assert_array_equal(stuck, model(x).numpy())

    # The stuck positions are what the layer sees, in training steps too (after
    # the random flips): record what reaches the quantized kernel and input.
    conv = model.get_layer("binary_conv_2")
    mask_k = faults.faults["binary_conv_2/kernel"][0]
    mask_a = faults.faults["binary_conv_2/input"][0]
    seen = {}
    original = type(conv).convolution_op

    def spy(self, inputs, kernel):
        if self is conv:  # the kernel as quantized inside the layer
            seen["inputs"], seen["kernel"] = inputs, tf.identity(kernel)
        return original(self, inputs, kernel)

    type(conv).convolution_op = spy
    try:
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        with tf.GradientTape():  # an eager training step's forward pass
            model(x, training=True)
    finally:
        type(conv).convolution_op = original
    kernel, inputs = seen["kernel"].numpy(), seen["inputs"].numpy()
    assert (kernel[mask_k] < 0).all()
    assert (inputs[:, mask_a] == -1).all()
    assert (kernel[~mask_k] > 0).any() and (inputs[:, ~mask_a] == 1).any()

    trained = model.predict(x, verbose=0)
    faults.remove()
    assert not faults.applied
    assert not np.array_equal(model.predict(x, verbose=0), trained)
    faults.apply(model)
    np.testing.assert_array_equal(model.predict(x, verbose=0), trained)
    faults.remove()


def test_stuck_at_map_survives_save_and_load_and_is_seeded(tmp_path, tiny_batch):
    x, _ = tiny_batch((28, 28, 1), n=16)
    model = LeNet4()
    clean = model.predict(x, verbose=0)
    with stuck_at(model, 0.1, seed=7) as faults:
        values = np.concatenate([v[m] for m, v in faults.faults.values()])
        # random signs: about half of each
        assert abs((values > 0).mean() - 0.5) <= _sigma(0.5, values.size)
        stuck = model.predict(x, verbose=0)
        faults.save(tmp_path / "faults.npz")
    np.testing.assert_array_equal(model.predict(x, verbose=0), clean)

    loaded = StuckAtFaults.load(tmp_path / "faults.npz")
    assert (loaded.fraction, loaded.value, loaded.seed) == (0.1, None, 7)
    for key, (mask, values) in faults.faults.items():
        np.testing.assert_array_equal(loaded.faults[key][0], mask)
        np.testing.assert_array_equal(loaded.faults[key][1], values)
    copy = LeNet4()
    copy.set_weights(model.get_weights())
    with loaded.apply(copy):
        np.testing.assert_array_equal(copy.predict(x, verbose=0), stuck)
    again = stuck_at(LeNet4(), 0.1, seed=7)
    assert all(
        np.array_equal(again.faults[k][0], m) for k, (m, _) in faults.faults.items()
    )
    again.remove()
    other = stuck_at(model, 0.1, seed=8, targets=["weights"])
    assert sorted(other.faults) == ["binary_conv_2/kernel", "binary_dense_3/kernel"]
    other.remove()


def test_stuck_at_checks_its_inputs(tmp_path):
    model = LeNet4()
    with pytest.raises(ValueError, match="`fraction` must be in the range"):
        stuck_at(model, 2.0)
    with pytest.raises(ValueError, match="`value` must be"):
        stuck_at(model, 0.1, value=0)
    with pytest.raises(ValueError, match="`targets` must be"):
        stuck_at(model, 0.1, targets=["bias"])
    with pytest.raises(ValueError, match="`seed` must be"):
        stuck_at(model, 0.1, seed=-1)
    with pytest.raises(ValueError, match="no weights with a 1-bit"):
        stuck_at(tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(3,))]),
                 0.1, targets=["weights"])  # fmt: skip
    faults = stuck_at(model, 0.1, seed=0)
    with pytest.raises(ValueError, match="applied already"):
        faults.apply(model)
    faults.remove()
    from larq_ber.models import NiN

    with pytest.raises(ValueError, match="'binary_conv_2': the fault map's kernel"):
        faults.apply(NiN(input_shape=(32, 32, 3)))
    with pytest.raises(ValueError, match="names layer 'binary_dense_3'"):
        faults.apply(LeNet4(include_top=False))
    assert not faults.applied
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a saved fault map"):
        StuckAtFaults.load(tmp_path / "other.npz")


@pytest.mark.slow  # three LeNet-4 conversions: about half a minute
def test_exported_models_contain_no_error_ops(tmp_path, tiny_batch):
    from larq_ber.export import RANDOM_OPS, ExportError, to_tflite

    x, y = tiny_batch((28, 28, 1), n=32)
    model = LeNet4(ber=0.1, weight_ber=0.05)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    with activation_errors(model, 0.1, seed=0), weight_errors(model, 0.01, seed=0):
        model.evaluate(x, y, verbose=0)
        assert active_errors(model) == ["activation_errors", "weight_errors"]
        with pytest.raises(ExportError, match="activation_errors, weight_errors"):
            to_tflite(model, tmp_path / "inside.tflite", verify=False)
    with stuck_at(model, 0.05, seed=0):
        model.predict(x, verbose=0)
        with pytest.raises(ExportError, match="stuck_at active"):
            to_tflite(model, tmp_path / "stuck.tflite", verify=False)
    assert active_errors(model) == []
    assert not list(tmp_path.iterdir())
    report = to_tflite(
        model, tmp_path / "after.tflite", verify_samples=x, float_reference=False
    )
    assert not RANDOM_OPS & set(report.census)
    assert report.census["LceBconv2d"] == 2 and report.verified
    plain = LeNet4()
    plain.set_weights(model.get_weights())
    reference = to_tflite(
        plain, tmp_path / "plain.tflite", verify=False, float_reference=False
    )
    assert report.census == reference.census
