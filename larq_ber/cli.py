"""The `larq-ber` command line."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from larq_ber.results import COLUMNS, ROBUSTNESS_COLUMNS, RunFiles, read_json

__all__ = ["main"]

_EXAMPLES = """\
examples:
  larq-ber demo                        # BER 0 and 4 %, 6 epochs on offline digits
  larq-ber sweep models/quickstart.toml --out runs/quickstart
  larq-ber results runs/quickstart --csv quickstart.csv
  larq-ber plot runs/quickstart --figure fig1.png
  larq-ber export runs/quickstart/runs/ber0.04_rep0 --tflite lenet4.tflite
  larq-ber mtj table
  larq-ber kernel build                # optional: flips at no cost on CPUs
"""

_KERNEL_EXAMPLES = """\
examples:
  larq-ber kernel build      # compile once (about 10 s); every later process uses it
  larq-ber kernel status     # built? used? where?
  LARQ_BER_KERNEL=0 python train.py   # keep one run on TensorFlow's operations
"""

_DEMO_EXAMPLES = """\
examples:
  larq-ber demo                          # BER 0 and 4 %, 6 epochs
  larq-ber demo --bers 0 0.04 0.16 --epochs 3
"""

_SWEEP_EXAMPLES = """\
examples:
  larq-ber sweep models/quickstart.toml --out runs/quickstart
  larq-ber sweep models/fig1_lenet4_mnist.toml --out runs/fig1 --set epochs=20 \\
      --set "bers=[0, 0.04]"
  # resume after a crash or Ctrl-C: run the same command again

  # one sweep on many machines (same --out on a shared disk):
  KERASTUNER_TUNER_ID=chief KERASTUNER_ORACLE_IP=10.0.0.1 \\
      KERASTUNER_ORACLE_PORT=8000 larq-ber sweep RECIPE --out /shared/sweep
  KERASTUNER_TUNER_ID=worker0 KERASTUNER_ORACLE_IP=10.0.0.1 \\
      KERASTUNER_ORACLE_PORT=8000 larq-ber sweep RECIPE --out /shared/sweep
"""

_RESULTS_EXAMPLES = """\
examples:
  larq-ber results runs/quickstart --csv quickstart.csv
  larq-ber results runs/robust --csv robust.csv   # + robust.robustness.csv
"""

_ROBUSTNESS_EXAMPLES = """\
examples:
  larq-ber robustness runs/quickstart --test-bers 0 0.01 0.04 0.16 \\
      --weight-bers 0 0.001 0.01 --repeats 10
  larq-ber robustness runs/quickstart/runs/ber0.04_rep0 --test-bers 0 0.04
  # extend the grid later, or resume after a crash: only missing rows are run
"""

_EXPORT_EXAMPLES = """\
examples:
  larq-ber export runs/quickstart/runs/ber0.04_rep0 --tflite lenet4.tflite
  larq-ber export runs/quickstart/runs/ber0.04_rep0 --tflite final.tflite \\
      --which final --target xcore --json
"""

_PLOT_EXAMPLES = """\
examples:
  larq-ber plot runs/quickstart --figure fig1.png                 # mean + every run
  larq-ber plot runs/fig2a --figure fig2a.pdf --style std         # mean +- std
  larq-ber plot runs/fig4b --figure fig4b.svg --kind top1max      # <Top1Max> vs BER
  larq-ber plot runs/robust --figure robust.png --kind robustness # errors at inference
"""


class _RenamedOption(argparse.Action):
    """An old option spelling kept for one release: warns, then acts as the new one.

    Hidden from `--help`; stores into the new option's `dest`.
    """

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any):
        self.new = kwargs.pop("new")
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(
            f"{parser.prog}: {option_string} is now called {self.new}; the old "
            "name will be removed in larq-ber 0.3",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def _renamed(parser: argparse.ArgumentParser, old: str, new: str, dest: str) -> None:
    """Adds `old` as a hidden, warning alias of the option `new` (stored in `dest`)."""
    parser.add_argument(old, dest=dest, action=_RenamedOption, new=new)


def _checked(
    cast: Callable[[str], Any], accept: Callable[[Any], bool], expected: str
) -> Callable[[str], Any]:
    """An argparse `type`: converts with `cast`, rejects what `accept` does not."""

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
        return value

    return parse


_MTJ_EXAMPLES = """\
examples:
  larq-ber mtj table                           # the paper's Table I
  larq-ber mtj table --pulse 20e-9 --scale 0.9
  larq-ber mtj figure --figure fig5.png        # the paper's Figure 5
  larq-ber mtj wer --voltage 0.6 --pulse 10e-9
  larq-ber mtj wer --voltage 0.5 0.6 0.7 --pulse 10e-9 --delta 60
"""

_rate = _checked(float, lambda v: 0.0 <= v <= 1.0, "a BER must be a number in [0, 1]")
_positive_int = _checked(int, lambda v: v >= 1, "expected an integer >= 1")
_positive_float = _checked(float, lambda v: v > 0, "expected a number > 0")


def build_parser() -> argparse.ArgumentParser:
    """Builds the argument parser of `larq-ber`.

    Returns:
        The parser, with one sub-parser per command.

    Example:
        >>> build_parser().parse_args(["demo", "--epochs", "2"]).epochs
        2
    """
    from larq_ber import __version__

    parser = argparse.ArgumentParser(
        prog="larq-ber",
        description="Bit-error-resilient binarized neural networks for Larq/Keras.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an error instead of one line",
    )
    common.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's, absl's and the converter's log messages "
        "(hidden by default)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="train LeNet-4 on offline digits at several BERs",
        description=(
            "Train the binarized LeNet-4 on scikit-learn's digits (upscaled to "
            "28x28) once per bit error rate, and print the error-free test "
            "accuracy after every epoch."
        ),
        epilog=_DEMO_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--bers",
        type=_rate,
        nargs="+",
        default=[0.0, 0.04],
        metavar="BER",
        help="bit error rates in [0, 1] (default: 0 0.04)",
    )
    demo.add_argument(
        "--epochs", type=_positive_int, default=6, help="epochs (default: 6)"
    )
    demo.add_argument(
        "--batch-size", type=_positive_int, default=32, help="batch size (default: 32)"
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress display (default: a bar on a terminal, a line per "
        "epoch in a log)",
    )

    def command(name: str, help: str, description: str, epilog: str) -> Any:
        return commands.add_parser(
            name,
            parents=[common],
            help=help,
            description=description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    sweep = command(
        "sweep",
        "run or resume the BER x repeat grid of a recipe",
        "Train one run per grid point (BER x repeat x subset) of a recipe on "
        "keras-tuner. Running the same command again resumes; with keras-tuner's "
        "KERASTUNER_TUNER_ID / KERASTUNER_ORACLE_IP / KERASTUNER_ORACLE_PORT "
        "variables many processes share one sweep (TUNER_ID=chief serves the grid).",
        _SWEEP_EXAMPLES,
    )
    sweep.add_argument("recipe", help="a recipe file, e.g. models/quickstart.toml")
    sweep.add_argument("--out", required=True, help="output folder of the sweep")
    sweep.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recipe value (TOML syntax), repeatable",
    )
    sweep.add_argument("--data-dir", help="TFDS data directory (default: TFDS's)")
    sweep.add_argument(
        "--tensorboard", action="store_true", help="write TensorBoard logs per run"
    )
    sweep.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress display (default: a bar on a terminal, a line per run "
        "in a log)",
    )

    results = command(
        "results",
        "write the tidy table of every epoch of every run",
        "Collect the per-epoch rows of every run of a sweep folder into one CSV "
        "file (columns: " + ", ".join(COLUMNS) + ").",
        _RESULTS_EXAMPLES,
    )
    results.add_argument("out", metavar="DIR", help="the sweep's output folder")
    results.add_argument("--csv", required=True, help="the CSV file to write")
    results.add_argument(
        "--robustness-csv",
        help="where to write the robustness table, if the sweep has one "
        "(default: next to --csv, as <name>.robustness.csv)",
    )

    robustness = command(
        "robustness",
        "evaluate trained runs under errors at deployment",
        "Evaluate every finished run of a sweep folder (or one run folder) with "
        "bit errors in the activations at inference (--test-bers) and in the "
        "binary weights (--weight-bers), --repeats independent draws per pair, "
        "into each run's robustness.csv (columns: "
        + ", ".join(ROBUSTNESS_COLUMNS)
        + "). Rows that exist are kept, so a rerun resumes or extends the grid.",
        _ROBUSTNESS_EXAMPLES,
    )
    robustness.add_argument(
        "out", metavar="RUN_OR_SWEEP_DIR", help="a sweep folder or one run folder"
    )
    robustness.add_argument(
        "--test-bers",
        type=_rate,
        nargs="+",
        default=[0.0],
        help="activation BERs at inference (default: 0)",
    )
    robustness.add_argument(
        "--weight-bers",
        type=_rate,
        nargs="+",
        default=[0.0],
        help="weight BERs at inference (default: 0)",
    )
    robustness.add_argument(
        "--repeats",
        type=_positive_int,
        default=10,
        help="independent draws per pair (default: 10)",
    )
    robustness.add_argument(
        "--which",
        choices=("best", "final"),
        default="best",
        help="evaluate the Top1Max (best) or the final weights (default: best)",
    )
    robustness.add_argument("--data-dir", help="TFDS data directory (default: TFDS's)")
    robustness.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress display (default: a bar on a terminal, a line per "
        "run in a log)",
    )

    plot = command(
        "plot",
        "draw the paper's figures from a sweep",
        "Draw accuracy vs epoch per BER (--kind epochs: mean and every run, or "
        "mean +- std with --style std), <Top1Max> vs BER, one line per class "
        "subset (--kind top1max), or the robustness table (--kind robustness: "
        "heat map of training BER x test BER and accuracy vs test BER per "
        "training BER). The format follows the extension: .png, .pdf, .svg.",
        _PLOT_EXAMPLES,
    )
    plot.add_argument("out", metavar="DIR", help="the sweep's output folder")
    plot.add_argument(
        "--figure", help="the figure file to write (.png, .pdf or .svg); required"
    )
    _renamed(plot, "--out", "--figure", "figure")
    plot.add_argument(
        "--kind",
        choices=("epochs", "top1max", "robustness"),
        default="epochs",
        help="figure kind (default: epochs)",
    )
    plot.add_argument(
        "--style",
        choices=("traces", "std"),
        default="traces",
        help="for --kind epochs: every run (traces) or mean +- std with "
        "ddof = 1 (std) (default: traces)",
    )

    export = command(
        "export",
        "convert a run of a sweep to a verified LCE .tflite",
        "Rebuild a sweep run's model with its Top1Max (--which best) or final "
        "weights, convert it with Larq Compute Engine, compare LCE's interpreter "
        "with Keras on random inputs, and write the file only if they agree. "
        "Prints the report: sizes, op census, binary/float layers, parity.",
        _EXPORT_EXAMPLES,
    )
    export.add_argument("run", metavar="RUN_DIR", help="OUT/runs/<run_id> of a sweep")
    export.add_argument("--tflite", help="the .tflite file to write; required")
    _renamed(export, "--out", "--tflite", "tflite")
    export.add_argument(
        "--which",
        choices=("best", "final"),
        default="best",
        help="weights at Top1Max (best, default) or after the last epoch (final)",
    )
    export.add_argument(
        "--target",
        choices=("arm", "xcore"),
        default="arm",
        help="LCE target (default: arm)",
    )
    export.add_argument(
        "--samples",
        type=_positive_int,
        default=64,
        help="random inputs to verify on (default: 64)",
    )
    export.add_argument(
        "--no-verify", action="store_true", help="skip the interpreter comparison"
    )
    export.add_argument(
        "--no-float-reference",
        action="store_true",
        help="skip the float32 TFLite conversion the size comparison needs "
        "(about half of the time)",
    )
    export.add_argument("--json", action="store_true", help="print the report as JSON")

    mtj = command(
        "mtj",
        "MRAM write errors of an MTJ: Table I, Figure 5, WER",
        "The magnetic tunnel junction model of larq_ber.mtj (Fokker-Planck "
        "write error rate, Tzoufras 2018) for the paper's device (delta 40, "
        "tau_D 2 ns, V_c0 0.3 V, V_bd 1.2 V) or one given by the options.",
        _MTJ_EXAMPLES,
    )
    mtj.add_argument("what", choices=("table", "figure", "wer"), help="what to compute")
    mtj.add_argument(
        "--figure", help="the figure file (.png, .pdf, .svg) of 'figure' (required)"
    )
    _renamed(mtj, "--out", "--figure", "figure")
    mtj.add_argument(
        "--voltage", type=_positive_float, nargs="+", help="write voltage(s) in V"
    )
    mtj.add_argument(
        "--pulse", type=_positive_float, nargs="+", help="pulse length(s) in s"
    )
    mtj.add_argument(
        "--scale",
        type=_checked(float, lambda v: 0 < v <= 1, "expected a number in (0, 1]"),
        default=0.8,
        help="table: fixed voltage as a fraction of the strict one (default: 0.8)",
    )
    mtj.add_argument(
        "--model",
        choices=("fpe", "finite_volume", "approx"),
        default="fpe",
        help="wer: the Fokker-Planck solution (fpe), its finite-volume "
        "cross-check, or the closed-form approximation (approx) (default: fpe)",
    )
    for name, unit in (("delta", ""), ("tau-d", " (s)"), ("v-c0", " (V)"),
                       ("v-bd", " (V)")):  # fmt: skip
        mtj.add_argument(
            f"--{name}",
            type=_positive_float,
            help=f"device {name}{unit} (default: the paper's device)",
        )

    kernel = command(
        "kernel",
        "build or check the optional compiled CPU kernel of the flips",
        "Compile larq-ber's kernel (sign and bit errors in one pass, see "
        "larq_ber.kernel) against the installed TensorFlow with the machine's C++ "
        "compiler ($CXX, c++ or g++) into the cache folder ($LARQ_BER_CACHE, else "
        "~/.cache/larq_ber). Once built, BerSteSign uses it on CPUs.",
        _KERNEL_EXAMPLES,
    )
    kernel.add_argument("action", choices=("build", "status"), help="what to do")
    kernel.add_argument(
        "--force", action="store_true", help="build: compile even if already built"
    )
    return parser


class CommandError(Exception):
    """A command cannot run as asked; the message is printed as one line."""


def _kernel(args: argparse.Namespace) -> int:
    import time

    from larq_ber import kernel

    if args.action == "build":
        start = time.perf_counter()
        built = kernel.library_path().exists() and not args.force
        path = kernel.build(force=args.force)
        took = (
            "already built"
            if built
            else f"built in {time.perf_counter() - start:.1f} s"
        )
        print(f"kernel {took}: {path}")
        return 0
    path = kernel.library_path()
    print(f"kernel file: {path} ({'built' if path.exists() else 'not built'})")
    if not path.exists():
        print("flips: TensorFlow operations (run `larq-ber kernel build`)")
    elif not kernel.is_enabled():
        print(f"flips: TensorFlow operations ({kernel.DISABLE_VARIABLE}=0 is set)")
    elif kernel.load() is None:
        print("flips: TensorFlow operations (the kernel does not load: rebuild it "
              "with `larq-ber kernel build --force`)")  # fmt: skip
    else:
        print("flips: the kernel on CPUs (not under XLA or with a GPU visible)")
    return 0


def _mtj(args: argparse.Namespace) -> int:
    import dataclasses

    import numpy as np

    from larq_ber import mtj

    fields = {
        "delta": args.delta,
        "tau_d": args.tau_d,
        "v_c0": args.v_c0,
        "v_bd": args.v_bd,
    }
    device = dataclasses.replace(
        mtj.MTJ.paper(), **{k: v for k, v in fields.items() if v is not None}
    )
    if args.what == "table":
        pulse = args.pulse[0] if args.pulse else None
        print(mtj.operating_points(device, pulse=pulse, voltage_scale=args.scale))
    elif args.what == "figure":
        if not args.figure:
            raise CommandError("--figure FILE is required")
        if os.path.splitext(args.figure)[1].lower() not in (".png", ".pdf", ".svg"):
            raise CommandError(
                f"`--figure` must end in .png, .pdf or .svg: {args.figure!r}"
            )
        import matplotlib

        matplotlib.use("Agg")
        mtj.plot_write_window(device).savefig(args.figure, dpi=150)
        print(f"figure written to {args.figure}")
    else:
        if not args.voltage or not args.pulse:
            raise CommandError("--voltage and --pulse are required")
        too_high = [v for v in args.voltage if v > device.v_bd]
        if too_high:
            raise CommandError(
                f"--voltage {too_high[0]} V is above the breakdown voltage v_bd = "
                f"{device.v_bd} V: the barrier breaks down, no write error rate"
            )
        volts = np.asarray(args.voltage)[:, None]
        pulses = np.asarray(args.pulse)[None, :]
        wer = mtj.write_error_rate(volts, pulses, device, model=args.model)
        print(f"{'V (V)':>8s} {'t (s)':>10s} {'WER':>11s}")
        for (i, j), value in np.ndenumerate(wer):
            text = f"{value:11.4e}" if value >= _RESOLVED_WER else f"{'< 1e-09':>11s}"
            print(f"{args.voltage[i]:8.4f} {args.pulse[j]:10.3e} {text}")
    return 0


#: WERs below this are printed as a bound: the solution does not resolve them.
_RESOLVED_WER = 1e-9


def _export(args: argparse.Namespace) -> int:
    import numpy as np

    from larq_ber.export import export_run

    if not args.tflite:
        raise CommandError("--tflite FILE is required")
    _existing_folder(args.run)
    run = RunFiles(Path(args.run))
    samples = None
    if run.run.exists():
        shape = read_json(run.run).get("input_shape")
        if not (isinstance(shape, list) and all(isinstance(d, int) for d in shape)):
            raise CommandError(f"{str(run.run)!r} has no valid input_shape")
        rng = np.random.default_rng(0)
        samples = rng.standard_normal((args.samples, *shape), np.float32)
    report = export_run(
        args.run,
        args.tflite,
        which=args.which,
        target=args.target,
        verify=not args.no_verify,
        verify_samples=samples,
        float_reference=not args.no_float_reference,
    )
    print(report.to_json() if args.json else report)
    return 0


def _existing_folder(path: str) -> None:
    """Raises `CommandError` unless `path` is an existing folder."""
    if not os.path.exists(path):
        raise CommandError(f"{path!r} does not exist")
    if not os.path.isdir(path):
        raise CommandError(f"{path!r} is not a folder")


def _sweep(args: argparse.Namespace) -> int:
    from larq_ber.recipes import load_recipe, parse_overrides

    # The recipe is checked before TensorFlow is imported: a typo fails at once.
    recipe = load_recipe(args.recipe, parse_overrides(args.overrides))
    from larq_ber.sweeps import run_sweep

    summary = run_sweep(
        recipe,
        args.out,
        data_dir=args.data_dir,
        tensorboard=args.tensorboard,
        progress=not args.no_progress,
    )
    done = summary.finished - len(summary.failed)
    print(
        f"{done} of {summary.total} runs finished in {summary.out} "
        f"(this process: {summary.role})."
    )
    if summary.failed:
        for run_id, reason in zip(summary.failed, summary.reasons, strict=True):
            print(f"run {run_id} failed: {reason}", file=sys.stderr)
        print(
            f"{len(summary.failed)} run(s) failed; runs that failed for a reason a "
            "retry removes are retried when the same command runs again.",
            file=sys.stderr,
        )
        return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    from larq_ber.demo import format_table, run_demo

    print(
        f"Training LeNet-4 on digits for {args.epochs} epochs at BER "
        + ", ".join(f"{b:g}" for b in args.bers)
        + " (error-free test accuracy after each epoch):",
        flush=True,
    )
    curves = run_demo(
        args.bers,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=not args.no_progress,
    )
    print(format_table(curves))
    return 0


def _results(args: argparse.Namespace) -> int:
    from larq_ber.results import write_results, write_robustness

    _existing_folder(args.out)
    count = write_results(args.out, args.csv)
    print(f"{count} rows written to {args.csv}")
    csv_path = Path(args.csv)
    target = args.robustness_csv or csv_path.with_name(
        f"{csv_path.stem}.robustness.csv"
    )
    rows = write_robustness(args.out, target)
    if rows:
        print(f"{rows} robustness rows written to {target}")
    return 0


def _robustness(args: argparse.Namespace) -> int:
    _existing_folder(args.out)
    from larq_ber.sweeps.robustness import evaluate_sweep

    runs, rows = evaluate_sweep(
        args.out,
        test_bers=args.test_bers,
        weight_bers=args.weight_bers,
        repeats=args.repeats,
        weights=args.which,
        data_dir=args.data_dir,
        progress=not args.no_progress,
    )
    print(f"{rows} new robustness rows for {runs} run(s) under {args.out}")
    return 0


def _plot(args: argparse.Namespace) -> int:
    if not args.figure:
        raise CommandError("--figure FILE is required")
    _existing_folder(args.out)
    from larq_ber.plots import save_figure

    path = save_figure(args.out, args.figure, kind=args.kind, style=args.style)
    print(f"figure written to {path}")
    return 0


_COMMANDS = {
    "demo": _demo,
    "sweep": _sweep,
    "results": _results,
    "robustness": _robustness,
    "plot": _plot,
    "export": _export,
    "mtj": _mtj,
    "kernel": _kernel,
}


def _one_line(error: BaseException) -> str:
    """An error as one line that names the file where there is one."""
    if isinstance(error, OSError) and error.filename is not None:
        reason = error.strerror or str(error)
        return f"{os.fspath(error.filename)}: {reason}"
    text = (
        " ".join(str(error).split()) if not hasattr(error, "problems") else str(error)
    )
    return text or type(error).__name__


@contextlib.contextmanager
def _quiet(verbose: bool) -> Iterator[None]:
    """Hides the libraries' warnings and log lines while a command runs.

    Unless `verbose`; the settings are restored afterwards.
    `TF_CPP_MIN_LOG_LEVEL=3` (set before TensorFlow is imported; a value the
    user set is kept) hides the C++ messages: level 2 still lets the `Unable to
    register cuDNN factory` errors through. The `tensorflow` and `absl` loggers
    keep errors only, and Python warnings are ignored.
    """
    if verbose:
        yield
        return
    import logging
    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
    levels = [logger.level for logger in loggers]
    # Typed (absl-py >= 2) or not (1.x): either way a module or None here.
    absl_logging: Any
    try:
        absl_logging = importlib.import_module("absl.logging")
    except ImportError:  # pragma: no cover - absl comes with TensorFlow
        absl_logging = None
    absl_level = absl_logging.get_verbosity() if absl_logging else None
    try:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        if absl_logging:
            absl_logging.set_verbosity(absl_logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        if absl_logging:
            absl_logging.set_verbosity(absl_level)


#: Loggers of the libraries that `larq-ber` silences unless `--verbose`.
_CHATTY_LOGGERS = ("tensorflow", "absl", "h5py", "larq_compute_engine")


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `larq-ber` command line.

    Every failure is reported as one line on standard error naming the file and
    what is wrong, with exit status 2 (1 when runs of a sweep failed); `--debug`
    shows the traceback instead. Ctrl-C stops with status 130. TensorFlow's,
    absl's and Python's warnings are hidden unless `--verbose` is given.

    Args:
        argv: Arguments without the program name; `sys.argv[1:]` if `None`.

    Returns:
        The process exit status.

    Example:
        >>> main(["demo", "--epochs", "1", "--bers", "0"])  # doctest: +SKIP
        0
    """
    args = build_parser().parse_args(argv)
    try:
        with _quiet(args.verbose):
            return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("interrupted — run the same command to resume", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(f"larq-ber {args.command}: {_one_line(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
