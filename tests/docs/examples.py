"""The executable examples of a Markdown page: fenced ``bash`` / ``python`` blocks marked
``<!-- example: NAME expect="text" … -->`` on the line before the fence.

``expect`` (repeatable) is text the example's output must contain; ``\\"`` inside it is a quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(
    r"<!-- example: (?P<name>[\w-]+)(?P<attrs>.*?)-->\n```(?P<lang>bash|python)\n(?P<code>.*?)\n```", re.S
)
EXPECT = re.compile(r'expect="((?:[^"\\]|\\.)*)"')
FENCE = re.compile(r"^```(bash|python|sh|shell|console)\s*$", re.M)


@dataclass(frozen=True)
class Example:
    name: str
    lang: str
    code: str
    expect: tuple[str, ...]


def examples(page: Path) -> list[Example]:
    text = page.read_text(encoding="utf-8")
    return [
        Example(
            m["name"],
            m["lang"],
            m["code"],
            tuple(e.replace('\\"', '"') for e in EXPECT.findall(m["attrs"])),
        )
        for m in MARKER.finditer(text)
    ]


def unmarked_fences(page: Path) -> int:
    """How many runnable fences (bash, python, sh …) have no example marker: each one is untested."""
    return len(FENCE.findall(page.read_text(encoding="utf-8"))) - len(examples(page))
