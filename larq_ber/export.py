"""Export of (BER-trained) Larq models to Larq Compute Engine / TFLite, verified.

`to_tflite` converts a Keras model with `larq_compute_engine.convert_keras_model`,
checks the flatbuffer and — unless told not to — runs it in LCE's interpreter
against Keras's own `training=False` prediction before it writes anything, so a file
on disk is one that passed. `BerSteSign` flips nothing at inference, so a model
trained with bit errors exports to exactly the ops of the same model trained
without them. The `ExportReport` says what came out: the file size and the size of
the equivalent float32 TFLite model, an op census, which Keras layers became binary
ops and which stayed float (and why, where that can be told), and the parity.

`export_run` does the same for a run of a sweep (`larq_ber.sweeps`), rebuilding the
model from the run's `run.json` and its Top1Max or final weights; the command line's
`larq-ber export RUN_DIR --tflite model.tflite` calls it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import statistics
import timeit
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.flatbuffer import layer_ops, op_census
from larq_ber.layers import export_copy, input_quantizer_of
from larq_ber.results import RunFiles, read_json

__all__ = [
    "RANDOM_OPS",
    "TARGETS",
    "ExportError",
    "ExportReport",
    "LayerExport",
    "export_run",
    "latency_ms",
    "layer_ops",
    "op_census",
    "to_float_tflite",
    "to_tflite",
]

#: Targets of `larq_compute_engine.convert_keras_model`.
TARGETS = ("arm", "xcore")

#: TFLite and TF ops that draw random numbers; none may survive in an export.
RANDOM_OPS = frozenset(
    {
        "RANDOM_UNIFORM",
        "RANDOM_STANDARD_NORMAL",
        "MULTINOMIAL",
        "FlexRandomUniform",
        "FlexRandomUniformInt",
        "FlexStatelessRandomUniformV2",
        "FlexStatelessRandomUniformFullIntV2",
        "FlexRandomStandardNormal",
    }
)


@dataclasses.dataclass(frozen=True)
class LayerExport:
    """What one Keras layer with weights became in the flatbuffer.

    Attributes:
        name: The Keras layer name.
        kind: The layer class name.
        binarized: Whether both its input and its kernel are quantized to 1 bit.
        ops: Operators attributed to it (`layer_ops`).
        binary: Whether it became a binary operator (`LceBconv2d`).
        reason: Why it stayed float, or a note (empty when there is nothing to
            say).
    """

    name: str
    kind: str
    binarized: bool
    ops: tuple[str, ...]
    binary: bool
    reason: str = ""


def _precision(quantizer: Any) -> int | None:
    return getattr(quantizer, "precision", None) if quantizer is not None else None


def _layer_reports(model: tf.keras.Model, flatbuffer: bytes) -> list[LayerExport]:
    ops = layer_ops(model, flatbuffer)
    reports = []
    for layer in model.layers:
        if not getattr(layer, "kernel", None) is not None:
            continue
        input_q = input_quantizer_of(layer)
        kernel_q = getattr(layer, "kernel_quantizer", None)
        binarized = _precision(input_q) == 1 and _precision(kernel_q) == 1
        found = ops.get(layer.name, Counter())
        binary = found["LceBconv2d"] > 0
        dense = isinstance(layer, tf.keras.layers.Dense)
        if binary:
            reason = ""
        elif not hasattr(layer, "input_quantizer"):
            reason = "a float Keras layer (not a larq quantized layer)"
        elif input_q is None:
            reason = "real-valued input (input_quantizer=None), e.g. the first layer"
        elif _precision(input_q) != 1:
            reason = f"input quantizer {type(input_q).__name__} is not 1-bit"
        elif _precision(kernel_q) != 1:
            reason = "kernel not binarized (kernel_quantizer is not 1-bit)"
        elif dense:
            reason = (
                "LCE has no binary fully-connected kernel: a binary QuantDense runs "
                "as float FULLY_CONNECTED on dequantized ±1 inputs; build it as a 1×1 "
                "QuantConv2D on a 1×1 map, as larq_ber.models does"
            )
        else:
            config = layer.get_config()
            reason = (
                "not converted to LceBconv2d (padding="
                f"{config.get('padding')!r}, pad_values={config.get('pad_values')!r},"
                f" {layer.input_shape[-1]} input channels)"
            )
        reports.append(
            LayerExport(
                name=layer.name,
                kind=type(layer).__name__,
                binarized=binarized,
                ops=tuple(sorted(found)),
                binary=binary,
                reason=reason,
            )
        )
    return reports


class ExportError(RuntimeError):
    """The converted model is not safe to ship; the message says why."""


@dataclasses.dataclass(frozen=True)
class ExportReport:
    """The outcome of `to_tflite`.

    Attributes:
        path: The file written.
        target: `"arm"` or `"xcore"`.
        size_bytes: Size of the LCE flatbuffer (bytes).
        float_size_bytes: Size of the same model converted by the plain TFLite
            converter, float32 weights (bytes); `None` if `to_tflite` was asked
            not to convert it (`float_reference=False`).
        census: Operator counts (`op_census`; 0 for absent operators).
        layers: What each Keras layer with weights became.
        verified: Whether the interpreter was compared with Keras.
        samples: Number of inputs compared.
        max_abs_diff: Largest |LCE − Keras| over all outputs (`None` unverified).
        within_tolerance: Fraction of inputs whose outputs all agree within
            `atol`.
        top1_agreement: Fraction of inputs with the same arg-max.
        atol: The absolute tolerance of the comparison.
        min_agreement: The fraction both agreements had to reach.
        converter_summary: What the MLIR converter printed about the operations it
            left outside the TFLite dialect, in one line (e.g. "18 of 43 ops not
            converted: 18 ARITH"); the converters' own output is captured, not
            shown, unless the conversion fails.
    """

    path: str
    target: str
    size_bytes: int
    float_size_bytes: int | None
    census: Counter[str]
    layers: tuple[LayerExport, ...]
    verified: bool
    samples: int = 0
    max_abs_diff: float | None = None
    within_tolerance: float | None = None
    top1_agreement: float | None = None
    atol: float = 1e-4
    min_agreement: float = 0.97
    converter_summary: str = ""

    @property
    def size_ratio(self) -> float | None:
        """Float32 TFLite size / LCE size (`None` without the float reference)."""
        if self.float_size_bytes is None:
            return None
        return self.float_size_bytes / self.size_bytes

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data.

        Returns:
            A dictionary (layers as a list of dictionaries).
        """
        data = dataclasses.asdict(self)
        data["census"] = dict(sorted(self.census.items()))
        ratio = self.size_ratio
        data["size_ratio"] = None if ratio is None else round(ratio, 3)
        return data

    def to_json(self) -> str:
        """The report as indented JSON.

        Returns:
            The JSON text.
        """
        return json.dumps(self.to_dict(), indent=2)

    def __str__(self) -> str:
        size = f"{self.path} ({self.target}): {self.size_bytes / 1024:.1f} KiB"
        if self.float_size_bytes is not None:
            size += (
                f", float32 TFLite {self.float_size_bytes / 1024:.1f} KiB "
                f"({self.float_size_bytes / self.size_bytes:.1f}x)"
            )
        lines = [
            size,
            "ops: " + ", ".join(f"{k} {v}" for k, v in sorted(self.census.items())),
            "layers:",
        ]
        for layer in self.layers:
            became = "binary" if layer.binary else "float "
            ops = ", ".join(layer.ops)
            note = f" — {layer.reason}" if layer.reason else ""
            lines.append(f"  {became} {layer.name} ({layer.kind}): {ops}{note}")
        if self.verified:
            lines.append(
                f"parity on {self.samples} inputs: max |LCE - Keras| "
                f"{self.max_abs_diff:.2e}, within {self.atol:g}: "
                f"{100 * (self.within_tolerance or 0):.1f} %, same top-1: "
                f"{100 * (self.top1_agreement or 0):.1f} %"
            )
        else:
            lines.append("not verified")
        if self.converter_summary:
            lines.append(f"converter: {self.converter_summary}")
        return "\n".join(lines)


def _check_path(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    if not path.resolve().parent.is_dir():
        raise FileNotFoundError(
            f"`path` {str(path)!r}: the folder {str(path.resolve().parent)!r} does not "
            "exist."
        )
    return path


def to_float_tflite(model: tf.keras.Model, path: str | os.PathLike[str]) -> int:
    r"""Converts with the plain TFLite converter (float32), for comparison.

    It converts `larq_ber.layers.export_copy(model)`, the copy `to_tflite` converts
    too: larq's input quantizers become float `SIGN` operations and the binary
    kernels float32 constants $\pm\alpha$; this is the model an edge device would
    run without LCE. (Converting `model` itself can store a kernel twice, latent and
    binarized: 382 MiB instead of 238 MiB for BinaryAlexNet at 224 × 224.)

    Args:
        model: A Keras model.
        path: The `.tflite` file to write (its folder must exist).

    Returns:
        The size of the file (bytes).

    Raises:
        FileNotFoundError: If the folder of `path` does not exist.

    Example:
        >>> to_float_tflite(model, "model_float.tflite")  # doctest: +SKIP
        1737660
    """
    path = _check_path(path)
    flatbuffer = _float_flatbuffer(export_copy(model))
    path.write_bytes(flatbuffer)
    return len(flatbuffer)


def _float_flatbuffer(model: tf.keras.Model) -> bytes:
    with _captured_native_output():
        return bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())


@contextlib.contextmanager
def _captured_native_output() -> Iterator[list[str]]:
    """Captures what C++ code writes to the process's stdout and stderr.

    The converters print MLIR diagnostics straight to file descriptors 1 and 2.
    The text is yielded (as one string, after the block) and written back to
    stderr if the block raises, so a failure still explains itself.
    """
    import sys
    import tempfile

    captured: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        failed = False
        try:
            yield captured
        except BaseException:
            failed = True
            raise
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            text = sink.read().decode(errors="replace")
            captured.append(text)
            if failed and text:
                sys.stderr.write(text)


def _summarise_converter(text: str) -> str:
    """One line from the converter's "Summary on the non-converted ops" block."""
    total = re.search(r"Non-Converted Ops: (\d+), Total Ops (\d+)", text)
    if total is None:
        return ""
    kinds = re.findall(r"\*\s+(\d+)\s+(\w+) ops", text)
    detail = ", ".join(f"{count} {kind}" for count, kind in kinds)
    return (
        f"{total.group(1)} of {total.group(2)} ops left outside the TFLite dialect"
        + (f" ({detail})" if detail else "")
    )


def _interpreter_outputs(flatbuffer: bytes, inputs: np.ndarray) -> np.ndarray:
    import larq_compute_engine as lce

    interpreter = lce.testing.Interpreter(flatbuffer, num_threads=1)
    x = inputs
    if interpreter.input_types[0] == np.int8:
        scale, zero = interpreter.input_scales[0], interpreter.input_zero_points[0]
        x = np.clip(np.round(inputs / scale + zero), -128, 127).astype(np.int8)
    y = np.asarray(interpreter.predict(x))
    if interpreter.output_types[0] == np.int8:
        scale, zero = interpreter.output_scales[0], interpreter.output_zero_points[0]
        y = (y.astype(np.float32) - zero) * scale
    return y


def to_tflite(
    model: tf.keras.Model,
    path: str | os.PathLike[str],
    *,
    target: str = "arm",
    inference_input_type: tf.DType = tf.float32,
    verify: bool = True,
    verify_samples: np.ndarray | None = None,
    atol: float = 1e-4,
    min_agreement: float = 0.97,
    float_reference: bool = True,
) -> ExportReport:
    r"""Converts a Larq model for Larq Compute Engine, checks it, then writes it.

    Nothing is written unless the checks pass: no operator that draws random
    numbers may survive (`RANDOM_OPS`), and with `verify` LCE's interpreter must
    agree with Keras's `model.predict` (which runs `training=False`, so without bit
    errors): on at least `min_agreement` of the inputs every output within
    `atol`, and the same top-1 class on at least `min_agreement` of them. A sign
    taken of a value within float rounding of 0 can legitimately differ between
    the two, which is why a small fraction of inputs may disagree.

    Args:
        model: A Keras model with binarized layers (e.g. `larq_ber.models.LeNet4`).
        path: The `.tflite` file to write (its folder must exist).
        target: `"arm"` or `"xcore"` (LCE's targets).
        inference_input_type: `tf.float32` or `tf.int8` (LCE's converter option).
        verify: Whether to compare the interpreter with Keras before writing.
        verify_samples: Inputs to compare on, shape `(n, *model.input_shape[1:])`;
            `None`: 64 standard-normal inputs (seeded).
        atol: Absolute tolerance on the outputs (> 0).
        min_agreement: Fraction of inputs that must agree, in (0, 1].
        float_reference: Whether to convert the model with the plain TFLite
            converter too, for `float_size_bytes`; that second conversion takes
            about as long as the first (29 s of 74 s for BinaryAlexNet at
            224 × 224 on 2 CPU cores), so `False` skips it when only the LCE file
            matters.

    Returns:
        The `ExportReport`.

    Raises:
        ValueError: If `target` or `inference_input_type` is unknown, the model
            has no binarized layer, or `verify_samples` has the wrong shape.
        FileNotFoundError: If the folder of `path` does not exist.
        ExportError: If a random operator survived, the interpreter disagrees
            with Keras beyond the tolerance, or an error model of
            `larq_ber.errors` is active on the model (the message says which; no
            file is written).

    Example:
        >>> from larq_ber.models import LeNet4
        >>> report = to_tflite(LeNet4(ber=0.04), "lenet4.tflite")  # doctest: +SKIP
        >>> report.census["LceBconv2d"]  # doctest: +SKIP
        2
    """
    import larq_compute_engine as lce

    if target not in TARGETS:
        raise ValueError(f"`target` must be one of {list(TARGETS)}, got {target!r}.")
    if inference_input_type not in (tf.float32, tf.int8):
        raise ValueError(
            "`inference_input_type` must be tf.float32 or tf.int8, got "
            f"{inference_input_type!r}."
        )
    if not atol > 0:
        raise ValueError(f"`atol` must be > 0, got {atol!r}.")
    if not 0 < min_agreement <= 1:
        raise ValueError(f"`min_agreement` must be in (0, 1], got {min_agreement!r}.")
    path = _check_path(path)
    from larq_ber.errors import active_errors

    active = active_errors(model)
    if active:
        raise ExportError(
            f"{', '.join(active)} active on the model: leave the `with` block (or "
            "call `remove()` on the stuck-at faults) before exporting; deployment "
            "errors are for evaluation, not part of the model."
        )
    binarized = [
        layer.name
        for layer in model.layers
        if _precision(getattr(layer, "input_quantizer", None)) == 1
        and _precision(getattr(layer, "kernel_quantizer", None)) == 1
    ]
    if not binarized:
        raise ValueError(
            f"`model` {model.name!r} has no binarized layer (a larq layer with 1-bit "
            "input_quantizer and kernel_quantizer): LCE would produce no binary op. "
            "Use to_float_tflite for a float model."
        )
    shape = tuple(model.input_shape[1:])
    if verify_samples is not None:
        verify_samples = np.asarray(verify_samples, dtype=np.float32)
        if verify_samples.ndim != len(shape) + 1 or verify_samples.shape[1:] != shape:
            raise ValueError(
                f"`verify_samples` must have shape (n, {', '.join(map(str, shape))}), "
                f"got {verify_samples.shape}."
            )
    # LCE converts a copy: dense layers trained as matmuls become the 1×1
    # convolutions it binarizes, and binary kernels constants ±α.
    exported = export_copy(model)
    with _captured_native_output() as converter_output:
        flatbuffer = bytes(
            lce.convert_keras_model(
                exported, target=target, inference_input_type=inference_input_type
            )
        )
    summary = _summarise_converter("".join(converter_output))
    census = op_census(flatbuffer)
    random_ops = sorted(RANDOM_OPS & set(census))
    if random_ops:
        raise ExportError(
            f"random operators survived the conversion: {random_ops}; the exported "
            "model would not be deterministic. Nothing was written."
        )
    report: dict[str, Any] = {"verified": False}
    if verify:
        x = verify_samples
        if x is None:
            x = np.random.default_rng(0).standard_normal((64, *shape), np.float32)
        expected = np.asarray(model.predict(x, verbose=0, batch_size=32))
        got = _interpreter_outputs(flatbuffer, x).reshape(expected.shape)
        diff = np.abs(got - expected).reshape(len(x), -1)
        report = {
            "verified": True,
            "samples": len(x),
            "max_abs_diff": float(diff.max()),
            "within_tolerance": float(np.mean(diff.max(axis=1) <= atol)),
            "top1_agreement": float(
                np.mean(
                    got.reshape(len(x), -1).argmax(-1)
                    == expected.reshape(len(x), -1).argmax(-1)
                )
            ),
        }
        failing = [
            f"{key} {100 * report[key]:.1f} %"
            for key in ("within_tolerance", "top1_agreement")
            if report[key] < min_agreement
        ]
        if failing:
            raise ExportError(
                f"LCE's interpreter disagrees with Keras: {', '.join(failing)} of "
                f"{len(x)} inputs (need {100 * min_agreement:.0f} %; atol {atol:g}, "
                f"max |diff| {report['max_abs_diff']:.3g}). Nothing was written."
            )
    path.write_bytes(flatbuffer)
    return ExportReport(
        path=str(path),
        target=target,
        size_bytes=len(flatbuffer),
        float_size_bytes=(
            len(_float_flatbuffer(exported)) if float_reference else None
        ),
        census=census,
        layers=tuple(_layer_reports(model, flatbuffer)),
        atol=atol,
        min_agreement=min_agreement,
        converter_summary=summary,
        **report,
    )


def export_run(
    run_dir: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    which: str = "best",
    **kwargs: Any,
) -> ExportReport:
    """Exports a run of a sweep: its model with its Top1Max or final weights.

    Args:
        run_dir: A run folder of a sweep (`OUT/runs/<run_id>`, with `run.json`).
        path: The `.tflite` file to write.
        which: `"best"` (weights at Top1Max) or `"final"` (after the last epoch).
        **kwargs: Passed to `to_tflite` (`target`, `verify`, `verify_samples`, …).

    Returns:
        The `ExportReport`.

    Raises:
        ValueError: If `which` is unknown.
        FileNotFoundError: If `run_dir` is not a run folder or lacks the weights
            (the run has not finished).

    Example:
        >>> run = "runs/quickstart/runs/ber0.04_rep0"
        >>> export_run(run, "m.tflite").census["LceBconv2d"]  # doctest: +SKIP
        2
    """
    from larq_ber.models import MODELS

    run = RunFiles(Path(run_dir))
    weights = run.weights(which)
    if not run.run.exists():
        raise FileNotFoundError(
            f"`run_dir` {str(run.folder)!r} is not a run folder of a sweep (no "
            "run.json; runs are in OUT/runs/<run_id>)."
        )
    if not weights.exists():
        raise FileNotFoundError(
            f"{str(weights)!r} does not exist: the run has not finished (run the "
            "sweep again to finish it)."
        )
    record = read_json(run.run)
    missing = [
        k for k in ("model", "input_shape", "num_classes", "ber") if k not in record
    ]
    if missing or record.get("model") not in MODELS:
        raise ValueError(
            f"{str(run.run)!r} does not describe a run of larq-ber's models "
            f"(missing {missing or ['a known model']})."
        )
    model = MODELS[record["model"]](
        input_shape=tuple(record["input_shape"]),
        num_classes=record["num_classes"],
        ber=record["ber"],
    )
    try:
        model.load_weights(str(weights))
    except (OSError, ValueError) as error:
        reason = " ".join(str(error).split())
        raise ValueError(
            f"{str(weights)!r} cannot be read as the run's weights ({reason})."
        ) from None
    return to_tflite(model, path, **kwargs)


#: Interpreters of `latency_ms`.
INTERPRETERS = ("lce", "tflite")


def latency_ms(
    model: bytes | str | os.PathLike[str],
    inputs: np.ndarray,
    *,
    interpreter: str = "lce",
    num_threads: int = 1,
    repeats: int = 50,
) -> float:
    """Median wall time (ms) of one inference of a `.tflite` model on this machine.

    One warm-up call, then `repeats` timed calls on the same `inputs`; the median
    resists the machine's other work better than the mean.

    Args:
        model: The flatbuffer, or the path of a `.tflite` file.
        inputs: One batch, shape `(n, *input_shape)` (usually `n = 1`).
        interpreter: `"lce"` (Larq Compute Engine's interpreter, needed for the
            binary ops) or `"tflite"` (TensorFlow Lite's, with XNNPACK, for float
            models).
        num_threads: Interpreter threads (>= 1).
        repeats: Timed calls (>= 1).

    Returns:
        The median time of one call, in milliseconds.

    Raises:
        ValueError: If `interpreter` is unknown or `num_threads`/`repeats` < 1.

    Example:
        >>> latency_ms("lenet4.tflite", x_test[:1])  # doctest: +SKIP
        0.41
    """
    if interpreter not in INTERPRETERS:
        raise ValueError(
            f"`interpreter` must be one of {list(INTERPRETERS)}, got {interpreter!r}."
        )
    for name, value in (("num_threads", num_threads), ("repeats", repeats)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must be an integer >= 1, got {value!r}.")
    flatbuffer = model if isinstance(model, bytes) else Path(model).read_bytes()
    inputs = np.asarray(inputs)
    # The interpreters announce their delegates on stderr from C++: kept quiet.
    with _captured_native_output():
        if interpreter == "lce":
            import larq_compute_engine as lce

            runner = lce.testing.Interpreter(flatbuffer, num_threads=num_threads)

            def run() -> None:
                runner.predict(inputs)

        else:
            lite = tf.lite.Interpreter(
                model_content=flatbuffer, num_threads=num_threads
            )
            index = lite.get_input_details()[0]["index"]
            # A static input shape lets XNNPACK take the whole graph.
            lite.resize_tensor_input(index, inputs.shape, strict=False)
            lite.allocate_tensors()

            def run() -> None:
                lite.set_tensor(index, inputs)
                lite.invoke()

        run()
    return 1000 * statistics.median(timeit.repeat(run, number=1, repeat=repeats))
