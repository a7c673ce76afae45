r"""Bit errors at deployment: in activations at inference, in stored weights.

The paper trains *with* activation write errors and evaluates without them. A
deployed network meets errors too:

- `activation_errors(model, ber)`: every `BerSteSign` of the model also flips
  while the model infers (`evaluate`, `predict`, `model(x)`), at the given rates —
  activations are written afresh at every inference, so the errors are transient,
  a new independent draw each time. Leaving the context restores error-free
  inference.
- `weight_errors(model, ber)`: the binarized weights sit in memory; each stored sign
  flips independently with probability `ber` (for a `magnitude_aware_sign` or
  `ste_sign` kernel: the sign of the latent weight, its magnitude kept). The exact
  weights come back on leaving the context, also after an exception.
- `stuck_at(model, fraction)`: worn-out cells are not random at each access but
  stuck: a seeded set of weight and/or activation positions always reads as a fixed
  value, at every call and every training step, until the faults are removed. The
  fault map saves to and loads from a `.npz` file.

`activation_errors` works on any Larq model whose binary layers use `BerSteSign`
(the paper's models, or any larq model after `with_bit_errors`, which swaps its sign
input quantizers for `BerSteSign` without changing what it computes);
`weight_errors` and `stuck_at` on any larq model with 1-bit quantizers. The rates
may come from the device physics: every rate argument also takes the
`larq_ber.rates.ErrorRates` of `larq_ber.mtj.error_rates`. `active_errors` tells
which of them are applied to a model right now.

Every function walks nested models and shared layers; blocks unwind in any order to
the exact clean model; a model in a block refuses to be saved, and refuses the
blocks of another thread (see the "Guarantees" of the user guide's errors page).

Rates may also differ by position: an `ErrorMap` gives every activation and
weight position its own probability (a chip's cells differ; a stored weight's
error depends on the value it holds), and `device_error_map` builds one from the
device physics of `larq_ber.mtj` (write point, storage time, reads, temperature,
cell-to-cell variation). `activation_errors` and `weight_errors` take it in place
of a rate.

Modules: `registry` (what is active, by which thread), `binary` (which kernels and
inputs are 1-bit), `activations`, `weights`, `maps` (`ErrorMap` and the positions
of a model), `device_maps` (`device_error_map`), `conversion` (`with_bit_errors`),
`stuck_at` and `stuck_files` (checking and reading fault maps).
"""

from larq_ber.errors.activations import activation_errors
from larq_ber.errors.binary import binarized_kernels
from larq_ber.errors.conversion import with_bit_errors
from larq_ber.errors.device_maps import device_error_map
from larq_ber.errors.maps import ErrorMap
from larq_ber.errors.registry import active_errors
from larq_ber.errors.stuck_at import StuckAtFaults, stuck_at
from larq_ber.errors.weights import weight_errors

__all__ = [
    "ErrorMap",
    "StuckAtFaults",
    "activation_errors",
    "active_errors",
    "binarized_kernels",
    "device_error_map",
    "stuck_at",
    "weight_errors",
    "with_bit_errors",
]
