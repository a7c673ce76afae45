"""`larq-ber robustness` (its argument checks are in test_parser)."""

from larq_ber.study import cli

from .helpers import one_line_error


def test_robustness_of_a_folder_without_finished_runs(tmp_path, capsys):
    assert cli.main(["robustness", str(tmp_path), "--no-progress"]) == 2
    assert "No finished run under" in one_line_error(capsys, "robustness")


def test_auto_repeats_options_are_checked_in_one_line(tmp_path, capsys):
    from larq_ber.storage import write_json
    from larq_ber.study.results import SweepFiles

    write_json(SweepFiles(tmp_path).run("r").result, {"run_id": "r"})
    base = ["robustness", str(tmp_path), "--no-progress"]
    cases = [
        (["--repeats", "auto"], "--margin is needed with --repeats auto"),
        (["--margin", "0.25"], "--margin apply only with --repeats auto"),
        (["--repeats", "3", "--max-repeats", "50"], "--max-repeats apply only"),
        (["--repeats", "auto", "--margin", "0.25", "--min-repeats", "1"],
         "--min-repeats must be an integer >= 2, got 1"),
        (["--repeats", "auto", "--margin", "0.25", "--max-repeats", "4"],
         "--max-repeats must be an integer >= --min-repeats = 10, got 4"),
    ]  # fmt: skip
    for extra, message in cases:
        assert cli.main([*base, *extra]) == 2
        assert message in one_line_error(capsys, "robustness")


def test_bad_repeats_and_confidence_are_usage_errors(tmp_path, capsys):
    from .helpers import usage_error

    err = usage_error(["robustness", str(tmp_path), "--repeats", "many"], capsys)
    assert "expected an integer >= 1 or 'auto', got 'many'" in err
    err = usage_error(["robustness", str(tmp_path), "--confidence", "1"], capsys)
    assert "expected a number in (0, 1), got '1'" in err
    err = usage_error(["robustness", str(tmp_path), "--margin", "0"], capsys)
    assert "expected a number > 0, got '0'" in err
