"""The catalog file formats ``qcp-catalog/1`` and ``qcp-catalog/2``: one YAML (or JSON) file per year
and revision, see docs/catalog-format.md.

One set of models reads both formats: the keys /2 adds (sources, verification marks, core
strategies, revisions, pending specialty lists, moves with an unknown destination) are optional
here, and ``rules_v2`` says which of them /2 requires and that a /1 file uses none of them.
These models check shape only (types, required fields, known enum values). Cross-references
(unique codes, owners, lineage sources, outgoing relations) are checked in ``validate.py``.
"""

from __future__ import annotations

import builtins
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.models.catalog import COMPARABILITY, RELATION_KINDS, VERIFICATION

FORMAT = "qcp-catalog/1"
FORMAT_V2 = "qcp-catalog/2"
FORMATS = (FORMAT, FORMAT_V2)

Direction = Literal["higher", "lower"]
Kind = Literal["proportion", "rate", "ratio"]
GoalList = Literal["national", "specialty"]
RelationKind = Literal[RELATION_KINDS]  # type: ignore[valid-type]
Comparability = Literal[COMPARABILITY]  # type: ignore[valid-type]
Verification = Literal[VERIFICATION]  # type: ignore[valid-type]
SourceKind = Literal["original", "repost", "interpretation", "indicator_standard"]
SpecialtyList = Literal["loaded", "pending"]
SourceId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]

# unit → multiplier. A proportion is "numerator of denominator" (≤ 1 before the multiplier),
# a rate counts events per exposure (may exceed the denominator; counts per bed-day are rates),
# a ratio is a mean (a quantity per case, e.g. hours of stay per patient).
UNITS: dict[str, int] = {
    "%": 100,
    "‰": 1000,
    "每百出院人次": 100,
    "每千导管日": 1000,
    "每千床日": 1000,
    "每百床日": 100,
    "每千住院日": 1000,
    "小时": 1,
    "天": 1,
    "次/床日": 1,
    "种/床日": 1,
    "毫升/床日": 1,
}
UNITS_BY_KIND: dict[str, frozenset[str]] = {
    "proportion": frozenset({"%", "‰"}),
    "rate": frozenset(
        {
            "%",
            "‰",
            "每百出院人次",
            "每千导管日",
            "每千床日",
            "每百床日",
            "每千住院日",
            "次/床日",
            "种/床日",
            "毫升/床日",
        }
    ),
    "ratio": frozenset({"小时", "天", "次/床日", "种/床日", "毫升/床日"}),
}

Text = Field(min_length=1)


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class Marks(Spec):
    """/2 only: how sure we are of an item, and which ``sources`` say so (ids of the file's sources)."""

    verification: Verification | None = None
    sources: list[SourceId] = Field(default_factory=list)


class EdgeSpec(Marks):
    """An incoming relation: ``from`` an earlier goal/indicator (absent when the kind is ``new``)."""

    from_: str | None = Field(default=None, alias="from")
    kinds: list[RelationKind] = Field(min_length=1)
    comparability: Comparability | None = None
    reason: str = Text
    reason_en: str = Text


class IndicatorSpec(Marks):
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
    source_note: str = ""  # /2: section or item number in the cited source
    lineage: list[EdgeSpec] = Field(min_length=1)


class GoalSpec(Marks):
    code: str = Text
    code_as_published: str = Text
    code_inferred: bool = False  # /2: the document prints no NIT code; ours follows the goal order
    list: GoalList
    number: int = Field(gt=0)
    title: str = Text
    title_en: str = Text
    summary: str = ""  # 目标简述; empty only in /2 and only when verification is unverified
    core_strategies: builtins.list[str] = Field(
        default_factory=builtins.list
    )  # /2: 核心策略, verbatim, one per item
    direction: Direction
    owners: builtins.list[str] = Field(default_factory=builtins.list)
    lineage: builtins.list[EdgeSpec] = Field(min_length=1)
    indicators: builtins.list[IndicatorSpec] = Field(min_length=1)


class SpecialtySpec(Spec):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")
    seq: int = Field(gt=0)
    name: str = Text
    name_en: str = Text


class RetiredSpec(Marks):
    code: str = Text
    reason: str = Text
    reason_en: str = Text
    # /2: the item leaves to continue as a specialty goal whose receiving specialty/code may be unknown
    moved_to_specialty: bool = False
    destination: str | None = None


class SourceSpec(Spec):
    """/2: a citable document (goals, indicators and edges name it by its id in ``sources``)."""

    title: str = Text
    issuer: str = Text
    document_no: str | None = None
    date: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    url: str = Text
    kind: SourceKind
    read_at: str | None = None
    file: str | None = None
    note: str = ""


class WithdrawnSpec(Spec):
    """/2, revisions only: an indicator of the previous revision that this revision removes."""

    code: str = Text
    reason: str = Text
    reason_en: str = Text
    replaced_by: list[str] = Field(default_factory=list)


class RetiredSection(Spec):
    """Earlier goals/indicators that do not continue. Retiring a goal retires its indicators too."""

    goals: list[RetiredSpec] = Field(default_factory=list)
    indicators: list[RetiredSpec] = Field(default_factory=list)


class CatalogFile(Spec):
    format: Literal["qcp-catalog/1", "qcp-catalog/2"]
    year: int = Field(ge=2000, le=2100)
    revision: int = Field(default=1, ge=1)  # /2
    revision_reason: str = ""  # /2: required when revision > 1
    revision_reason_en: str = ""
    title: str = Text
    source: str = Text
    specialty_list: SpecialtyList = "loaded"  # /2: pending = this year's specialty goals not loaded yet
    sources: dict[SourceId, SourceSpec] = Field(default_factory=dict)  # /2
    specialties: list[SpecialtySpec] = Field(default_factory=list)
    goals: list[GoalSpec] = Field(min_length=1)
    retired: RetiredSection = Field(default_factory=RetiredSection)
    withdrawn: list[WithdrawnSpec] = Field(default_factory=list)  # /2, revisions only

    @property
    def is_v2(self) -> bool:
        return self.format == FORMAT_V2

    @property
    def label(self) -> str:
        """``2022`` for revision 1, ``2022 r2`` after."""
        return str(self.year) if (self.revision or 1) == 1 else f"{self.year} r{self.revision}"


class ShippedManifest(Spec):
    """services/catalog/data/shipped.yaml: publication steps in order; one step = one transaction."""

    steps: list[list[str]] = Field(min_length=1)
