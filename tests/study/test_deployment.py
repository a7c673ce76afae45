"""A sweep's run exported to LCE: `larq_ber.study.deployment.export_run`."""

import json

import pytest

from larq_ber.study.deployment import export_run


def test_export_run_says_what_a_run_folder_is(tmp_path):
    with pytest.raises(ValueError, match="`which` must be"):
        export_run(tmp_path, tmp_path / "m.tflite", which="last")
    with pytest.raises(FileNotFoundError, match=r"no run\.json"):
        export_run(tmp_path, tmp_path / "m.tflite")
    assert not list(tmp_path.iterdir())


def test_export_run_needs_the_weights_and_a_model_of_larq_ber(tmp_path):
    from larq_ber.models import LeNet4

    run = tmp_path / "run"
    run.mkdir()
    record = {"run_id": "run", "model": "lenet4", "dataset": "mnist", "seed": 0,
              "input_shape": [28, 28, 1], "num_classes": 10}  # fmt: skip
    (run / "run.json").write_text(json.dumps(record))
    with pytest.raises(FileNotFoundError, match="the run has not finished"):
        export_run(run, tmp_path / "m.tflite")
    (run / "top1max.weights.h5").write_bytes(b"not weights")
    with pytest.raises(ValueError, match=r"missing \['ber'\]"):
        export_run(run, tmp_path / "m.tflite")
    (run / "run.json").write_text(json.dumps({**record, "ber": 0.0}))
    with pytest.raises(ValueError, match="cannot be loaded into lenet4"):
        export_run(run, tmp_path / "m.tflite")
    LeNet4().save_weights(str(run / "final.weights.h5"))
    report = export_run(
        run, tmp_path / "m.tflite", which="final", float_reference=False
    )
    assert report.census["LceBconv2d"] == 2 and report.verified
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite", "run"]


@pytest.mark.slow
def test_export_a_sweep_run_from_the_cli(tmp_path, capsys):
    from larq_ber.study import cli
    from larq_ber.study.recipes import load_recipe
    from larq_ber.study.sweeps import GridPoint, train_run

    recipe = load_recipe(
        "models/quickstart.toml", {"epochs": 1, "bers": [0.08], "repeats": 1}
    )
    run_dir = tmp_path / "run"
    train_run(recipe, GridPoint(0.08, 0), run_dir)
    out = tmp_path / "m.tflite"
    assert cli.main(["export", str(run_dir), "--tflite", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["census"]["LceBconv2d"] == 2 and report["verified"]
    assert report["top1_agreement"] == 1.0 and out.exists()
    assert report["size_ratio"] > 8  # the float32 reference, converted too
    final = ["--which", "final", "--no-float-reference"]
    assert cli.main(["export", str(run_dir), "--tflite", str(out), *final]) == 0
    printed = capsys.readouterr().out
    assert "binary binary_conv_2" in printed
    assert "KiB" in printed.splitlines()[0] and "float32" not in printed
    assert cli.main(["export", str(tmp_path), "--tflite", str(out)]) == 2
    assert "no run.json" in capsys.readouterr().err
