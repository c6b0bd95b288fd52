"""The catalog file format (``qcp-catalog/1``): one YAML file per year, see docs/catalog-format.md.

These models check shape only (types, required fields, known enum values). Cross-references
(unique codes, owners, lineage sources, outgoing relations) are checked in ``validate.py``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.models.catalog import COMPARABILITY, RELATION_KINDS

FORMAT = "qcp-catalog/1"

Direction = Literal["higher", "lower"]
Kind = Literal["proportion", "rate", "ratio"]
GoalList = Literal["national", "specialty"]
RelationKind = Literal[RELATION_KINDS]  # type: ignore[valid-type]
Comparability = Literal[COMPARABILITY]  # type: ignore[valid-type]

# unit → multiplier. A proportion is "numerator of denominator" (≤ 1 before the multiplier),
# a rate counts events per exposure (may exceed the denominator), a ratio is a mean.
UNITS: dict[str, int] = {
    "%": 100,
    "‰": 1000,
    "每百出院人次": 100,
    "每千导管日": 1000,
    "小时": 1,
    "天": 1,
    "次/床日": 1,
    "种/床日": 1,
    "毫升/床日": 1,
}
UNITS_BY_KIND: dict[str, frozenset[str]] = {
    "proportion": frozenset({"%", "‰"}),
    "rate": frozenset({"%", "‰", "每百出院人次", "每千导管日"}),
    "ratio": frozenset({"小时", "天", "次/床日", "种/床日", "毫升/床日"}),
}

Text = Field(min_length=1)


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class EdgeSpec(Spec):
    """An incoming relation: ``from`` an earlier goal/indicator (absent when the kind is ``new``)."""

    from_: str | None = Field(default=None, alias="from")
    kinds: list[RelationKind] = Field(min_length=1)
    comparability: Comparability | None = None
    reason: str = Text
    reason_en: str = Text


class IndicatorSpec(Spec):
    code: str = Text
    name: str = Text
    name_en: str = Text
    kind: Kind
    numerator: str = Text
    denominator: str = Text
    unit: str = Text
    multiplier: int = Field(gt=0)
    direction: Direction
    note: str = ""
    lineage: list[EdgeSpec] = Field(min_length=1)


class GoalSpec(Spec):
    code: str = Text
    code_as_published: str = Text
    list: GoalList
    number: int = Field(gt=0)
    title: str = Text
    title_en: str = Text
    summary: str = Text
    direction: Direction
    owners: list[str] = Field(default_factory=list)
    lineage: list[EdgeSpec] = Field(min_length=1)
    indicators: list[IndicatorSpec] = Field(min_length=1)


class SpecialtySpec(Spec):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")
    seq: int = Field(gt=0)
    name: str = Text
    name_en: str = Text


class RetiredSpec(Spec):
    code: str = Text
    reason: str = Text
    reason_en: str = Text


class RetiredSection(Spec):
    """Earlier goals/indicators that do not continue. Retiring a goal retires its indicators too."""

    goals: list[RetiredSpec] = Field(default_factory=list)
    indicators: list[RetiredSpec] = Field(default_factory=list)


class CatalogFile(Spec):
    format: Literal["qcp-catalog/1"]
    year: int = Field(ge=2000, le=2100)
    title: str = Text
    source: str = Text
    specialties: list[SpecialtySpec] = Field(default_factory=list)
    goals: list[GoalSpec] = Field(min_length=1)
    retired: RetiredSection = Field(default_factory=RetiredSection)
