r"""A network's lifetime on MRAM: accuracy over storage time, reads and temperature.

Weights written once into MRAM lose their bits over time (thermal switching,
faster at higher temperature and in the weaker cells of a chip) and with every
read (read disturb); activations are written afresh at every inference at the
write point's error rates. `lifetime_rows` evaluates a trained model on one chip
over a grid of (temperature, storage time, reads), with independent error draws
per grid point; `longest_storage_time` answers in one call: the longest storage
time over which the network stays within a tolerance of its error-free accuracy,
decided on the bounds of a confidence interval.

The error probabilities of every position come from the device physics
(`larq_ber.errors.device_error_map`): retention and read disturb of each weight
cell for the value it holds, the write error rates of each activation cell; with a
`larq_ber.mtj.CellVariation` the cells of the chip differ. Draw $k$ uses
the same random numbers at every storage time and temperature, so a weight that
flipped at one time stays flipped at every later one (the curves of one draw are
monotonic in the error probabilities, as a chip's bits are), and the search of
`longest_storage_time` does not chase noise.

Intervals are Student's t intervals over the draws (`larq_ber.stats`): they cover
the variation of the error draws on this test set and this network, not of the
test set or of training (see the user guide's "How sure an estimate is").

Modules: `rows` (`lifetime_rows` and the draws they share) and `limit`
(`longest_storage_time` and its `StorageLimit`).
"""

from larq_ber.lifetime.limit import StorageLimit, longest_storage_time
from larq_ber.lifetime.rows import lifetime_rows

__all__ = ["StorageLimit", "lifetime_rows", "longest_storage_time"]
