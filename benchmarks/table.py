"""One results table for every benchmark: each figure beside its named baseline and the ratio."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

COLUMNS = ("benchmark", "case", "figure", "value", "baseline", "baseline value", "ratio")


@dataclass(frozen=True)
class Row:
    """One measured figure and the baseline it is read against, both from the same run.

    >>> Row("sensor tick", "100 tasks", "HTTP requests", 1, "GET each task", 100).ratio
    0.01
    """

    benchmark: str
    case: str
    figure: str
    value: float
    baseline: str
    baseline_value: float

    @property
    def ratio(self) -> float | None:
        """value ÷ baseline value; None when the baseline is zero."""
        return self.value / self.baseline_value if self.baseline_value else None

    def cells(self) -> tuple[str, ...]:
        ratio = "-" if self.ratio is None else f"{_ratio(self.ratio)}x"
        return (
            self.benchmark,
            self.case,
            self.figure,
            number(self.value),
            self.baseline,
            number(self.baseline_value),
            ratio,
        )


def number(value: float) -> str:
    """A figure with as many decimals as its size deserves.

    >>> [number(v) for v in (12345, 123.4, 12.34, 0.01234, 7.0)]
    ['12,345', '123', '12.3', '0.012', '7']
    """
    if float(value).is_integer():
        return f"{int(value):,}"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _ratio(ratio: float) -> str:
    """Two decimals, or two significant digits for ratios too small for them."""
    return f"{ratio:.2f}" if ratio >= 0.1 or ratio == 0 else f"{ratio:.2g}"


def markdown(rows: Iterable[Row]) -> str:
    """The rows as a markdown table.

    >>> print(markdown([Row("b", "c", "f", 2, "base", 4)]))
    | benchmark | case | figure | value | baseline | baseline value | ratio |
    |---|---|---|---:|---|---:|---:|
    | b | c | f | 2 | base | 4 | 0.50x |
    """
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|---|---|---|---:|---|---:|---:|",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)
