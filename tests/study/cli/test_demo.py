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
    assert lines[-2].split()[:3] == ["epoch", "BER", "0%"]
    row = lines[-1].split()
    assert row[0] == "1" and all(cell.endswith("%") for cell in row[1:])
