"""`larq-ber mtj table|figure|wer`."""

from larq_ber.study import cli

from .helpers import one_line_error


def test_mtj_wer(capsys):
    assert cli.main(["mtj", "wer", "--voltage", "0.6", "--pulse", "10e-9"]) == 0
    assert "1.3285e-03" in capsys.readouterr().out


def test_mtj_table(capsys):
    assert cli.main(["mtj", "table"]) == 0
    out = capsys.readouterr().out
    for value in ("0.6679 V", "0.8348", "0.5288", "0.4378", "14.195", "6.725", "4.825"):
        assert value in out, value


def test_mtj_figure(tmp_path, capsys):
    assert cli.main(["mtj", "figure", "--figure", str(tmp_path / "fig5.svg")]) == 0
    assert (tmp_path / "fig5.svg").read_bytes().startswith(b"<?xml")
    assert cli.main(["mtj", "figure", "--figure", str(tmp_path / "f.gif")]) == 2
    assert "must end in .png, .pdf or .svg" in one_line_error(capsys, "mtj")


def test_mtj_refuses_voltages_above_breakdown_and_bounds_small_wers(capsys):
    assert cli.main(["mtj", "wer", "--voltage", "2.0", "--pulse", "10e-9"]) == 2
    assert "above the breakdown voltage" in one_line_error(capsys, "mtj")
    assert cli.main(["mtj", "wer", "--voltage", "1.2", "--pulse", "40e-9"]) == 0
    assert "< 1e-09" in capsys.readouterr().out


def test_mtj_device_options_change_the_device(capsys):
    assert cli.main(["mtj", "wer", "--voltage", "0.6", "--pulse", "10e-9"]) == 0
    paper = capsys.readouterr().out
    argv = ["mtj", "wer", "--voltage", "0.6", "--pulse", "10e-9", "--delta", "60"]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out != paper
