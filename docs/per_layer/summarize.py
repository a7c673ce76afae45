"""The per-layer study's table: every `larq-ber assign` answer of some run folders.

    python docs/per_layer/summarize.py RUN [RUN ...]

For each run folder and each `assignment/tolerance<T>*.json` in it: the tolerance and
the accuracy it counts from (the run's own error-free accuracy, or `--reference`), the
per-layer rates, the verified accuracy interval, the write energy relative to the
conventional write (WER 1e-6 at 5 tau_D), the best single point's rate, energy and
interval, and the saving over it. Markdown rows, to paste. The intervals are the
verification's (at the Bonferroni level of the search's tests: 99.375 % for 95 %).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _interval(data: dict) -> str:
    return f"{data['mean']:.2f} [{data['low']:.2f}, {data['high']:.2f}]"


def main(runs: list[str]) -> None:
    """Prints one Markdown row per answer of each run folder in `runs`."""
    print(
        "| network | tolerance | of | per-layer BERs | accuracy % [interval] "
        "| energy | single BER | single accuracy % [interval] | single energy "
        "| saving |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        for path in sorted(Path(run, "assignment").glob("tolerance*.json")):
            a = json.loads(path.read_text())
            bers = ", ".join(f"{k} {v:g}" for k, v in a["layer_bers"].items())
            print(
                f"| {Path(run).parent.parent.name}/{Path(run).name} "
                f"| {a['tolerance']:g} | {a.get('reference') or a['clean']:.2f} "
                f"| {bers} | {_interval(a['accuracy'])} "
                f"| {a['energy']:.3f} | {a['single_ber']:g} "
                f"| {_interval(a['single_accuracy'])} | {a['single_energy']:.3f} "
                f"| {100 * a['saving']:.1f} % |"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
