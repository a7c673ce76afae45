"""Layer sensitivity: `larq_ber.sensitivity`."""

import math

import numpy as np
import pytest
import tensorflow as tf

import larq_ber.sensitivity as module
from larq_ber.errors.maps import activation_positions
from larq_ber.rates import ErrorRates
from larq_ber.sensitivity import COLUMNS, Sensitivity, plot_sensitivity, sensitivity
from larq_ber.stats import mean_interval, t_quantile
from tests.errors.helpers import images, nested_model

LAYERS = ["inner/qconv", "inner/qdense", "top"]


def _deployed(n=512):
    """A compiled model and test data it classifies perfectly without errors."""
    model, inner = nested_model()
    x = images(n, seed=1)
    y = np.argmax(model.predict(x, verbose=0), axis=1)
    model.compile(
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model, inner, (x, y)


@pytest.fixture(scope="module")
def deployed():
    return _deployed()


@pytest.fixture(scope="module")
def table(deployed):
    model, _, data = deployed
    return sensitivity(model, data, 0.1, draws=4, seed=3)


def test_every_layer_with_its_writes_share_and_intervals(deployed, table):
    model, _, _ = deployed
    sizes = [int(np.prod(shape)) for _, _, shape in activation_positions(model)]
    assert table.names() == LAYERS and len(table) == 3
    assert [e.writes for e in table] == sizes == [36, 64, 8]  # input sizes
    assert math.fsum(e.share for e in table) == pytest.approx(1.0, abs=1e-12)
    assert table.clean == 100.0  # the labels are the clean predictions
    for entry in table:
        assert len(entry.values) == 4 and max(entry.values) <= 100.0
        assert entry.accuracy == mean_interval(entry.values, 0.95)
        drop = entry.drop
        assert drop.mean == pytest.approx(100.0 - np.mean(entry.values))
        assert drop.mean >= 0.0  # no draw beats the error-free network here
        assert drop.low == pytest.approx(100.0 - entry.accuracy.high)
        assert drop.high == pytest.approx(100.0 - entry.accuracy.low)
        assert drop.low <= drop.mean <= drop.high
        assert drop.half_width == entry.accuracy.half_width
    assert max(e.drop.mean for e in table) > 0  # 10 % of flips cost something
    assert table["top"] is table[2]
    with pytest.raises(KeyError, match="inner/qconv"):
        table["nope"]


def test_rows_and_text_carry_the_table(table):
    rows = table.rows()
    assert [tuple(row) for row in rows] == [COLUMNS] * 3
    assert [row["layer"] for row in rows] == LAYERS
    assert rows[1]["drop_low"] == table[1].drop.low and rows[1]["seed"] == 3
    text = str(table)
    for entry in table:
        assert entry.layer in text and f"{entry.drop.mean:.2f}" in text
    assert "BER 0.1" in text and "4 draws" in text and "100.00 %" in text


def test_only_the_named_layer_flips(deployed, monkeypatch):
    model, inner, (x, y) = deployed
    quantizers = {path: q for path, q, _ in activation_positions(model)}
    clean_inner = inner.predict(x, verbose=0)
    seen = []
    original = module.accuracy

    def spy(model_, data, metric):
        rates = {path: (q.inference_errors or (0.0, 0.0))
                 for path, q in quantizers.items()}  # fmt: skip
        flipping = [p for p, (neg, pos) in rates.items() if np.any(neg) or np.any(pos)]
        seen.append(flipping)
        if flipping == ["top"]:  # the inner layers compute as without errors
            np.testing.assert_array_equal(inner.predict(x, verbose=0), clean_inner)
        if flipping:
            neg, pos = rates[flipping[0]]
            assert np.all(neg == np.float32(0.2)) and np.all(pos == np.float32(0.05))
        return original(model_, data, metric)

    monkeypatch.setattr(module, "accuracy", spy)
    sensitivity(model, (x, y), ErrorRates(0.2, 0.05), draws=2, seed=0)
    assert seen == [[]] + [[p] for p in LAYERS for _ in range(2)]
    assert all(q.inference_errors is None for q in quantizers.values())


def test_every_bit_flipped_in_the_last_layer_negates_its_kernel(deployed):
    model, _, data = deployed
    table = sensitivity(model, data, 1.0, draws=2, layers=["top"])
    assert table.names() == ["top"] and table[0].accuracy.half_width == 0.0
    kernel = model.get_layer("top").kernel
    before = kernel.numpy()
    kernel.assign(-before)  # sign(-w) x = sign(w) (-x): the same logits
    try:
        negated = model.evaluate(*data, verbose=0, return_dict=True)["accuracy"]
    finally:
        kernel.assign(before)
    assert table[0].values == (100.0 * negated,) * 2
    assert table[0].share == pytest.approx(8 / 108)  # of all the writes


def test_seeded_draws_repeat_and_agree_across_seeds(deployed, table):
    model, _, data = deployed
    again = sensitivity(model, data, 0.1, draws=4, seed=3, layers=["inner/qdense"])
    assert again[0].values == table["inner/qdense"].values
    other = sensitivity(model, data, 0.1, draws=4, seed=4, layers=["inner/qdense"])
    assert other[0].values != again[0].values
    # two seeds estimate one mean: within 4 standard errors of their difference
    a, b = again[0].accuracy, other[0].accuracy
    se = math.hypot(a.std / math.sqrt(a.n), b.std / math.sqrt(b.n))
    assert abs(a.mean - b.mean) <= 4 * max(se, 100.0 / len(data[1]))
    assert a.half_width == pytest.approx(t_quantile(0.95, 3) * a.std / 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"ber": 1.5}, "`ber` must be in the range [0, 1], got 1.5"),
     ({"ber": -0.1}, "`ber` must be in the range [0, 1]"),
     ({"draws": 1}, "`draws` must be an integer in [2, 100,000]"),
     ({"confidence": 1.0}, "`confidence` must be in (0, 1)"),
     ({"seed": -1}, "seed"),
     ({"layers": ["inner/qconv", "nope"]},
      "`layers` must name binarized layers of the model, got ['nope']; the "
      "layers are ['inner/qconv', 'inner/qdense', 'top']"),
     ({"layers": []}, "`layers` must name binarized layers")],
)  # fmt: skip
def test_bad_arguments_get_one_line(deployed, kwargs, message):
    model, _, data = deployed
    arguments = {"ber": 0.1, **kwargs}
    with pytest.raises(ValueError) as error:
        sensitivity(model, data, arguments.pop("ber"), **arguments)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_model_without_binarized_layers_is_refused():
    inputs = tf.keras.Input((4,))
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(2)(inputs))
    model.compile(loss="mse", metrics=["accuracy"])
    data = (np.zeros((2, 4), "float32"), np.zeros(2))
    with pytest.raises(ValueError, match="no binarized layer") as error:
        sensitivity(model, data, 0.1)
    assert "\n" not in str(error.value)


def test_the_figure_has_one_labelled_point_per_layer(table, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plot_sensitivity(table)
    ax = figure.axes[0]
    labels = [t.get_text().split("\n")[0] for t in ax.texts]
    assert labels == LAYERS
    points = [line.get_xydata()[0] for line in ax.lines if line.get_marker() == "o"]
    expected = [(100 * e.share, e.drop.mean) for e in table]
    np.testing.assert_allclose(points, expected)
    figure.savefig(tmp_path / "s.png")
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    plt.close(figure)
    with pytest.raises(ValueError, match="`table` must hold at least one layer"):
        plot_sensitivity(Sensitivity((), 100.0, 0.1, 0.1, 2, 0.95, 0))
