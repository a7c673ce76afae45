"""The planner: every point once, to any number of workers; reload semantics."""

from larq_ber.study.sweeps import SweepTuner


def _oracle(recipe, out):
    """The oracle as keras-tuner sets it up: inside a tuner for the folder, whose
    state is saved so that the next tuner for the folder reloads it."""
    tuner = SweepTuner(recipe, out, progress=False)
    tuner.save()
    return tuner.oracle


def _complete(oracle, trial):
    trial.status = "COMPLETED"
    oracle.update_trial(trial.trial_id, {"top1_max": 0.5})
    oracle.end_trial(trial)


def test_oracle_hands_out_every_point_once(tiny_recipe, tmp_path):
    recipe = tiny_recipe(repeats=3)
    oracle = _oracle(recipe, tmp_path / "out")
    seen = []
    for worker in ("a", "b", "a", "b", "a", "b"):
        trial = oracle.create_trial(worker)
        assert trial.status == "RUNNING"
        seen.append(oracle.point(trial))
        _complete(oracle, trial)
    assert seen == list(oracle.grid)
    assert oracle.create_trial("a").status == "STOPPED"
    assert oracle.done() == 6


def test_two_workers_get_different_points_at_once(tiny_recipe, tmp_path):
    oracle = _oracle(tiny_recipe(), tmp_path / "out")
    first, second = oracle.create_trial("a"), oracle.create_trial("b")
    assert oracle.point(first) != oracle.point(second)
    assert oracle.create_trial("a") is first  # a worker keeps its trial


def test_oracle_reload_resumes_running_and_replans_failed(tiny_recipe, tmp_path):
    recipe, out = tiny_recipe(), tmp_path / "out"
    oracle = _oracle(recipe, out)
    first = oracle.create_trial("w")  # will fail
    first.status = "FAILED"
    oracle.end_trial(first)
    running = oracle.create_trial("w")  # killed while running
    assert oracle.point(running) != oracle.point(first)  # not replanned at once
    oracle.save()
    again = _oracle(recipe, out)
    resumed = again.create_trial("w")
    assert resumed.trial_id == running.trial_id  # from keras-tuner's retry queue
    _complete(again, resumed)
    replanned = again.create_trial("w")
    assert again.point(replanned) == oracle.point(first)
    assert replanned.trial_id not in (first.trial_id, running.trial_id)
    _complete(again, replanned)
    # A later reload must not plan the point that failed once and then completed.
    third = _oracle(recipe, out)
    rest = [third.create_trial(w) for w in ("w", "v")]
    assert [third.point(t) for t in rest] == list(third.grid)[2:]
    assert third.create_trial("u").status == "STOPPED"


def test_completed_trial_left_ongoing_is_not_retried(tiny_recipe, tmp_path):
    """A chief killed after end_trial's save but before the trial left the ongoing
    ones: on reload keras-tuner would retry it."""
    recipe, out = tiny_recipe(), tmp_path / "out"
    oracle = _oracle(recipe, out)
    trial = oracle.create_trial("w")
    trial.status = "COMPLETED"
    oracle.update_trial(trial.trial_id, {"top1_max": 0.5})
    oracle.trials[trial.trial_id].status = "COMPLETED"
    oracle.save_trial(oracle.trials[trial.trial_id])
    oracle.save()  # still listed as ongoing in oracle.json
    again = _oracle(recipe, out)
    nxt = again.create_trial("w")
    assert nxt.trial_id != trial.trial_id
    assert again.point(nxt) == again.grid[1]
