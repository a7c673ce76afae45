"""`larq-ber export`: what it says about a run folder it cannot export."""

from larq_ber.study import cli

from .helpers import one_line_error


def test_export_errors_name_the_run_and_its_files(tmp_path, capsys):
    assert cli.main(["export", str(tmp_path / "nope"), "--tflite", "m.tflite"]) == 2
    assert "does not exist" in one_line_error(capsys, "export")
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{not json")
    assert cli.main(["export", str(run), "--tflite", str(tmp_path / "m.tflite")]) == 2
    assert "run.json" in one_line_error(capsys, "export")
    (run / "run.json").write_text('{"model": "lenet4", "ber": 0.0}')
    assert cli.main(["export", str(run), "--tflite", str(tmp_path / "m.tflite")]) == 2
    line = one_line_error(capsys, "export")
    assert "run.json" in line and "missing ['run_id', 'dataset', 'input_shape'" in line
    (run / "run.json").write_text(
        '{"run_id": "r", "model": "lenet4", "dataset": "mnist", "ber": 0.0, '
        '"input_shape": [28, 28, 1], "num_classes": 10}'
    )
    for content in (b"\x89HDF\r\n\x1a\n" + b"\0" * 64, b"garbage"):
        (run / "top1max.weights.h5").write_bytes(content)
        tflite = str(tmp_path / "m.tflite")
        assert cli.main(["export", str(run), "--tflite", tflite]) == 2
        line = one_line_error(capsys, "export")
        assert "top1max.weights.h5" in line and "cannot be loaded into lenet4" in line
    assert not (tmp_path / "m.tflite").exists()
