"""A tenant cannot point the worker at the platform's own network (SSRF): loopback, private,
link-local and single-label hosts are refused at registration and again before sending."""

from __future__ import annotations

import pytest

from services.core.actor import Actor, Role
from services.core.config import NotificationSettings, notification_settings
from services.core.errors import ValidationFailed
from services.notification import channels, manage


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://postgres:5432/",
        "http://keycloak:8080/admin",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
    ],
)
def test_internal_targets_are_named(url: str) -> None:
    assert channels.private_target(url)


def test_a_public_address_is_not_internal() -> None:
    assert channels.private_target("https://93.184.216.34/hook") is None


def test_sending_to_an_internal_address_is_refused_without_a_request() -> None:
    settings = NotificationSettings(webhook_allow_private=False)
    with pytest.raises(channels.DeliveryFailed, match="internal address"):
        channels.post_webhook("http://127.0.0.1:9/x", "s", {}, delivery_id=1, settings=settings)


def test_registration_refuses_an_internal_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QCP_WEBHOOK_ALLOW_PRIVATE", "false")
    notification_settings.cache_clear()
    actor = Actor(subject="s", roles=frozenset({Role.HOSPITAL_SUBMITTER}), province="330000", hospital_id=1)
    try:
        with pytest.raises(ValidationFailed) as refused:
            manage.add_webhook(None, actor, webhook=manage.WebhookIn(url="http://postgres:5432/"))  # type: ignore[arg-type]
        assert refused.value.problems[0]["field"] == "url"
    finally:
        monkeypatch.delenv("QCP_WEBHOOK_ALLOW_PRIVATE")
        notification_settings.cache_clear()
