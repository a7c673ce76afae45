r"""MRAM write-error physics of a magnetic tunnel junction (MTJ), numpy/scipy only.

The write error rate (WER) of a perpendicular MTJ follows Tzoufras, *Switching
probability of all-perpendicular spin valve nanopillars*, AIP Advances 8, 056002
(2018), arXiv:1708.01671: a macrospin free layer with azimuthal symmetry,
$z = \cos\theta$, reduced time $\tau = t/\tau_D$, reduced drive $i = V/V_{c0}$,
reduced field $h$ and thermal stability $\Delta$. The density $\rho(z, \tau)$ of the
magnetisation direction obeys the Fokker–Planck equation (FPE)

$$\frac{\partial\rho}{\partial\tau} = \frac{\partial}{\partial z}\left[(1 - z^2)
(i - h - z)\,\rho + \frac{1 - z^2}{2\Delta}\frac{\partial\rho}{\partial z}\right],$$

starting from thermal equilibrium in the initial well, the zero-flux solution of
the same equation without current, $\rho(z, 0) \propto e^{\Delta z^2 + 2\Delta h z}$
on $z > \max(0, -h)$ (the barrier top is at $z = -h$; `larq_ber.mtj.initial`;
the 0.2 releases started from $e^{-\Delta(1 - z^2)}$ on $z > 0$ for every $h$,
which is 5 % off the write error rates at $h = 0.1$). The write error rate is the
probability still in the initial hemisphere, $\mathrm{WER}(\tau) = \int_0^1 \rho\,dz$.

`write_error_rate(model="fpe")` expands $\rho = \sum_n r_n P_n(z)$ in Legendre
polynomials. The operator maps polynomials of degree $n$ to degree $n + 2$, so the
truncated system $r' = A r$ is exact up to the truncation order $N$, and
$\mathrm{WER}(\tau) = c \cdot e^{A\tau} r_0$ with the hemisphere integrals $c$ of
the Legendre polynomials. $N$ defaults to $\lceil 20\sqrt{\Delta}\rceil$ (127 at
$\Delta = 40$), where the result has converged (the tests compare with $1.5N$).
Every pulse length of one voltage comes from one ladder of squared exponentials
$e^{A s 2^m}$ and a short Taylor series (`larq_ber.mtj.fpe.legendre_wer`, the one
evaluator of the forward function and its inverses): within $2 \times 10^{-13}$
of `scipy.linalg.expm` of the same matrix, and independent of the BLAS build (the
eigenvector matrix of $A$ is badly conditioned, so an eigen-expansion is not).
The truncation resolves the WER to about $10^{-10}$ absolute: values closer to 0
or 1 are reported as 0 or 1, so the WER is in [0, 1] and monotonic. $A$ is
pentadiagonal and built from the Legendre recurrences.
`model="finite_volume"` solves the same FPE independently on a graded grid in $z$
(slow; the cross-check), and
`model="approx"` is the closed-form approximation

$$\mathrm{WER} \approx 1 - \exp\left[-\frac{\pi^2\Delta}{4}
\frac{i - 1}{e^{2(i-1)\tau} - 1}\right],$$

valid only well above threshold ($i > 1$).

The package has one module per concept, each importing only those above it in this
list and, outside the package, only the TensorFlow-free `larq_ber.rates`,
`larq_ber.tables` and `larq_ber.palette` (the
public names below are also available from `larq_ber.mtj` itself):

- `larq_ber.mtj.device`: the `MTJ` parameters (`MTJ.paper()` is the paper's
  device), at a temperature: `MTJ.at(kelvin)` is the same device at another one,
  with the laws of `larq_ber.mtj.temperature` (computed in `device`, which imports
  no other module), and `MTJ.describe()` prints every parameter with the phase it
  affects; `SECONDS_PER_YEAR`;
- `larq_ber.mtj.temperature`: the temperature laws ($M_s(T)$, Callen–Callen
  anisotropy, the scaling of $\Delta$, $V_{c0}$, $\tau_D$ and $h$) and `celsius`;
- `larq_ber.mtj.presets`: devices by name (`preset("tzoufras2019")`, the paper's);
- `larq_ber.mtj.initial`: the initial (equilibrium) state of a write;
- `larq_ber.mtj.fpe`: the Fokker–Planck write error rate, `write_error_rate`,
  `switching_probability`, `default_order` and the operator itself,
  `legendre_operator`;
- `larq_ber.mtj.inverse`: the inverses `voltage_for_wer` and `pulse_for_wer`;
- `larq_ber.mtj.reliability`: retention (Néel–Arrhenius, `retention_failure`),
  read disturb (thermally activated switching at the read voltage,
  `read_disturb_rate`) and a parameterised endurance model (`endurance_cycles`);
- `larq_ber.mtj.deployment`: the error rates of a deployed network
  (`error_rates`: the two write directions, which differ through the field
  $h$ and the spin-transfer asymmetry `MTJ.stt_asymmetry`, and the stored
  weights' error rate from retention and read disturb, `weight_error_rate`, with
  its inverse `storage_time_for_weight_ber` and its value per stored state,
  `state_error_rates`; a read of `read_polarity="fixed"` disturbs one state,
  a `"bipolar"` one both);
- `larq_ber.mtj.operating`: the paper's Table I (`operating_points`), the
  bridge to training (`ber_from_operating_point`) and the record of a write
  operating point (`OperatingPoint`, whose `cheapest_write` finds the
  lowest-energy write for a WER, located by a continuous minimisation);
- `larq_ber.mtj.cheapest`: `cheapest_operating_point`, from an accuracy-vs-BER
  curve or a robustness table to the cheapest write, and the storage time the
  weights tolerate;
- `larq_ber.mtj.plots`: the paper's Figure 5 (`plot_write_window`);
- `larq_ber.mtj.cells`: the cells of one chip, drawn with their own thermal
  stability and critical voltage (`CellVariation`, `draw_cells`,
  `CellPopulation`);
- `larq_ber.mtj.variation`: each cell's write error rates, stored-bit error rates
  and retention (`cell_write_error_rates`, `cell_stored_error_rates`,
  `cell_retention_failure`), from a table of the Fokker–Planck solution over
  $(\Delta, V/V_{c0})$;
- `larq_ber.mtj.design`: the thermal stability a storage target needs
  (`delta_for_storage`).

Guarantees. Every function refuses, with one line naming the argument and its
range, what the model does not cover: voltages above the breakdown voltage
(range $(0, V_{bd}]$, whatever $V_{c0}$), pulses beyond $10^4\tau_D$
(`larq_ber.mtj.fpe.MAX_PULSE`), `MTJ.stt_asymmetry` outside [0.1, 10], read
counts that are not integers in [0, 1e30], weight error rate targets outside
[0, 1/2), a `device` that is not an `MTJ`, and bools or strings where a number is
due (numpy ints and floats are numbers). What it accepts keeps the physical
limits: the WER is in [0, 1] and does not increase with the voltage or the pulse;
read disturb is continuous and non-decreasing in the read voltage; a stored
weight's error rate (a two-state Markov chain) grows with the storage time and
the reads and tends to 1/2, never above.

Importing this package does not import TensorFlow.
"""

# Re-exports. `X as X` marks the public names that are not in `__all__`.
from larq_ber.mtj.cells import CellPopulation, CellVariation, draw_cells
from larq_ber.mtj.cheapest import cheapest_operating_point
from larq_ber.mtj.deployment import DEFAULT_READ_PULSE as DEFAULT_READ_PULSE
from larq_ber.mtj.deployment import READ_POLARITIES as READ_POLARITIES
from larq_ber.mtj.deployment import (
    error_rates,
    state_error_rates,
    storage_time_for_weight_ber,
    weight_error_rate,
)
from larq_ber.mtj.design import delta_for_storage
from larq_ber.mtj.device import MTJ
from larq_ber.mtj.device import SECONDS_PER_YEAR as SECONDS_PER_YEAR
from larq_ber.mtj.fpe import MODELS as MODELS
from larq_ber.mtj.fpe import default_order as default_order
from larq_ber.mtj.fpe import switching_probability, write_error_rate
from larq_ber.mtj.inverse import pulse_for_wer, voltage_for_wer
from larq_ber.mtj.operating import (
    OperatingPoint,
    OperatingPoints,
    ber_from_operating_point,
    operating_points,
)
from larq_ber.mtj.plots import plot_write_window
from larq_ber.mtj.presets import PRESETS as PRESETS
from larq_ber.mtj.presets import preset
from larq_ber.mtj.reliability import ENDURANCE_MODELS as ENDURANCE_MODELS
from larq_ber.mtj.reliability import (
    endurance_cycles,
    read_disturb_rate,
    retention_failure,
)
from larq_ber.mtj.temperature import ZERO_CELSIUS as ZERO_CELSIUS
from larq_ber.mtj.temperature import celsius
from larq_ber.mtj.variation import (
    cell_retention_failure,
    cell_stored_error_rates,
    cell_write_error_rates,
)

# `SECONDS_PER_YEAR`, `MODELS`, `ENDURANCE_MODELS`, `DEFAULT_READ_PULSE` and
# `default_order` are public too, but not in the list (as before the split into
# modules).
__all__ = [
    "MTJ",
    "CellPopulation",
    "CellVariation",
    "OperatingPoint",
    "OperatingPoints",
    "ber_from_operating_point",
    "cell_retention_failure",
    "cell_stored_error_rates",
    "cell_write_error_rates",
    "celsius",
    "cheapest_operating_point",
    "delta_for_storage",
    "draw_cells",
    "endurance_cycles",
    "error_rates",
    "operating_points",
    "plot_write_window",
    "preset",
    "pulse_for_wer",
    "read_disturb_rate",
    "retention_failure",
    "state_error_rates",
    "storage_time_for_weight_ber",
    "switching_probability",
    "voltage_for_wer",
    "weight_error_rate",
    "write_error_rate",
]
