"""Read models of the catalog: what the API returns, what ``qcp catalog export`` writes, what
``diff`` compares. Format documented in docs/catalog-format.md (section "Export format")."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

EXPORT_FORMAT = "qcp-catalog-export/1"  # fields added since 0006 are additive


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EdgeRead(Read):
    """One lineage relation. ``from_code`` None = new; ``to_code`` None = retired, or (kinds
    [moved_to_specialty]) moved to a specialty goal not known yet (``destination`` its code if named)."""

    from_code: str | None
    from_year: int | None
    to_code: str | None
    to_year: int
    kinds: list[str]
    comparability: str | None
    reason: str
    reason_en: str
    verification: str | None = Field(default=None, examples=["verified"])
    sources: list[str] = Field(default_factory=list)
    destination: str | None = None

    @property
    def destination_unknown(self) -> bool:
        return self.to_code is None and "moved_to_specialty" in self.kinds


class SourceRead(Read):
    """A citable document (``sources`` of a qcp-catalog/2 file)."""

    id: str = Field(examples=["nhc-2024"])
    title: str
    issuer: str
    document_no: str | None = None
    date: str | None = None
    url: str
    kind: str = Field(examples=["original"])
    read_at: str | None = None
    file: str | None = None
    note: str = ""


class YearRead(Read):
    """A published year and its current revision."""

    year: int = Field(examples=[2023])
    revision: int = Field(examples=[2])
    title: str
    format: str = Field(examples=["qcp-catalog/2"])
    specialty_list: str = Field(examples=["loaded"])
    published_at: datetime | None = None
    revised_at: datetime | None = None


class RevisionRead(Read):
    """One published file of a year (revision 1 and each correction)."""

    revision: int
    format: str
    file_sha256: str
    reason: str = ""
    reason_en: str = ""
    published_at: datetime | None = None
    published_by: str | None = None
    diff: dict[str, Any] | None = Field(
        default=None, description="changes against the revision before (RevisionDiff)"
    )


class SpecialtyRead(Read):
    code: str = Field(examples=["icu"])
    seq: int = Field(examples=[40])
    name: str = Field(examples=["重症医学专业"])
    name_en: str = Field(examples=["Critical Care Medicine"])


class IndicatorRead(Read):
    code: str = Field(examples=["NIT-2023-VIII.1"])
    seq: int
    name: str = Field(examples=["感染性休克 3 小时集束化治疗完成率"])
    name_en: str
    kind: str = Field(examples=["proportion"])
    numerator: str
    denominator: str
    unit: str = Field(examples=["%"])
    multiplier: int = Field(examples=[100])
    direction: str = Field(examples=["higher"])
    note: str = ""
    verification: str | None = Field(default=None, examples=["verified"])
    sources: list[str] = Field(default_factory=list)
    source_note: str = ""
    lineage: list[EdgeRead] = Field(default_factory=list, description="incoming relations")
    withdrawn_revision: int | None = Field(default=None, description="the revision that withdrew it")
    withdrawn_reason: str = ""
    withdrawn_reason_en: str = ""
    replaced_by: list[str] = Field(default_factory=list)


class GoalRead(Read):
    code: str = Field(examples=["NIT-2023-VIII"])
    code_as_published: str
    list: str  # national | specialty (no Field() here: it would shadow the builtin in annotations)
    number: int
    title: str = Field(examples=["提高感染性休克集束化治疗完成率"])
    title_en: str
    summary: str
    direction: str = Field(examples=["higher"])
    owners: builtins.list[str] = Field(default_factory=builtins.list, examples=[["icu"]])
    code_inferred: bool = False
    verification: str | None = Field(default=None, examples=["verified"])
    sources: builtins.list[str] = Field(default_factory=builtins.list)
    core_strategies: builtins.list[str] = Field(
        default_factory=builtins.list, description="核心策略, verbatim"
    )
    lineage: builtins.list[EdgeRead] = Field(default_factory=builtins.list, description="incoming relations")
    indicators: builtins.list[IndicatorRead] = Field(
        description="current indicators (withdrawn ones are listed apart)"
    )


class CatalogRead(Read):
    format: str = EXPORT_FORMAT
    year: int = Field(examples=[2023])
    revision: int = Field(default=1, examples=[2], description="the current revision of the year")
    revision_reason: str = ""
    revision_reason_en: str = ""
    file_format: str = Field(default="qcp-catalog/1", examples=["qcp-catalog/2"])
    title: str
    source: str
    file_sha256: str | None = None
    published_at: datetime | None = None
    published_by: str | None = None
    revised_at: datetime | None = None
    revised_by: str | None = None
    specialty_list: str = Field(default="loaded", examples=["pending"])
    sources: list[SourceRead] = Field(default_factory=list)
    specialties: list[SpecialtyRead] = Field(default_factory=list)
    goals: list[GoalRead]
    retired: list[EdgeRead] = Field(
        default_factory=list,
        description="earlier items retired in this year, and moves to a specialty goal not known yet",
    )
    pending: list[str] = Field(
        default_factory=list,
        description="the previous year's specialty goals whose successor is pending (this year's specialty "
        "list is not loaded yet): neither continued nor retired",
    )
    withdrawn: list[IndicatorRead] = Field(
        default_factory=list, description="indicators withdrawn by a revision of this year"
    )
    revisions: list[RevisionRead] = Field(default_factory=list, description="every published revision")

    def goal(self, code: str) -> GoalRead | None:
        return next((g for g in self.goals if g.code == code), None)


class IndicatorChange(Read):
    from_code: str | None
    to_code: str | None
    kinds: list[str]
    comparability: str | None
    reason: str
    reason_en: str
    direction_from: str | None = None
    direction_to: str | None = None


class GoalChange(Read):
    from_code: str | None = Field(examples=["NIT-2022-IX"])
    to_code: str | None = Field(examples=["NIT-2023-VI"])
    from_title: str | None = None
    to_title: str | None = None
    kinds: list[str] = Field(examples=[["renumbered", "redefined"]])
    comparability: str | None = Field(examples=["not_comparable"])
    reason: str
    reason_en: str
    direction_from: str | None = Field(default=None, examples=["lower"])
    direction_to: str | None = Field(default=None, examples=["higher"])
    indicators: list[IndicatorChange] = Field(default_factory=list)

    @property
    def direction_changed(self) -> bool:
        return bool(self.direction_from and self.direction_to and self.direction_from != self.direction_to)


class CatalogDiff(Read):
    from_year: int = Field(examples=[2022])
    to_year: int = Field(examples=[2023])
    changes: list[GoalChange] = Field(description="every goal relation between the two years")
    added: list[str] = Field(default_factory=list, description="new goals")
    reinstated: list[str] = Field(default_factory=list)
    retired: list[str] = Field(default_factory=list)
    continued: list[str] = Field(default_factory=list, description="unchanged goals (continued only)")
    renumbered: list[str] = Field(default_factory=list)
    redefined: list[str] = Field(default_factory=list)
    moved_to_specialty: list[str] = Field(default_factory=list)
    moved_to_national: list[str] = Field(default_factory=list)
    split: list[str] = Field(default_factory=list)
    merged: list[str] = Field(default_factory=list)
    direction_changed: list[str] = Field(default_factory=list)
    destination_unknown: list[str] = Field(
        default_factory=list, description="moved to a specialty list, receiving goal not known yet"
    )
    pending: list[str] = Field(
        default_factory=list,
        description="specialty goals whose successor is pending (specialty list not loaded)",
    )


class FieldChange(Read):
    code: str
    changes: dict[str, list[Any]] = Field(description="field → [before, after]")


class RevisionDiff(Read):
    """What a revision changed in its year, against the revision before."""

    year: int
    from_revision: int
    to_revision: int
    goals_added: list[str] = Field(default_factory=list)
    goals_changed: list[FieldChange] = Field(default_factory=list)
    indicators_added: list[str] = Field(default_factory=list)
    indicators_changed: list[FieldChange] = Field(default_factory=list)
    indicators_withdrawn: list[str] = Field(default_factory=list)
    lineage_added: list[str] = Field(default_factory=list)
    lineage_removed: list[str] = Field(default_factory=list)
    header_changed: dict[str, list[Any]] = Field(default_factory=dict)
    later_edges_to_review: list[str] = Field(
        default_factory=list,
        description="lineage edges of later years from indicators whose definition changed (their "
        "comparability was recorded against the previous definition)",
    )
