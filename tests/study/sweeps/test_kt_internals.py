"""Fails loudly when a keras-tuner release changes an internal larq-ber relies on.

Each test checks one use listed in `larq_ber.study.sweeps.kt_internals`.
"""

import json

import keras_tuner as kt
import pytest

from larq_ber.study.sweeps import SweepTuner
from larq_ber.study.sweeps.kt_internals import CHECKED_VERSIONS


def test_keras_tuner_version_was_checked():
    assert kt.__version__ in CHECKED_VERSIONS, (
        f"keras-tuner {kt.__version__} is not one the internals in "
        "larq_ber/study/sweeps/kt_internals.py were checked on; run these tests, then "
        "add it to CHECKED_VERSIONS"
    )


def test_trial_and_oracle_files_are_where_reload_reads_them(tiny_recipe, tmp_path):
    oracle = SweepTuner(tiny_recipe(), tmp_path / "out", progress=False).oracle
    assert callable(oracle._save_trial) and callable(oracle._get_trial_dir)
    trial = oracle.create_trial("w")  # keras-tuner calls _save_trial and save
    path = tmp_path / "out" / "tuner" / f"trial_{trial.trial_id}" / "trial.json"
    assert json.loads(path.read_text())["trial_id"] == trial.trial_id
    assert oracle._get_oracle_fname() == str(tmp_path / "out" / "tuner" / "oracle.json")
    state = json.loads((tmp_path / "out" / "tuner" / "oracle.json").read_text())
    assert state["ongoing_trials"] == {"w": trial.trial_id}
    # no temporary files are left behind by the atomic writes
    assert not list((tmp_path / "out").rglob("*.tmp"))


def test_reload_puts_ongoing_trials_into_the_retry_queue(tiny_recipe, tmp_path):
    recipe, out = tiny_recipe(), tmp_path / "out"
    tuner = SweepTuner(recipe, out, progress=False)
    tuner.save()
    trial = tuner.oracle.create_trial("w")
    again = SweepTuner(recipe, out, progress=False).oracle
    assert again._retry_queue == [trial.trial_id]


def test_end_trial_saves_before_it_drops_the_ongoing_trial(tiny_recipe, tmp_path):
    """The reason for `forget_completed_retries` and the extra save in end_trial."""
    oracle = SweepTuner(tiny_recipe(), tmp_path / "out", progress=False).oracle
    trial = oracle.create_trial("w")
    seen = []
    save = oracle.save
    oracle.save = lambda: (seen.append(dict(oracle.ongoing_trials)), save())
    trial.status = "COMPLETED"
    oracle.update_trial(trial.trial_id, {"top1_max": 0.5})
    oracle.end_trial(trial)
    # keras-tuner's own save still lists the trial as ongoing; ours comes after.
    assert [list(s) for s in seen] == [["w"], []]


def test_oracle_service_of_the_chief_is_there():
    from keras_tuner.src import protos
    from keras_tuner.src.distribute import oracle_chief

    assert callable(protos.get_service_grpc().add_OracleServicer_to_server)
    assert callable(oracle_chief.exit_chief)
    servicer = oracle_chief.OracleServicer(
        kt.Oracle(objective=kt.Objective("x", "max"), max_trials=1)
    )
    assert servicer.stop_triggered is False


@pytest.mark.parametrize("address", ["256.0.0.1:1", "127.0.0.1:notaport"])
def test_serve_refuses_an_address_it_cannot_listen_on(tiny_recipe, tmp_path, address):
    from larq_ber.study.sweeps.kt_internals import serve

    oracle = SweepTuner(tiny_recipe(), tmp_path / "out", progress=False).oracle
    with pytest.raises(RuntimeError, match="cannot listen on"):
        serve(oracle, address, finished=lambda: True)
