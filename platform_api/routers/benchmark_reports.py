"""``/api/v1/rollups`` and ``/api/v1/hospitals/{id}/feedback-report/{quarter}.html|.pdf``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import (
    BINARY,
    E403_ROLLUP,
    E503_PDF,
    FEEDBACK_HTML,
    ROLLUPS,
    TEXT,
    error,
    ok,
)
from platform_api.routers.benchmarks import READ_REFUSED, QuarterParam, parse_quarter
from platform_api.routers.registry import BAD_PARAMETERS, NOT_FOUND, forbidden
from services.benchmark import report, rollups
from services.core.errors import ValidationFailed

router = APIRouter(prefix="/api/v1", tags=["benchmarks"])


@router.get(
    "/rollups",
    summary="全国汇总 / national rollups by province",
    description="各省的完整率、合并率、中位数与落后数，省级漏斗图与 8 个季度的趋势；省级账号只看到本省 / "
    "per province: completeness, pooled rate, median, laggards; a funnel of provinces and an "
    "8-quarter trend. Provincial accounts see their own province.",
    responses={
        200: ok(ROLLUPS),
        403: error("医院账号无权查看汇总 / hospital accounts may not read roll-ups", E403_ROLLUP),
        **BAD_PARAMETERS,
    },
)
def get_rollups(
    session: DbSession,
    actor: CurrentActor,
    quarter: QuarterParam,
    indicator: Annotated[str | None, Query(examples=["NIT-2023-I.1"])] = None,
) -> dict:
    return rollups.rollup(session, actor, quarter=parse_quarter(quarter), indicator=indicator)


@router.get(
    "/hospitals/{hospital_id}/feedback-report/{filename}",
    summary="质控反馈报告 / quarterly feedback report (2023Q3.html or 2023Q3.pdf)",
    description="HTML 可直接打印；PDF 由服务器上的 Chromium 生成 / the HTML prints as is; the PDF is printed "
    "by Chromium on the server.",
    responses={
        200: {
            "description": "text/html（.html）或 application/pdf（.pdf）",
            "content": {
                "text/html": {"schema": TEXT, "example": FEEDBACK_HTML},
                "application/pdf": {"schema": BINARY},
            },
        },
        **NOT_FOUND,
        **forbidden(READ_REFUSED),
        **BAD_PARAMETERS,
        503: error("服务器无 Chromium / no Chromium for PDF", E503_PDF),
    },
)
def get_feedback_report(
    session: DbSession,
    actor: CurrentActor,
    hospital_id: Annotated[int, Path()],
    filename: Annotated[str, Path(examples=["2023Q3.html", "2023Q3.pdf"])],
) -> Response:
    stem, _, suffix = filename.rpartition(".")
    if suffix not in ("html", "pdf"):
        raise ValidationFailed(
            "报告格式应为 .html 或 .pdf / the report is 2023Q3.html or 2023Q3.pdf",
            problems=[{"field": "filename", "problem": "use <quarter>.html or <quarter>.pdf"}],
        )
    quarter = parse_quarter(stem)
    if suffix == "html":
        return HTMLResponse(report.feedback_html(session, actor, hospital_id=hospital_id, quarter=quarter))
    pdf = report.feedback_pdf(session, actor, hospital_id=hospital_id, quarter=quarter)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="feedback-{hospital_id}-{quarter}.pdf"'},
    )
