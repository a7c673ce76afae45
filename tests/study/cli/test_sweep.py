"""`larq-ber sweep`: what it says about a bad recipe or damaged state files."""

import pytest

from larq_ber.study import cli

from .helpers import listing, one_line_error


def test_sweep_reports_every_recipe_problem(tmp_path, tiny_recipe_file, capsys):
    recipe = tiny_recipe_file()
    sets = ["--set", "epochs=0", "--set", "bers=[0, 2]", "--set", "colour=1"]
    code = cli.main(["sweep", str(recipe), "--out", str(tmp_path / "out"), *sets])
    assert code == 2
    err = capsys.readouterr().err
    assert "3 problem(s)" in err and "epochs = 0" in err and "'colour'" in err
    assert not (tmp_path / "out").exists()  # nothing started


@pytest.mark.parametrize("broken", ["sweep.json", "tuner/oracle.json"])
def test_sweep_names_damaged_state_files(tmp_path, tiny_recipe_file, capsys, broken):
    recipe = tiny_recipe_file()
    out = tmp_path / "out"
    path = out / broken
    path.parent.mkdir(parents=True)
    path.write_text('{"ongoing_trials": {"a": \x01}')
    if broken == "tuner/oracle.json":  # keras-tuner reloads when a tuner file exists
        import dataclasses

        from larq_ber.study.recipes import load_recipe
        from larq_ber.study.results import write_json

        (out / "tuner" / "tuner0.json").write_text("{}")
        write_json(out / "sweep.json", dataclasses.asdict(load_recipe(recipe)))
    before = listing(out)
    assert cli.main(["sweep", str(recipe), "--out", str(out), "--no-progress"]) == 2
    line = one_line_error(capsys, "sweep")
    assert broken.split("/")[-1] in line and "not valid JSON" in line
    assert listing(out) == before
