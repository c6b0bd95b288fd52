"""Everything the dashboards read, through the same services and scoped unit of work as the API.

Each function takes the ``Database`` and the session's ``Actor`` (never anything the browser
sent about who it is), opens one ``unit_of_work(actor)`` and returns plain data. Domain errors
(NotFound for anything outside the actor's scope) propagate to the page, which shows them.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import select, text

from services.benchmark import benchmarks as benchmark_service
from services.benchmark import early_warning, report, rollups, views, yoy
from services.benchmark import laggards as laggard_service
from services.benchmark.lineage import predecessors
from services.benchmark.queries import indicators_of_year
from services.benchmark.scope import resolve_scope
from services.catalog import queries as catalog_queries
from services.catalog.repository import published_years
from services.core.actor import Actor
from services.core.db import Database
from services.core.errors import DomainError, NotFound
from services.core.quarter import Quarter, quarter_range
from services.models import Goal, Hospital, IndicatorApplicability, Province
from services.registry.networks import list_networks
from services.registry.queries import hospitals_stmt, load_hospital
from services.submission import reads
from services.submission import repository as submission_repo
from services.submission.applicability import expected_for
from services.submission.completeness import completeness as completeness_service


def check_hospital_reach(actor: Actor, hospital_id: int) -> None:
    """Hospital users reach their own hospital only; same answer as a missing one (no probing)."""
    if actor.hospital_id is not None and actor.hospital_id != hospital_id:
        raise NotFound(
            f"医院 {hospital_id} 不存在 / hospital {hospital_id} does not exist", hospital=hospital_id
        )


# -- quarters and scopes --------------------------------------------------------------------------


def quarters(db: Database, actor: Actor) -> list[str]:
    """Quarters with any submission the actor can see, newest first (read once per request: a page
    asks for its default quarter and for the quarter picker)."""
    if has_request_context() and g.get("qcp_quarters", (None,))[0] == actor:
        return list(g.qcp_quarters[1])
    with db.unit_of_work(actor) as session:
        rows = session.execute(
            text("SELECT DISTINCT quarter FROM submissions ORDER BY quarter DESC")
        ).scalars()
        found = [q.strip() for q in rows]
    if has_request_context():
        g.qcp_quarters = (actor, found)
    return found


def default_quarter(db: Database, actor: Actor) -> Quarter:
    found = quarters(db, actor)
    return Quarter.parse(found[0]) if found else Quarter(2023, 4)


def scope_options(db: Database, actor: Actor) -> list[dict]:
    """Scopes the actor may benchmark in: its province (or the nation), networks and peer groups."""
    with db.unit_of_work(actor) as session:
        options = []
        if actor.is_national:
            options.append({"value": "nation", "label": "全国 / nation"})
        for p in session.scalars(
            select(Province).where(Province.onboarded_at.isnot(None)).order_by(Province.code)
        ):
            if actor.is_national or p.code == actor.province:
                options.append({"value": f"province:{p.code}", "label": f"{p.name} / {p.name_en}"})
        if actor.hospital_id is None:
            for n in list_networks(session, actor, active=True):
                if n.province_code == actor.province or actor.is_national:
                    options.append({"value": f"network:{n.id}", "label": n.name})
        groups = (
            hospitals_stmt(actor)
            .where(Hospital.active.is_(True))
            .with_only_columns(Hospital.level, Hospital.type, Hospital.province_code)
            .distinct()
        )
        for level, kind, province in sorted(tuple(g) for g in session.execute(groups)):
            if actor.is_national or province == actor.province:
                options.append(
                    {"value": f"peer:{level}{kind}@{province}", "label": f"{level}{kind} @{province}"}
                )
        return options


def province_names(db: Database, actor: Actor) -> dict[str, str]:
    with db.unit_of_work(actor) as session:
        return {p.code: p.name for p in session.scalars(select(Province))}


def hospital_options(db: Database, actor: Actor) -> list[dict]:
    with db.unit_of_work(actor) as session:
        rows = session.execute(hospitals_stmt(actor).order_by(Hospital.province_code, Hospital.id)).scalars()
        return [{"value": h.id, "label": f"{h.name} ({h.province_code})"} for h in rows]


# -- catalog --------------------------------------------------------------------------------------


def catalog_years(db: Database, actor: Actor) -> list[int]:
    with db.unit_of_work(actor) as session:
        return list(published_years(session))


def catalog_year_labels(db: Database, actor: Actor, lang: str) -> dict[int, str]:
    """Year → "2022（第 2 版）" / "2022 (rev. 2)": the current revision of each published year."""
    with db.unit_of_work(actor) as session:
        years = catalog_queries.list_years(session)
    en = lang == "en"
    return {
        y.year: f"{y.year} (rev. {y.revision})" if en else f"{y.year}（第 {y.revision} 版）" for y in years
    }


def catalog(db: Database, actor: Actor, year: int) -> dict:
    with db.unit_of_work(actor) as session:
        return catalog_queries.get_catalog(session, year).model_dump(mode="json")


def catalog_diff(db: Database, actor: Actor, from_year: int, to_year: int) -> dict:
    with db.unit_of_work(actor) as session:
        return catalog_queries.diff_years(session, from_year, to_year).model_dump(mode="json")


# -- benchmarks -----------------------------------------------------------------------------------


def indicator_options(db: Database, actor: Actor, year: int) -> list[dict]:
    """The year's indicators the actor benchmarks, each with its goal's list (``national`` for the
    国家目标, ``specialty`` for the 专业目标) for the page's goal filter."""
    with db.unit_of_work(actor) as session:
        infos = indicators_of_year(session, year, specialty=actor.specialty)
        lists = dict(
            session.execute(select(Goal.id, Goal.list).where(Goal.id.in_([i.goal_id for i in infos]))).all()
        )
        return [
            {
                "value": i.code,
                "label": f"{i.code} {i.name}",
                "label_en": f"{i.code} {i.name_en}",
                "kind": i.kind,
                "multiplier": i.multiplier,
                "unit": i.unit,
                "name": i.name,
                "name_en": i.name_en,
                "list": lists.get(i.goal_id, "national"),
            }
            for i in infos
        ]


def hospital_prefectures(db: Database, actor: Actor) -> dict[int, str]:
    """Hospital id → its prefecture's code (地市), for the hospitals the actor can see."""
    with db.unit_of_work(actor) as session:
        stmt = hospitals_stmt(actor).with_only_columns(Hospital.id, Hospital.prefecture_code)
        return {hospital_id: code for hospital_id, code in session.execute(stmt).all()}


def benchmark(
    db: Database,
    actor: Actor,
    *,
    quarter: Quarter,
    scope: str | None,
    indicator: str | None,
    overdispersion: bool | None = None,
) -> dict:
    """views.report_json of one indicator (or all): summary + visible hospital rows."""
    with db.unit_of_work(actor) as session:
        report = benchmark_service.benchmark(
            session, actor, quarter=quarter, scope=scope, indicator=indicator, overdispersion=overdispersion
        )
        return views.report_json(report)


def last_year(
    db: Database, actor: Actor, *, quarter: Quarter, scope: str | None, indicator: str
) -> dict | None:
    """The same scope's rows a year earlier for the indicator's predecessor in the catalog lineage
    (``{"quarter", "indicator_code", "rows"}``), or None where there is none or the lineage says the
    two do not compare (a point then would mislead)."""
    earlier = Quarter(quarter.year - 1, quarter.q)
    with db.unit_of_work(actor) as session:
        info = next(iter(indicators_of_year(session, quarter.year, indicator=indicator)), None)
        if info is None:
            return None
        pred = predecessors(session, [info.id])[info.id]
        if not pred.from_code or pred.from_year != earlier.year or not pred.compares:
            return None
        try:
            report = benchmark_service.benchmark(
                session, actor, quarter=earlier, scope=scope, indicator=pred.from_code
            )
        except (DomainError, ValueError):
            return None
        found = views.report_json(report)["indicators"]
        rows = found[0]["hospitals"] if found else []
        return {"quarter": str(earlier), "indicator_code": pred.from_code, "rows": rows}


def benchmark_table(
    db: Database,
    actor: Actor,
    *,
    quarter: Quarter,
    scope: str | None,
    indicator: str | None,
    overdispersion: bool | None = None,
) -> tuple[list[dict], tuple[str, ...]]:
    """The page's export: every row of the table, as the page orders it (who lags first) and with
    the page's over-dispersion setting, so its signals are the ones on screen."""
    with db.unit_of_work(actor) as session:
        report = benchmark_service.benchmark(
            session, actor, quarter=quarter, scope=scope, indicator=indicator, overdispersion=overdispersion
        )
        rows = [
            {**r, **views.indicator_columns(b)}
            for b in report.indicators
            for r in views.lagging_first(views.indicator_rows(report, b), b.indicator.direction)
        ]
        return rows, views.ROW_COLUMNS


def laggards(
    db: Database, actor: Actor, *, quarter: Quarter, scope: str | None = None, top: int | None = None
) -> dict:
    """Flags most severe first (only the ``top`` most severe when given; ``total`` counts all)."""
    with db.unit_of_work(actor) as session:
        return laggard_service.laggards(session, actor, quarter=quarter, scope=scope, top=top)


def scope_trend(
    db: Database,
    actor: Actor,
    *,
    quarter: Quarter,
    scope: str | None = None,
    span: int = 8,
    indicator: str | None = None,
) -> list[dict]:
    """Pooled rate of every indicator (or the one named) over the last ``span`` quarters
    (comparable lineage only)."""
    with db.unit_of_work(actor) as session:
        resolved = resolve_scope(session, actor, scope, quarter=quarter)
        infos = indicators_of_year(session, quarter.year, specialty=actor.specialty)
        infos = [i for i in infos if indicator is None or i.code == indicator]
        return rollups.national_trend(session, actor, resolved, quarter=quarter, infos=infos, quarters=span)


def scope_yoy(db: Database, actor: Actor, *, quarter: Quarter, scope: str | None = None) -> dict:
    with db.unit_of_work(actor) as session:
        return yoy.scope_yoy(session, actor, quarter=quarter, scope=scope)


NOT_REQUIRED = "未要求本院填报 / not required for this hospital"


def completeness(db: Database, actor: Actor, *, quarter: Quarter, province: str | None = None) -> dict:
    """The completeness report; each hospital also names the indicators that do not apply to it
    (``not_applicable``: code → reason), so the heat map does not show them as reported or missing."""
    with db.unit_of_work(actor) as session:
        report = completeness_service(session, actor, quarter=quarter, province_code=province).model_dump(
            mode="json"
        )
        infos = list(submission_repo.year_indicators(session, quarter.year).values())
        rules: dict[int, list[IndicatorApplicability]] = {}
        ids = [h["hospital_id"] for h in report["hospitals"]]
        stmt = select(IndicatorApplicability).where(IndicatorApplicability.hospital_id.in_(ids))
        for row in session.execute(stmt).scalars():
            rules.setdefault(row.hospital_id, []).append(row)
        for h in report["hospitals"]:
            h["not_applicable"] = not_applicable_cells(infos, rules.get(h["hospital_id"], []))
        names = {i.code: i for i in indicators_of_year(session, quarter.year)}
        for item in report["indicators"]:  # charts name an indicator, not only its code
            found = names.get(item["indicator"])
            item["name"], item["name_en"] = (found.name, found.name_en) if found else ("", "")
        return report


def not_applicable_cells(infos: list, rows: list[IndicatorApplicability]) -> dict[str, str]:
    """Indicator code → reason, for the year's indicators the hospital is not expected to report."""
    expected = {i.code for i in expected_for(infos, rows)}
    reasons = {(r.goal_id, r.indicator_id): r.reason for r in rows if r.status == "not_applicable"}
    return {
        i.code: reasons.get((i.goal_id, i.id)) or reasons.get((i.goal_id, None)) or NOT_REQUIRED
        for i in infos
        if i.code not in expected
    }


def rollup(db: Database, actor: Actor, *, quarter: Quarter, indicator: str | None = None) -> dict:
    with db.unit_of_work(actor) as session:
        return rollups.rollup(session, actor, quarter=quarter, indicator=indicator)


# -- one hospital ---------------------------------------------------------------------------------


def hospital(db: Database, actor: Actor, hospital_id: int) -> dict:
    check_hospital_reach(actor, hospital_id)
    with db.unit_of_work(actor) as session:
        h = load_hospital(session, actor, hospital_id)
        return {
            "id": h.id,
            "name": h.name,
            "province_code": h.province_code,
            "level": h.level,
            "grade": h.grade,
            "type": h.type,
            "beds": h.beds,
            "reports_from": h.reports_from,
            "active": h.active,
        }


def hospital_series(db: Database, actor: Actor, hospital_id: int, quarter: Quarter, indicator: str) -> dict:
    """One indicator from the first quarter of the previous catalog year to ``quarter``: the
    hospital's rate against the province's pooled rate and P25–P75 band (hospital users get only
    their own row). Earlier quarters come from the predecessor the catalog lineage names; where the
    lineage says it is not comparable the series breaks (``segment`` changes, ``break`` explains)."""
    check_hospital_reach(actor, hospital_id)
    with db.unit_of_work(actor) as session:
        scope = f"province:{load_hospital(session, actor, hospital_id).province_code}"
        info = next(iter(indicators_of_year(session, quarter.year, indicator=indicator)), None)
        if info is None:
            raise NotFound(
                f"指标 {indicator} 不存在 / indicator {indicator} does not exist", indicator=indicator
            )
        pred = predecessors(session, [info.id])[info.id]
        entry: dict = {"indicator_code": indicator, "comparability": pred.status, "points": [], "break": None}
        if pred.from_code and pred.from_year:
            earlier = quarter_range(Quarter(pred.from_year, 1), Quarter(pred.from_year, 4))
            entry["points"] += _series_points(session, actor, hospital_id, scope, earlier, pred.from_code, 0)[
                0
            ]
            if not pred.compares:
                entry["break"] = {
                    "quarter": str(Quarter(quarter.year, 1)),
                    "from_code": pred.from_code,
                    "reason": pred.reason,
                    "reason_en": pred.reason_en,
                }
        points, meta = _series_points(
            session,
            actor,
            hospital_id,
            scope,
            quarter_range(Quarter(quarter.year, 1), quarter),
            indicator,
            0 if pred.compares else 1,
        )
        entry.update(meta)
        entry["points"] += points
    return entry


def _series_points(
    session,
    actor: Actor,
    hospital_id: int,
    scope: str,
    span: list[Quarter],
    code: str,  # noqa: ANN001
    segment: int,
) -> tuple[list[dict], dict]:
    points, meta = [], {}
    for q in span:
        report = views.report_json(
            benchmark_service.benchmark(session, actor, quarter=q, scope=scope, indicator=code)
        )
        ind = report["indicators"][0]
        meta = {k: ind[k] for k in ("indicator_name", "indicator_name_en", "unit", "direction", "kind")}
        own = next((r for r in ind["hospitals"] if r["hospital_id"] == hospital_id), None)
        points.append(
            {
                "quarter": str(q),
                "indicator_code": code,
                "segment": segment,
                "rate": own and own["rate"],
                "pooled": ind["pooled_rate"],
                "p25": ind.get("p25"),
                "p75": ind.get("p75"),
                "signal": own and own["signal"],
            }
        )
    return points, meta


def hospital_yoy(db: Database, actor: Actor, hospital_id: int, quarter: Quarter) -> dict:
    check_hospital_reach(actor, hospital_id)
    with db.unit_of_work(actor) as session:
        return yoy.hospital_yoy(session, actor, hospital_id=hospital_id, quarter=quarter)


def hospital_early_warning(
    db: Database, actor: Actor, hospital_id: int, quarter: Quarter, indicator: str
) -> dict | None:
    """One indicator's CUSUM / EWMA series for the hospital (None: a mean or no data)."""
    check_hospital_reach(actor, hospital_id)
    with db.unit_of_work(actor) as session:
        found = early_warning.hospital_early_warning(
            session, actor, hospital_id=hospital_id, quarter=quarter, indicator=indicator
        )
    series = found["series"]
    return series[0] if series else None  # type: ignore[index]


def hospital_flags(db: Database, actor: Actor, hospital_id: int, quarter: Quarter) -> list[dict]:
    info = hospital(db, actor, hospital_id)
    with db.unit_of_work(actor) as session:
        return laggard_service.laggards(
            session,
            actor,
            quarter=quarter,
            scope=f"province:{info['province_code']}",
            hospital_id=hospital_id,
        )["flags"]


def submission_status(db: Database, actor: Actor, hospital_id: int, quarter: Quarter) -> dict:
    """Status, version and values of the quarter's submission, with its event history."""
    check_hospital_reach(actor, hospital_id)
    with db.unit_of_work(actor) as session:
        current = reads.get_submission(session, actor, hospital_id=hospital_id, quarter=quarter)
        events = (
            []
            if current.version == 0
            else reads.submission_events(session, actor, hospital_id=hospital_id, quarter=quarter)
        )
        return {**current.model_dump(mode="json"), "events": [e.model_dump(mode="json") for e in events]}


def feedback_html(db: Database, actor: Actor, hospital_id: int, quarter: Quarter) -> str:
    check_hospital_reach(actor, hospital_id)
    with db.unit_of_work(actor) as session:
        return report.feedback_html(session, actor, hospital_id=hospital_id, quarter=quarter)
