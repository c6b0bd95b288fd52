"""From verified token claims to an :class:`Actor`, refusing inconsistent scopes.

Roles fall into three tiers; a token must sit in exactly one:

* national — ``national_admin``, ``national_analyst``, ``specialty_qc`` without a province: no
  province, no hospital;
* provincial — ``provincial_admin``, ``provincial_analyst``, ``specialty_qc`` with a province:
  a province, no hospital;
* hospital — ``hospital_submitter``, ``hospital_viewer``, ``hospital_system``: a province and a
  hospital. ``hospital_system`` is a client-credentials service account and holds no other role.

Keycloak attribute mappers may emit numbers as strings; both are accepted, lists are not.
"""

from __future__ import annotations

import re

from platform_api.auth.verify import InvalidToken
from services.core.actor import HOSPITAL_ROLES, NATIONAL_ROLES, Actor, Role

PROVINCIAL_ROLES = frozenset({Role.PROVINCIAL_ADMIN, Role.PROVINCIAL_ANALYST})
# GB/T 2260 provincial-level divisions: the first two digits, the last four are 0000.
# The platform's 32 tenants: 31 provinces, autonomous regions and municipalities plus 新疆生产建设兵团
# (660000), as seeded by migration 0001. (Taiwan, Hong Kong and Macau are not tenants of this system.)
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 66".split()
)
_SPECIALTY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def _bad(detail: str) -> InvalidToken:
    return InvalidToken("bad_claims", detail)


def roles_from_claims(claims: dict) -> frozenset[Role]:
    realm_access = claims.get("realm_access") or {}
    raw = realm_access.get("roles", []) if isinstance(realm_access, dict) else []
    if not isinstance(raw, list):
        raise _bad("realm_access.roles 必须是列表 / realm_access.roles must be a list")
    known = {r.value for r in Role}
    return frozenset(Role(r) for r in raw if isinstance(r, str) and r in known)


def _province(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not re.fullmatch(r"\d{6}", text):
        raise _bad(
            f"province 必须是 6 位行政区划代码 / province must be a 6-digit GB/T 2260 code, got {value!r}"
        )
    if text[:2] not in PROVINCE_PREFIXES or text[2:] != "0000":
        raise _bad(
            f"province 不是省级行政区划代码 / province {text} is not a provincial-level GB/T 2260 code"
        )
    return text


def _positive_int(name: str, value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"[1-9]\d{0,17}", value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise _bad(f"{name} 必须是正整数 / {name} must be a positive integer, got {value!r}")


def _specialty(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _SPECIALTY.fullmatch(value):
        raise _bad(f"specialty 必须是小写标识 / specialty must be a lowercase slug, got {value!r}")
    return value


def _tier(roles: frozenset[Role], province: str | None) -> str:
    tiers = set()
    for role in roles:
        if role in NATIONAL_ROLES:
            tiers.add("national")
        elif role in PROVINCIAL_ROLES:
            tiers.add("provincial")
        elif role in HOSPITAL_ROLES:
            tiers.add("hospital")
        elif role is Role.SPECIALTY_QC:
            tiers.add("provincial" if province else "national")
    if len(tiers) != 1:
        raise _bad(
            "角色跨越了多个层级 / the token mixes national, provincial and hospital roles: "
            + ", ".join(sorted(roles))
        )
    return tiers.pop()


def _check_scope(
    tier: str,
    roles: frozenset[Role],
    province: str | None,
    hospital_id: int | None,
    specialty: str | None,
    client_id: str | None,
) -> None:
    if tier == "national" and (province or hospital_id):
        raise _bad("国家级角色不能带省份或医院 / national roles carry no province and no hospital_id")
    if tier == "provincial" and (not province or hospital_id):
        raise _bad("省级角色需要省份且不能带医院 / provincial roles need a province and no hospital_id")
    if tier == "hospital" and (not province or not hospital_id):
        raise _bad("医院角色需要省份和医院 / hospital roles need both province and hospital_id")
    if Role.SPECIALTY_QC in roles and not specialty:
        raise _bad("专业质控角色需要专业 / specialty_qc needs a specialty claim")
    if Role.HOSPITAL_SYSTEM in roles and (len(roles) > 1 or not client_id):
        raise _bad(
            "医院系统账号只能是客户端服务账号且仅有该角色 / hospital_system must be a client service account "
            "holding no other role"
        )


def actor_from_claims(claims: dict) -> Actor:
    """The :class:`Actor` the verified ``claims`` describe, or ``InvalidToken("bad_claims", ...)``."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise _bad("令牌缺少 sub / the token has no subject (sub)")
    roles = roles_from_claims(claims)
    if not roles:
        raise _bad("令牌没有本平台角色 / the token grants no QCP role (realm_access.roles)")
    province = _province(claims.get("province"))
    hospital_id = _positive_int("hospital_id", claims.get("hospital_id"))
    qc_center_id = _positive_int("qc_center_id", claims.get("qc_center_id"))
    specialty = _specialty(claims.get("specialty"))
    client_id = claims.get("azp") or claims.get("client_id")
    if client_id is not None and not isinstance(client_id, str):
        raise _bad("azp 必须是字符串 / azp must be a string")
    _check_scope(_tier(roles, province), roles, province, hospital_id, specialty, client_id)
    username = claims.get("preferred_username")
    name = claims.get("name") or username or subject
    return Actor(
        subject=subject,
        roles=roles,
        province=province,
        hospital_id=hospital_id,
        qc_center_id=qc_center_id,
        specialty=specialty,
        client_id=client_id,
        name=str(name),
        extra={k: claims[k] for k in ("preferred_username", "scope", "jti", "sid") if k in claims},
    )
