"""Quarters are a value type (``2023Q2``), never free strings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import total_ordering

CHINA = timezone(timedelta(hours=8), "CST")  # quarters, windows and due dates are in China Standard Time
_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


@total_ordering
@dataclass(frozen=True, slots=True)
class Quarter:
    year: int
    q: int

    def __post_init__(self) -> None:
        if not (1 <= self.q <= 4):
            raise ValueError(f"quarter must be 1-4, got {self.q}")
        if not (2000 <= self.year <= 2100):
            raise ValueError(f"year {self.year} is out of range 2000-2100")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = _QUARTER_RE.match(text.strip().upper()) if isinstance(text, str) else None
        if not m:
            raise ValueError(f"季度格式错误 / bad quarter {text!r}: use YYYYQn, e.g. 2023Q2")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.q - 1) + 1, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter."""
        return self.next().start - timedelta(days=1)

    @property
    def closes_at(self) -> datetime:
        """The instant the quarter is over: the next quarter's first midnight, China Standard Time."""
        return datetime.combine(self.next().start, time(0), CHINA)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def year_earlier(self) -> Quarter:
        return Quarter(self.year - 1, self.q)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    def __lt__(self, other: Quarter) -> bool:
        return (self.year, self.q) < (other.year, other.q)


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    out, q = [], first
    while q <= last:
        out.append(q)
        q = q.next()
    return out
