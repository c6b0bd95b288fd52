"""One rule for every figure the dashboards print, on every page, in tables, text and chart hovers.

- A rate in any unit (%, ‰, per 1,000 patient-days, O/E): two decimals, then its unit
  (``12.34%``, ``3.20 ‰``, ``1.05 O/E``). Percentages are rates too: completeness 87.50%.
- A change of a rate: the same two decimals with a true sign (+3.28 / −3.28).
- A count: a whole number with thousands separators (12,345).
- Statistics that are not rates (φ: two decimals; τ²: five, it is often below 0.001).

Plotly formats its hovers itself: ``D3_RATE`` is the same rule in d3-format for hovertemplates.
"""

from __future__ import annotations

import math

RATE_DIGITS = 2
TAU2_DIGITS = 5
D3_RATE = f".{RATE_DIGITS}f"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def number(value: float | None, digits: int = RATE_DIGITS) -> str:
    """``value`` with ``digits`` decimals; "—" when there is none."""
    if value is None or _missing(value):
        return "—"
    return f"{value:.{digits}f}"


def rate(value: float | None, unit: str = "", digits: int = RATE_DIGITS) -> str:
    """A rate with its unit: "%" sticks to the number, any other unit follows a space."""
    if value is None or _missing(value):
        return "—"
    text = f"{value:.{digits}f}"
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def share(fraction: float | None) -> str:
    """A fraction 0–1 (completeness) as a percentage, by the rate rule: 0.875 → "87.50%"."""
    return "—" if fraction is None or _missing(fraction) else rate(fraction * 100, "%")


def signed(value: float, digits: int = RATE_DIGITS) -> str:
    """+3.28 / −3.28 (a true minus sign), 0.00 without a sign."""
    text = f"{abs(value):.{digits}f}"
    return text if text == f"{0:.{digits}f}" else ("+" if value > 0 else "−") + text


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"
