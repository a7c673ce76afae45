"""`larq-ber export`: a run of a sweep as a verified Larq Compute Engine `.tflite`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from larq_ber.study.cli._common import (
    add_command,
    add_which,
    existing_folder,
    positive_int,
)

__all__ = ["EXAMPLES", "add_parser", "run"]

EXAMPLES = """\
examples:
  larq-ber export runs/quickstart/runs/ber0.04_rep0 --tflite lenet4.tflite
  larq-ber export runs/quickstart/runs/ber0.04_rep0 --tflite final.tflite \\
      --which final --target xcore --json
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Adds the `export` verb.

    Args:
        commands: The `add_subparsers()` object of the `larq-ber` parser.

    Returns:
        The verb's parser.
    """
    export = add_command(
        commands,
        "export",
        "convert a run of a sweep to a verified LCE .tflite",
        "Rebuild a sweep run's model with its Top1Max (--which best) or final "
        "weights, convert it with Larq Compute Engine, compare LCE's interpreter "
        "with Keras on random inputs, and write the file only if they agree. "
        "Prints the report: sizes, op census, binary/float layers, parity.",
        EXAMPLES,
    )
    export.add_argument("run", metavar="RUN_DIR", help="OUT/runs/<run_id> of a sweep")
    export.add_argument("--tflite", required=True, help="the .tflite file to write")
    add_which(export)
    export.add_argument(
        "--target",
        choices=("arm", "xcore"),
        default="arm",
        help="LCE target (default: arm)",
    )
    export.add_argument(
        "--samples",
        type=positive_int,
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
    export.set_defaults(handler=run)
    return export


def run(args: argparse.Namespace) -> int:
    """Runs `larq-ber export`: converts, verifies, writes, prints the report.

    Args:
        args: The parsed arguments of the verb.

    Returns:
        The exit status, 0.

    Raises:
        CommandError: If the run folder does not exist.
    """
    existing_folder(args.run)
    samples = _verification_inputs(Path(args.run), args.samples)
    from larq_ber.study.deployment import export_run

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


def _verification_inputs(run_dir: Path, count: int) -> Any:
    """`count` seeded standard-normal inputs of the shape the run was trained on."""
    import numpy as np

    from larq_ber.study.runspec import RunSpec

    shape = RunSpec.load(run_dir).input_shape
    return np.random.default_rng(0).standard_normal((count, *shape), np.float32)
