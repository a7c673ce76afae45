"""Progress: a live bar on a terminal, one plain line per step in a log."""

import io

from larq_ber.study.progress import LineProgress, progress_bar


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_log_gets_one_complete_line_per_step_and_no_carriage_returns():
    out = io.StringIO()
    with progress_bar(3, initial=1, desc="quickstart", unit="run", stream=out) as bar:
        bar.set_postfix_str("ber0_rep1 epoch 6/6 top1 0.970")
        bar.update(1)
        bar.refresh()  # nothing new: no line
        bar.n = 3  # as the sweep's bar is moved to the finished count
        bar.refresh()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and len(lines) == 2
    assert lines[0].startswith("quickstart: 2/3 runs (67 %), 0:00:00 elapsed, ETA ")
    assert lines[0].endswith(" — ber0_rep1 epoch 6/6 top1 0.970")
    assert lines[1].startswith("quickstart: 3/3 runs (100 %)")
    assert "ETA 0:00:00" in lines[1]


def test_every_sets_how_often_a_log_line_is_printed():
    out = io.StringIO()
    bar = LineProgress(10, desc="robustness", unit="draw", every=4, stream=out)
    for _ in range(10):
        bar.update(1)
    counts = [line.split(": ")[1].split(" ")[0] for line in out.getvalue().splitlines()]
    assert counts == ["4/10", "8/10", "10/10"]


def test_a_terminal_gets_a_tqdm_bar():
    from tqdm.auto import tqdm

    bar = progress_bar(5, desc="x", stream=_Terminal())
    assert isinstance(bar, tqdm)
    bar.close()
