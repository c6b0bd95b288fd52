"""``/api/v1/notifications``: the caller's inbox, preferences, e-mail contacts and webhooks, the
delivery log with its dead letters; ``/api/v1/jobs``: the job queue, for the national admin."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import Responses, body_examples, error, ok
from platform_api.routers.registry import BAD_PARAMETERS, NOT_FOUND, forbidden
from services.core.actor import Actor, Role
from services.core.errors import PermissionDenied
from services.jobs import admin as jobs_admin
from services.notification import inbox, manage


def _refused(check: Callable[[Actor], None], actor: Actor) -> dict[str, Any]:
    """The 403 body ``check`` really renders for ``actor`` (each operation documents its own)."""
    try:
        check(actor)
    except PermissionDenied as exc:
        return {"error": exc.code, **exc.extra, "detail": exc.detail}
    raise ValueError("the example actor passed the check: choose one it refuses")


_VIEWER = Actor(
    subject="example", roles=frozenset({Role.HOSPITAL_VIEWER}), province="330000", hospital_id=101
)
ORG_ADMIN_ONLY: Responses = forbidden(_refused(manage.require_org_admin, _VIEWER))
NATIONAL_ADMIN_ONLY: Responses = forbidden(
    _refused(
        jobs_admin.require_national_admin,
        Actor(subject="example", roles=frozenset({Role.PROVINCIAL_ADMIN}), province="330000"),
    )
)

E409_JOB = {
    "error": "conflict",
    "detail": "任务 120 状态为 succeeded，只能重试失败或取消的任务 / job 120 is succeeded: only failed, "
    "cancelled or aborted jobs can be retried",
    "status": "succeeded",
}
CONFLICT: Responses = {
    409: error(
        "只能重试失败、取消或中止的任务 / only failed, cancelled or aborted jobs can be retried", E409_JOB
    )
}

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
jobs_router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

_ITEM = {
    "id": "5f0c2a4e-8a59-4c55-9d7e-0c4f3b0b6e11",
    "kind": "submission_returned",
    "title": "2023Q4 上报被退回",
    "title_en": "2023Q4 submission returned",
    "body": "浙江省人民医院 的 2023Q4 上报被质控中心退回，请更正后重新提交。意见：分母有误",
    "body_en": "The QC center returned 浙江省人民医院's 2023Q4 submission; correct and resubmit. Comment: 分母有误",
    "payload": {"hospital_id": 1, "quarter": "2023Q4", "version": 3, "submission_id": 17},
    "created_at": "2026-12-04T08:00:00Z",
    "read_at": None,
}
_DELIVERY = {
    "id": 41,
    "notification_id": "5f0c2a4e-8a59-4c55-9d7e-0c4f3b0b6e11",
    "channel": "webhook",
    "recipient": "webhook:3",
    "status": "dead",
    "attempts": 6,
    "last_error": "HTTP 500: upstream unavailable",
    "last_status_code": 500,
    "created_at": "2026-12-04T08:00:00Z",
    "last_attempt_at": "2026-12-04T08:23:00Z",
    "sent_at": None,
}
_JOB = {
    "id": 120,
    "task_name": "notification.deliver",
    "queue_name": "default",
    "status": "failed",
    "args": {"delivery_id": 41},
    "attempts": 6,
    "scheduled_at": None,
}


class Unread(BaseModel):
    unread: int


class Done(BaseModel):
    ok: bool = True


@router.get(
    "",
    response_model=inbox.Inbox,
    responses={200: ok({"unread": 1, "items": [_ITEM]}), **BAD_PARAMETERS},
    summary="我的通知 / my inbox",
    description="本机构的通知（医院：本院；质控中心：本省）及未读数 / your organisation's notifications and the unread count.",
)
def read_inbox(
    session: DbSession,
    actor: CurrentActor,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> inbox.Inbox:
    return inbox.inbox(session, actor, unread_only=unread_only, limit=limit)


@router.post(
    "/{notification_id}/read",
    response_model=Unread,
    responses={200: ok({"unread": 0}), **NOT_FOUND},
    summary="标为已读 / mark read",
)
def mark_read(session: DbSession, actor: CurrentActor, notification_id: uuid.UUID) -> Unread:
    inbox.mark_read(session, actor, notification_id)
    return Unread(unread=inbox.unread_count(session, actor))


@router.put(
    "/preferences",
    response_model=Done,
    responses={200: ok({"ok": True}), **ORG_ADMIN_ONLY, **BAD_PARAMETERS},
    summary="通知偏好 / set a notification preference",
    description="按类型开关渠道（inbox/email/webhook）；organisation=true 为全机构（管理员）/ "
    "switch a channel on or off for one kind; organisation=true sets it for the whole organisation (admins).",
)
def set_preference(
    session: DbSession,
    actor: CurrentActor,
    preference: Annotated[
        manage.PreferenceIn,
        Body(
            openapi_examples=body_examples(
                mute=(
                    "不收逾期提醒邮件 / no e-mail for due dates",
                    {"kind": "due_soon", "channel": "email", "enabled": False},
                )
            )
        ),
    ],
) -> Done:
    manage.set_preference(session, actor, preference=preference)
    return Done()


@router.post(
    "/contacts",
    response_model=Done,
    status_code=201,
    responses={201: ok({"ok": True}), **ORG_ADMIN_ONLY, **BAD_PARAMETERS},
    summary="登记通知邮箱 / add an e-mail address",
)
def add_contact(
    session: DbSession,
    actor: CurrentActor,
    contact: Annotated[
        manage.ContactIn,
        Body(
            openapi_examples=body_examples(
                mailbox=(
                    "机构邮箱 / shared mailbox",
                    {"email": "qc@hospital.example.cn", "organisation": True},
                )
            )
        ),
    ],
) -> Done:
    manage.add_contact(session, actor, contact=contact)
    return Done()


@router.post(
    "/webhooks",
    response_model=manage.WebhookCreated,
    status_code=201,
    responses={
        201: ok({"id": 3, "url": "https://his.example.cn/qcp-hook", "secret": "9f86d0…"}),
        **ORG_ADMIN_ONLY,
        **BAD_PARAMETERS,
    },
    summary="登记 Webhook / register a webhook endpoint",
    description="返回的 secret 只显示一次，用于校验 X-QCP-Signature / the secret is shown once: verify X-QCP-Signature with it.",
)
def add_webhook(
    session: DbSession,
    actor: CurrentActor,
    webhook: Annotated[
        manage.WebhookIn,
        Body(
            openapi_examples=body_examples(
                his=("医院信息系统 / hospital system", {"url": "https://his.example.cn/qcp-hook"})
            )
        ),
    ],
) -> manage.WebhookCreated:
    return manage.add_webhook(session, actor, webhook=webhook)


_WEBHOOK = {
    "id": 3,
    "url": "https://his.example.cn/qcp-hook",
    "active": True,
    "created_at": "2026-12-04T08:00:00Z",
    "created_by": "h101-submitter",
}


class WebhookSwitch(BaseModel):
    active: bool


@router.get(
    "/webhooks",
    response_model=list[manage.WebhookRead],
    responses={200: ok([_WEBHOOK]), **ORG_ADMIN_ONLY},
    summary="本机构的 Webhook / your organisation's webhook endpoints",
    description="不显示 secret / secrets are never shown again.",
)
def read_webhooks(session: DbSession, actor: CurrentActor) -> list[manage.WebhookRead]:
    return manage.webhooks(session, actor)


@router.patch(
    "/webhooks/{webhook_id}",
    response_model=manage.WebhookRead,
    responses={200: ok({**_WEBHOOK, "active": False}), **ORG_ADMIN_ONLY, **NOT_FOUND, **BAD_PARAMETERS},
    summary="停用或启用 Webhook / switch a webhook endpoint off or on",
    description="停用后不再投递，待投递的记录以原因失败，可在投递记录中重试 / once off, nothing is posted to it; "
    "pending deliveries fail with the reason and can be retried from the delivery log.",
)
def switch_webhook(
    session: DbSession,
    actor: CurrentActor,
    webhook_id: int,
    body: Annotated[
        WebhookSwitch, Body(openapi_examples=body_examples(off=("停用 / switch off", {"active": False})))
    ],
) -> manage.WebhookRead:
    return manage.set_webhook_active(session, actor, webhook_id=webhook_id, active=body.active)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=manage.WebhookCreated,
    responses={
        200: ok({"id": 3, "url": "https://his.example.cn/qcp-hook", "secret": "4be1c9…"}),
        **ORG_ADMIN_ONLY,
        **NOT_FOUND,
    },
    summary="更换 Webhook 签名密钥 / rotate a webhook's signing secret",
    description="新 secret 只显示一次；此后的投递用新 secret 签名 / the new secret is shown once; every delivery "
    "from now on is signed with it.",
)
def rotate_webhook_secret(session: DbSession, actor: CurrentActor, webhook_id: int) -> manage.WebhookCreated:
    return manage.rotate_webhook_secret(session, actor, webhook_id=webhook_id)


@router.get(
    "/contacts",
    response_model=list[manage.ContactRead],
    responses={
        200: ok(
            [
                {
                    "id": 7,
                    "email": "qc@hospital.example.cn",
                    "organisation": True,
                    "created_at": "2026-12-04T08:00:00Z",
                }
            ]
        )
    },
    summary="通知邮箱 / e-mail addresses",
    description="本人的邮箱；管理员另见本机构的公共邮箱 / your own addresses; admins also see the organisation's "
    "shared mailboxes.",
)
def read_contacts(session: DbSession, actor: CurrentActor) -> list[manage.ContactRead]:
    return manage.contacts(session, actor)


@router.delete(
    "/contacts/{contact_id}",
    response_model=Done,
    responses={200: ok({"ok": True}), **ORG_ADMIN_ONLY, **NOT_FOUND},
    summary="删除通知邮箱 / remove an e-mail address",
)
def remove_contact(session: DbSession, actor: CurrentActor, contact_id: int) -> Done:
    manage.remove_contact(session, actor, contact_id=contact_id)
    return Done()


@router.get(
    "/deliveries",
    response_model=list[manage.DeliveryRead],
    responses={200: ok([_DELIVERY]), **ORG_ADMIN_ONLY, **BAD_PARAMETERS},
    summary="投递记录与死信 / delivery log and dead letters",
)
def read_deliveries(
    session: DbSession,
    actor: CurrentActor,
    status: Literal["pending", "sent", "dead"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[manage.DeliveryRead]:
    return manage.deliveries(session, actor, status=status, limit=limit)


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=Done,
    responses={200: ok({"ok": True}), **ORG_ADMIN_ONLY, **NOT_FOUND},
    summary="重试投递 / retry a delivery",
)
def retry_delivery(session: DbSession, actor: CurrentActor, delivery_id: int) -> Done:
    manage.retry_delivery(session, actor, delivery_id=delivery_id)
    return Done()


@jobs_router.get(
    "",
    response_model=list[jobs_admin.JobRead],
    responses={200: ok([_JOB]), **NATIONAL_ADMIN_ONLY, **BAD_PARAMETERS},
    summary="任务队列 / the job queue",
    description="仅国家管理员 / national admin only.",
)
def read_jobs(
    session: DbSession,
    actor: CurrentActor,
    status: Literal["todo", "doing", "succeeded", "failed", "cancelled", "aborted"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[jobs_admin.JobRead]:
    return jobs_admin.list_jobs(session, actor, status=status, limit=limit)


@jobs_router.post(
    "/{job_id}/retry",
    response_model=Done,
    responses={200: ok({"ok": True}), **NATIONAL_ADMIN_ONLY, **NOT_FOUND, **CONFLICT},
    summary="重试任务 / retry a failed job",
)
def retry_job(session: DbSession, actor: CurrentActor, job_id: int) -> Done:
    jobs_admin.retry_job(session, actor, job_id=job_id)
    return Done()
