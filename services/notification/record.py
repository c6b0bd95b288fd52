"""Recording a notification in the caller's transaction (and queuing its fan-out job).

An event noticed twice (a periodic job run twice, a retried request) carries the same
``dedup_key`` and is stored once. The insert has no RETURNING: a hospital recording an event for
its QC center may write that row but not read it back (row-level security).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from services.jobs import queue
from services.notification.messages import words

FAN_OUT_TASK = "notification.fan_out"

# no conflict target: naming one needs SELECT on the row, which the writer may lack
_INSERT = sql(
    "INSERT INTO notifications (id, province_code, hospital_id, audience, kind, dedup_key, title, title_en,"
    " body, body_en, payload) VALUES (:id, :province_code, :hospital_id, :audience, :kind, :dedup_key,"
    " :title, :title_en, :body, :body_en, CAST(:payload AS jsonb)) ON CONFLICT DO NOTHING"
)


def record(
    session: Session,
    *,
    kind: str,
    dedup_key: str,
    province_code: str | None,
    hospital_id: int | None = None,
    audience: str = "hospital",
    payload: dict[str, Any],
) -> uuid.UUID | None:
    """Store the notification unless its ``dedup_key`` is known; the new id, or None if it was."""
    text = words(kind, payload)
    new_id = uuid.uuid4()
    params = {
        "id": new_id,
        "province_code": province_code,
        "hospital_id": hospital_id if audience == "hospital" else None,
        "audience": audience,
        "kind": kind,
        "dedup_key": dedup_key,
        "title": text.title,
        "title_en": text.title_en,
        "body": text.body,
        "body_en": text.body_en,
        "payload": json.dumps(payload, ensure_ascii=False),
    }
    # plain SQL: SQLAlchemy's insert() construct reports rowcount 1 for a row ON CONFLICT skipped
    if session.execute(_INSERT, params).rowcount == 0:  # type: ignore[attr-defined]
        return None
    queue.defer(session, FAN_OUT_TASK, {"notification_id": str(new_id)}, queueing_lock=f"fan-out:{new_id}")
    return new_id
