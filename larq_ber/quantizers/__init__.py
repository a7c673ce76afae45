r"""Binary quantizers that inject memory bit errors into activations while training.

A binarized network stores its activations as $\pm 1$. When those activations are
written to an MRAM operated at a reduced write voltage, a write fails with a small
probability and the stored bit is the opposite sign (Tzoufras, Gajek & Walker,
"Magnetoresistive RAM for error resilient XNOR-Nets", arXiv:1905.10927). Training
*with* such errors makes the network tolerate them. `BerSteSign` is larq's `SteSign`
with those errors added to the forward pass of training steps only:

$$
q(x) = m \cdot \operatorname{sign}(x), \qquad
P(m = -1 \mid \operatorname{sign}(x) = -1) = \mathrm{ber}_{-},\quad
P(m = -1 \mid \operatorname{sign}(x) = +1) = \mathrm{ber}_{+}.
$$

Usage mirrors every other larq quantizer:

```python
import larq as lq
import larq_ber  # registers "ber_ste_sign"

layer = lq.layers.QuantConv2D(
    64, 3,
    input_quantizer=larq_ber.quantizers.BerSteSign(0.04),
    kernel_quantizer="magnitude_aware_sign",
    kernel_constraint="weight_clip",
)
```

or with the string alias and `set_ber` after the model is built.

Modules: `activations` (`BerSteSign`), `weights` (`BerMagnitudeAwareSign`),
`setting` (`ber_quantizers`, `set_ber`), `seeds`.
"""

from larq_ber.flips import SPARSE_MAX_RATE, ber_sign, ber_ste_sign
from larq_ber.quantizers.activations import BerSteSign
from larq_ber.quantizers.setting import ber_quantizers, set_ber
from larq_ber.quantizers.weights import BerMagnitudeAwareSign

__all__ = [
    "SPARSE_MAX_RATE",
    "BerMagnitudeAwareSign",
    "BerSteSign",
    "ber_quantizers",
    "ber_sign",
    "ber_ste_sign",
    "set_ber",
]
