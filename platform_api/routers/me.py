"""Who am I: the caller's identity as the API sees it (useful to debug Keycloak mappers)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from platform_api.auth.deps import CurrentActor
from platform_api.openapi_examples import ME, ok

router = APIRouter(prefix="/api/v1", tags=["identity"])


class MeRead(BaseModel):
    subject: str
    name: str
    roles: list[str]
    province: str | None
    hospital_id: int | None
    qc_center_id: int | None
    specialty: str | None
    client_id: str | None


@router.get(
    "/me",
    response_model=MeRead,
    summary="当前用户 / the authenticated caller",
    responses={200: ok(ME)},
    description="令牌中平台读到的身份与范围（用于排查 Keycloak 映射）/ the identity and scope the API reads from "
    "your token (useful to debug Keycloak mappers).",
)
def read_me(actor: CurrentActor) -> MeRead:
    return MeRead(
        subject=actor.subject,
        name=actor.name,
        roles=sorted(actor.roles),
        province=actor.province,
        hospital_id=actor.hospital_id,
        qc_center_id=actor.qc_center_id,
        specialty=actor.specialty,
        client_id=actor.client_id,
    )
