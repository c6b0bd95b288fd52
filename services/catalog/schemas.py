"""Read models of the catalog: what the API returns, what ``qcp catalog export`` writes, what
``diff`` compares. Format documented in docs/catalog-format.md (section "Export format")."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

EXPORT_FORMAT = "qcp-catalog-export/1"


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EdgeRead(Read):
    """One lineage relation. ``from_code`` None = new; ``to_code`` None = retired."""

    from_code: str | None
    from_year: int | None
    to_code: str | None
    to_year: int
    kinds: list[str]
    comparability: str | None
    reason: str
    reason_en: str


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
    lineage: list[EdgeRead] = Field(default_factory=list, description="incoming relations")


class GoalRead(Read):
    code: str = Field(examples=["NIT-2023-VIII"])
    code_as_published: str
    list: str  # national | specialty (no Field() here: it would shadow the builtin in annotations)
    number: int
    title: str = Field(examples=["提高感染性休克集束化治疗完成率"])
    title_en: str
    summary: str
    direction: str = Field(examples=["higher"])
    owners: list[str] = Field(default_factory=list, examples=[["icu"]])
    lineage: list[EdgeRead] = Field(default_factory=list, description="incoming relations")
    indicators: list[IndicatorRead]


class CatalogRead(Read):
    format: str = EXPORT_FORMAT
    year: int = Field(examples=[2023])
    title: str
    source: str
    file_sha256: str | None = None
    published_at: datetime | None = None
    published_by: str | None = None
    specialties: list[SpecialtyRead] = Field(default_factory=list)
    goals: list[GoalRead]
    retired: list[EdgeRead] = Field(default_factory=list, description="earlier items retired in this year")

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
