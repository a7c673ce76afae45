import subprocess
import sys

import pytest

from larq_ber import cli
from larq_ber.demo import format_table, run_demo


@pytest.mark.slow
def test_run_demo_learns_at_both_rates():
    curves = run_demo([0.0, 0.04], epochs=3)
    assert set(curves) == {0.0, 0.04}
    for ber, accuracies in curves.items():
        assert len(accuracies) == 3
        # chance is 10 %; three epochs on digits reach far more at either rate
        assert max(accuracies) >= 0.8, (ber, accuracies)
    assert "BER 4%" in format_table(curves)


def test_run_demo_bad_arguments():
    with pytest.raises(ValueError, match="`epochs`"):
        run_demo(epochs=0)
    with pytest.raises(ValueError, match="`ber`"):
        run_demo([1.5], epochs=1)


def test_format_table_handles_unequal_lengths():
    text = format_table({0.0: [0.5, 0.75], 0.16: [0.25]})
    lines = text.splitlines()
    assert lines[0].split() == ["epoch", "BER", "0%", "BER", "16%"]
    assert "75.00%" in lines[2] and "25.00%" in lines[1]


def test_cli_rejects_bad_ber_with_message(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["demo", "--bers", "2"])
    assert exc.value.code == 2
    assert "a BER must be a number in [0, 1]" in capsys.readouterr().err


@pytest.mark.slow
def test_console_script_demo_runs():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "larq_ber.cli",
            "demo",
            "--epochs",
            "1",
            "--bers",
            "0",
            "0.04",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    lines = out.strip().splitlines()
    assert lines[-2].split()[:3] == ["epoch", "BER", "0%"]
    row = lines[-1].split()
    assert row[0] == "1" and all(cell.endswith("%") for cell in row[1:])
