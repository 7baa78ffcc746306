"""Figures of a benchmark run: medians, p95, floors and the printed table.

Pure functions, no Django: ``bench/run.py`` collects samples (seconds) and
turns them into ``Figure`` rows; the table is what ``make bench`` prints and
the README shows.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


def median(samples: Sequence[float]) -> float:
    if not samples:
        raise ValueError("no samples")
    return statistics.median(samples)


def p95(samples: Sequence[float]) -> float:
    """The nearest-rank 95th percentile: the smallest sample with at least
    95 % of the samples at or below it (of 20 samples, the 19th)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = math.ceil(0.95 * len(ordered))
    return ordered[max(rank, 1) - 1]


def ratio(value: float | None, floor: float | None) -> float | None:
    """How many times its floor a figure is; None without a usable floor."""
    if value is None or floor is None or floor <= 0:
        return None
    return value / floor


@dataclass
class Figure:
    """One measured thing: ``median``/``p95`` in ``unit`` (ms for pages,
    s for exports and imports), its floor in the same unit when it has one."""

    name: str
    median: float
    p95: float | None = None
    unit: str = "ms"
    floor: float | None = None
    floor_name: str = ""
    runs: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return ratio(self.median, self.floor)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def from_samples(name: str, seconds: Sequence[float], *, unit: str = "ms", **kw: Any) -> Figure:
    scale = 1000.0 if unit == "ms" else 1.0
    values = [s * scale for s in seconds]
    return Figure(name, median(values), p95(values), unit=unit, runs=len(values), **kw)


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}" if value < 100 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def table(figures: Iterable[Figure]) -> str:
    """A markdown table: figure, median, p95, floor, ratio to the floor."""
    lines = [
        "| figure | median | p95 | floor | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for f in figures:
        floor = "—" if f.floor is None else f"{_number(f.floor, f.unit)} ({f.floor_name})"
        r = f.ratio
        lines.append(
            f"| {f.name} | {_number(f.median, f.unit)} | {_number(f.p95, f.unit)} "
            f"| {floor} | {'—' if r is None else f'{r:.1f}×'} |"
        )
    return "\n".join(lines)
