"""The words of each notification kind, Chinese first and English second."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KIND_LABELS: dict[str, tuple[str, str]] = {
    "window_opened": ("上报窗口开放", "submission window opened"),
    "due_soon": ("上报截止临近", "due date approaching"),
    "submission_returned": ("上报被退回", "submission returned"),
    "correction_awaiting_review": ("更正待审核", "correction awaiting review"),
    "flags_frozen": ("季度预警已冻结", "quarter's flags frozen"),
    "catalog_published": ("目标目录发布", "catalog year published"),
}

_TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    # kind: (title, title_en, body, body_en); fields come from the notification's payload
    "window_opened": (
        "{quarter} 上报窗口已开放",
        "{quarter} submission window is open",
        "{hospital_name}：{quarter} 的数据上报已开放，截止时间 {due_at}。",
        "{hospital_name}: reporting for {quarter} is open; due {due_at}.",
    ),
    "due_soon": (
        "{quarter} 上报将于 {days} 天后截止",
        "{quarter} data due in {days} days",
        "{hospital_name} 尚未提交 {quarter} 的数据，截止时间 {due_at}。",
        "{hospital_name} has not submitted {quarter}; it is due {due_at}.",
    ),
    "submission_returned": (
        "{quarter} 上报被退回",
        "{quarter} submission returned",
        "{hospital_name} 的 {quarter} 上报被质控中心退回，请更正后重新提交。意见：{comment}",
        "The QC center returned {hospital_name}'s {quarter} submission; correct and resubmit. "
        "Comment: {comment}",
    ),
    "correction_awaiting_review": (
        "{hospital_name} {quarter} 更正待审核",
        "{hospital_name} {quarter}: correction awaiting review",
        "{hospital_name} 已更正并重新提交 {quarter} 的数据（版本 {version}），等待审核。",
        "{hospital_name} corrected and resubmitted {quarter} (version {version}); it awaits review.",
    ),
    "flags_frozen": (
        "{quarter} 预警已冻结：{count} 条",
        "{quarter} flags frozen: {count}",
        "{who} {quarter} 的预警已冻结，共 {count} 条（{kinds}）。",
        "{who_en}: {quarter}'s flags are frozen, {count} in all ({kinds}).",
    ),
    "catalog_published": (
        "{year} 年目标目录已发布（第 {revision} 版）",
        "{year} goal catalog published (revision {revision})",
        "{year} 年国家医疗质量安全改进目标目录已发布（第 {revision} 版）。",
        "The {year} national quality and safety improvement goal catalog is published (revision {revision}).",
    ),
}


@dataclass(frozen=True)
class Words:
    title: str
    title_en: str
    body: str
    body_en: str


def words(kind: str, payload: dict[str, Any]) -> Words:
    title, title_en, body, body_en = _TEMPLATES[kind]
    return Words(
        title.format(**payload), title_en.format(**payload), body.format(**payload), body_en.format(**payload)
    )
