"""A problem found in a catalog file: where, which field, what is wrong and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    code: str  # stable machine code, e.g. "duplicate_goal_code"
    where: str  # goal or indicator code (or "file", "specialties[3]" when there is no code)
    field: str
    message: str  # Chinese first, then English

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return f"[{self.where}] {self.field}: {self.message}"


def problem(code: str, where: str, field: str, zh: str, en: str) -> Problem:
    return Problem(code=code, where=where or "?", field=field, message=f"{zh} / {en}")
