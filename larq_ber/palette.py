"""The colours of every figure larq-ber draws (no dependencies).

Okabe–Ito colours: distinguishable with every common colour-vision deficiency and,
in this order (the order of the legend), in grey-scale print. `larq_ber.study.plots` and
`larq_ber.mtj.plots` both draw with them.
"""

from __future__ import annotations

__all__ = ["COLOURS"]

#: Okabe–Ito colours in the order lines are drawn: blue, orange, bluish green,
#: reddish purple, sky blue, vermillion, black, yellow.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
           "#000000", "#F0E442")  # fmt: skip
