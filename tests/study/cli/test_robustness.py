"""`larq-ber robustness` (its argument checks are in test_parser)."""

from larq_ber.study import cli

from .helpers import one_line_error


def test_robustness_of_a_folder_without_finished_runs(tmp_path, capsys):
    assert cli.main(["robustness", str(tmp_path), "--no-progress"]) == 2
    assert "No finished run under" in one_line_error(capsys, "robustness")
