"""`larq-ber robustness` (its argument checks are in test_parser)."""

import pytest

from larq_ber.study import cli

from .helpers import one_line_error, usage_error


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


def test_lifetime_options_do_not_mix_with_robustness_options(tmp_path, capsys):
    argv = ["robustness", str(tmp_path), "--storage-times", "1", "1h"]
    assert cli.main([*argv, "--test-bers", "0.1", "--repeats", "3"]) == 2
    line = one_line_error(capsys, "robustness")
    assert "--test-bers, --repeats cannot be mixed with the lifetime options" in line
    assert cli.main(["robustness", str(tmp_path), "--temperatures", "85C"]) == 2
    line = one_line_error(capsys, "robustness")
    assert "--temperatures apply only with --storage-times" in line


def test_lifetime_options_parse_lists_with_commas_or_spaces(tmp_path):
    from larq_ber.study.cli import _lifetime

    args = cli.build_parser().parse_args([
        "robustness", str(tmp_path), "--storage-times", "1", "1h,10y",
        "--temperatures", "25C,60C,85C", "--reads", "0", "1e6", "--delta-spread",
        "0,0.1", "--draws", "4",
    ])  # fmt: skip
    assert args.storage_times == [["1"], ["1h", "10y"]]
    assert args.temperatures == [["25C", "60C", "85C"]]
    assert args.reads == [[0], [1_000_000]] and args.delta_spread == [[0.0, 0.1]]
    assert _lifetime.given(args) == ["--storage-times", "--temperatures", "--reads",
                                     "--delta-spread", "--draws"]  # fmt: skip


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--reads", "1.5", "expected integers >= 0"),
     ("--delta-spread", "-1", "expected a number >= 0"),
     ("--draws", "1", "expected an integer >= 2"),
     ("--read-polarity", "both", "invalid choice")],
)  # fmt: skip
def test_bad_lifetime_values_are_usage_errors(tmp_path, capsys, option, value,
                                              message):  # fmt: skip
    argv = ["robustness", str(tmp_path), "--storage-times", "1", option, value]
    assert message in usage_error(argv, capsys)
