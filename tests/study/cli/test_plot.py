"""`larq-ber plot`."""

from larq_ber.study import cli

from .helpers import one_line_error


def test_plot_refuses_an_unknown_figure_format(tmp_path, capsys):
    assert cli.main(["plot", str(tmp_path), "--figure", str(tmp_path / "f.gif")]) == 2
    assert "must end in one of" in capsys.readouterr().err


def test_plot_of_robustness_says_to_run_robustness_first(tmp_path, capsys):
    assert cli.main(["plot", str(tmp_path), "--kind", "robustness",
                     "--figure", str(tmp_path / "r.png")]) == 2  # fmt: skip
    assert "run `larq-ber robustness` first" in one_line_error(capsys, "plot")
