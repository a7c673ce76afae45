"""`larq-ber`'s `main`: one-line errors, `--debug`, quiet libraries, Ctrl-C."""

import argparse
import gc
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from larq_ber.study import cli
from larq_ber.study.cli._silence import quiet

from .helpers import one_line_error


@pytest.mark.parametrize(
    "argv",
    [
        ["results", "{nope}", "--csv", "{tmp}/r.csv"],
        ["plot", "{nope}", "--figure", "{tmp}/f.png"],
        ["robustness", "{nope}"],
        ["export", "{nope}", "--tflite", "{tmp}/m.tflite"],
    ],
)
def test_a_missing_folder_is_said_not_to_exist(argv, tmp_path, capsys):
    nope = tmp_path / "nope"
    argv = [a.format(nope=nope, tmp=tmp_path) for a in argv]
    assert cli.main(argv) == 2
    assert f"{str(nope)!r} does not exist" in one_line_error(capsys, argv[0])
    (tmp_path / "file").write_text("")
    argv[1] = str(tmp_path / "file")
    assert cli.main(argv) == 2
    assert "is not a folder" in one_line_error(capsys, argv[0])


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(FileNotFoundError):
        cli.main(["results", str(tmp_path), "--csv", "r.csv", "--debug"])


def test_quiet_restores_the_logging_and_warning_settings():
    import logging
    import warnings

    logger = logging.getLogger("tensorflow")
    before, filters = logger.level, list(warnings.filters)
    with quiet(verbose=False):
        assert logger.level == logging.ERROR
    assert logger.level == before and warnings.filters == filters


def test_commands_that_import_tensorflow_print_only_their_own_lines(tmp_path):
    """No TF/absl chatter (the cuDNN factory lines, warnings) without --verbose."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    script = Path(sys.executable).with_name("larq-ber")  # the console script
    module = [sys.executable, "-m", "larq_ber.study.cli"]
    command = [str(script)] if script.exists() else module
    done = subprocess.run(
        [*command, "robustness", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"larq-ber robustness: No finished run under {str(tmp_path)!r} (expected "
        "runs/*/result.json or a run folder)."
    ]


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "larq_ber.study.cli", "--version"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("larq-ber ")


def test_help_and_results_do_not_import_tensorflow(tmp_path):
    code = (
        "import sys; from larq_ber.study import cli\n"
        "try:\n    cli.main(['results', '--help'])\nexcept SystemExit:\n    pass\n"
        f"cli.main(['results', {str(tmp_path)!r}, '--csv', "
        f"{str(tmp_path / 'r.csv')!r}])\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signal_name", "status", "said"),
    [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")],
)
def test_ctrl_c_and_sigterm_say_how_to_resume(
    tmp_path, tiny_recipe_file, signal_name, status, said
):
    import signal
    import time

    recipe = tiny_recipe_file()
    # A shell's background jobs (CI) inherit SIGINT ignored, and then Python installs
    # no KeyboardInterrupt handler; a terminal's Ctrl-C reaches a process that has
    # it, so the child installs it first. (Not with `preexec_fn`: forking a test
    # process with TensorFlow's and pytest-xdist's threads and running Python code
    # before exec aborted the child, SIGABRT, in CI.)
    start = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)"
        "; from larq_ber.study.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", start, "sweep", str(recipe), "--out",
         str(tmp_path / "out"), "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list((tmp_path / "out").glob("runs/*/run.json")):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the sweep ended early: {proc.communicate()}")
        time.sleep(0.05)
    proc.send_signal(getattr(signal, signal_name))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == status
    assert err.strip().splitlines()[-1] == f"{said} — run the same command to resume"
    assert "Traceback" not in err


class _SignalsWhenCollected:
    def __init__(self, signum):
        self.signum = signum

    def __del__(self):  # Python drops what the handler raises here
        signal.raise_signal(self.signum)


@pytest.mark.parametrize(
    ("signum", "status", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_python_dropped_still_stops_with_its_status(
    monkeypatch, capsys, signum, status, said
):
    def work(args):
        _SignalsWhenCollected(signum)
        gc.collect()
        return 0  # went on to the end, as if nothing had come

    args = cli.build_parser().parse_args(
        ["mtj", "wer", "--voltage", "0.6", "--pulse", "1e-8"]
    )
    args.handler = work
    parser = argparse.ArgumentParser()
    monkeypatch.setattr(parser, "parse_args", lambda argv: args)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: None)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert cli.main([]) == status
    finally:
        signal.signal(signal.SIGINT, previous)
    assert capsys.readouterr().err.strip() == f"{said} — run the same command to resume"


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "must name a folder, got an empty name"),
        ("afile", "exists and is not a folder"),
    ],
)
def test_sweep_out_must_be_a_folder(tmp_path, monkeypatch, capsys, out, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["sweep", "quickstart", "--out", out])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
