"""Chinese and English words for lineage kinds, comparability and verification marks.

One place for the CLI, the API's readers and the dashboards (``dash_app.i18n`` reads these), so a
kind never shows in English in the Chinese interface. ``both(...)`` is "中文 / English".
"""

from __future__ import annotations

KINDS: dict[str, tuple[str, str]] = {
    "continued": ("延续", "continued"),
    "renumbered": ("调整序号", "renumbered"),
    "redefined": ("重新定义", "redefined"),
    "moved_to_specialty": ("调至专业目标", "moved to a specialty list"),
    "moved_to_national": ("调入国家目标", "moved to the national list"),
    "split": ("拆分", "split"),
    "merged": ("合并", "merged"),
    "retired": ("退出", "retired"),
    "new": ("新增", "new"),
    "reinstated": ("恢复", "reinstated"),
}
COMPARABILITY: dict[str, tuple[str, str]] = {
    "comparable": ("可比", "comparable"),
    "partial": ("部分可比", "partially comparable"),
    "not_comparable": ("不可比", "not comparable"),
}
VERIFICATION: dict[str, tuple[str, str]] = {
    "verified": ("已核实", "verified"),
    "inferred": ("推断", "inferred"),
    "unverified": ("未核实", "unverified"),
}
SPECIALTY_LIST: dict[str, tuple[str, str]] = {
    "loaded": ("已载入", "loaded"),
    "pending": ("待载入", "pending"),
}
DESTINATION_UNKNOWN = ("调至专业目标（去向待定）", "moved to a specialty list (destination not yet known)")
PENDING = ("待定（本年度专业目标尚未载入）", "pending (this year's specialty goals are not loaded yet)")


def pick(words: tuple[str, str], lang: str) -> str:
    return words[1] if lang == "en" else words[0]


def both(words: tuple[str, str]) -> str:
    return f"{words[0]} / {words[1]}"


def kind(value: str, lang: str | None = None) -> str:
    words = KINDS.get(value, (value, value))
    return both(words) if lang is None else pick(words, lang)


def kinds(values: list[str], lang: str | None = None) -> str:
    """Several kinds: "调整序号、重新定义" (zh), "renumbered, redefined" (en), or both."""
    if lang is None:
        zh = "、".join(KINDS.get(v, (v, v))[0] for v in values)
        en = ", ".join(KINDS.get(v, (v, v))[1] for v in values)
        return f"{zh} / {en}"
    return ("、" if lang != "en" else ", ").join(kind(v, lang) for v in values)


def comparability(value: str | None, lang: str | None = None) -> str:
    if not value:
        return "—"
    words = COMPARABILITY.get(value, (value, value))
    return both(words) if lang is None else pick(words, lang)


def verification(value: str | None, lang: str | None = None) -> str:
    if not value:
        return "—"
    words = VERIFICATION.get(value, (value, value))
    return both(words) if lang is None else pick(words, lang)
