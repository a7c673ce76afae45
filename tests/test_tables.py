"""The table schema shared by the per-epoch and robustness tables, and `summarize`."""

import math

import pytest

from larq_ber.storage import read_rows
from larq_ber.tables import COLUMNS, EPOCHS, ROBUSTNESS, summarize


def _row(epoch=1, top1=0.5, **extra):
    row = dict.fromkeys(COLUMNS, "")
    row.update(run_id="r", ber=0.04, seed=0, epoch=epoch, test_top1=top1)
    row.update(extra)
    return row


def test_rows_append_with_one_header_and_rewrite(tmp_path):
    path = tmp_path / "epochs.csv"
    assert read_rows(path) == []
    EPOCHS.append(path, _row(epoch=1))
    EPOCHS.append(path, _row(epoch=2))
    rows = read_rows(path)
    assert [r["epoch"] for r in rows] == ["1", "2"] and list(rows[0]) == list(COLUMNS)
    assert path.read_text().count("run_id") == 1
    EPOCHS.rewrite(path, rows[:1])
    assert [r["epoch"] for r in read_rows(path)] == ["1"]


def test_read_parses_sorts_and_treats_empty_cells_as_none(tmp_path):
    path = tmp_path / "epochs.csv"
    for epoch in (3, 1, 2):
        EPOCHS.append(path, _row(epoch=epoch, top1=0.1 * epoch))
    rows = EPOCHS.read([path, tmp_path / "missing.csv"])
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[0]["test_top5"] is None and rows[0]["ber_neg"] is None
    assert isinstance(rows[0]["seed"], int) and rows[2]["test_top1"] == pytest.approx(
        0.3
    )


@pytest.mark.parametrize(
    ("cell", "value", "message"),
    [
        ("test_top1", "nan", "`test_top1` must be finite"),
        ("test_top1", "inf", "`test_top1` must be finite"),
        ("test_top1", "-0.5", r"`test_top1` must be in \[0, 1\]"),
        ("test_top1", "7", r"`test_top1` must be in \[0, 1\]"),
        ("ber", "2.5", r"`ber` must be in \[0, 1\]"),
        ("epoch", "1.5", "`epoch` is not a number"),
        ("seed", "-1", "`seed` must be an integer >= 0"),
        ("test_top1", "", "the row has no test_top1"),
        ("wall_s", "x", "`wall_s` is not a number"),
    ],
)
def test_bad_cells_are_refused_naming_file_row_and_column(
    tmp_path, cell, value, message
):
    path = tmp_path / "epochs.csv"
    EPOCHS.append(path, _row())
    EPOCHS.append(path, {**_row(epoch=2), cell: value})
    with pytest.raises(ValueError, match=rf"epochs\.csv, row 2: {message}"):
        EPOCHS.read([path])


def test_torn_rows_and_garbage_are_refused(tmp_path):
    path = tmp_path / "robustness.csv"
    row = dict.fromkeys(ROBUSTNESS.columns, "")
    row.update(run_id="a", ber=0, seed=0, weights="best", test_ber=0.1, weight_ber=0,
               draw=0, test_top1=0.9)  # fmt: skip
    ROBUSTNESS.append(path, row)
    assert ROBUSTNESS.read([path])[0]["draw"] == 0
    with open(path, "a") as file:
        file.write("a,r,lenet4\n")
    with pytest.raises(ValueError, match=r"row 2: not a row of the robustness table"):
        ROBUSTNESS.read([path])
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match=r"not a readable CSV table|not a row"):
        ROBUSTNESS.read([path])


def test_write_needs_an_existing_folder_and_writes_none_as_empty(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        EPOCHS.write(tmp_path / "missing" / "t.csv", [_row()])
    assert EPOCHS.write(tmp_path / "t.csv", [{**_row(), "test_top5": None}]) == 1
    (written,) = read_rows(tmp_path / "t.csv")
    assert written["test_top5"] == "" and written["test_top1"] == "0.5"


def test_summarize_groups_counts_runs_and_uses_the_sample_spread():
    rows = [
        {"ber": 0.0, "test_ber": "0.1", "run_id": run, "test_top1": value}
        for run, value in (("a", 0.8), ("a", 0.9), ("b", 0.7))
    ] + [{"ber": 0.0, "test_ber": 0.0, "run_id": "a", "test_top1": "0.95"}]
    cells = summarize(rows, by=("ber", "test_ber"))
    assert [(c["test_ber"], c["n"], c["runs"]) for c in cells] == [
        (0.0, 1, 1),
        (0.1, 3, 2),
    ]
    assert cells[0]["std"] == 0.0 and cells[0]["mean"] == 0.95
    assert cells[1]["mean"] == pytest.approx(0.8)
    assert cells[1]["std"] == pytest.approx(
        math.sqrt(((0.0) ** 2 + 0.1**2 + 0.1**2) / 2)
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"ber": 0.0, "test_top1": 0.5}, "lacks `test_ber`"),
        (
            {"ber": "x", "test_ber": 0, "test_top1": 0.5},
            "`ber` must be a finite number",
        ),
        (
            {"ber": 0, "test_ber": math.nan, "test_top1": 0.5},
            "`test_ber` must be a finite",
        ),
        (
            {"ber": 0, "test_ber": 0, "test_top1": 2.5},
            r"`test_top1` must be in \[0, 1\]",
        ),
        (
            {"ber": True, "test_ber": 0, "test_top1": 0.5},
            "`ber` must be a finite number",
        ),
        ("not a row", "must be a mapping"),
    ],
)
def test_summarize_refuses_bad_rows_naming_them(row, message):
    with pytest.raises(ValueError, match=rf"row 1.*{message}|row 1 {message}"):
        summarize(
            [{"ber": 0, "test_ber": 0, "test_top1": 0.5}, row], by=("ber", "test_ber")
        )


@pytest.mark.parametrize("text", ['=HYPERLINK("x")', "+1", "-cmd", "@SUM(A1)", "\tx"])
def test_text_cells_that_a_spreadsheet_would_run_are_refused(tmp_path, text):
    path = tmp_path / "epochs.csv"
    with pytest.raises(ValueError, match="runs as a formula"):
        EPOCHS.append(path, _row(run_id=text))
    assert not path.exists()
    path.write_text(",".join(COLUMNS) + "\n" + ",".join(
        {**{k: "" for k in COLUMNS}, "run_id": text, "epoch": "1", "test_top1": "0.5"}
        .values()) + "\n")  # fmt: skip
    with pytest.raises(ValueError, match=r"row 1: `run_id` .* runs as a formula"):
        EPOCHS.read([path])


def test_lifetime_rows_round_trip_with_empty_write_points(tmp_path):
    from larq_ber.tables import LIFETIME

    path = tmp_path / "lifetime.csv"
    row = dict.fromkeys(LIFETIME.columns, "")
    row.update(run_id="r", ber=0.04, seed=3, weights="best", device="tzoufras2019",
               delta_spread=0.1, v_c0_spread=0.0, read_polarity="fixed",
               temperature_k=358.15, storage_time_s=3.15576e8, reads=10**6, draw=2,
               ber_neg=0.0, ber_pos=0.0, weight_ber=1e-7, clean_top1=0.9,
               test_top1=0.85)  # fmt: skip
    LIFETIME.append(path, row)
    (back,) = LIFETIME.read([path])
    assert back["write_voltage"] is None and back["reads"] == 10**6
    assert back["temperature_k"] == 358.15 and back["storage_time_s"] == 3.15576e8
    bad = {**row, "weight_ber": 1.5}
    with pytest.raises(ValueError, match=r"`weight_ber` must be in \[0, 1\]"):
        LIFETIME.parse({k: str(v) for k, v in bad.items()}, "f, row 1")
    with pytest.raises(ValueError, match="the row has no temperature_k"):
        LIFETIME.parse({k: str(v) for k, v in {**row, "temperature_k": ""}.items()},
                       "f, row 1")  # fmt: skip
