"""A run's run.json read back and its network rebuilt for robustness and export."""

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.metrics import accuracy_metrics, has_top5
from larq_ber.storage import write_json
from larq_ber.study.results import RunFiles
from larq_ber.study.runspec import RunSpec

RECORD = {"run_id": "ber0.04_rep0", "recipe": "q", "model": "lenet4",
          "dataset": "digits", "subset": "", "ber": 0.04, "seed": 7,
          "input_shape": [16, 16, 1], "num_classes": 4,
          "recipe_values": {"batch_size": 32}}  # fmt: skip


def _run(tmp_path, **changes):
    files = RunFiles(tmp_path / "run")
    files.folder.mkdir(parents=True)
    write_json(files.run, {**RECORD, **changes})
    return files


def test_load_reads_every_field(tmp_path):
    spec = RunSpec.load(_run(tmp_path).folder)
    assert (spec.model, spec.input_shape, spec.num_classes) == (
        "lenet4",
        (16, 16, 1),
        4,
    )
    assert (spec.seed, spec.batch_size, spec.ber) == (7, 32, 0.04)
    row = {key: RECORD[key] for key in ("run_id", "recipe", "model", "dataset")}
    assert spec.row() == {**row, "subset": "", "ber": 0.04, "seed": 7}


def test_load_refuses_what_is_not_a_run(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"has no run\.json"):
        RunSpec.load(tmp_path)
    files = _run(tmp_path, model="resnet")
    with pytest.raises(ValueError, match="does not describe a run"):
        RunSpec.load(files.folder)
    record = dict(RECORD)
    del record["num_classes"]
    write_json(files.run, record)
    with pytest.raises(ValueError, match=r"missing \['num_classes'\]"):
        RunSpec.load(files.folder)
    for field, value in (("seed", "x"), ("input_shape", ["x"]), ("recipe_values", 3)):
        write_json(files.run, {**RECORD, field: value})
        with pytest.raises(ValueError, match=r"run\.json' does not describe a run"):
            RunSpec.load(files.folder)


def test_network_is_rebuilt_with_the_trained_weights(tmp_path):
    files = _run(tmp_path)
    spec = RunSpec.load(files.folder)
    trained = spec.network()
    x = np.random.default_rng(0).normal(size=(3, 16, 16, 1)).astype("float32")
    trained.save_weights(str(files.best_weights))
    rebuilt = spec.network("best")
    np.testing.assert_array_equal(rebuilt(x).numpy(), trained(x).numpy())
    with pytest.raises(ValueError, match=r"final\.weights\.h5' does not exist"):
        spec.network("final")
    files.final_weights.write_text("not weights")
    with pytest.raises(ValueError, match=r"final\.weights\.h5' cannot be loaded"):
        spec.network("final")
    tf.keras.backend.clear_session()


def test_top5_is_recorded_only_above_five_classes():
    assert [has_top5(n) for n in (None, 2, 5, 6, 10)] == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert [m.name for m in accuracy_metrics(5)] == ["accuracy"]
    assert [m.name for m in accuracy_metrics(6, top1="top1")] == ["top1", "top5"]


PER_LAYER = {"binary_conv_2": 0.16, "binary_dense_3": 0.04}


def test_per_layer_rates_rebuild_the_model_and_rows_keep_the_grid_rate(tmp_path):
    from larq_ber.models import binarized_layers

    files = _run(tmp_path, ber=PER_LAYER, grid_ber=0.0, run_id="ber0_rep0")
    spec = RunSpec.load(files.folder)
    assert spec.ber == PER_LAYER and spec.grid_ber == 0.0
    assert spec.row()["ber"] == 0.0
    network = spec.network()
    network.save_weights(str(files.final_weights))
    model = spec.evaluation_model("final")
    rates = {path: (q.ber, q.ber_neg, q.ber_pos) for path, q in binarized_layers(model)}
    assert rates == {name: (r, r, r) for name, r in PER_LAYER.items()}
    tf.keras.backend.clear_session()


def test_one_rate_is_its_own_grid_rate_and_per_layer_rates_need_one(tmp_path):
    spec = RunSpec.load(_run(tmp_path).folder)
    assert (spec.ber, spec.grid_ber, spec.row()["ber"]) == (0.04, 0.04, 0.04)
    files = RunFiles(tmp_path / "run")
    write_json(files.run, {**RECORD, "ber": PER_LAYER})
    with pytest.raises(ValueError, match=r"run\.json' does not describe a run"):
        RunSpec.load(files.folder)
