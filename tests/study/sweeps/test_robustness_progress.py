"""The robustness sweep's progress lines name the run they count."""

import io

from larq_ber.study.results import SweepFiles, write_json
from larq_ber.study.sweeps import robustness


def test_each_progress_line_names_the_run_just_evaluated(tmp_path, monkeypatch):
    for run_id in ("ber0_rep0", "ber0_rep1"):
        write_json(SweepFiles(tmp_path).run(run_id).result, {"run_id": run_id})
    evaluated = []

    def evaluate(run_dir, plan, weights, data_dir, progress):
        evaluated.append(run_dir.name)
        if run_dir.name == "ber0_rep1":  # resumed: nothing left to draw
            return 0
        for _ in range(plan.evaluations()):
            progress(1)
        return plan.evaluations()

    monkeypatch.setattr(robustness, "_evaluate", evaluate)
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    assert robustness.evaluate_sweep(tmp_path, test_bers=[0, 0.1], repeats=2) == (2, 4)
    lines = stream.getvalue().splitlines()
    assert evaluated == ["ber0_rep0", "ber0_rep1"]
    assert len(lines) == 2
    assert lines[0].startswith("robustness: 4/8 draws") and lines[0].endswith(
        "— run ber0_rep0"
    )
    assert lines[1].startswith("robustness: 8/8 draws") and lines[1].endswith(
        "— run ber0_rep1"
    )
