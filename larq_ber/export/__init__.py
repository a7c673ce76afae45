"""Export of (BER-trained) Larq models to Larq Compute Engine / TFLite, verified.

`to_tflite` converts a Keras model with `larq_compute_engine.convert_keras_model`,
checks the flatbuffer and — unless told not to — runs it in LCE's interpreter
against Keras's own `training=False` prediction before it writes anything, so a file
on disk is one that passed. `BerSteSign` flips nothing at inference, so a model
trained with bit errors exports to exactly the ops of the same model trained
without them. The `ExportReport` says what came out: the file size and the size of
the equivalent float32 TFLite model, an op census, which Keras layers became binary
ops and which stayed float (and why, where that can be told), and the parity.
`latency_ms` times the exported file on this machine.

Modules: `tflite` (`to_tflite`, `to_float_tflite`), `parity` (LCE's interpreter
against Keras), `report` (`ExportReport`, `LayerExport`, `ExportError`),
`flatbuffer` (`op_census`, `layer_ops`), `latency` (`latency_ms`) and `capture`
(what the converters print from C++). The experiment app's
`larq_ber.study.deployment.export_run` exports a run of a sweep with `to_tflite`.
"""

from larq_ber.export.flatbuffer import layer_ops, op_census
from larq_ber.export.latency import latency_ms
from larq_ber.export.report import ExportError, ExportReport, LayerExport
from larq_ber.export.tflite import RANDOM_OPS, TARGETS, to_float_tflite, to_tflite

__all__ = [
    "RANDOM_OPS",
    "TARGETS",
    "ExportError",
    "ExportReport",
    "LayerExport",
    "latency_ms",
    "layer_ops",
    "op_census",
    "to_float_tflite",
    "to_tflite",
]
