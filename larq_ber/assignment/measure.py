r"""Measuring an assignment: its accuracy over error draws, through the ledger.

`Measure` evaluates a model with every binarized layer's activations written at
its own rate (an `ErrorMap` of per-layer rates, `activation_errors`), draw $k$
seeded from `(seed, k)`, reads draws already in the `Ledger` instead of measuring
them again, and records every measured assignment as a `SearchStep`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.assignment.ladder import WriteLadder
from larq_ber.assignment.ledger import Ledger, assignment_key
from larq_ber.assignment.result import SearchStep
from larq_ber.errors import ErrorMap, activation_errors
from larq_ber.evaluation import Position, accuracy, draw_key
from larq_ber.stats import Interval, mean_interval

__all__ = ["Levels", "Measure"]

Levels = tuple[int, ...]


@dataclasses.dataclass
class Measure:
    """Measures assignments (rung indices per layer), through the ledger.

    Attributes:
        model: The compiled model.
        data: The test data.
        positions: Its binarized layers (`activation_positions`).
        ladder: The rungs.
        ledger: Every draw measured so far.
        seed: The seed of the draws.
        metric: The accuracy metric (`None`: `top1` or `accuracy`).
        confidence: The confidence of the search's intervals.
        threshold: The accuracy (points) an assignment must stay above.
        steps: Every assignment measured, in order.
        progress: Called with each step as it is measured.
        measured: The ledger keys of the assignments measured.
    """

    model: tf.keras.Model
    data: Any
    positions: list[Position]
    ladder: WriteLadder
    ledger: Ledger
    seed: int
    metric: str | None
    confidence: float
    threshold: float
    steps: list[SearchStep] = dataclasses.field(default_factory=list)
    progress: Callable[[SearchStep], None] | None = None
    measured: set[str] = dataclasses.field(default_factory=set)

    def bers(self, levels: Levels) -> tuple[float, ...]:
        """The rate of each layer at rung indices `levels`."""
        return tuple(self.ladder.rungs[r] for r in levels)

    def values(self, levels: Levels, first: int, count: int) -> list[float]:
        """The accuracy (points) of draws `first` ... `first + count - 1`."""
        paths = [path for path, _, _ in self.positions]
        key = assignment_key(paths, self.bers(levels))
        self.measured.add(key)
        draws = range(first, first + count)
        found: dict[int, float] = {}
        for k in draws:
            known = self.ledger.get(key, self.seed, k)
            if known is not None:
                found[k] = known
        missing = [k for k in draws if k not in found]
        if missing:
            errors = ErrorMap(
                activations={
                    path: (np.full(shape, b, np.float32),) * 2
                    for (path, _, shape), b in zip(
                        self.positions, self.bers(levels), strict=True
                    )
                }
            )
            with activation_errors(self.model, errors, seed=0) as quantizers:
                for k in missing:
                    base = draw_key(self.seed, k)
                    for i, quantizer in enumerate(quantizers):
                        quantizer.reseed_inference_errors(base + i)
                    found[k] = accuracy(self.model, self.data, self.metric)
                    self.ledger.put(key, self.seed, k, found[k])
        return [found[k] for k in draws]

    def __call__(
        self,
        levels: Levels,
        first: int,
        count: int,
        confidence: float | None = None,
        **step: Any,
    ) -> tuple[Interval, list[float]]:
        """The interval (at `confidence`: the search's) and values, as a step."""
        values = self.values(levels, first, count)
        interval = mean_interval(values, confidence or self.confidence)
        record = SearchStep(
            bers=self.bers(levels),
            energy=self.ladder.energy(self.writes, levels),
            accuracy=interval,
            within=interval.low >= self.threshold,
            **step,
        )
        self.steps.append(record)
        if self.progress is not None:
            self.progress(record)
        return interval, values

    @property
    def writes(self) -> list[int]:
        """Binary activations each layer writes per input."""
        return [int(np.prod(shape)) for _, _, shape in self.positions]

    def take(self, index: int) -> None:
        """Marks step `index` as taken."""
        self.steps[index] = dataclasses.replace(self.steps[index], taken=True)
