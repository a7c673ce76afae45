import csv

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.callbacks import COLUMNS, BerLogger, BerSchedule, RunInfo
from larq_ber.models import LeNet4
from larq_ber.quantizers import BerSteSign
from larq_ber.study.data import digits_arrays

N_TRAIN = 256


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_test, y_test) = digits_arrays()
    return (x[:N_TRAIN], y[:N_TRAIN]), (x_test[:128], y_test[:128])


def _model(**kwargs):
    model = LeNet4(**kwargs)
    model.compile(
        tf.keras.optimizers.Adam(1e-3),
        "sparse_categorical_crossentropy",
        ["accuracy", tf.keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5")],
    )
    return model


def _rows(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_logger_writes_one_row_per_epoch_and_resumes(tmp_path, digits):
    (x, y), test = digits
    path = tmp_path / "runs.csv"
    info = RunInfo(run_id="r1", recipe="quick", model="lenet4", dataset="digits",
                   ber=0.04, seed=3)  # fmt: skip
    logger = BerLogger(str(path), run_info=info)
    model = _model(ber=0.04)
    history = model.fit(x, y, epochs=3, batch_size=64, validation_data=test,
                        callbacks=[logger], verbose=0).history  # fmt: skip
    rows = _rows(path)
    assert list(rows[0]) == list(COLUMNS)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    for row, top1, top5, loss in zip(rows, history["val_accuracy"], history["val_top5"],
                                     history["loss"], strict=True):  # fmt: skip
        assert float(row["test_top1"]) == pytest.approx(top1)
        assert float(row["test_top5"]) == pytest.approx(top5)
        assert float(row["train_loss"]) == pytest.approx(loss)
        assert (row["run_id"], row["ber"], row["ber_neg"], row["seed"]) == (
            "r1",
            "0.04",
            "0.04",
            "3",
        )
        assert float(row["wall_s"]) > 0
    assert logger.top1_max == pytest.approx(max(history["val_accuracy"]))
    assert logger.top1_max_epoch == 1 + int(np.argmax(history["val_accuracy"]))
    # a resumed run appends below, without a second header
    model.fit(x, y, epochs=4, initial_epoch=3, batch_size=64, validation_data=test,
              callbacks=[logger], verbose=0)  # fmt: skip
    rows = _rows(path)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]


def test_logger_creates_the_folder_of_its_table(tmp_path, digits):
    (x, y), test = digits
    path = tmp_path / "runs" / "new" / "lenet4.csv"
    logger = BerLogger(str(path), run_info={"run_id": "r", "seed": 0})
    _model().fit(x, y, epochs=1, batch_size=128, validation_data=test,
                 callbacks=[logger], verbose=0)  # fmt: skip
    assert [int(r["epoch"]) for r in _rows(path)] == [1]


def test_logger_keeps_completed_epochs_when_training_crashes(tmp_path, digits):
    (x, y), test = digits
    path = tmp_path / "crash.csv"

    class Crash(tf.keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if self.params and getattr(self, "epoch", 0) == 1 and batch == 2:
                raise RuntimeError("simulated crash")

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    with pytest.raises(RuntimeError, match="simulated crash"):
        logger = BerLogger(str(path), run_info={"run_id": "c"})
        _model().fit(x, y, epochs=3, batch_size=64, validation_data=test, verbose=0,
                     callbacks=[logger, Crash()])  # fmt: skip
    assert [r["epoch"] for r in _rows(path)] == ["1"]


def test_logger_errors(tmp_path, digits):
    with pytest.raises(ValueError, match=r"unknown fields \['colour'\]"):
        BerLogger(str(tmp_path / "x.csv"), run_info={"colour": "red"})
    (x, y), _ = digits
    with pytest.raises(ValueError, match="validation_data"):
        logger = BerLogger(str(tmp_path / "x.csv"), run_info={})
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[logger])


def test_top5_is_empty_for_few_classes(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 2, 64)
    model = LeNet4(num_classes=2)
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    path = tmp_path / "two.csv"
    model.fit(x, y, epochs=1, validation_data=(x, y), verbose=0,
              callbacks=[BerLogger(str(path), run_info={})])  # fmt: skip
    assert _rows(path)[0]["test_top5"] == ""


def test_schedule_sets_rates_each_epoch_and_logs_them(tmp_path, digits):
    (x, y), test = digits
    quantizer = BerSteSign(0.0, name="probe")
    inputs = tf.keras.Input((28, 28, 1))
    probe = tf.keras.Model(inputs, tf.keras.layers.Flatten()(quantizer(inputs)))
    schedule = [0.0, 0.1, (0.02, 0.3)]
    path = tmp_path / "schedule.csv"
    model = _model()
    seen = []

    class Spy(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            q = model.get_layer("binary_conv_2").input_quantizer
            seen.append((q.ber_neg, q.ber_pos))

    history = model.fit(
        x, y, epochs=3, batch_size=64, validation_data=test, verbose=0,
        callbacks=[BerSchedule(lambda e: schedule[e]), Spy(),
                   BerLogger(str(path), run_info={"ber": 0.0})],
    ).history  # fmt: skip
    assert seen == [(0.0, 0.0), (0.1, 0.1), (0.02, 0.3)]
    assert history["ber_neg"] == [0.0, 0.1, 0.02] and history["ber_pos"] == [
        0.0,
        0.1,
        0.3,
    ]
    rows = _rows(path)
    assert [(r["ber_neg"], r["ber_pos"]) for r in rows] == [
        ("0.0", "0.0"),
        ("0.1", "0.1"),
        ("0.02", "0.3"),
    ]
    # the schedule drives the flips: measured on a probe quantizer set the same way
    set_probe = BerSchedule(lambda e: schedule[e])
    set_probe.set_model(probe)
    set_probe.on_epoch_begin(2)
    out = probe(tf.fill([2000, 28, 28, 1], -1.0), training=True).numpy()
    n = out.size
    assert abs((out > 0).mean() - 0.02) <= 4 * np.sqrt(0.02 * 0.98 / n)


def test_schedule_rejects_bad_values(digits):
    (x, y), _ = digits
    model = _model()
    with pytest.raises(ValueError, match="epoch 0"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[BerSchedule(lambda e: 1.5)])
    with pytest.raises(ValueError, match="no BerSteSign"):
        plain = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(28, 28, 1)),
                                     tf.keras.layers.Dense(10)])  # fmt: skip
        plain.compile("adam", "mse")
        plain.fit(x, tf.one_hot(y, 10), epochs=1, verbose=0,
                  callbacks=[BerSchedule(lambda e: 0.1)])  # fmt: skip


def test_logged_rates_are_the_quantizers_not_the_run_info(tmp_path, digits):
    (x, y), test = digits
    model = _model(ber=0.3, ber_pos=0.1)
    path = tmp_path / "rates.csv"
    model.fit(x[:64], y[:64], epochs=1, validation_data=test, verbose=0,
              callbacks=[BerLogger(str(path), run_info={"ber": 0.0})])  # fmt: skip
    (row,) = _rows(path)
    assert (row["ber"], row["ber_neg"], row["ber_pos"]) == ("0.2", "0.3", "0.1")
    # with per-layer rates the run_info's are logged
    model = _model(ber=[0.1, 0.2])
    path = tmp_path / "per_layer.csv"
    model.fit(x[:64], y[:64], epochs=1, validation_data=test, verbose=0,
              callbacks=[BerLogger(str(path), run_info={"ber": 0.15})])  # fmt: skip
    (row,) = _rows(path)
    assert (row["ber"], row["ber_neg"], row["ber_pos"]) == ("0.15", "0.15", "0.15")
