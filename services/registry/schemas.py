"""Registry payloads: ``XCreate`` / ``XUpdate`` (strict, extra fields refused) and ``XRead``.

Shape only. Checks that need rules or the database (credit code check character, prefecture
inside province, overlapping membership, who may write) live in the services.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, computed_field

from services.core.schemas import ReadModel, StrictModel
from services.registry.prefectures import prefecture_name

HospitalLevel = Literal["一级", "二级", "三级", "未定级"]
HospitalGrade = Literal["甲等", "乙等", "丙等", "未定等"]
HospitalType = Literal["综合", "专科", "中医", "中西医结合", "民族医", "妇幼保健"]
NetworkKind = Literal["medical_alliance", "sentinel", "specialty", "custom"]
QcLevel = Literal["national", "provincial"]
ProvinceCode = Annotated[str, StringConstraints(pattern=r"^[1-9]\d0000$")]
DivisionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
QuarterCode = Annotated[str, StringConstraints(pattern=r"^(20\d\d)Q[1-4]$")]
REPORTS_FROM = (
    "起报季度：从该季度起须上报（默认登记当季）/ first quarter the hospital must report (default: the "
    "quarter of registration); earlier quarters may still be submitted, they are just not owed"
)
Name = Annotated[str, StringConstraints(min_length=2, max_length=128)]
CreditCodeText = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Reason = Annotated[str, StringConstraints(max_length=500)]


class HospitalCreate(StrictModel):
    province_code: ProvinceCode | None = Field(
        default=None, description="省份；省级管理员可省略（默认本省）/ defaults to the caller's province"
    )
    credit_code: CreditCodeText = Field(
        description="统一社会信用代码 (GB 32100)", examples=["12330000470051726F"]
    )
    name: Name = Field(examples=["浙江省人民医院"])
    level: HospitalLevel = Field(examples=["三级"])
    grade: HospitalGrade = Field(examples=["甲等"])
    type: HospitalType = Field(examples=["综合"])
    prefecture_code: DivisionCode = Field(description="地市 (GB/T 2260)", examples=["330100"])
    beds: int = Field(ge=0, le=100_000, description="实际开放床位数 / staffed beds", examples=[1200])
    reports_from: QuarterCode | None = Field(default=None, description=REPORTS_FROM, examples=["2023Q1"])


class HospitalUpdate(StrictModel):
    credit_code: CreditCodeText | None = None
    name: Name | None = None
    level: HospitalLevel | None = None
    grade: HospitalGrade | None = None
    type: HospitalType | None = None
    prefecture_code: DivisionCode | None = None
    beds: int | None = Field(default=None, ge=0, le=100_000)
    reports_from: QuarterCode | None = Field(default=None, description=REPORTS_FROM)
    reason: Reason = Field(default="", description="变更原因（记入审计）/ why, kept in the audit log")


class HospitalDeactivate(StrictModel):
    reason: Annotated[str, StringConstraints(min_length=2, max_length=500)] = Field(
        description="停用原因 / why the hospital is deactivated",
        examples=["医院合并 / merged into another hospital"],
    )


class HospitalRead(ReadModel):
    id: int
    province_code: str
    credit_code: str
    name: str
    level: str
    grade: str
    type: str
    prefecture_code: str
    beds: int
    reports_from: str
    active: bool
    deactivated_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]  # mypy cannot type a decorated property; pydantic's documented form
    @property
    def prefecture_name(self) -> str | None:
        return prefecture_name(self.prefecture_code)


class QcCenterCreate(StrictModel):
    level: QcLevel = Field(examples=["provincial"])
    province_code: ProvinceCode | None = Field(
        default=None, description="省级中心必填 / required for provincial"
    )
    specialty_code: str | None = Field(
        default=None, max_length=48, description="专业；空 = 医政/综合 / NULL = general", examples=["icu"]
    )
    name: Name = Field(examples=["浙江省重症医学质控中心"])


class QcCenterUpdate(StrictModel):
    name: Name | None = None
    active: bool | None = None
    reason: Reason = ""


class QcCenterRead(ReadModel):
    id: int
    level: str
    province_code: str | None
    specialty_code: str | None
    name: str
    active: bool
    created_at: datetime
    updated_at: datetime


class NetworkCreate(StrictModel):
    qc_center_id: int = Field(gt=0, description="定义该网络的质控中心 / the defining QC center")
    kind: NetworkKind = Field(examples=["medical_alliance"])
    name: Name = Field(examples=["杭州城市医疗集团"])
    description: Annotated[str, StringConstraints(max_length=2000)] = ""


class NetworkUpdate(StrictModel):
    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    active: bool | None = None
    reason: Reason = ""


class NetworkRead(ReadModel):
    id: int
    province_code: str | None
    qc_center_id: int
    kind: str
    name: str
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime


class MembershipCreate(StrictModel):
    hospital_id: int = Field(gt=0)
    valid_from: date = Field(examples=["2023-01-01"])
    valid_to: date | None = Field(default=None, description="不含当天；空 = 持续 / exclusive; NULL = open")


class MembershipEnd(StrictModel):
    valid_to: date = Field(description="退出日期（不含）/ first day no longer a member")
    reason: Reason = ""


class MemberRead(ReadModel):
    id: int
    network_id: int
    hospital_id: int
    hospital_name: str | None = None
    province_code: str
    valid_from: date
    valid_to: date | None
