"""Use cases of the file and FHIR adapters: templates, uploads, FHIR submissions, Measures.

Each parses its input into ``ValueIn`` rows and calls :func:`service.submit`, the one entry point
for hospital data; problems ``submit`` reports are mapped back to file rows or FHIR paths.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.core.quarter import Quarter
from services.models import Hospital, Indicator
from services.registry import credit_code as cc
from services.registry.hospitals import find_by_credit_code
from services.submission import ports
from services.submission import repository as repo
from services.submission.access import hospital_for
from services.submission.fhir import parse_fhir
from services.submission.fhir_common import FhirInvalid, FhirSubmission, issue
from services.submission.fhir_resources import measure_resource, outcome_for
from services.submission.io_common import (
    FileUnreadable,
    ParsedRow,
    TemplateIndicator,
    TemplateMeta,
    UnsupportedFileType,
    to_values,
    with_row_numbers,
)
from services.submission.io_csv import csv_template, parse_csv
from services.submission.io_template import XLSX_MEDIA_TYPE, xlsx_template
from services.submission.io_xlsx import parse_xlsx
from services.submission.schemas import SubmissionResult
from services.submission.service import submit
from services.submission.validation import check_indicator

CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"})
XLSX_TYPES = frozenset({XLSX_MEDIA_TYPE})
GENERIC_TYPES = frozenset({"application/octet-stream", ""})


def _indicators(session: Session, hospital: Hospital, quarter: Quarter) -> list[TemplateIndicator]:
    """The quarter's catalog indicators that apply to the hospital, in catalog order."""
    if not repo.catalog_published(session, quarter.year):
        raise ValidationFailed(
            f"{quarter.year} 年目标目录尚未发布，暂无模板 / "
            f"the {quarter.year} catalog is not published: no template yet",
            problems=[{"field": "quarter", "code": "catalog_not_published"}],
        )
    infos = repo.year_indicators(session, quarter.year)
    skipped = repo.not_applicable_reasons(session, hospital.id, infos.values())
    ids = [info.id for code, info in infos.items() if code not in skipped]
    rows = {i.id: i for i in session.execute(select(Indicator).where(Indicator.id.in_(ids))).scalars()}
    return [
        TemplateIndicator(rows[i].code, rows[i].name, rows[i].numerator, rows[i].denominator, rows[i].unit)
        for i in ids
    ]


def _with_values_on_record(
    session: Session, actor: Actor, hospital_id: int, quarter: Quarter, indicators: list[TemplateIndicator]
) -> list[TemplateIndicator]:
    header = repo.load_header(session, actor, hospital_id, quarter)
    if header is None:
        return indicators
    current = repo.current_values(session, header.id)
    return [
        replace(
            item,
            reported_numerator=current[item.code].numerator,
            reported_denominator=current[item.code].denominator,
            reported_comment=current[item.code].comment or None,
        )
        if item.code in current
        else item
        for item in indicators
    ]


def template_for(
    session: Session, actor: Actor, *, hospital_id: int, quarter: Quarter, kind: str, prefill: bool = False
) -> bytes:
    """The ``kind`` ("xlsx" or "csv") template for one hospital and quarter; with ``prefill`` the
    values on record fill 分子 / 分母 / 备注 (a correction starts from what was sent)."""
    hospital = hospital_for(session, actor, hospital_id, "submission.read")
    meta = TemplateMeta(hospital.id, quarter, quarter.year)
    indicators = _indicators(session, hospital, quarter)
    if prefill:
        indicators = _with_values_on_record(session, actor, hospital.id, quarter, indicators)
    if kind == "csv":
        return csv_template(meta, indicators)
    return xlsx_template(meta, indicators, hospital_name=hospital.name)


OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: legacy .xls, or an encrypted .xlsx
# An .xlsx saved with a password is not a zip: Office wraps it in a compound file whose directory
# names these two streams (MS-OFFCRYPTO); their UTF-16 names are what tells it from a legacy .xls.
ENCRYPTED_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))


def _refuse_compound_file(data: bytes) -> None:
    if all(name in data for name in ENCRYPTED_STREAMS):
        raise FileUnreadable(
            "工作簿设置了打开密码（已加密），无法读取；请在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → "
            "用密码进行加密，清空密码）后另存为 .xlsx 再上传 / the workbook is password-protected (encrypted) "
            "and cannot be read: remove the password in Excel (File → Info → Protect Workbook → Encrypt "
            "with Password, clear it), save as .xlsx and upload again",
            problems=[{"code": "password_protected"}],
        )
    raise UnsupportedFileType(
        "不支持旧版 .xls 文件，请另存为 .xlsx / legacy .xls is not supported: save as .xlsx"
    )


def detect_kind(content_type: str | None, filename: str | None, data: bytes) -> str:
    """ "csv" or "xlsx" from the declared type and the bytes; the file name is only a hint."""
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    head = data[:8]
    is_zip = head.startswith(b"PK\x03\x04")
    if head.startswith(OLE_SIGNATURE[:4]):
        _refuse_compound_file(data)
    hint = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if declared in XLSX_TYPES or (declared in GENERIC_TYPES and (is_zip or hint == "xlsx")):
        if not is_zip:
            raise UnsupportedFileType("文件内容不是 XLSX 工作簿 / the content is not an XLSX workbook")
        return "xlsx"
    if declared in CSV_TYPES or (declared in GENERIC_TYPES and hint == "csv"):
        if is_zip:
            raise UnsupportedFileType("文件内容是压缩包而不是 CSV / the content is a zip archive, not CSV")
        return "csv"
    raise UnsupportedFileType(
        f"不支持的文件类型 {declared or '(未声明)'}：请上传 CSV 或 XLSX / unsupported file type "
        f"{declared or '(none)'}: upload CSV (text/csv) or XLSX",
        content_type=declared,
    )


def _parse_file(data: bytes, kind: str, meta: TemplateMeta) -> list[ParsedRow]:
    rows = parse_xlsx(data, expected=meta) if kind == "xlsx" else parse_csv(data, expected=meta)
    if not rows:
        raise ValidationFailed(
            "文件中没有填写任何数据 / the file has no filled-in rows",
            problems=[{"code": "no_rows", "problem": "没有数据行 / no data rows"}],
        )
    return rows


def submit_upload(
    session: Session,
    actor: Actor,
    *,
    hospital_id: int,
    quarter: Quarter,
    data: bytes,
    kind: str,
    dry_run: bool = False,
    idempotency_key: str | None = None,
    reason: str | None = None,
) -> SubmissionResult:
    """Parse a CSV or XLSX upload and submit it; problems carry the file row they came from.

    ``reason`` is the correction reason (更正原因), required like on every channel when the upload
    changes a quarter that was already submitted."""
    hospital = hospital_for(session, actor, hospital_id, "submission.write")
    rows = _parse_file(data, kind, TemplateMeta(hospital.id, quarter, quarter.year))
    values = to_values(rows)
    try:
        return submit(
            session,
            actor,
            hospital_id=hospital.id,
            quarter=quarter,
            values=values,
            source=kind,
            dry_run=dry_run,
            idempotency_key=idempotency_key,
            reason=(reason or "").strip() or None,
        )
    except ValidationFailed as exc:
        raise with_row_numbers(exc, rows) from None


def _fhir_hospital(session: Session, actor: Actor, parsed: FhirSubmission) -> Hospital:
    where = f"{parsed.reports[0].path}.reporter.identifier.value"
    if actor.hospital_id is not None:
        own = hospital_for(session, actor, actor.hospital_id, "submission.write")
        if cc.normalize(parsed.credit_code) != own.credit_code:
            raise PermissionDenied(
                f"报告中的医院（{parsed.credit_code}）不是您账号所属的医院（{own.credit_code}）/ the report "
                f"identifies hospital {parsed.credit_code}, but your account belongs to {own.credit_code}",
                issues=[issue("forbidden", where, "医院与账号不符", "hospital does not match your account")],
            )
        return own
    hospital = find_by_credit_code(session, actor, credit_code=parsed.credit_code)
    if hospital is None:
        raise FhirInvalid(
            [
                issue(
                    "not-found",
                    where,
                    f"没有统一社会信用代码为 {parsed.credit_code} 的医院",
                    f"no hospital with credit code {parsed.credit_code} in your scope",
                )
            ]
        )
    return hospital


def _check_measures(session: Session, parsed: FhirSubmission) -> None:
    """Every Measure must be an indicator of the quarter's catalog year (``not-found`` otherwise).

    A code of an earlier year names its successor or says it was retired, as JSON and CSV do
    (``check_indicator``); inside a Bundle the diagnostics name the indicator as well as the path."""
    year = parsed.quarter.year
    known = set(repo.year_indicators(session, year))
    unknown = [r for r in parsed.reports if r.indicator not in known]
    if not unknown:
        return
    infos = repo.indicators_by_code(session, {r.indicator for r in unknown})
    issues = []
    for r in unknown:
        info = infos.get(r.indicator)
        successor = ports.successor_of(session, r.indicator, year) if info and info.year != year else None
        found = check_indicator(r.indicator, info, year, successor)
        text = f"{found[0].problem}；{found[0].fix}" if found else f"{year} 年目录中没有指标 {r.indicator}"
        issues.append(
            {
                "severity": "error",
                "code": "not-found",
                "diagnostics": f"指标 {r.indicator} / indicator {r.indicator}: {text}",
                "expression": [f"{r.path}.measure"],
            }
        )
    raise FhirInvalid(issues)


def submit_fhir(
    session: Session,
    actor: Actor,
    *,
    document: Any,
    expect: str,
    dry_run: bool = False,
    idempotency_key: str | None = None,
) -> tuple[SubmissionResult, FhirSubmission]:
    """Read a MeasureReport or Bundle and submit it; errors name FHIRPath expressions."""
    parsed = parse_fhir(document, expect=expect)
    hospital = _fhir_hospital(session, actor, parsed)
    _check_measures(session, parsed)
    try:
        result = submit(
            session,
            actor,
            hospital_id=hospital.id,
            quarter=parsed.quarter,
            values=parsed.values(),
            source="fhir",
            dry_run=dry_run,
            idempotency_key=idempotency_key,
        )
    except FhirInvalid:
        raise
    except ValidationFailed as exc:  # name the FHIRPath of each problem the service found
        raise FhirInvalid(outcome_for(exc, parsed)[1]["issue"], detail=exc.detail) from None
    return result, parsed


def measure_for(session: Session, *, code: str, base: str | None = None) -> dict[str, Any]:
    """The FHIR Measure of one catalog indicator (catalog data is public)."""
    indicator = session.execute(select(Indicator).where(Indicator.code == code)).scalar_one_or_none()
    if indicator is None:
        raise NotFound(f"指标 {code} 不存在 / indicator {code} does not exist")
    return measure_resource(indicator, base)
