"""The two outbound channels: e-mail through SMTP and HMAC-signed webhooks.

Webhook signature (documented in docs/notifications.md): the receiver recomputes
``hex(HMAC-SHA256(secret, f"{timestamp}.{body}"))`` over the raw body and the
``X-QCP-Timestamp`` header, compares it with ``X-QCP-Signature`` (``sha256=<hex>``) in constant time,
and refuses timestamps more than five minutes old (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import smtplib
import socket
import time
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any
from urllib.parse import urlparse

import httpx

from services.core.config import NotificationSettings
from services.models import Notification

SIGNATURE_HEADER = "X-QCP-Signature"
TIMESTAMP_HEADER = "X-QCP-Timestamp"
DELIVERY_HEADER = "X-QCP-Delivery"


class DeliveryFailed(RuntimeError):
    """The receiving server refused or could not be reached (the job retries)."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, max_age: int = 300) -> bool:
    """What a receiver does (used by the tests' receiver; receivers may copy it)."""
    if abs(time.time() - int(timestamp)) > max_age:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def payload_of(notification: Notification, delivery_id: int) -> dict[str, Any]:
    return {
        "id": str(notification.id),
        "delivery_id": delivery_id,
        "kind": notification.kind,
        "province_code": notification.province_code,
        "hospital_id": notification.hospital_id,
        "audience": notification.audience,
        "title": notification.title,
        "title_en": notification.title_en,
        "body": notification.body,
        "body_en": notification.body_en,
        "data": notification.payload,
        "created_at": notification.created_at.isoformat(),
    }


def private_target(url: str) -> str | None:
    """Why ``url`` points inside the platform's network (loopback, private, link-local, a single-label
    host such as ``postgres``), or None. Checked at registration and again, resolved, before sending."""
    host = urlparse(url).hostname or ""
    if "." not in host and ":" not in host:
        return f"host {host!r} is a single-label (internal) name"
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return None  # unresolvable now: the delivery fails and is retried
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            return f"host {host!r} resolves to the internal address {address}"
    return None


def post_webhook(
    url: str, secret: str, payload: dict[str, Any], *, delivery_id: int, settings: NotificationSettings
) -> int:
    """POST the signed payload; the status code, or DeliveryFailed on anything but 2xx."""
    if not settings.webhook_allow_private:
        problem = private_target(url)
        if problem:
            raise DeliveryFailed(f"refused: {problem} (QCP_WEBHOOK_ALLOW_PRIVATE is off)")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        DELIVERY_HEADER: str(delivery_id),
        "User-Agent": "QCP-webhooks/1",
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=settings.webhook_timeout)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}", response.status_code)
    return response.status_code


def email_message(notification: Notification, to: str, settings: NotificationSettings) -> EmailMessage:
    """Chinese first, then the English part, in one UTF-8 plain-text message."""
    msg = EmailMessage()
    msg["Subject"] = f"{notification.title} / {notification.title_en}"
    msg["From"] = formataddr(("医疗质控平台 QCP", settings.mail_from))
    msg["To"] = to
    msg["Message-ID"] = make_msgid(idstring=str(notification.id).replace("-", ""), domain="qcp")
    msg["Content-Language"] = "zh-CN, en"
    link = f"{settings.public_url.rstrip('/')}/dash/"
    msg.set_content(
        f"{notification.title}\n\n{notification.body}\n\n查看：{link}\n\n"
        f"—— English ——\n\n{notification.title_en}\n\n{notification.body_en}\n\nOpen: {link}\n"
    )
    return msg


def send_email(message: EmailMessage, settings: NotificationSettings) -> None:
    if not settings.smtp_host:
        raise DeliveryFailed("QCP_SMTP_HOST is not set: e-mail is off (set it, then retry the delivery)")
    smtp_cls = smtplib.SMTP_SSL if settings.smtp_ssl else smtplib.SMTP
    try:
        with smtp_cls(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"SMTP {type(exc).__name__}: {exc}") from exc
