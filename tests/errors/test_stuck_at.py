"""Stuck-at faults: `larq_ber.errors.stuck_at` and its `StuckAtFaults` map."""

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.errors import StuckAtFaults, active_errors, stuck_at
from larq_ber.models import LeNet4
from tests.errors.helpers import sigma


def _fraction_within(faults, fraction):
    total = sum(mask.size for mask, _ in faults.faults.values())
    assert abs(faults.stuck / total - fraction) <= sigma(fraction, total)


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
    original = conv.convolution_op  # the layer's own (larq_ber.binary_conv's)

    def spy(inputs, kernel):
        # The kernel as quantized inside the layer.
        seen["inputs"], seen["kernel"] = inputs, tf.identity(kernel)
        return original(inputs, kernel)

    object.__setattr__(conv, "convolution_op", spy)
    try:
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        with tf.GradientTape():  # an eager training step's forward pass
            model(x, training=True)
    finally:
        object.__setattr__(conv, "convolution_op", original)
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
        assert abs((values > 0).mean() - 0.5) <= sigma(0.5, values.size)
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
    assert active_errors(model) == ["stuck_at"]
    with pytest.raises(ValueError, match="applied already"):
        faults.apply(model)
    faults.remove()
    assert active_errors(model) == []
    faults.remove()  # removing twice does nothing
    from larq_ber.models import NiN

    with pytest.raises(ValueError, match="'binary_conv_2': the fault map's kernel"):
        faults.apply(NiN(input_shape=(32, 32, 3)))
    with pytest.raises(ValueError, match="names layer 'binary_dense_3'"):
        faults.apply(LeNet4(include_top=False))
    assert not faults.applied
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a saved fault map"):
        StuckAtFaults.load(tmp_path / "other.npz")


def test_stuck_at_reaches_the_layers_of_nested_models():
    from tests.errors.helpers import images, nested_model

    model, inner = nested_model()
    x = images()
    clean = model.predict(x, verbose=0)
    with stuck_at(model, 1.0, value=-1, seed=0, targets=["weights"]) as faults:
        assert sorted(faults.faults) == ["inner/qconv/kernel", "inner/qdense/kernel",
                                         "top/kernel"]  # fmt: skip
        kernel = inner.get_layer("qconv").kernel
        read = kernel.quantizer(tf.constant(kernel.latent_variable.numpy()))
        assert (read.numpy() == -1).all()  # every nested weight reads -1
        stuck = model.predict(x, verbose=0)
        assert not np.array_equal(stuck, clean)
        np.testing.assert_array_equal(model(x).numpy(), stuck)
    np.testing.assert_array_equal(model.predict(x, verbose=0), clean)


@pytest.mark.parametrize("order", ["AB", "BA"])
def test_two_maps_come_off_in_any_order_to_the_clean_model(order, tmp_path):
    from tests.errors.helpers import images, nested_model

    model, inner = nested_model()
    x = images()
    clean = model.predict(x, verbose=0)
    quantizers = [(layer, layer.input_quantizer, layer.kernel.quantizer)
                  for layer in (inner.get_layer("qconv"), inner.get_layer("qdense"),
                                model.get_layer("top"))]  # fmt: skip
    maps = {"A": stuck_at(model, 0.3, value=-1, seed=1),
            "B": stuck_at(model, 0.3, value=1, seed=2)}  # fmt: skip
    both = model.predict(x, verbose=0)
    maps[order[0]].remove()
    assert active_errors(model) == ["stuck_at"]
    alone = model.predict(x, verbose=0)
    maps[order[0]].apply(model)  # the remaining map alone, then both again
    maps[order[0]].remove()
    np.testing.assert_array_equal(model.predict(x, verbose=0), alone)
    assert not np.array_equal(alone, both)
    maps[order[1]].remove()
    assert active_errors(model) == [] and active_errors(inner) == []
    for layer, input_quantizer, kernel_quantizer in quantizers:
        assert layer.input_quantizer is input_quantizer
        assert layer.kernel.quantizer is kernel_quantizer
    np.testing.assert_array_equal(model.predict(x, verbose=0), clean)
    model.save(tmp_path / "clean.h5")  # saves and loads again once clean
    loaded = tf.keras.models.load_model(tmp_path / "clean.h5")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), clean)


def test_saving_with_faults_on_is_refused(tmp_path):
    model = LeNet4()
    with stuck_at(model, 0.1, seed=0) as faults:
        for path in ("x.h5", "x.keras", "saved"):
            with pytest.raises(RuntimeError, match="stuck_at active: save it after"):
                model.save(tmp_path / path)
        with pytest.raises(RuntimeError, match=r"faults\.remove"):
            model.save_weights(tmp_path / "w.h5")
        faults.save(tmp_path / "faults.npz")  # the map itself saves
    assert sorted(p.name for p in tmp_path.iterdir()) == ["faults.npz"]
    model.save(tmp_path / "x.h5")
    assert "save" not in vars(model)


def test_maps_removed_in_creation_order_leave_an_exportable_model(tmp_path):
    from larq_ber.export import to_tflite

    model = LeNet4()
    first = stuck_at(model, 0.1, value=-1, seed=1)
    second = stuck_at(model, 0.1, value=1, seed=2)
    first.remove()
    second.remove()
    assert active_errors(model) == []
    report = to_tflite(model, tmp_path / "m.tflite", verify=False,
                       float_reference=False)  # fmt: skip
    assert (tmp_path / "m.tflite").stat().st_size > 0 and report is not None
