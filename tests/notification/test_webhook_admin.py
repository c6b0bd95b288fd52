"""An organisation's admin manages its own webhook endpoints and e-mail addresses over HTTP (real
signed tokens): lists them without secrets, switches an endpoint off and on, rotates its signing
secret (a real receiver then accepts only the new one), removes an address; other hospitals, another
province and the provincial QC center cannot touch a hospital's endpoints, a viewer cannot manage."""

from __future__ import annotations

from sqlalchemy import text

from services.core.actor import Actor, Role, system_actor
from services.notification.record import record
from tests.api_harness import LiveApi
from tests.notification.conftest import QUARTER, World
from tests.notification.support import Receiver, run_worker_until_idle, webhook_receiver
from tests.submission.support import GD, ZJ


def _notify(world: World, hospital_id: int, key: str) -> None:
    with world.database.unit_of_work(system_actor("tests")) as s:
        record(
            s,
            kind="due_soon",
            dedup_key=key,
            province_code=ZJ,
            hospital_id=hospital_id,
            payload={
                "hospital_id": hospital_id,
                "hospital_name": "浙江乙医院",
                "quarter": QUARTER,
                "days": 1,
                "due_at": "-",
            },
        )


def _audit(world: World, entity: str) -> list[tuple[str, str]]:
    with world.database.unit_of_work(None) as s:
        s.execute(text("SELECT set_config('app.all_provinces', 'on', true)"))
        rows = s.execute(
            text(
                "SELECT action, coalesce(before::text, '') || coalesce(after::text, '') FROM audit_log"
                " WHERE entity = :e ORDER BY id"
            ),
            {"e": entity},
        )
        return [(a, body) for a, body in rows]


def test_a_hospital_switches_and_rotates_only_its_own_webhook(world: World, live: LiveApi) -> None:
    b = live.client_for(world.submitter(world.b))
    with webhook_receiver(Receiver()) as hook:
        created = b.post("/api/v1/notifications/webhooks", json={"url": hook.url})
        assert created.status_code == 201
        hook_id, first_secret = created.json()["id"], created.json()["secret"]
        listed = b.get("/api/v1/notifications/webhooks").json()
        assert [w["id"] for w in listed] == [hook_id] and listed[0]["active"] is True
        assert "secret" not in listed[0]

        # nobody else manages it: another hospital, the provincial QC center, another province
        others = {
            "other hospital": live.client_for(world.submitter(world.a)),
            "provincial admin": live.client_for(world.admin()),
            "other province": live.client_for(world.admin(GD)),
        }
        for who, client in others.items():
            assert hook_id not in [w["id"] for w in client.get("/api/v1/notifications/webhooks").json()], who
            off = client.patch(f"/api/v1/notifications/webhooks/{hook_id}", json={"active": False})
            assert off.status_code == 404, who
            assert client.post(f"/api/v1/notifications/webhooks/{hook_id}/rotate-secret").status_code == 404
        viewer = live.client_for(
            Actor(
                subject="b-viewer", roles=frozenset({Role.HOSPITAL_VIEWER}), province=ZJ, hospital_id=world.b
            )
        )
        refused = viewer.post(f"/api/v1/notifications/webhooks/{hook_id}/rotate-secret")
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"

        rotated = b.post(f"/api/v1/notifications/webhooks/{hook_id}/rotate-secret").json()
        assert rotated["id"] == hook_id and rotated["secret"] != first_secret
        hook.secret = first_secret  # a receiver still checking the old secret refuses the delivery
        _notify(world, world.b, "admin-1")
        run_worker_until_idle(world.app_url)
        assert hook.refused == 1 and hook.hits == []
        hook.secret = rotated["secret"]
        _notify(world, world.b, "admin-2")
        run_worker_until_idle(world.app_url)
        assert [h["kind"] for h in hook.hits] == ["due_soon"]

        off = b.patch(f"/api/v1/notifications/webhooks/{hook_id}", json={"active": False})
        assert off.status_code == 200 and off.json()["active"] is False
        _notify(world, world.b, "admin-3")
        run_worker_until_idle(world.app_url)
        assert len(hook.hits) == 1  # switched off: nothing posted
        hooks_log = [d for d in b.get("/api/v1/notifications/deliveries").json() if d["channel"] == "webhook"]
        assert len(hooks_log) == 2  # none made for the switched-off endpoint
        on = b.patch(f"/api/v1/notifications/webhooks/{hook_id}", json={"active": True})
        assert on.json()["active"] is True
        _notify(world, world.b, "admin-4")
        run_worker_until_idle(world.app_url)
        assert len(hook.hits) == 2
        bad = b.patch(f"/api/v1/notifications/webhooks/{hook_id}", json={"active": "maybe"})
        assert bad.status_code == 422

    actions = _audit(world, "webhook_endpoint")
    assert [a for a, _ in actions] == ["webhook.rotate_secret", "webhook.disable", "webhook.enable"]
    assert not any(first_secret in body or rotated["secret"] in body for _, body in actions)


def test_addresses_are_listed_and_removed_by_their_owner(world: World, live: LiveApi) -> None:
    a = live.client_for(world.submitter(world.a))
    assert (
        a.post(
            "/api/v1/notifications/contacts", json={"email": "qc@a.example.cn", "organisation": True}
        ).status_code
        == 201
    )
    viewer_actor = Actor(
        subject="a-viewer", roles=frozenset({Role.HOSPITAL_VIEWER}), province=ZJ, hospital_id=world.a
    )
    viewer = live.client_for(viewer_actor)
    assert viewer.post("/api/v1/notifications/contacts", json={"email": "me@a.example.cn"}).status_code == 201

    shared = [c for c in a.get("/api/v1/notifications/contacts").json() if c["organisation"]]
    assert [c["email"] for c in shared] == ["qc@a.example.cn"]
    mine = viewer.get("/api/v1/notifications/contacts").json()
    assert [(c["email"], c["organisation"]) for c in mine] == [
        ("me@a.example.cn", False)
    ]  # not the shared one

    assert (
        viewer.delete(f"/api/v1/notifications/contacts/{shared[0]['id']}").status_code == 403
    )  # its own org: a right it lacks
    assert (
        live.client_for(world.submitter(world.b))
        .delete(f"/api/v1/notifications/contacts/{shared[0]['id']}")
        .status_code
        == 404
    )
    assert (
        live.client_for(world.admin(GD)).delete(f"/api/v1/notifications/contacts/{mine[0]['id']}").status_code
        == 404
    )
    assert viewer.delete(f"/api/v1/notifications/contacts/{mine[0]['id']}").json() == {"ok": True}
    assert a.delete(f"/api/v1/notifications/contacts/{shared[0]['id']}").json() == {"ok": True}
    assert [c for c in a.get("/api/v1/notifications/contacts").json() if c["organisation"]] == []
    assert [a for a, _ in _audit(world, "notification_contact")] == ["notification_contact.remove"] * 2
