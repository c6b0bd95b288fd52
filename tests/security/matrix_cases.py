"""The cross-tenant matrix as data: attackers, targets, one case per tenant-bearing route, exemptions.

A request is written once with placeholders (``{hospital}``, ``{network}``, ``{center}``,
``{membership}``, ``{province}``, ``{prefecture}``, ``{credit}``, ``{goal}``, ``{indicator}``).
Every placeholder starts at the attacker's own value (``BASE``: H001, N1, the 浙江 QC center …);
an attack overrides some of them with another tenant's (``TARGETS``), and its twin request puts
``MISSING`` values in exactly those places. The two answers must be the same.

Symbols (``H025``, ``N3``, ``C:440000``, ``M:N3``, ``CC:H025``) are resolved against the demo
database by the test module; anything else is used as written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.core.actor import Role

Q = "2023Q4"  # the demo's open quarter
DONE = "2023Q3"  # approved and frozen everywhere

# name → (role, hospital key or None, specialty or None); all of 浙江 (330000)
ATTACKERS: dict[str, tuple[Role, str | None, str | None]] = {
    "zj_admin": (Role.PROVINCIAL_ADMIN, None, None),
    "zj_analyst": (Role.PROVINCIAL_ANALYST, None, None),
    "zj_icu": (Role.SPECIALTY_QC, None, "icu"),
    "h001_submitter": (Role.HOSPITAL_SUBMITTER, "H001", None),
    "h001_viewer": (Role.HOSPITAL_VIEWER, "H001", None),
    "h001_system": (Role.HOSPITAL_SYSTEM, "H001", None),
}

BASE = {
    "hospital": "H001",
    "network": "N1",
    "center": "C:330000",
    "membership": "M:N1",
    "province": "330000",
    "prefecture": "330100",
    "credit": "CC:H001",
    "goal": "NIT-2023-VIII",
    "indicator": "NIT-2023-VIII.1",
    "new_credit": "CC:NEW",
}
MISSING = {
    "hospital": 999999,
    "network": 999999,
    "center": 999999,
    "membership": 999999,
    "province": "990000",
    "prefecture": "990100",
    "credit": "CC:MISSING",
    "goal": "PIT-2099-99",
    "indicator": "PIT-2099-99.1",
}
TARGETS = {
    # another province: 广东's hospital, network N3, QC center and a membership of N3
    "province": {
        "hospital": "H025",
        "network": "N3",
        "center": "C:440000",
        "membership": "M:N3",
        "province": "440000",
        "prefecture": "440100",
        "credit": "CC:H025",
    },
    "hospital": {"hospital": "H002", "credit": "CC:H002"},  # another hospital, same province
    "far_hospital": {"hospital": "H025", "credit": "CC:H025"},  # another hospital, another province
    "membership": {"membership": "M:N3"},  # N3's membership addressed through the caller's own N1
    "specialty": {"goal": "PIT-2023-24", "indicator": "PIT-2023-24.1"},  # 临床营养, not 重症医学
    "specialty_submission": {"hospital": "H004"},  # 妇幼保健院: its quarter carries no 重症 goal
    "general_center": {"center": "C:330000", "network": "N1"},  # 浙江's general (医政) center, not icu's
}
# A successful answer to 重症医学 staff names no 2023 goal but its own (NIT-2023-VIII, PIT-2023-39).
OTHER_SPECIALTY = r"\b(?:NIT-2023-(?!VIII\b)[IVX]+|PIT-2023-(?!39\b)\d+)\b"


def _submission(p: dict) -> dict:
    return {"values": [{"indicator": "NIT-2023-IV.1", "numerator": 1, "denominator": 1200}]}


def _hospital_create(p: dict) -> dict:
    return {
        "province_code": p["province"],
        "credit_code": p["new_credit"],
        "name": "渗透测试医院",
        "level": "三级",
        "grade": "甲等",
        "type": "综合",
        "prefecture_code": p["prefecture"],
        "beds": 500,
    }


def _window(p: dict) -> dict:
    return {
        "opens_at": "2024-01-01T00:00:00+08:00",
        "due_at": "2024-01-02T00:00:00+08:00",
        "locks_at": "2024-01-03T00:00:00+08:00",
        "province_code": p["province"],
    }


@dataclass(frozen=True)
class Case:
    method: str
    route: str  # the route's path template, as the app declares it
    url: str  # the request, with placeholders
    attacks: tuple[str, ...]  # "attacker>target"
    body: Callable[[dict], object] | None = None
    kind: str = "json"  # json | csv | fhir-report | fhir-bundle
    listing: bool = False  # a filter over the caller's own scope: an equal 200 (e.g. []) is the right answer
    # (an attack whose request names nothing of the target, like zj_icu>specialty on a URL without
    # {goal}/{indicator}, may succeed too: then only "no data of the target" is checked)
    note: str = ""
    xfail: dict[str, str] = field(default_factory=dict)  # attack → known leak, reported to the lead


H, HS = "/api/v1/hospitals", "/api/v1/hospitals/{hospital_id}/submissions/{quarter}"
HQ = "/api/v1/hospitals/{hospital}/submissions/" + Q
N, C, V1 = "/api/v1/networks", "/api/v1/qc-centers", "/api/v1"
REPORT = H + "/{hospital_id}/feedback-report/{filename}"

# attacker>target
ADMIN_P, ADMIN_FAR, ADMIN_M = "zj_admin>province", "zj_admin>far_hospital", "zj_admin>membership"
ANALYST_P = "zj_analyst>province"
ICU_P, ICU_S, ICU_SUB, ICU_GEN = (
    "zj_icu>province",
    "zj_icu>specialty",
    "zj_icu>specialty_submission",
    "zj_icu>general_center",
)
VIEW_P, VIEW_H, VIEW_FAR = "h001_viewer>province", "h001_viewer>hospital", "h001_viewer>far_hospital"
SUB_P, SUB_H, SUB_FAR = "h001_submitter>province", "h001_submitter>hospital", "h001_submitter>far_hospital"
SYS_H, SYS_FAR = "h001_system>hospital", "h001_system>far_hospital"
READERS = (ANALYST_P, VIEW_H, VIEW_FAR, ICU_P)

BY_ROLE = "403 by role for a missing record too"


def _text(reason: str) -> Callable[[dict], dict]:
    return lambda p: {"name": "篡改后的名称", "reason": reason}


CASES: tuple[Case, ...] = (
    # ---- registry: hospitals
    Case("GET", H, H + "?prefecture_code={prefecture}", (ADMIN_P, VIEW_P), listing=True),
    Case(
        "POST",
        H,
        H,
        (ADMIN_P, SUB_P),
        body=_hospital_create,
        note="422 'only in your own province' for 440000 and 990000 alike; hospital roles " + BY_ROLE,
    ),
    Case("GET", H + "/{hospital_id}", H + "/{hospital}", (ADMIN_P, ANALYST_P, ICU_P, VIEW_H, VIEW_FAR)),
    Case(
        "PATCH",
        H + "/{hospital_id}",
        H + "/{hospital}",
        (ADMIN_P, SUB_H, SUB_FAR),
        body=_text("test"),
        note="hospital roles: " + BY_ROLE,
    ),
    Case(
        "POST",
        H + "/{hospital_id}/deactivate",
        H + "/{hospital}/deactivate",
        (ADMIN_P, SUB_H, SUB_FAR),
        body=lambda p: {"reason": "cross-tenant test"},
    ),
    # ---- registry: networks and memberships
    Case("GET", N, N + "?qc_center_id={center}", (ADMIN_P, VIEW_P), listing=True),
    Case(
        "POST",
        N,
        N,
        (ADMIN_P, ICU_P, ICU_GEN, SUB_P),
        body=lambda p: {"qc_center_id": p["center"], "kind": "custom", "name": "渗透测试网络"},
    ),
    Case("GET", N + "/{network_id}", N + "/{network}", (ADMIN_P, ANALYST_P, ICU_P, VIEW_P)),
    Case(
        "PATCH",
        N + "/{network_id}",
        N + "/{network}",
        (ADMIN_P, ICU_P, ICU_GEN, SUB_P),
        body=lambda p: {"name": "篡改后的网络"},
    ),
    Case("GET", N + "/{network_id}/members", N + "/{network}/members", (ADMIN_P, ICU_P, VIEW_P)),
    Case(
        "POST",
        N + "/{network_id}/members",
        N + "/{network}/members",
        (ADMIN_P, ADMIN_FAR, ICU_P, SUB_P),
        body=lambda p: {"hospital_id": p["hospital"], "valid_from": "2024-01-01"},
    ),
    Case(
        "PATCH",
        N + "/{network_id}/members/{membership_id}",
        N + "/{network}/members/{membership}",
        (ADMIN_P, ADMIN_M, SUB_P),
        body=lambda p: {"valid_to": "2024-06-30", "reason": "cross-tenant test"},
    ),
    # ---- registry: QC centers and the audit log
    Case("GET", C, C + "?province_code={province}", (ADMIN_P, VIEW_P), listing=True),
    Case(
        "POST",
        C,
        C,
        (ADMIN_P,),
        note="national admins only: " + BY_ROLE,
        body=lambda p: {
            "level": "provincial",
            "province_code": p["province"],
            "specialty_code": "icu",
            "name": "渗透测试质控中心",
        },
    ),
    Case("GET", C + "/{qc_center_id}", C + "/{center}", (ADMIN_P, ICU_P, VIEW_P)),
    Case(
        "PATCH",
        C + "/{qc_center_id}",
        C + "/{center}",
        (ADMIN_P,),
        body=_text("test"),
        note="national admins only: " + BY_ROLE,
    ),
    Case(
        "GET",
        V1 + "/audit",
        V1 + "/audit?province_code={province}",
        (ADMIN_P, VIEW_P),
        listing=True,
        note="hospital roles: " + BY_ROLE,
    ),
    # ---- submissions
    Case(
        "POST",
        HS,
        HQ,
        (SUB_H, SUB_FAR, SYS_H, ADMIN_P),
        body=_submission,
        note="admins: " + BY_ROLE + " (no submission.write)",
    ),
    Case("GET", HS, HQ, (*READERS, ICU_S)),
    Case("GET", HS + "/history", HQ + "/history?indicator={indicator}", (*READERS, ICU_S)),
    Case("GET", HS + "/events", HQ + "/events", READERS[:3]),
    Case(
        "POST",
        HS + "/approve",
        HQ + "/approve",
        (ADMIN_P, ICU_P, ICU_SUB, SUB_H),
        body=lambda p: {"comment": "cross-tenant test"},
    ),
    Case(
        "POST",
        HS + "/return",
        HQ + "/return",
        (ADMIN_P, ICU_P, ICU_SUB, SUB_H),
        body=lambda p: {"comment": "cross-tenant test"},
    ),
    Case(
        "POST",
        HS + "/reopen",
        HQ + "/reopen",
        (ADMIN_P, ICU_P, SUB_H),
        body=lambda p: {"reason": "cross-tenant test"},
        note="only provincial admins reopen: " + BY_ROLE,
    ),
    Case("GET", V1 + "/windows/{quarter}", f"{V1}/windows/{Q}?province_code={{province}}", (ADMIN_P, VIEW_P)),
    Case("PUT", V1 + "/windows/{quarter}", f"{V1}/windows/{Q}", (ADMIN_P, ANALYST_P), body=_window),
    Case(
        "GET",
        V1 + "/completeness",
        f"{V1}/completeness?quarter={Q}&province_code={{province}}",
        (ANALYST_P, VIEW_P, ICU_S),
        listing=True,
    ),
    Case("GET", H + "/{hospital_id}/applicability", H + "/{hospital}/applicability", (*READERS, ICU_S)),
    Case(
        "PUT",
        H + "/{hospital_id}/applicability",
        H + "/{hospital}/applicability",
        (ADMIN_P, ICU_P, ICU_S, SUB_H),
        body=lambda p: {"goal": p["goal"], "status": "not_applicable", "reason": "cross-tenant test"},
    ),
    # ---- files and FHIR
    Case("GET", HS + "/template.xlsx", HQ + "/template.xlsx", READERS[:3]),
    Case("GET", HS + "/template.csv", HQ + "/template.csv", READERS[:3]),
    Case("POST", HS + "/upload", HQ + "/upload", (SUB_H, SUB_FAR, SYS_H, ADMIN_P), kind="csv"),
    Case(
        "POST",
        "/fhir/MeasureReport",
        "/fhir/MeasureReport",
        (SYS_H, SYS_FAR, SUB_H, ADMIN_P),
        kind="fhir-report",
        note="the hospital is named by its credit code in reporter.identifier",
    ),
    Case("POST", "/fhir", "/fhir", (SYS_H, SYS_FAR, ADMIN_P), kind="fhir-bundle"),
    # ---- benchmarks
    Case(
        "GET",
        V1 + "/benchmarks",
        f"{V1}/benchmarks?quarter={DONE}&scope=province:{{province}}&indicator={{indicator}}",
        (ANALYST_P, ICU_P, ICU_S, VIEW_P),
    ),
    Case(
        "GET",
        V1 + "/benchmarks",
        f"{V1}/benchmarks?quarter={DONE}&scope=network:{{network}}",
        (ANALYST_P, ICU_P, VIEW_P),
    ),
    Case(
        "GET",
        V1 + "/laggards",
        f"{V1}/laggards?quarter={DONE}&scope=province:{{province}}",
        (ANALYST_P, ICU_P, ICU_S, VIEW_P),
    ),
    Case(
        "GET",
        V1 + "/laggards",
        f"{V1}/laggards?quarter={DONE}&live=true&scope=province:{{province}}",
        (ICU_P, ICU_S),
    ),
    Case("GET", H + "/{hospital_id}/yoy", H + "/{hospital}/yoy?quarter=" + DONE, (*READERS, ICU_S)),
    Case(
        "GET",
        H + "/{hospital_id}/early-warning",
        H + "/{hospital}/early-warning?quarter=" + DONE,
        (*READERS, ICU_S),
    ),
    Case(
        "GET",
        V1 + "/yoy",
        f"{V1}/yoy?quarter={DONE}&scope=province:{{province}}",
        (ANALYST_P, ICU_P, ICU_S, VIEW_P),
    ),
    Case(
        "POST",
        V1 + "/flags/{quarter}/freeze",
        f"{V1}/flags/{Q}/freeze?scope=province:{{province}}",
        (ADMIN_P, ANALYST_P, SUB_P),
    ),
    Case(
        "GET",
        V1 + "/rollups",
        f"{V1}/rollups?quarter={DONE}&indicator={{indicator}}",
        (ICU_S, "h001_viewer>specialty"),
        listing=True,
        note="the scope is the caller's own; only the indicator names something (hospital roles: 403)",
    ),
    Case("GET", REPORT, H + f"/{{hospital}}/feedback-report/{DONE}.html", (*READERS, ICU_S)),
    Case("GET", REPORT, H + f"/{{hospital}}/feedback-report/{DONE}.pdf", (ANALYST_P, VIEW_H)),
    Case(
        "PUT",
        C + "/{qc_center_id}/benchmark-settings",
        C + "/{center}/benchmark-settings",
        (ADMIN_P, ICU_P, SUB_P),
        body=lambda p: {"min_denominator": 7},
    ),
    Case(
        "GET",
        C + "/{qc_center_id}/benchmark-settings",
        C + "/{center}/benchmark-settings",
        (ADMIN_P, ANALYST_P, VIEW_P),
    ),
    Case("GET", C + "/{qc_center_id}/baselines", C + "/{center}/baselines", (ADMIN_P, ANALYST_P, VIEW_P)),
    Case(
        "PUT",
        C + "/{qc_center_id}/baselines/{indicator}",
        C + "/{center}/baselines/NIT-2023-I.1",
        (ADMIN_P, ICU_P, SUB_P),
        body=lambda p: {"year": 2022, "scope": "province", "profile": "level_type"},
    ),
    Case(
        "DELETE",
        C + "/{qc_center_id}/baselines/{indicator}",
        C + "/{center}/baselines/NIT-2023-I.1",
        (ADMIN_P, ICU_P, SUB_P),
    ),
    Case(
        "PUT",
        C + "/{qc_center_id}/targets/{indicator}",
        C + "/{center}/targets/NIT-2023-VIII.1",
        (ADMIN_P, ICU_P, SUB_P),
        body=lambda p: {"target": "0.5", "note": "cross-tenant test"},
    ),
)

EXEMPT: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): "public API description",
    ("GET", "/docs"): "public API documentation page",
    ("GET", "/docs/oauth2-redirect"): "documentation page's OAuth redirect helper",
    ("GET", "/redoc"): "public API documentation page",
    ("GET", "/health"): "public liveness check, no tenant data",
    ("GET", "/favicon.ico"): "the platform's icon, no tenant data",
    ("GET", "/api/v1/me"): "echoes the caller's own token claims; names nobody else",
    ("GET", "/api/v1/catalog/diff"): "public goal catalog",
    ("GET", "/api/v1/catalog/{year}"): "public goal catalog",
    ("GET", "/api/v1/catalog"): "public goal catalog: the published years",
    ("GET", "/api/v1/catalog/{year}/revisions"): "public goal catalog: a year's revisions",
    ("GET", "/fhir/Measure/{code}"): "public catalog indicator as a FHIR Measure",
    ("GET", "/fhir/metadata"): "public FHIR CapabilityStatement: what the server supports, no tenant data",
    ("GET", "/api/v1/review-queue"): "no tenant-bearing parameter: lists the caller's own scope only",
    ("POST", "/api/v1/bulk-uploads"): "the tenant is the caller's own province; another province's hospital "
    "in the file is refused naming its row (tests/bulk/test_bulk_api.py, test_bulk_service.py)",
    ("GET", "/api/v1/bulk-uploads"): "lists the caller's own province only; checked against another province "
    "in tests/bulk/test_bulk_api.py",
    (
        "GET",
        "/api/v1/bulk-uploads/{job_id}",
    ): "jobs exist only once uploaded: another province's admin (404) and "
    "hospital users (403) are checked in tests/bulk/test_bulk_api.py, RLS alone in test_bulk_service.py",
    ("GET", "/api/v1/notifications"): "the caller's own inbox: no tenant-bearing parameter",
    ("POST", "/api/v1/notifications/{notification_id}/read"): (
        "ids are random UUIDs; another hospital's notification answers 404 in tests/notification/test_api.py"
    ),
    ("PUT", "/api/v1/notifications/preferences"): "written for the caller's own organisation only",
    ("POST", "/api/v1/notifications/contacts"): "written for the caller's own organisation only",
    ("POST", "/api/v1/notifications/webhooks"): "written for the caller's own organisation only",
    ("GET", "/api/v1/notifications/deliveries"): "lists the caller's own scope only (RLS + filter)",
    ("GET", "/api/v1/notifications/webhooks"): "lists the caller's own organisation only (RLS + filter)",
    ("PATCH", "/api/v1/notifications/webhooks/{webhook_id}"): (
        "another hospital's, the QC center's and another province's callers get 404: "
        "tests/notification/test_webhook_admin.py"
    ),
    ("POST", "/api/v1/notifications/webhooks/{webhook_id}/rotate-secret"): (
        "another hospital's, the QC center's and another province's callers get 404: "
        "tests/notification/test_webhook_admin.py"
    ),
    ("GET", "/api/v1/notifications/contacts"): "lists the caller's own organisation only (RLS + filter)",
    ("DELETE", "/api/v1/notifications/contacts/{contact_id}"): (
        "another hospital's and another province's callers get 404: tests/notification/test_webhook_admin.py"
    ),
    ("POST", "/api/v1/notifications/deliveries/{delivery_id}/retry"): (
        "another province's delivery answers 404 (row-level security), tests/notification/test_api.py"
    ),
    ("GET", "/api/v1/jobs"): "national admin only (403 for everyone else), tests/notification/test_api.py",
    ("POST", "/api/v1/jobs/{job_id}/retry"): "national admin only (403 for everyone else)",
    ("MOUNT", "/dash"): "Dash dashboards: session-bound scope, forged callbacks in tests/dash/test_scope.py",
}
