"""The Makefile's virtualenv bootstrap refuses a Python TensorFlow does not support."""

import shutil
import subprocess

import pytest


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize(
    ("prints", "said"), [("3.13", "is 3.13"), ("", "not a Python")]
)
def test_an_unsupported_python_stops_with_one_line_saying_how_to_pick_one(
    root, tmp_path, prints, said
):
    fake = tmp_path / "python3.x"
    fake.write_text(f"#!/bin/sh\necho {prints}\n")
    fake.chmod(0o755)
    venv = tmp_path / "venv"
    done = subprocess.run(
        ["make", "-C", str(root), f"PYTHON={fake}", f"VENV={venv}", "demo"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode != 0
    line = next(x for x in done.stderr.splitlines() if x.startswith("larq-ber needs"))
    assert "Python 3.10, 3.11 or 3.12" in line and said in line
    assert "PYTHON=python3.12 make demo" in line
    assert not venv.exists()  # stopped before creating anything
