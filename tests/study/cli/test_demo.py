"""`larq-ber demo`."""

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_console_script_demo_runs():
    out = subprocess.run(
        [sys.executable, "-m", "larq_ber.study.cli", "demo", "--epochs", "1", "--bers",
         "0", "0.04"],
        check=True, capture_output=True, text=True, timeout=600,
    ).stdout  # fmt: skip
    lines = out.strip().splitlines()
    assert lines[1].split()[:3] == ["epoch", "BER", "0%"]
    row = lines[2].split()
    assert row[0] == "1" and all(cell.endswith("%") for cell in row[1:])
    assert lines[-1].startswith("n = 1: no spread")


def test_demo_says_epoch_in_the_singular_and_prints_top1max(monkeypatch, capsys):
    from larq_ber.study import cli, demo

    curves = {0.0: [0.9], 0.04: [0.85]}
    monkeypatch.setattr(demo, "run_demo", lambda bers, **kwargs: curves)
    assert cli.main(["demo", "--epochs", "1", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Training LeNet-4 on digits for 1 epoch at BER 0, 0.04")
    assert lines[1:3] == ["epoch    BER 0%    BER 4%", "    1    90.00%    85.00%"]
    assert lines[4].startswith("⟨Top1Max⟩ of LeNet-4 on offline digits: ")
    assert lines[7:] == [
        "        0     1   90.00       –        –        –",
        "        4     1   85.00       –        –        –",
        "n = 1: no spread and no interval from a single training run.",
    ]
