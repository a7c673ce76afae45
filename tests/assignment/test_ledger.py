"""The ledger of a search: `larq_ber.assignment.ledger`."""

import pytest

from larq_ber.assignment.ledger import CLEAN, COLUMNS, Ledger, assignment_key


def test_rows_are_written_at_once_and_read_back(tmp_path):
    path = tmp_path / "sub" / "ledger.csv"
    ledger = Ledger(path)
    ledger.check_clean(91.25)
    key = assignment_key(["a", "b"], [0.1, 1 / 3])
    ledger.put(key, 7, 2, 88.123456789)
    assert path.read_text().splitlines()[0] == ",".join(COLUMNS)
    again = Ledger(path)
    assert len(again) == 2
    assert again.get(key, 7, 2) == 88.123456789  # exact: repr round-trips
    assert again.get(key, 7, 3) is None and again.get(key, 8, 2) is None
    assert again.get(CLEAN, 0, 0) == 91.25
    assert key == f"a=0.1;b={1 / 3!r}"


def test_a_ledger_of_another_model_is_refused(tmp_path):
    ledger = Ledger(tmp_path / "l.csv")
    ledger.check_clean(90.0)
    Ledger(tmp_path / "l.csv").check_clean(90.01)  # one image in 10,000: same
    with pytest.raises(ValueError, match="another model or test set"):
        Ledger(tmp_path / "l.csv").check_clean(90.5)


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="is not a ledger of a per-layer search"):
        Ledger(other)
    broken = tmp_path / "broken.csv"
    broken.write_text("key,seed,draw,accuracy\nx,0,zero,1.0\n")
    with pytest.raises(ValueError, match="line 2 is malformed"):
        Ledger(broken)
    nan = tmp_path / "nan.csv"
    nan.write_text("key,seed,draw,accuracy\nx,0,0,nan\n")
    with pytest.raises(ValueError, match="line 2 holds accuracy nan"):
        Ledger(nan)


def test_without_a_path_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ledger = Ledger(None)
    ledger.put("k", 0, 0, 1.0)
    assert ledger.get("k", 0, 0) == 1.0 and list(tmp_path.iterdir()) == []
