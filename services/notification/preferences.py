"""Channels on or off per kind: a user's own choice wins over the organisation's; default on."""

from __future__ import annotations

from collections.abc import Iterable

from services.models import NotificationPreference

Key = tuple[str | None, int | None, str | None, str, str]  # province, hospital, subject, kind, channel


class Preferences:
    def __init__(self, rows: Iterable[NotificationPreference]) -> None:
        self._rows: dict[Key, bool] = {
            (r.province_code, r.hospital_id, r.subject, r.kind, r.channel): r.enabled for r in rows
        }

    def enabled(
        self, province: str | None, hospital: int | None, subject: str | None, kind: str, channel: str
    ) -> bool:
        if subject is not None:
            own = self._rows.get((province, hospital, subject, kind, channel))
            if own is not None:
                return own
        return self._rows.get((province, hospital, None, kind, channel), True)
