"""Weight sign flips: `larq_ber.errors.weight_errors` (and `BerMagnitudeAwareSign`)."""

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.errors import binarized_kernels, weight_errors
from larq_ber.models import LeNet4
from larq_ber.quantizers import BerMagnitudeAwareSign
from larq_ber.rates import ErrorRates
from tests.errors.helpers import sigma


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
        assert abs(flipped / total - 0.05) <= sigma(0.05, total)
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
    with pytest.raises(ValueError, match="no layer with a 1-bit kernel_quantizer"):
        with weight_errors(tf.keras.Sequential([tf.keras.layers.Dense(1)]), 0.1):
            pass


def test_a_flipped_zero_weight_becomes_negative():
    model = LeNet4()
    (_, kernel), _ = binarized_kernels(model)
    kernel.assign(np.zeros(kernel.shape, np.float32))
    with weight_errors(model, 1.0, seed=0) as flipped:
        assert flipped >= kernel.shape.num_elements()
        np.testing.assert_array_equal(
            kernel.numpy(), np.full(kernel.shape, -1e-12, np.float32)
        )
    assert not kernel.numpy().any()


def test_error_rates_set_the_rate_of_weight_errors():
    rates = ErrorRates(0.01, 0.2, weight_ber=0.05)
    lenet = LeNet4()
    total = sum(int(np.prod(v.shape)) for _, v in binarized_kernels(lenet))
    with weight_errors(lenet, rates, seed=0) as count:
        assert abs(count / total - 0.05) <= sigma(0.05, total)


# The two tests below belong with the quantizer's tests (tests/test_quantizers.py):
# kept here, where they were, beside the weight errors at deployment.
def test_ber_magnitude_aware_sign_flips_weights_in_training_steps_only():
    import larq as lq

    assert BerMagnitudeAwareSign(ErrorRates(0.01, 0.2, weight_ber=0.05)).ber == 0.05
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
        assert abs(rate - 0.1) <= sigma(0.1, n)
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


def test_weight_errors_flip_every_kernel_of_nested_models_and_restore_them():
    from tests.errors.helpers import assert_same_weights, nested_model, weights_of

    model, inner = nested_model()
    before = weights_of(model)
    kernels = dict(binarized_kernels(model))
    assert list(kernels) == ["inner/qconv", "inner/qdense", "top"]
    clean = {name: v.numpy().copy() for name, v in kernels.items()}
    total = sum(v.size for v in clean.values())
    with weight_errors(model, 1.0, seed=0) as flipped:
        assert flipped == total
        for name, variable in kernels.items():  # 100 % of every kernel
            np.testing.assert_array_equal(variable.numpy(), -clean[name])
    assert_same_weights(model, before)
    with weight_errors(inner, 1.0, seed=0) as flipped:  # the inner model alone
        assert flipped == total - clean["top"].size
        np.testing.assert_array_equal(kernels["top"].numpy(), clean["top"])
    assert_same_weights(model, before)


def test_a_shared_layer_is_flipped_once():
    import larq as lq

    dense = lq.layers.QuantDense(4, kernel_quantizer="ste_sign", name="shared")
    inputs = tf.keras.Input((4,))
    model = tf.keras.Model(inputs, dense(dense(inputs)))
    before = dense.kernel.numpy().copy()
    assert [name for name, _ in binarized_kernels(model)] == ["shared"]
    with weight_errors(model, 1.0, seed=0) as flipped:
        assert flipped == before.size
        np.testing.assert_array_equal(dense.kernel.numpy(), -before)
    np.testing.assert_array_equal(dense.kernel.numpy(), before)


@pytest.mark.parametrize("order", ["AB", "BA"])
def test_weight_errors_blocks_end_in_any_order_to_the_exact_weights(order):
    from larq_ber.errors.weights import _flip_signs
    from tests.errors.helpers import assert_same_weights, nested_model, weights_of

    model, _ = nested_model()
    (_, kernel), *_ = binarized_kernels(model)  # the first kernel drawn
    index = np.arange(kernel.shape.num_elements()).reshape(kernel.shape)
    kernel.assign(np.where(index % 3 == 0, 0.0, kernel.numpy()))  # zeros too
    before, clean = weights_of(model), kernel.numpy().copy()
    seeds = {"A": 1, "B": 2}
    blocks = {
        name: weight_errors(model, 0.5, seed=seed) for name, seed in seeds.items()
    }
    blocks["A"].__enter__()
    blocks["B"].__enter__()
    blocks[order[0]].__exit__(None, None, None)
    # the clean kernel flipped by the block still active, and by it alone
    mask = np.random.default_rng(seeds[order[1]]).random(clean.shape) < 0.5
    np.testing.assert_array_equal(kernel.numpy(), _flip_signs(clean, mask))
    blocks[order[1]].__exit__(None, None, None)
    assert_same_weights(model, before)


def test_saving_inside_weight_errors_is_refused_and_works_after(tmp_path):
    from larq_ber.errors import active_errors
    from tests.errors.helpers import images, nested_model

    model, inner = nested_model()
    clean = model.predict(images(), verbose=0)
    with weight_errors(model, 0.3, seed=0):
        for target in (model, inner):  # the nested model refuses too
            with pytest.raises(RuntimeError, match="after the `with` block") as error:
                target.save_weights(str(tmp_path / "w.h5"))
            assert "weight_errors" in str(error.value)
            with pytest.raises(RuntimeError, match="after the `with` block"):
                target.save(str(tmp_path / "m.keras"))
    assert active_errors(model) == []
    model.save_weights(str(tmp_path / "w.h5"))  # clean weights, after the block
    copy, _ = nested_model()
    copy.set_weights([np.zeros_like(w) for w in copy.get_weights()])
    copy.load_weights(str(tmp_path / "w.h5"))
    np.testing.assert_array_equal(copy.predict(images(), verbose=0), clean)
    assert not (tmp_path / "m.keras").exists()


def test_one_model_in_two_threads_blocks_is_refused():
    import threading

    from larq_ber.errors import activation_errors, stuck_at
    from tests.errors.helpers import assert_same_weights, nested_model, weights_of

    model, inner = nested_model()
    before = weights_of(model)
    entered, leave, errors = threading.Event(), threading.Event(), []

    def hold():
        with weight_errors(model, 0.5, seed=0):
            entered.set()
            leave.wait(60)

    thread = threading.Thread(target=hold, name="holder")
    thread.start()
    try:
        assert entered.wait(60)
        for block in (lambda: weight_errors(inner, 0.0, seed=0),
                      lambda: activation_errors(model, 0.0, seed=0),
                      lambda: stuck_at(model, 0.1, seed=0)):  # fmt: skip
            try:
                with block():
                    pass
            except RuntimeError as error:
                errors.append(str(error))
    finally:
        leave.set()
        thread.join()
    assert len(errors) == 3
    assert all("thread 'holder'" in e and "\n" not in e for e in errors)
    assert_same_weights(model, before)
    with weight_errors(model, 0.0, seed=0):  # free again once the thread is done
        pass
