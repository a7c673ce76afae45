"""Inference time of an exported model: `larq_ber.export.latency`."""

import numpy as np
import pytest

from larq_ber.export import latency_ms, to_float_tflite, to_tflite


def test_latency_ms_times_both_interpreters_and_checks_its_arguments(
    tmp_path, binary_block_model
):
    model = binary_block_model(lambda: "ste_sign")
    x = np.random.default_rng(0).standard_normal((1, 16, 16, 3)).astype("float32")
    path = tmp_path / "m.tflite"
    to_tflite(model, path, verify=False)
    to_float_tflite(model, tmp_path / "f.tflite")
    timings = [
        latency_ms(path, x, repeats=5),
        latency_ms(path.read_bytes(), x, repeats=5),
        latency_ms(tmp_path / "f.tflite", x, interpreter="tflite", repeats=5),
    ]
    assert all(0 < t < 1000 for t in timings), timings
    with pytest.raises(ValueError, match="`interpreter` must be one of"):
        latency_ms(path, x, interpreter="xnnpack")
    for name in ("repeats", "num_threads"):
        with pytest.raises(ValueError, match=f"`{name}` must be an integer >= 1"):
            latency_ms(path, x, **{name: 0})
