"""``/api/v1/networks``: hospital networks and their dated membership."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import (
    E409_OVERLAP,
    MEMBER_ADDED,
    MEMBER_ENDED,
    MEMBERS,
    NETWORK,
    NETWORK_UPDATED,
    NETWORKS,
    body_examples,
    denied,
    error,
    ok,
)
from platform_api.routers.registry import BAD_PARAMETERS, INVALID_DATA, NOT_FOUND, denials, forbidden
from services.core.actor import Role
from services.core.errors import ValidationFailed
from services.core.quarter import Quarter
from services.identity.permissions import require
from services.registry import networks
from services.registry.schemas import (
    MemberRead,
    MembershipCreate,
    MembershipEnd,
    NetworkCreate,
    NetworkRead,
    NetworkUpdate,
)

router = APIRouter(prefix="/api/v1/networks", tags=["registry"])
READ, WRITE = "registry.read", "registry.network.write"
REFUSED = denied(WRITE, Role.PROVINCIAL_ANALYST, province="330000")
WRITE_RESPONSES = {**forbidden(REFUSED), **INVALID_DATA}


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), problems=[{"field": "quarter", "problem": "use YYYYQn, e.g. 2023Q2"}]
        ) from exc


@router.get(
    "",
    response_model=list[NetworkRead],
    summary="网络列表 / list networks",
    description="本省网络与全国性网络 / your province's networks and the national ones.",
    responses={200: ok(NETWORKS), **BAD_PARAMETERS},
)
def list_networks(
    session: DbSession, actor: CurrentActor, qc_center_id: int | None = None, active: bool | None = None
) -> list:
    require(actor, READ)
    return networks.list_networks(session, actor, qc_center_id=qc_center_id, active=active)


@router.post(
    "",
    response_model=NetworkRead,
    status_code=201,
    responses={201: ok(NETWORK, "已定义 / defined"), **WRITE_RESPONSES},
    summary="定义网络 / define a network",
    description="省级网络只含本省医院；全国性网络由国家级质控中心定义 / a provincial network holds its province's "
    "hospitals only; national networks are defined by national QC centers.",
)
def create_network(  # noqa: ANN201
    data: Annotated[
        NetworkCreate,
        Body(
            openapi_examples=body_examples(
                alliance=(
                    "医联体 / medical alliance",
                    {
                        "qc_center_id": 2,
                        "kind": "medical_alliance",
                        "name": "杭州城市医疗集团",
                        "description": "城市医联体 / urban alliance",
                    },
                ),
            )
        ),
    ],
    session: DbSession,
    actor: CurrentActor,
    request: Request,
):
    with denials(request, actor, "network.create", "network"):
        require(actor, WRITE)
        return networks.create_network(session, actor, data=data)


@router.get(
    "/{network_id}",
    response_model=NetworkRead,
    summary="网络详情 / one network",
    responses={200: ok(NETWORK), **NOT_FOUND, **BAD_PARAMETERS},
)
def get_network(network_id: int, session: DbSession, actor: CurrentActor):  # noqa: ANN201
    require(actor, READ)
    return networks.get_network(session, actor, network_id=network_id)


@router.patch(
    "/{network_id}",
    response_model=NetworkRead,
    responses={200: ok(NETWORK_UPDATED), **NOT_FOUND, **WRITE_RESPONSES},
    summary="修改网络 / update a network",
)
def update_network(  # noqa: ANN201
    network_id: int,
    data: Annotated[
        NetworkUpdate,
        Body(
            openapi_examples=body_examples(
                describe=(
                    "修改说明 / new description",
                    {"description": "杭州市紧密型城市医疗集团", "reason": "更新说明 / clarified"},
                ),
                retire=(
                    "停用网络 / deactivate",
                    {"active": False, "reason": "医联体解散 / alliance dissolved"},
                ),
            )
        ),
    ],
    session: DbSession,
    actor: CurrentActor,
    request: Request,
):
    with denials(request, actor, "network.update", "network", network_id):
        require(actor, WRITE)
        return networks.update_network(session, actor, network_id=network_id, data=data)


@router.get(
    "/{network_id}/members",
    response_model=list[MemberRead],
    responses={200: ok(MEMBERS), **NOT_FOUND, **BAD_PARAMETERS},
    summary="网络成员 / members of a network",
    description="指定 quarter 时返回该季度内任一时间有效的成员；否则返回全部历史 / with `quarter`, the "
    "memberships in effect at any time during that quarter; without it, the whole history.",
)
def list_members(
    network_id: int,
    session: DbSession,
    actor: CurrentActor,
    quarter: Annotated[str | None, Query(examples=["2023Q2"])] = None,
) -> list:
    require(actor, READ)
    if quarter is None:
        return networks.list_memberships(session, actor, network_id=network_id)
    return networks.network_members(session, actor, network_id=network_id, quarter=_quarter(quarter))


@router.post(
    "/{network_id}/members",
    response_model=MemberRead,
    status_code=201,
    responses={
        201: ok(
            MEMBER_ADDED,
            "已加入（hospital_name 为空，列表中才有）/ added (hospital_name is "
            "filled in the member list only)",
        ),
        **NOT_FOUND,
        **WRITE_RESPONSES,
        409: error("与该医院的其他成员期间重叠 / overlaps another membership of the hospital", E409_OVERLAP),
    },
    summary="加入网络 / add a hospital to a network",
    description="成员期间为 [valid_from, valid_to)，同一医院不得重叠 / membership covers [valid_from, valid_to) "
    "and must not overlap another membership of the same hospital (409).",
)
def add_member(  # noqa: ANN201
    network_id: int,
    data: Annotated[
        MembershipCreate,
        Body(
            openapi_examples=body_examples(
                open_ended=("持续成员 / open-ended", {"hospital_id": 1, "valid_from": "2023-01-01"}),
                dated=(
                    "限定期间 / for a period",
                    {"hospital_id": 1, "valid_from": "2023-01-01", "valid_to": "2024-01-01"},
                ),
            )
        ),
    ],
    session: DbSession,
    actor: CurrentActor,
    request: Request,
):
    with denials(request, actor, "network.member.add", "network", network_id):
        require(actor, WRITE)
        return networks.add_member(session, actor, network_id=network_id, data=data)


@router.patch(
    "/{network_id}/members/{membership_id}",
    response_model=MemberRead,
    responses={200: ok(MEMBER_ENDED), **NOT_FOUND, **WRITE_RESPONSES},
    summary="结束成员资格 / end a membership",
    description="valid_to 为第一天不再是成员的日期 / `valid_to` is the first day no longer a member.",
)
def end_membership(  # noqa: ANN201
    network_id: int,
    membership_id: int,
    data: Annotated[
        MembershipEnd,
        Body(
            openapi_examples=body_examples(
                left=("退出 / left", {"valid_to": "2024-01-01", "reason": "退出医联体 / left the alliance"}),
            )
        ),
    ],
    session: DbSession,
    actor: CurrentActor,
    request: Request,
):
    with denials(request, actor, "network.member.end", "network_membership", membership_id):
        require(actor, WRITE)
        return networks.end_membership(
            session, actor, network_id=network_id, membership_id=membership_id, data=data
        )
