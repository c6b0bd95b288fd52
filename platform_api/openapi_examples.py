"""OpenAPI response and request examples, kept out of the routers.

Every example is a trimmed copy of a real answer of the demo data set (``qcp demo``): lists cut to one
or two items, long texts shortened with "…". Keep them true when the code changes; tests/api/
test_openapi.py checks that every operation has them, and that every error uses ``{"error", "detail"}``.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.catalog.schemas import EXPORT_FORMAT, CatalogDiff, CatalogRead, RevisionRead, YearRead
from services.core.actor import Actor, Role
from services.core.errors import PermissionDenied
from services.identity.permissions import require
from services.submission.fhir_capability import capability_statement
from services.submission.fhir_resources import measure_resource
from services.submission.io_template import XLSX_MEDIA_TYPE

FHIR_JSON = "application/fhir+json"
XLSX = XLSX_MEDIA_TYPE
BINARY = {"type": "string", "format": "binary"}
FILE_NOTE = "UTF-8（带 BOM）、CRLF 换行 / UTF-8 with a BOM, CRLF line ends"


class Problem(BaseModel):
    """One problem of a refused request; which fields are set depends on the check that found it."""

    model_config = ConfigDict(extra="allow")
    field: str | None = Field(None, description="出错的字段 / the field, e.g. numerator or query.limit")
    problem: str | None = Field(None, description="问题（中文 / English）/ what is wrong")
    fix: str | None = Field(None, description="如何改正 / how to fix it")
    code: str | None = Field(None, description="校验规则代码 / the rule's code")
    type: str | None = Field(None, description="格式错误类型（pydantic）/ the shape error's type")
    indicator: str | None = Field(None, description="指标代码 / indicator code")
    index: int | None = Field(None, description="请求中第几项（从 0 起）/ item index in the request")
    row: int | None = Field(None, description="文件中的行号 / row of the uploaded file")


class ApiError(BaseModel):
    """Every error of the JSON API: a stable code, a message in Chinese then English, sometimes more fields."""

    model_config = ConfigDict(extra="allow")
    error: str = Field(description="稳定的错误代码 / stable error code", examples=["not_found"])
    detail: str = Field(description="说明（中文 / English）/ what was wrong and how to fix it")
    problems: list[Problem] | None = Field(
        None, description="每个问题一项（422）/ one item per problem (422 answers)"
    )


TEXT = {"type": "string"}


# What FastAPI's ``responses=`` takes: status code → OpenAPI response object.
Responses = dict[int | str, dict[str, Any]]


def ok(payload: Any, description: str = "成功 / OK", media_type: str = "application/json") -> dict:
    """A success example; JSON answers take their schema from the route's response_model, text a string."""
    media: dict = {"example": payload}
    if media_type != "application/json":
        media["schema"] = TEXT
    return {"description": description, "content": {media_type: media}}


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def described_by(example: Any, title: str | None = None) -> dict:
    """A schema read off a real answer, for routes whose JSON is built without a response model.

    Nothing is required and every value may be null: it types what the answer carries without
    refusing an answer whose optional parts are absent."""
    if isinstance(example, dict):
        schema: dict = {
            "type": "object",
            "properties": {k: described_by(v) for k, v in example.items()},
            "additionalProperties": True,
        }
    elif isinstance(example, list):
        schema = {"type": "array", "items": described_by(example[0]) if example else {}}
    elif example is None:
        return {}  # null in the example: another answer may hold a value of any type there
    else:
        kind = _JSON_TYPES[type(example)]
        schema = {"type": [kind, "number", "null"] if kind == "integer" else [kind, "null"]}
    return {"title": title, **schema} if title else schema


def denied(action: str, role: Role, **where: Any) -> dict:
    """The 403 body ``require`` really renders when an account with ``role`` attempts ``action``."""
    try:
        require(Actor(subject="example", roles=frozenset({role}), **where), action)
    except PermissionDenied as exc:
        return {"error": exc.code, **exc.extra, "detail": exc.detail}
    raise ValueError(f"{role} may {action}: choose a role the permission matrix refuses")


def error(description: str, *examples: dict[str, Any]) -> dict[str, Any]:
    """A documented error: the ``ApiError`` schema and one example (or several, named by their code)."""
    named: dict[str, dict] = {}
    for e in examples:
        key = e["error"] if e["error"] not in named else f"{e['error']}_{len(named) + 1}"
        named[key] = {"summary": e["detail"].split(" / ")[0], "value": e}
    media: dict = {"example": examples[0]} if len(examples) == 1 else {"examples": named}
    return {"description": description, "model": ApiError, "content": {"application/json": media}}


FHIR_SCHEMAS: dict[str, dict] = {}  # components the OpenAPI document gains (openapi_guards.py)


def fhir_resource(*types: str) -> dict:
    """A reference to the schema of a FHIR R4 resource answer: its resourceType (FHIR defines the rest).

    One named component per kind, so that a generated client makes one model, not one per answer."""
    name = "Fhir" + "Or".join(types)
    FHIR_SCHEMAS[name] = _fhir_schema(*types)
    return {"$ref": f"#/components/schemas/{name}"}


def _fhir_schema(*types: str) -> dict:
    return {
        "title": " | ".join(types),
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string", "enum": list(types)}},
        "additionalProperties": True,
        "description": "FHIR R4 资源，见 https://hl7.org/fhir/R4/ / a FHIR R4 resource: "
        + ", ".join(f"https://hl7.org/fhir/R4/{t.lower()}.html" for t in types),
    }


API_ERROR_REF = {"$ref": "#/components/schemas/ApiError"}


def fhir_error(description: str, outcome: dict) -> dict:
    return {
        "description": description,
        "content": {FHIR_JSON: {"schema": fhir_resource("OperationOutcome"), "example": outcome}},
    }


def body_examples(**named: tuple[str, Any]) -> dict:
    """``openapi_examples`` for ``Body(...)``: name=(summary, value)."""
    return {name: {"summary": summary, "value": value} for name, (summary, value) in named.items()}


# -- errors shared by the registry, submission and benchmark routers --------------------------------

E404 = {"error": "not_found", "detail": "医院 999999 不存在 / hospital 999999 does not exist"}
E422_SHAPE = {
    "error": "invalid_payload",
    "detail": "请求格式错误 / the request payload has the wrong shape",
    "problems": [
        {"field": "name", "problem": "String should have at least 2 characters", "type": "string_too_short"}
    ],
}
E422_PARAMS = {
    "error": "invalid_payload",
    "detail": "请求格式错误 / the request payload has the wrong shape",
    "problems": [
        {
            "field": "query.limit",
            "problem": "Input should be greater than or equal to 1",
            "type": "greater_than_equal",
        }
    ],
}
E422_RULES = {
    "error": "validation_failed",
    "detail": "上报被拒绝：1 个问题，未保存任何数据 / submission refused: 1 problem(s), nothing was saved "
    "(numerator_above_denominator)",
    "problems": [
        {
            "indicator": "NIT-2023-II.1",
            "field": "numerator",
            "code": "numerator_above_denominator",
            "problem": "分子 50 大于分母 41 / numerator 50 exceeds denominator 41",
            "fix": "比例类指标的分子不能大于分母 / a proportion's numerator cannot exceed its denominator",
            "index": 1,
            "row": 4,
        }
    ],
}
E413 = {
    "error": "file_too_large",
    "limit": 2097152,
    "detail": "文件过大：3145894 字节，上限 2097152 字节 / the file is 3145894 bytes, the limit is 2097152 bytes",
}
E415 = {
    "error": "unsupported_media_type",
    "content_type": "application/pdf",
    "detail": "不支持的文件类型 application/pdf：请上传 CSV 或 XLSX / unsupported file type application/pdf: "
    "upload CSV (text/csv) or XLSX",
}
E409_CREDIT_CODE = {
    "error": "conflict",
    "detail": "该统一社会信用代码已登记 / a hospital with this credit code is already registered",
    "constraint": "uq_hospitals_credit_code",
}
E409_QC_CENTER = {
    "error": "conflict",
    "existing_id": 2,
    "detail": "该范围已有质控中心（id 2）/ a QC center for this level, province and specialty already exists (id 2)",
}
E409_STALE = {
    "error": "conflict",
    "current_version": 2,
    "expected_version": 1,
    "detail": "数据已被他人更新（当前版本 2，您的版本 1），请重新读取后再更正 / stale version: you sent If-Match 1 "
    "but the submission is at version 2; reload and correct again",
}
E409_IDEMPOTENCY = {
    "error": "conflict",
    "idempotency_key": "his-2023Q3-0001",
    "detail": "Idempotency-Key 'his-2023Q3-0001' 已用于另一个不同的请求 / Idempotency-Key 'his-2023Q3-0001' was "
    "already used with a different request: use a new key for a new request",
}


def race(constraint: str) -> dict:
    """The 409 platform_api/errors.py answers when two requests race for the same key."""
    return {
        "error": "conflict",
        "detail": f"与同时进行的另一请求冲突（{constraint}），未保存任何内容；请重新读取后重试 / the request "
        f"collided with another one made at the same time ({constraint}); nothing was stored: read "
        "again and retry",
        "constraint": constraint,
    }


E403_SETTINGS = {
    "error": "forbidden",
    "detail": "只有管理员可修改对标设置 / only administrators may change benchmark settings",
}
E403_FREEZE = {
    "error": "forbidden",
    "detail": "只有省级管理员或国家管理员可冻结标记 / only provincial or national admins may freeze flags",
}
E409_OVERLAP = {
    "error": "conflict",
    "existing_id": 35,
    "detail": "医院 1 在该网络已有重叠的成员资格 [2023-01-01, ∞)（id 35）/ hospital 1 already has an overlapping "
    "membership [2023-01-01, ∞) (id 35) in this network",
}
E409_FROZEN = {
    "error": "conflict",
    "detail": "浙江省 2023Q3 的标记已冻结 / flags for province:330000 2023Q3 are already frozen",
    "scope": "province:330000",
    "quarter": "2023Q3",
}
E403_ROLLUP = {
    "error": "forbidden",
    "action": "rollup.read",
    "detail": "无权查看汇总统计（角色：hospital_submitter）/ your roles (hospital_submitter) may not read roll-ups "
    "(rollup.read)",
}
E503_PDF = {
    "error": "pdf_unavailable",
    "detail": "服务器未安装 Chromium，无法生成 PDF；请使用 HTML 版本并在浏览器中打印 / Chromium is not installed on the "
    "server, so no PDF can be produced: use the .html report and print it from a browser",
}
E503_DB = {
    "error": "database_unavailable",
    "detail": "数据库暂时不可用，请稍后重试 / the database is unavailable, retry shortly",
}
E422_CATALOG = {
    "error": "validation_failed",
    "problems": [{"field": "from", "problem": "from >= to"}],
    "detail": "起始年度 2023 必须早于目标年度 2022 / from (2023) must be earlier than to (2022)",
}
E404_CATALOG = {
    "error": "not_found",
    "detail": "2031 年目录尚未发布 / no catalog published for 2031",
    "year": 2031,
}

# -- health, identity, catalog ----------------------------------------------------------------------

HEALTH = {"status": "ok", "database": "ok"}
ME = {
    "subject": "24c27bcb-fa86-5a87-b56b-db9497889b0f",
    "name": "医院上报员",
    "roles": ["hospital_submitter"],
    "province": "330000",
    "hospital_id": 1,
    "qc_center_id": None,
    "specialty": None,
    "client_id": "qcp-dashboard",
}
_LINEAGE = {"kinds": ["continued"], "comparability": "comparable"}
_CATALOG_DIFF = {
    "from_year": 2022,
    "to_year": 2023,
    "changes": [
        {
            "from_code": "NIT-2022-I",
            "to_code": "NIT-2023-I",
            "from_title": "提高急性 ST 段抬高型心肌梗死再灌注治疗率",
            "to_title": "提高急性 ST 段抬高型心肌梗死再灌注治疗率",
            **_LINEAGE,
            "reason": "目标标题与定义（发病 12 小时内给予 PCI 或静脉溶栓治疗）两年一致。",
            "reason_en": "Same title and definition (PCI or IV thrombolysis within 12 h of onset) in both years.",
            "direction_from": "higher",
            "direction_to": "higher",
            "indicators": [
                {
                    "from_code": "NIT-2022-I.1",
                    "to_code": "NIT-2023-I.1",
                    **_LINEAGE,
                    "reason": "目标标题与目标简述两年一致。",
                    "reason_en": "Same title and definition in both years.",
                    "direction_from": "higher",
                    "direction_to": "higher",
                }
            ],
        }
    ],
    "added": ["NIT-2023-IV", "NIT-2023-VII"],
    "reinstated": [],
    "retired": ["NIT-2022-VIII"],
    "continued": ["NIT-2022-I → NIT-2023-I", "NIT-2022-II → NIT-2023-II"],
    "renumbered": ["NIT-2022-V → NIT-2023-IX", "NIT-2022-VI → NIT-2023-VIII"],
    "redefined": ["NIT-2022-V → NIT-2023-IX", "NIT-2022-VI → NIT-2023-VIII"],
    "moved_to_specialty": ["NIT-2022-IV → PIT-2023-37"],
    "moved_to_national": [],
    "split": [],
    "merged": [],
    "direction_changed": ["NIT-2022-IX → NIT-2023-VI"],
}
_CATALOG_YEAR = {
    "format": "qcp-catalog-export/1",
    "year": 2023,
    "title": "2023 年国家医疗质量安全改进目标；2023 年各专业质控工作改进目标",
    "source": "国卫办医政函〔2023〕45 号 附件1、附件2（种子文件 002_70ba79…",
    "file_sha256": "2afd8094afaf945534debd0cd0b42af107c00a42f5b73ce27c204d16c6f53531",
    "published_at": "2026-11-25T04:01:14.446045Z",
    "published_by": "system:demo",
    "specialties": [
        {"code": "medical_records", "seq": 1, "name": "病案管理专业", "name_en": "Medical Records Management"}
    ],
    "goals": [
        {
            "code": "NIT-2023-I",
            "code_as_published": "NIT-2023-I",
            "list": "national",
            "number": 1,
            "title": "提高急性 ST 段抬高型心肌梗死再灌注治疗率",
            "title_en": "Increase the reperfusion therapy rate for acute ST-segment elevation myocardial infarction",
            "summary": "急性心肌梗死是导致我国居民死亡的首要病种，提高急性 ST 段抬高型心肌梗死（STEMI）患者再灌注治疗率…",
            "direction": "higher",
            "owners": ["cardiovascular"],
            "lineage": [
                {
                    "from_code": "NIT-2022-I",
                    "from_year": 2022,
                    "to_code": "NIT-2023-I",
                    "to_year": 2023,
                    **_LINEAGE,
                    "reason": "目标标题与定义（发病 12 小时内给予 PCI 或静脉溶栓治疗）两年一致。",
                    "reason_en": "Same title and definition (PCI or IV thrombolysis within 12 h of onset) in both years.",
                }
            ],
            "indicators": [
                {
                    "code": "NIT-2023-I.1",
                    "seq": 1,
                    "name": "急性 ST 段抬高型心肌梗死再灌注治疗率",
                    "name_en": "Reperfusion therapy rate for acute STEMI",
                    "kind": "proportion",
                    "numerator": "发病 12 小时内的急性 STEMI 患者中，给予经皮冠状动脉介入治疗（PCI）或静脉溶栓治疗的患者数",
                    "denominator": "同期发病 12 小时内到院的急性 STEMI 患者总数",
                    "unit": "%",
                    "multiplier": 100,
                    "direction": "higher",
                    "note": "",
                    "lineage": [
                        {
                            "from_code": "NIT-2022-I.1",
                            "from_year": 2022,
                            "to_code": "NIT-2023-I.1",
                            "to_year": 2023,
                            **_LINEAGE,
                            "reason": "目标标题与目标简述两年一致。",
                            "reason_en": "Same title and definition in both years.",
                        }
                    ],
                }
            ],
        }
    ],
    "retired": [
        {
            "from_code": "NIT-2022-VIII",
            "from_year": 2022,
            "to_code": None,
            "to_year": 2023,
            "kinds": ["retired"],
            "comparability": None,
            "reason": "2023 年国家目标和各专业目标均未再列入“降低非计划重返手术室再手术率”；2023 年目标四（围手术期死亡率）测量的是不同事件。",
            "reason_en": "Neither 2023 list carries the unplanned-reoperation goal; 2023 goal IV (perioperative mortality) "
            "measures a different event.",
        }
    ],
}

# Every field of the answer, defaults included: the hand-written examples above run through the
# response models, so a field added to a model appears in its example at once.
CATALOG_DIFF = CatalogDiff.model_validate(_CATALOG_DIFF).model_dump(mode="json")
CATALOG_YEAR = CatalogRead.model_validate(
    {**_CATALOG_YEAR, "format": EXPORT_FORMAT, "revision": 2}
).model_dump(mode="json")
CATALOG_YEARS = [
    YearRead(
        year=2023,
        revision=2,
        title="2023 年国家医疗质量安全改进目标；2023 年各专业质控工作改进目标",
        format="qcp-catalog/2",
        specialty_list="loaded",
        published_at=datetime.fromisoformat("2026-11-25T04:01:14Z"),
        revised_at=datetime.fromisoformat("2026-12-04T08:00:00Z"),
    ).model_dump(mode="json")
]
CATALOG_REVISIONS = [
    RevisionRead(
        revision=2,
        format="qcp-catalog/2",
        file_sha256="9f2c" + "0" * 60,
        reason="指标定义按国家质控指标文件更正（逐项注明出处）",
        reason_en="Indicator definitions corrected from the national QC indicator documents (cited per indicator)",
        published_at=datetime.fromisoformat("2026-12-04T08:00:00Z"),
        published_by="system:shipped",
        diff={"year": 2023, "from_revision": 1, "to_revision": 2, "indicators_added": ["NIT-2023-IX.2"]},
    ).model_dump(mode="json")
]

# -- registry ---------------------------------------------------------------------------------------

HOSPITAL = {
    "id": 1,
    "province_code": "330000",
    "credit_code": "12330100470000013L",
    "name": "杭州市第一人民医院",
    "level": "三级",
    "grade": "甲等",
    "type": "综合",
    "prefecture_code": "330100",
    "beds": 1984,
    "reports_from": "2022Q1",
    "active": True,
    "deactivated_at": None,
    "created_at": "2026-11-25T04:01:14.446045Z",
    "updated_at": "2026-11-25T04:01:14.446045Z",
    "prefecture_name": "杭州市",
}
HOSPITAL_CREATED = {
    **HOSPITAL,
    "id": 73,
    "credit_code": "12330100047100001P",
    "name": "杭州市西湖区人民医院",
    "level": "二级",
    "beds": 450,
    "reports_from": "2026Q4",
    "created_at": "2026-11-25T04:01:29.123343Z",
    "updated_at": "2026-11-25T04:01:29.123343Z",
}
HOSPITAL_UPDATED = {**HOSPITAL_CREATED, "beds": 520, "updated_at": "2026-11-25T04:01:29.171883Z"}
HOSPITAL_DEACTIVATED = {
    **HOSPITAL_UPDATED,
    "active": False,
    "deactivated_at": "2026-11-25T04:01:29.202749Z",
    "updated_at": "2026-11-25T04:01:29.202749Z",
}
HOSPITAL_CREATE_IN = {
    "credit_code": "12330100047100001P",
    "name": "杭州市西湖区人民医院",
    "level": "二级",
    "grade": "甲等",
    "type": "综合",
    "prefecture_code": "330100",
    "beds": 450,
}
_DEMO_TIMES = {"created_at": "2026-11-25T04:01:14.446045Z", "updated_at": "2026-11-25T04:01:14.446045Z"}
NETWORKS = [
    {
        "id": 2,
        "province_code": None,
        "qc_center_id": 1,
        "kind": "sentinel",
        "name": "国家感染性休克集束化治疗哨点网络",
        "description": "",
        "active": True,
        **_DEMO_TIMES,
    },
    {
        "id": 1,
        "province_code": "330000",
        "qc_center_id": 2,
        "kind": "medical_alliance",
        "name": "杭州城市医疗集团",
        "description": "",
        "active": True,
        **_DEMO_TIMES,
    },
]
NETWORK = {
    "id": 4,
    "province_code": "330000",
    "qc_center_id": 2,
    "kind": "medical_alliance",
    "name": "杭州城市医疗集团",
    "description": "城市医联体 / urban alliance",
    "active": True,
    "created_at": "2026-11-25T04:01:29.310141Z",
    "updated_at": "2026-11-25T04:01:29.310141Z",
}
NETWORK_UPDATED = {
    **NETWORK,
    "description": "杭州市紧密型城市医疗集团",
    "updated_at": "2026-11-25T04:01:29.345500Z",
}
MEMBERS = [
    {
        "id": 6,
        "network_id": 2,
        "hospital_id": 1,
        "hospital_name": "杭州市第一人民医院",
        "province_code": "330000",
        "valid_from": "2022-01-01",
        "valid_to": "2023-01-01",
    },
    {
        "id": 7,
        "network_id": 2,
        "hospital_id": 2,
        "hospital_name": "杭州市中心医院",
        "province_code": "330000",
        "valid_from": "2022-01-01",
        "valid_to": None,
    },
]
# add and end answer hospital_name null (only the member list joins the name)
MEMBER_ADDED = {
    "id": 35,
    "network_id": 4,
    "hospital_id": 1,
    "hospital_name": None,
    "province_code": "330000",
    "valid_from": "2023-01-01",
    "valid_to": None,
}
MEMBER_ENDED = {**MEMBER_ADDED, "valid_to": "2024-01-01"}
QC_CENTERS = [
    {
        "id": 1,
        "level": "national",
        "province_code": None,
        "specialty_code": None,
        "name": "国家医疗质量管理与控制中心（医政）",
        "active": True,
        **_DEMO_TIMES,
    },
    {
        "id": 2,
        "level": "provincial",
        "province_code": "330000",
        "specialty_code": None,
        "name": "浙江省医疗质量控制中心",
        "active": True,
        **_DEMO_TIMES,
    },
]
QC_CENTER = {
    "id": 5,
    "level": "provincial",
    "province_code": "330000",
    "specialty_code": "icu",
    "name": "浙江省重症医学质控中心",
    "active": True,
    "created_at": "2026-11-25T04:01:29.507479Z",
    "updated_at": "2026-11-25T04:01:29.507479Z",
}
QC_CENTER_UPDATED = {
    **QC_CENTER,
    "name": "浙江省重症医学医疗质量控制中心",
    "updated_at": "2026-11-25T04:01:29.574327Z",
}
_AUDITED = {
    "id": 5,
    "name": "浙江省重症医学质控中心",
    "level": "provincial",
    "active": True,
    "created_at": "2026-11-25T04:01:29.507479+00:00",
    "updated_at": "2026-11-25T04:01:29.507479+00:00",
    "province_code": "330000",
    "specialty_code": "icu",
}
AUDIT_PAGE = {
    "items": [
        {
            "id": 10,
            "at": "2026-11-25T04:01:29.574327Z",
            "province_code": "330000",
            "actor_subject": "baae44b9-63e9-5268-b97b-9b01e75a67d4",
            "actor_roles": ["national_admin"],
            "client_id": "qcp-dashboard",
            "action": "qc_center.update",
            "entity": "qc_center",
            "entity_id": "5",
            "outcome": "ok",
            "reason": "更名 / renamed",
            "before": _AUDITED,
            "after": {
                **_AUDITED,
                "name": "浙江省重症医学医疗质量控制中心",
                "updated_at": "2026-11-25T04:01:29.574327+00:00",
            },
        }
    ],
    "next_cursor": "9",
}

# -- files and FHIR ---------------------------------------------------------------------------------

TEMPLATE_CSV = (
    "#QCP,hospital=1,quarter=2023Q4,catalog=2023\n"
    "指标编码,指标名称,分子定义,分母定义,单位,分子,分母,备注\n"
    "NIT-2023-I.1,急性 ST 段抬高型心肌梗死再灌注治疗率,发病 12 小时内的急性 STEMI 患者中，给予经皮冠状动脉介入治疗（PCI）"
    "或静脉溶栓治疗的患者数,同期发病 12 小时内到院的急性 STEMI 患者总数,%,,,\n"
    "NIT-2023-II.1,急性脑梗死再灌注治疗率,发病 6 小时内的急性脑梗死患者中，给予静脉溶栓治疗和（或）血管内治疗的患者数,"
    "同期发病 6 小时内到院的急性脑梗死患者总数,%,,,\n"
)
_VALUE = {"comment": None, "version": 1, "no_cases": False}
UPLOAD_RESULT = {
    "hospital_id": 75,
    "quarter": "2023Q4",
    "catalog_year": 2023,
    "status": "submitted",
    "version": 1,
    "late": False,
    "dry_run": False,
    "replayed": False,
    "changed": ["NIT-2023-I.1", "NIT-2023-II.1"],
    "unchanged": [],
    "values": [
        {"indicator": "NIT-2023-I.1", "numerator": 12, "denominator": 15, **_VALUE},
        {"indicator": "NIT-2023-II.1", "numerator": 30, "denominator": 41, **_VALUE},
    ],
    "warnings": [],
}
FHIR_BASE = "https://qcp.example.org/fhir"
_POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"


def _population(code: str, **more: Any) -> dict:
    return {"code": {"coding": [{"system": _POPULATION, "code": code}]}, **more}


def _report(code: str, numerator: int, denominator: int) -> dict:
    return {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": f"{FHIR_BASE}/Measure/{code}",
        "reporter": {"identifier": {"system": f"{FHIR_BASE}/sid/uscc", "value": "12330100047100003X"}},
        "period": {"start": "2023-10-01", "end": "2023-12-31"},
        "group": [
            {
                "population": [
                    _population("numerator", count=numerator),
                    _population("denominator", count=denominator),
                ]
            }
        ],
    }


def _outcome(severity: str, code: str, diagnostics: str, expression: str | None = None) -> dict:
    issue = {"severity": severity, "code": code, "diagnostics": diagnostics}
    return {
        "resourceType": "OperationOutcome",
        "issue": [{**issue, "expression": [expression]} if expression else issue],
    }


FHIR_REPORT_IN = _report("NIT-2023-III.1", 12, 15)
FHIR_BUNDLE_IN = {
    "resourceType": "Bundle",
    "type": "transaction",
    "entry": [
        {"request": {"method": "POST", "url": "MeasureReport"}, "resource": _report("NIT-2023-IV.1", 2, 900)},
        {"request": {"method": "POST", "url": "MeasureReport"}, "resource": _report("NIT-2023-IV.2", 3, 900)},
    ],
}
FHIR_ACCEPTED = _outcome(
    "information",
    "informational",
    "已接收：医院 75 2023Q4，变更 1 项，未变 0 项，上报版本 2 / "
    "accepted: hospital 75 2023Q4, 1 changed, 0 unchanged, submission version 2",
)
FHIR_DRY_RUN = _outcome(
    "information",
    "informational",
    "试运行通过，未写入任何数据：医院 75 2023Q4，变更 1 项，未变 0 项，"
    "上报版本 1 / dry run passed, nothing was written: hospital 75 2023Q4, 1 changed, 0 unchanged, "
    "submission version 1",
)
_CREATED = {
    "response": {
        "status": "201 Created",
        "outcome": _outcome(
            "information",
            "informational",
            "已接收：医院 75 2023Q4，变更 2 项，未变 0 项，上报版本 3 / accepted: hospital 75 "
            "2023Q4, 2 changed, 0 unchanged, submission version 3",
        ),
    }
}
FHIR_BUNDLE_RESPONSE = {
    "resourceType": "Bundle",
    "type": "transaction-response",
    "entry": [_CREATED, _CREATED],
}
# Built by the code that answers GET /fhir/Measure/{code}, from the demo catalog's indicator.
FHIR_MEASURE = measure_resource(
    SimpleNamespace(
        code="NIT-2023-I.1",
        year=2023,
        name="急性 ST 段抬高型心肌梗死再灌注治疗率",
        name_en="Reperfusion therapy rate for acute STEMI",
        kind="proportion",
        direction="higher",
        unit="%",
        multiplier=100,
        numerator="发病 12 小时内的急性 STEMI 患者中，给予经皮冠状动脉介入治疗（PCI）或静脉溶栓治疗的患者数",
        denominator="同期发病 12 小时内到院的急性 STEMI 患者总数",
    ),
    FHIR_BASE,
)
CAPABILITY_STATEMENT = capability_statement(base="https://qcp.example.org/fhir", software_version="0.1.0")
FHIR_403 = _outcome(
    "error",
    "forbidden",
    "医院与账号不符 / hospital does not match your account",
    "MeasureReport.reporter.identifier.value",
)
FHIR_404 = _outcome("error", "not-found", "指标 NOPE 不存在 / indicator NOPE does not exist")
FHIR_413 = _outcome(
    "error",
    "too-costly",
    "文件过大：2225664 字节，上限 2097152 字节 / the file is 2225664 bytes, the limit is 2097152 bytes",
)
FHIR_415 = _outcome(
    "error",
    "not-supported",
    "Content-Type 须为 application/fhir+json，收到 application/json / "
    "Content-Type must be application/fhir+json, got application/json",
)
FHIR_422 = _outcome(
    "error",
    "invalid",
    "count '41' 不是非负整数 / count '41' is not a non-negative integer",
    "Bundle.entry[1].resource.group[0].population[1].count",
)
E422_FHIR_PARAMS = {
    "error": "invalid_payload",
    "detail": "请求格式错误 / the request payload has the wrong shape",
    "problems": [
        {
            "field": "query.dry_run",
            "problem": "Input should be a valid boolean, unable to interpret input",
            "type": "bool_parsing",
        }
    ],
}

# -- benchmarks -------------------------------------------------------------------------------------

_STEMI = {
    "indicator_code": "NIT-2023-I.1",
    "indicator_name": "急性 ST 段抬高型心肌梗死再灌注治疗率",
    "indicator_name_en": "Reperfusion therapy rate for acute STEMI",
}
BENCHMARK = {
    "quarter": "2023Q3",
    "scope": "province:330000",
    "scope_label": "浙江省",
    "scope_label_en": "Zhejiang",
    "statuses": ["approved"],
    "data_note": "仅含审核通过的数据 / approved data only",
    "include_submitted": False,
    "overdispersion": "auto",
    "settings_source": "province:330000",
    "rules": {
        "flag_rule": "limits",
        "flag_rule_source": "province:330000",
        "overdispersion": "auto",
        "overdispersion_source": "default",
        "min_denominator_by_unit": {"%": 10},
        "settings_source": "province:330000",
        "limits": {"proportion": "exact_binomial"},
    },
    "own_hospital_only": False,
    "visibility": "显示范围内全部医院 / every hospital in the scope",
    "indicators": [
        {
            "indicator_id": 16,
            **_STEMI,
            "kind": "proportion",
            "unit": "%",
            "multiplier": 100,
            "direction": "higher",
            "hospitals_expected": 24,
            "hospitals_reporting": 19,
            "hospitals_no_cases": 0,
            "hospitals_not_applicable": 5,
            "hospitals_missing": 0,
            "hospitals_assessed": 19,
            "min_denominator": 10,
            "pooled_rate": 71.893491,
            "p10": 57.604278,
            "p25": 61.803519,
            "p50": 72.5,
            "p75": 76.792096,
            "p90": 84.724638,
            "target": 71.893491,
            "target_source": "pooled",
            "phi": 1.7764841122193509,
            "tau2": 0.004166051921833764,
            "overdispersion_applied": False,
            "overdispersion_recommended": True,
            "measure": "proportion",
            "limits_method": "exact_binomial",
            "flag_rule": "limits",
            "signals": {"worse_998": 2, "none": 14, "better_95": 3},
            "flag_signals": {"worse_998": 2, "none": 14, "better_95": 3},
            "oe": None,
            "hospitals": [
                {
                    "indicator_code": "NIT-2023-I.1",
                    "hospital_id": 1,
                    "hospital_name": "杭州市第一人民医院",
                    "numerator": 77,
                    "denominator": 103,
                    "no_cases": False,
                    "rate": 74.757282,
                    "ci95_low": 65.582108,
                    "ci95_high": 82.152171,
                    "ci998_low": 59.829919,
                    "ci998_high": 85.483462,
                    "limit95_low": 62.502549,
                    "limit95_high": 80.874796,
                    "limit998_low": 57.203118,
                    "limit998_high": 85.364735,
                    "z": 0.5251,
                    "signal": "none",
                    "q": 0.773082,
                    "flag_signal": "none",
                    "percentile_rank": 66.7,
                }
            ],
        }
    ],
}
BENCHMARK_CSV = (
    "indicator_code,hospital_id,hospital_name,numerator,denominator,no_cases,rate,ci95_low,ci95_high,ci998_low,"
    "ci998_high,limit95_low,limit95_high,limit998_low,limit998_high,z,signal,q,flag_signal,percentile_rank,expected,"
    "oe,oe_ci95_low,oe_ci95_high,oe_limit95_low,oe_limit95_high,oe_limit998_low,oe_limit998_high,oe_signal,"
    "oe_own_profile,flag_rule,limits_method,overdispersion_applied,phi,tau2,oe_baseline\n"
    "NIT-2023-I.1,1,杭州市第一人民医院,77,103,False,74.757282,65.582108,82.152171,59.829919,85.483462,62.502549,"
    "80.874796,57.203118,85.364735,0.5251,none,0.773082,none,66.7,,,,,,,,,,,limits,exact_binomial,false,"
    "1.7764841122193509,0.004166051921833764,\n"
)
_FLAG_REASON = (
    "NIT-2023-IV.2 住院患者术后 24 小时内死亡率：0.24%，高于 95% 控制限 0.21%（中心值 0.10%，分母 5077），警示。"
    "判定规则：控制限 limits。"
)
_FLAG_REASON_EN = (
    "NIT-2023-IV.2 Inpatient mortality within 24 h after surgery: 0.24% is above the 95% control limit "
    "0.21% (centre 0.10%, n = 5077): alert. Rule: the funnel's control limits (limits)."
)
LAGGARDS = {
    "quarter": "2023Q3",
    "scope": "province:330000",
    "scope_label": "浙江省",
    "include_submitted": False,
    "frozen": True,
    "snapshot_id": 1,
    "data_version": 7610,
    "data_hash": "25f6ea510d884f33441997b5e7f384f39033d820c06fd48186d248ca16549dc0",
    "frozen_at": "2026-11-25T04:01:14.446045+00:00",
    "frozen_by": "system:demo",
    "trigger": "window_lock",
    "min_denominator": 10,
    "rules": {
        "flag_rule": "limits",
        "flag_rule_source": "province:330000",
        "overdispersion": "auto",
        "overdispersion_source": "default",
        "min_denominator_by_unit": {"%": 10},
        "settings_source": "province:330000",
        "limits": {"proportion": "exact_binomial"},
    },
    "total": 1,
    "flags": [
        {
            "hospital_id": 1,
            "hospital_name": "杭州市第一人民医院",
            "indicator_code": "NIT-2023-IV.2",
            "indicator_name": "住院患者术后 24 小时内死亡率",
            "kind": "alert",
            "kind_label": "警示（超出 95% 控制限） / alert (outside the 95% limit)",
            "rule": "limits",
            "numerator": 12,
            "denominator": 5077,
            "rate": 0.2364,
            "z": 2.5068293,
            "reason": _FLAG_REASON,
            "reason_en": _FLAG_REASON_EN,
        }
    ],
}
LAGGARDS_CSV = (
    "hospital_id,hospital_name,indicator_code,indicator_name,kind,kind_label,rule,numerator,denominator,rate,z,"
    "reason,reason_en\n"
    f"1,杭州市第一人民医院,NIT-2023-IV.2,住院患者术后 24 小时内死亡率,alert,警示（超出 95% 控制限） / alert (outside the 95% "
    f'limit),limits,12,5077,0.2364,2.5068293,{_FLAG_REASON},"{_FLAG_REASON_EN}"\n'
)
_YOY = {
    **_STEMI,
    "indicator_id": 16,
    "unit": "%",
    "change_unit": "百分点 / pp",
    "direction": "higher",
    "quarter": "2023Q3",
    "comparability": "comparable",
    "reason": "目标标题与目标简述两年一致。",
    "reason_en": "Same title and definition in both years.",
    "previous_quarter": "2022Q3",
    "previous_indicator_code": "NIT-2022-I.1",
    "across_gap": False,
    "comparability_label": "可比",
    "comparability_label_en": "comparable",
}
_RETIRED_NAME = {
    "name": "住院患者静脉输液平均使用天数",
    "name_en": "Mean days of intravenous infusion per infused inpatient",
}
HOSPITAL_YOY = {
    "hospital_id": 1,
    "hospital_name": "杭州市第一人民医院",
    "quarter": "2023Q3",
    "indicators": [
        {
            **_YOY,
            "numerator": 77,
            "denominator": 103,
            "rate": 74.757282,
            "previous_numerator": 74,
            "previous_denominator": 105,
            "previous_rate": 70.47619,
            "change": 4.2811,
            "change_low": -7.8117,
            "change_high": 16.1805,
            "verdict": "no_significant_change",
            "verdict_label": "无显著变化",
            "verdict_label_en": "no significant change",
        }
    ],
    "retired": [
        {
            "id": 12,
            "code": "NIT-2022-IX.2",
            **_RETIRED_NAME,
            "reason": "2023 年目标六未再列出“静脉输液天数”维度（改为每床日静脉输液使用频次，另立新指标）。",
            "reason_en": "2023 goal VI no longer names the infusion-days dimension (infusion episodes per bed-day is a "
            "separate new indicator).",
            "indicator_id": 12,
            "indicator_code": "NIT-2022-IX.2",
            "indicator_name": _RETIRED_NAME["name"],
            "indicator_name_en": _RETIRED_NAME["name_en"],
            "comparability": "retired",
            "comparability_label": "已停用",
            "comparability_label_en": "retired",
        }
    ],
}
HOSPITAL_EARLY_WARNING = {
    "hospital_id": 1,
    "hospital_name": "杭州市第一人民医院",
    "quarter": "2023Q4",
    "scope": "province:330000",
    "lookback": 12,
    "series": [
        {
            "indicator_id": 31,
            "indicator_code": "NIT-2023-X.1",
            "indicator_name": "阴道分娩并发症发生率",
            "indicator_name_en": "Vaginal delivery complication rate",
            "kind": "proportion",
            "unit": "%",
            "direction": "lower",
            "h": 5.0,
            "ratio": 2.0,
            "ewma_lambda": 0.2,
            "ewma_width": 3.0,
            "starts": "2021Q1",
            "restart_reason": None,
            "restart_reason_en": None,
            "signal_now": True,
            "points": [
                {
                    "quarter": "2023Q4",
                    "indicator_code": "NIT-2023-X.1",
                    "numerator": 16,
                    "denominator": 500,
                    "rate": 3.2,
                    "expected_rate": 2.1,
                    "expected_source": "pooled",
                    "inflation": 1.0,
                    "cusum": 5.45,
                    "signal": True,
                    "ewma": 1.41,
                    "ewma_lower": 0.53,
                    "ewma_upper": 1.47,
                }
            ],
        }
    ],
}
SCOPE_YOY = {
    "scope": "province:330000",
    "scope_label": "浙江省",
    "quarter": "2023Q3",
    "indicators": [
        {
            **_YOY,
            "numerator": 729,
            "denominator": 1014,
            "rate": 71.893491,
            "previous_numerator": 706,
            "previous_denominator": 1063,
            "previous_rate": 66.415804,
            "change": 5.4777,
            "change_low": 1.5028,
            "change_high": 9.4219,
            "verdict": "improved",
            "verdict_label": "改善",
            "verdict_label_en": "improved",
        }
    ],
}
FLAG_SNAPSHOT = {
    "snapshot_id": 22,
    "scope": "network:1",
    "quarter": "2023Q3",
    "data_version": 7194,
    "data_hash": "2d04de84ec3cf6997292f19df92afed9eb49fe6c49fb3597ee23b174bcb8d939",
    "values_used": 117,
    "min_denominator": 10,
    "rules": {
        "flag_rule": "limits",
        "flag_rule_source": "default",
        "overdispersion": "auto",
        "overdispersion_source": "default",
        "min_denominator_by_unit": {"%": 10, "每千导管日": 1000},
        "settings_source": "default",
        "limits": {"proportion": "exact_binomial", "rate": "poisson_exact_byar"},
    },
    "trigger": "manual",
    "created_by": "8651b61c-1b56-5502-b2f3-b8b9ef4f55e4",
}
ROLLUPS = {
    "quarter": "2023Q3",
    "scope": "nation",
    "indicators": [
        {
            "indicator_code": "NIT-2023-I.1",
            "indicator_name": _STEMI["indicator_name"],
            "indicator_name_en": _STEMI["indicator_name_en"],
            "unit": "%",
            "provinces": [
                {
                    "province_code": "330000",
                    "hospitals": 24,
                    "reporting": 24,
                    "completeness": 1.0,
                    "numerator": 729,
                    "denominator": 1014,
                    "pooled_rate": 71.893491,
                    "median": 72.5,
                    "laggards": 2,
                }
            ],
            "province_funnel": {
                "applicable": True,
                "target": 70.554675,
                "phi": 0.2844568974548283,
                "tau2": 0.0,
                "units": [
                    {
                        "province_code": "330000",
                        "rate": 71.893491,
                        "z": 0.9353384758521716,
                        "limit95_low": 67.74924,
                        "limit95_high": 73.36011,
                        "limit998_low": 66.131407,
                        "limit998_high": 74.977943,
                        "signal": "none",
                    }
                ],
            },
        }
    ],
    "trend": [
        {
            "indicator_code": "NIT-2023-I.1",
            "points": [
                {"quarter": "2021Q4", "numerator": 0, "denominator": 0, "pooled_rate": None},
                {"quarter": "2022Q1", "numerator": 2075, "denominator": 3122, "pooled_rate": 66.463805},
            ],
        }
    ],
}
FEEDBACK_HTML = (
    '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>杭州市第一人民医院 2023Q3 质控反馈报告</title>\n'
    '…</head>\n<body>\n<h1>质控反馈报告 <span class="en">Quality-control feedback report</span></h1>\n'
    '<table class="meta"><tr><td>医院 / Hospital</td><td>杭州市第一人民医院（三级综合）</td></tr>\n'
    "<tr><td>季度 / Quarter</td><td>2023Q3</td></tr>\n…"
)
TARGET = {
    "qc_center_id": 2,
    "indicator": "NIT-2023-I.1",
    "target": "0.75",
    "note": "省级年度目标 / provincial annual target",
}
