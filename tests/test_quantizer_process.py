import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).with_name("subprocess_checks.py")


def _run(*args):
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parent.parent)}
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    ).stdout
    return json.loads(out.split("RESULT ", 1)[1])


def test_same_seed_flips_the_same_elements_in_two_processes():
    first, second, other = (
        _run("determinism", 1),
        _run("determinism", 1),
        _run("determinism", 2),
    )
    assert first["digest"] == second["digest"]
    assert first["digest"] != other["digest"]


def test_mirrored_strategy_on_two_logical_cpus():
    result = _run("mirrored")
    assert result["replicas"] == 2
    # Elements per epoch: 1024 images x 8x8x4 into the binary conv, 1024 x 6x6x8 into
    # the binary dense layer; the tolerance is 4 binomial sigma of the smaller count.
    n = 1024 * 8 * 8 * 4
    for history, rate in ((result["first"], 0.1), (result["second"], 0.3)):
        measured = {
            k: v[0] for k, v in history.items() if k.startswith("bit_error_rate/")
        }
        assert len(measured) == 2
        for name, value in measured.items():
            assert abs(value - rate) <= 4 * (rate * (1 - rate) / n) ** 0.5, (
                name,
                value,
            )
            assert history["val_" + name][0] == 0.0
    # Softmax outputs in [0, 1]: a flip would change them by far more than 1e-5.
    assert result["inference_diff"] <= 1e-5
