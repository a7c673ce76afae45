"""Synthetic lifetime rows for the TF-free tests of the summary and the figure."""

from larq_ber.tables import LIFETIME


def lifetime_row(*, run="a", ber=0.0, kelvin=300.0, time=1.0, draw=0, top1=0.9,
                 clean=0.9, spread=0.0, reads=0):  # fmt: skip
    """One row of `LIFETIME`, every column filled."""
    return {
        "run_id": run, "recipe": "t", "model": "lenet4", "dataset": "digits",
        "subset": "", "ber": ber, "seed": 0, "weights": "best",
        "device": "tzoufras2019", "delta_spread": spread, "v_c0_spread": 0.0,
        "write_voltage": None, "write_pulse": None, "read_polarity": "fixed",
        "temperature_k": kelvin, "storage_time_s": time, "reads": reads,
        "draw": draw, "ber_neg": 0.0, "ber_pos": 0.0, "weight_ber": 1e-6,
        "clean_top1": clean, "test_top1": top1,
    }  # fmt: skip


def lifetime_folder(tmp_path, rows):
    """A sweep folder with one run folder per run id holding `rows`."""
    out = tmp_path / "out"
    for row in rows:
        folder = out / "runs" / row["run_id"]
        folder.mkdir(parents=True, exist_ok=True)
        cells = {k: "" if v is None else v for k, v in row.items()}
        LIFETIME.append(folder / "lifetime.csv", cells)
    return out
