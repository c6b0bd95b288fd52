"""The server's FHIR CapabilityStatement (``GET /fhir/metadata``): what a FHIR client may do here.

FHIR clients read it first. It must stay true to ``platform_api/routers/fhir.py``: tests/submission_io/
test_fhir_conformance.py parses it with a FHIR R4B library and checks each interaction it lists.
"""

from __future__ import annotations

from typing import Any

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"
# The day the capabilities below last changed (CapabilityStatement.date): change it with them.
CHANGED_ON = "2026-12-04"


def capability_statement(*, base: str, software_version: str) -> dict[str, Any]:
    """An R4 CapabilityStatement for the platform's FHIR endpoints, ``base`` being the /fhir URL."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CHANGED_ON,
        "publisher": "QCP",
        "kind": "instance",
        "description": "国家医疗质量安全改进目标的季度上报：MeasureReport（summary）提交与 Measure 读取 / "
        "quarterly submission of the national quality goals: submit summary MeasureReports, read Measures",
        "software": {"name": "QCP 医疗质量控制平台 / Quality Control Platform", "version": software_version},
        "implementation": {"description": "QCP FHIR API", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON],
        "rest": [
            {
                "mode": "server",
                "documentation": "提交需要 Bearer 令牌（OIDC，医院账号或医院系统的机器账号）；Measure 公开可读 / "
                "submissions need a Bearer token (OIDC: a hospital account or a hospital system's client "
                "credentials); Measures are public. See docs/fhir.md.",
                "security": {
                    "cors": False,
                    "description": "OAuth 2.0 / OpenID Connect Bearer 令牌（Keycloak）/ OAuth 2.0 bearer tokens",
                },
                "resource": [
                    {
                        "type": "Measure",
                        "documentation": "每个目录指标一个 Measure，id 为指标代码 / one per catalog indicator, "
                        "its id the indicator code (e.g. NIT-2023-I.1)",
                        "interaction": [{"code": "read"}],
                    },
                    {
                        "type": "MeasureReport",
                        "documentation": "type=summary，一个指标一个季度；?dry_run=true 只校验；Idempotency-Key "
                        "使重试安全 / one indicator, one quarter; ?dry_run=true checks only",
                        "interaction": [{"code": "create"}],
                    },
                ],
                "interaction": [
                    {
                        "code": "transaction",
                        "documentation": "Bundle（transaction / batch / collection）：一家医院一个季度，全部接受"
                        "或全部拒绝 / one hospital, one quarter, all or nothing",
                    },
                    {"code": "batch", "documentation": "同 transaction / as transaction"},
                ],
            }
        ],
    }
