"""What the converters print from C++: `larq_ber.export.capture`."""

import os

import pytest

from larq_ber.export.capture import captured_native_output, summarise_converter


def test_a_failing_conversion_still_shows_what_the_converter_said(capfd):
    with pytest.raises(RuntimeError, match="boom"):
        with captured_native_output():
            os.write(2, b"native diagnostics\n")
            raise RuntimeError("boom")
    assert "native diagnostics" in capfd.readouterr().err
    with captured_native_output() as captured:
        os.write(1, b"quiet\n")
    assert captured == ["quiet\n"] and "quiet" not in capfd.readouterr().out


def test_the_converter_summary_is_one_line():
    text = (
        "Summary on the non-converted ops:\n"
        "Non-Converted Ops: 18, Total Ops 43, % non-converted = 41.86 %\n"
        " * 18 ARITH ops\n"
        " * 2 TF ops\n"
    )
    assert summarise_converter(text) == (
        "18 of 43 ops left outside the TFLite dialect (18 ARITH, 2 TF)"
    )
    assert summarise_converter("Non-Converted Ops: 0, Total Ops 5") == (
        "0 of 5 ops left outside the TFLite dialect"
    )
    assert summarise_converter("nothing to say") == ""
