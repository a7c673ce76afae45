"""The quick demonstration: one LeNet-4 run per BER on digits."""

import pytest

from larq_ber.study.demo import format_table, run_demo


@pytest.mark.slow
def test_run_demo_learns_at_both_rates_and_shows_progress(capsys):
    curves = run_demo([0.0, 0.04], epochs=3, progress=True)
    assert set(curves) == {0.0, 0.04}
    for ber, accuracies in curves.items():
        assert len(accuracies) == 3
        # chance is 10 %; three epochs on digits reach far more at either rate
        assert max(accuracies) >= 0.8, (ber, accuracies)
    assert "BER 4%" in format_table(curves)
    # Not a terminal: one line per finished epoch, with the time left.
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 6 and "\r" not in "".join(lines)
    assert lines[0].startswith("demo: 1/6 epochs") and "ETA" in lines[0]
    last = f"BER 0.04, epoch 3: {100 * curves[0.04][-1]:.2f} %"
    assert lines[-1].startswith("demo: 6/6 epochs") and lines[-1].endswith(last)


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
