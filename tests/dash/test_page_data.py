"""Data behind the heat map, the hospital trend across catalog years and the network admin forms
(the demo database, the restricted app role, the same services as the API)."""

from __future__ import annotations

from dash_app import data, data_registry, data_submission
from services.core.actor import Actor, Role
from services.core.quarter import Quarter

Q = Quarter(2023, 4)
ZJ_ANALYST = Actor(subject="t", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="330000")
ZJ_ADMIN = Actor(subject="t-admin", roles=frozenset({Role.PROVINCIAL_ADMIN}), province="330000")
GD_ADMIN = Actor(subject="t-gd", roles=frozenset({Role.PROVINCIAL_ADMIN}), province="440000")


def test_completeness_names_not_applicable_cells_with_reasons(demo_db) -> None:  # noqa: ANN001
    report = data.completeness(demo_db[1], ZJ_ANALYST, quarter=Q, province="330000")
    marked = [(h, code, reason) for h in report["hospitals"] for code, reason in h["not_applicable"].items()]
    assert marked, "the demo marks some goals not applicable"
    shown = {i["indicator"] for i in report["indicators"]}
    for hospital, code, reason in marked:
        assert reason and code not in hospital["missing_indicators"]
    assert any(code in shown for _, code, _ in marked)  # at least one such cell is on the heat map


def test_hospital_trend_follows_comparable_lineage_into_the_previous_year(demo_db) -> None:  # noqa: ANN001
    _, database, hospitals, _ = demo_db
    series = data.hospital_series(database, ZJ_ANALYST, hospitals["H001"], Q, "NIT-2023-VIII.1")
    assert [p["quarter"] for p in series["points"]] == [f"{y}Q{q}" for y in (2022, 2023) for q in range(1, 5)]
    assert {p["indicator_code"] for p in series["points"][:4]} == {"NIT-2022-VI.2"}
    assert {p["segment"] for p in series["points"]} == {0} and series["break"] is None
    assert any(p["pooled"] is not None for p in series["points"][:4])


def test_hospital_trend_breaks_where_the_lineage_is_not_comparable(demo_db) -> None:  # noqa: ANN001
    _, database, hospitals, _ = demo_db
    series = data.hospital_series(database, ZJ_ANALYST, hospitals["H001"], Q, "NIT-2023-IX.1")
    assert [p["segment"] for p in series["points"]] == [0] * 4 + [1] * 4
    assert series["break"]["from_code"] == "NIT-2022-V.1" and "不可比" in series["break"]["reason"]


def test_new_indicator_trend_starts_with_its_year(demo_db) -> None:  # noqa: ANN001
    _, database, hospitals, _ = demo_db
    series = data.hospital_series(database, ZJ_ANALYST, hospitals["H001"], Q, "NIT-2023-VIII.2")
    assert [p["quarter"] for p in series["points"]] == [f"2023Q{q}" for q in range(1, 5)]


def test_admin_creates_network_adds_member_and_refuses_overlap(demo_db) -> None:  # noqa: ANN001
    _, database, hospitals, _ = demo_db
    center = data_registry.qc_center_options(database, ZJ_ADMIN)[0]["value"]
    made = data_registry.create_network(
        database, ZJ_ADMIN, qc_center_id=center, kind="sentinel", name="测试哨点网络"
    )
    network = made["ok"]["id"]
    added = data_registry.add_member(
        database,
        ZJ_ADMIN,
        network_id=network,
        hospital_id=hospitals["H003"],
        valid_from="2023-01-01",
        valid_to="",
    )
    assert "ok" in added, added
    overlap = data_registry.add_member(
        database,
        ZJ_ADMIN,
        network_id=network,
        hospital_id=hospitals["H003"],
        valid_from="2023-06-01",
        valid_to="2023-09-01",
    )
    assert "重叠" in overlap["detail"] and "overlapping" in overlap["detail"]
    backwards = data_registry.end_membership(
        database, ZJ_ADMIN, network_id=network, membership_id=added["ok"]["id"], valid_to="2022-12-01"
    )
    assert backwards["problems"][0]["field"] == "valid_to"
    ended = data_registry.end_membership(
        database,
        ZJ_ADMIN,
        network_id=network,
        membership_id=added["ok"]["id"],
        valid_to="2023-07-01",
        reason="退出 / left",
    )
    assert ended["ok"]["valid_to"] == "2023-07-01"
    rows = data_registry.memberships(database, ZJ_ADMIN, network)
    assert [(r["valid_from"], r["valid_to"]) for r in rows] == [("2023-01-01", "2023-07-01")]


def test_admin_form_errors_name_the_field(demo_db) -> None:  # noqa: ANN001
    _, database, hospitals, _ = demo_db
    bad_date = data_registry.add_member(
        database,
        ZJ_ADMIN,
        network_id=1,
        hospital_id=hospitals["H003"],
        valid_from="2023-13-45",
        valid_to=None,
    )
    assert [p["field"] for p in bad_date["problems"]] == ["valid_from"]
    no_name = data_registry.create_network(database, ZJ_ADMIN, qc_center_id=1, kind="sentinel", name="")
    assert [p["field"] for p in no_name["problems"]] == ["name"]


def test_admin_cannot_add_another_provinces_hospital(demo_db) -> None:  # noqa: ANN001
    _, database, hospitals, _ = demo_db
    zj_network = next(
        n["id"] for n in data_submission.networks(database, ZJ_ADMIN) if n["province_code"] == "330000"
    )
    assert zj_network not in {o["value"] for o in data_registry.network_options(database, GD_ADMIN)}
    answer = data_registry.add_member(
        database,
        ZJ_ADMIN,
        network_id=zj_network,
        hospital_id=hospitals["H025"],
        valid_from="2023-01-01",
        valid_to=None,
    )
    assert "ok" not in answer and "不存在" in answer["detail"]


def test_submission_actions_need_a_hospital_user(demo_db) -> None:  # noqa: ANN001
    # The page passes the signed-in user's hospital (None for staff): refused in words, nothing stored.
    _, database, _, _ = demo_db
    answer = data_submission.submit_values(
        database,
        ZJ_ADMIN,
        hospital_id=ZJ_ADMIN.hospital_id,
        quarter=Q,
        values=[{"indicator": "NIT-2023-I.1", "numerator": 1, "denominator": 2}],
        reason=None,
        dry_run=True,
    )
    assert "ok" not in answer and "只有医院用户可以填报" in answer["detail"]
