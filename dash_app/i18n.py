"""User-facing text of the dashboards: Chinese first, English on request (a per-session choice).

``t(key, lang)`` answers one language; ``both(key)`` answers "中文 / English" for places that show
both (exports, page titles in the browser tab). Goal and indicator titles are never translated
here: they come verbatim from the catalog (``name`` / ``name_en``).
"""

from __future__ import annotations

import re

from services.catalog import labels as _catalog_labels

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("医疗质量控制平台", "Quality Control Platform"),
    "nav.province": ("省级概览", "Province overview"),
    "nav.benchmark": ("指标对标", "Indicator benchmark"),
    "nav.hospital": ("医院", "Hospital"),
    "nav.national": ("全国汇总", "National rollup"),
    "nav.catalog": ("目标目录", "Goal catalog"),
    "nav.submit": ("数据上报", "Submit data"),
    "nav.review": ("审核队列", "Review queue"),
    "nav.admin": ("管理：网络、医院、窗口", "Admin: networks, hospitals, windows"),
    "nav.logout": ("退出", "Sign out"),
    "nav.inbox": ("通知", "Notifications"),
    "inbox.title": ("通知", "Notifications"),
    "inbox.unread": ("未读 {n} 条", "{n} unread"),
    "inbox.empty": ("暂无通知", "No notifications"),
    "inbox.mark_read": ("标为已读", "Mark read"),
    "inbox.read": ("已读", "Read"),
    "ns.title": ("通知设置", "Notification settings"),
    "ns.channels": ("接收哪些通知", "Which notifications you receive"),
    "ns.channel.inbox": ("站内通知", "In the platform"),
    "ns.channel.email": ("电子邮件", "By e-mail"),
    "ns.save": ("保存", "Save"),
    "ns.saved": ("已保存", "Saved"),
    "ns.prefs.org": ("应用于整个机构（管理员）", "For the whole organisation (admins)"),
    "ns.prefs.precedence": (
        "个人设置优先于机构设置；未设置的按机构设置，默认全部接收。",
        "Your own choices take precedence over the organisation's; where you have none, the "
        "organisation's apply; by default everything is on.",
    ),
    "ns.emails": ("通知邮箱", "E-mail addresses"),
    "ns.email": ("邮箱地址", "E-mail address"),
    "ns.email.org": ("本机构公共邮箱（管理员）", "The organisation's shared mailbox (admins)"),
    "ns.email.add": ("添加邮箱", "Add address"),
    "ns.email.none": ("尚未登记邮箱", "No address registered"),
    "ns.remove": ("删除", "Remove"),
    "ns.shared": ("机构公共", "shared"),
    "ns.personal": ("个人", "personal"),
    "ns.webhooks": ("Webhook（医院或省级系统）", "Webhooks (hospital or provincial systems)"),
    "ns.webhook.url": ("接收地址（https）", "Receiver URL (https)"),
    "ns.webhook.add": ("登记 Webhook", "Register webhook"),
    "ns.webhook.none": ("尚未登记 Webhook", "No webhook registered"),
    "ns.webhook.on": ("启用中", "on"),
    "ns.webhook.off": ("已停用", "off"),
    "ns.webhook.disable": ("停用", "Switch off"),
    "ns.webhook.enable": ("启用", "Switch on"),
    "ns.webhook.rotate": ("更换密钥", "Rotate secret"),
    "ns.webhook.secret": (
        "签名密钥（只显示这一次，请立即配置到接收系统）：",
        "Signing secret (shown this once: configure it in the receiving system now):",
    ),
    "jobs.title": ("任务队列与死信", "Job queue and dead letters"),
    "jobs.retry": ("重试", "Retry"),
    "jobs.dead": ("投递失败（死信）", "Failed deliveries (dead letters)"),
    "jobs.recent": ("最近的任务", "Recent jobs"),
    "nav.lang": ("English", "中文"),
    "common.quarter": ("季度", "Quarter"),
    "common.indicator": ("指标", "Indicator"),
    "common.goal": ("目标", "Goal"),
    "common.hospital": ("医院", "Hospital"),
    "common.province": ("省份", "Province"),
    "common.network": ("网络", "Network"),
    "common.peer": ("同级对标组", "Peer group"),
    "common.none": ("（无）", "(none)"),
    "common.all": ("全部", "All"),
    "common.numerator": ("分子", "Numerator"),
    "common.denominator": ("分母", "Denominator"),
    "common.rate": ("率", "Rate"),
    "common.signal": ("信号", "Signal"),
    "common.status": ("状态", "Status"),
    "common.reason": ("原因", "Reason"),
    "common.export": ("导出表格 (CSV)", "Export table (CSV)"),
    "common.shown_of": (
        "仅显示前 {shown} 行，共 {total} 行；完整表格请导出 (CSV)",
        "Showing the first {shown} of {total} rows; export the table (CSV) for all of them",
    ),
    "common.no_data": ("暂无数据", "No data"),
    "common.pooled": ("合并率", "Pooled rate"),
    "common.target": ("目标值", "Target"),
    "common.band": ("P25–P75 区间", "P25–P75 band"),
    "common.approve": ("通过", "Approve"),
    "common.return": ("退回", "Return"),
    "common.comment": ("意见", "Comment"),
    "common.save": ("保存", "Save"),
    "common.saved": ("已保存", "Saved"),
    "common.direction.higher": ("越高越好", "higher is better"),
    "common.direction.lower": ("越低越好", "lower is better"),
    "error.not_found": (
        "页面不存在或不在您的权限范围内",
        "This page does not exist or is outside your scope",
    ),
    "error.forbidden": ("您的角色无权查看此页面", "Your role may not view this page"),
    "status.approved": ("已通过", "approved"),
    "status.submitted": ("已提交", "submitted"),
    "status.returned": ("已退回", "returned"),
    "status.late": ("逾期", "late"),
    "status.missing": ("缺报", "missing"),
    "status.draft": ("草稿", "draft"),
    "status.not_applicable": ("不适用", "not applicable"),
    "action.submit": ("提交", "submitted"),
    "action.correct": ("更正", "corrected"),
    "action.approve": ("通过", "approved"),
    "action.return": ("退回", "returned"),
    "action.reopen": ("重新开放", "reopened"),
    "source.page": ("页面填报", "entered on the page"),
    "source.csv": ("CSV 上传", "CSV upload"),
    "source.xlsx": ("XLSX 上传", "XLSX upload"),
    "source.api": ("接口", "API"),
    "source.fhir": ("FHIR 接口", "FHIR"),
    "limits.exact_binomial": ("精确二项分布", "exact binomial"),
    "limits.arcsine": ("反正弦变换", "arcsine transformation"),
    "limits.sqrt": ("平方根变换", "square-root transformation"),
    "limits.normal": ("正态近似", "normal approximation"),
    "limits.poisson_exact": ("精确泊松分布", "exact Poisson"),
    "limits.poisson_exact_byar": ("泊松分布（Byar 近似）", "Poisson (Byar's approximation)"),
    "goals.all": ("全部目标", "All goals"),
    "goals.national": ("国家目标", "National goals"),
    "goals.specialty": ("专业目标", "Specialty goals"),
    "province.title": ("省级概览", "Province overview"),
    "province.completeness": ("本季度上报完整性", "This quarter's completeness"),
    "province.laggards": ("落后医院及原因", "Laggards and reasons"),
    "province.goals": ("各目标合并率与趋势", "Pooled rate and trend by goal"),
    "province.by_indicator": ("各指标上报情况（全部医院）", "Reporting by indicator (all hospitals)"),
    "province.pending": ("已报未通过", "received, not approved"),
    "province.attention_first": (
        "热图按待处理事项排序（缺报、退回、逾期在前）",
        "Heat map rows: hospitals needing most action first (missing, returned, late)",
    ),
    "province.kpi.expected": ("应报医院", "Hospitals expected"),
    "province.kpi.received": ("已报医院", "Hospitals reporting"),
    "province.kpi.approved": ("已通过", "Approved"),
    "province.kpi.late": ("逾期", "Late"),
    "province.kpi.missing": ("缺报", "Missing"),
    "benchmark.rank": ("排名（最好在左）", "Rank (best at the left)"),
    "benchmark.rank_short": ("排名", "Rank"),
    "benchmark.title": ("指标对标", "Indicator benchmark"),
    "benchmark.funnel": ("漏斗图（95% 与 99.8% 控制限）", "Funnel plot (95% and 99.8% limits)"),
    "benchmark.dots": ("排序点图（95% 置信区间）", "Ranked dot plot (95% intervals)"),
    "benchmark.overdispersion": ("校正过度离散", "Adjust for over-dispersion"),
    "benchmark.limit": ("控制限", "limit"),
    "benchmark.phi": ("过度离散系数 φ", "Over-dispersion φ"),
    "benchmark.recommended": ("建议校正", "adjustment recommended"),
    "benchmark.click_hint": (
        "点击漏斗图中的点打开该医院页面",
        "Click a point in the funnel to open that hospital",
    ),
    "benchmark.own_only": ("仅显示本院数据与全省分布", "Your hospital's row and the distribution only"),
    "benchmark.no_data": ("本季度该指标暂无数据", "No data for this indicator this quarter"),
    "benchmark.no_own_data": (
        "本院本季度该指标暂无数据。<br>医院用户只能看到本院的点与全省合并率；<br>本院各指标的趋势见“医院”页面",
        "Your hospital has no data for this indicator this quarter.<br>Hospital users see only their own"
        " point against the province's pooled rate;<br>the Hospital page shows your hospital's trends",
    ),
    "benchmark.all_prefectures": ("全部地市", "All prefectures"),
    "benchmark.prefecture_note": (
        "仅显示{place}的 {n} 家医院；控制限与合并率仍按所选范围（全省）计算",
        "Showing the {n} hospitals of {place} only; limits and pooled rate are still the chosen scope's",
    ),
    "benchmark.back": ("返回指标对标", "Back to the benchmark"),
    "benchmark.last_year": ("去年同期位置", "Position a year earlier"),
    "benchmark.no_funnel": ("非比例指标，不作漏斗图", "Not a proportion: no funnel"),
    "benchmark.density_note": (
        "有信号的 {shown} 家医院逐点显示；其余 {dense} 家按密度显示（颜色越深医院越多），逐家数据见下表及导出",
        "The {shown} signalled hospitals are drawn one by one; the other {dense} as density "
        "(darker: more hospitals); every hospital is in the table and its export",
    ),
    "benchmark.density_hover": ("家医院", "hospitals"),
    "benchmark.all_ranked": ("全部医院（按率排序）", "All hospitals (by rate)"),
    "benchmark.band": ("95% 置信区间", "95% interval"),
    "benchmark.table_order": (
        "排序：差于控制限者在前，组内按率由差到好；分母不足或不适用者列后",
        "Order: worse than the limits first, worst rate first within each group; too few "
        "cases or not applicable last",
    ),
    "hospital.title": ("医院详情", "Hospital"),
    "hospital.choose": ("选择医院（可输入名称搜索）", "Choose a hospital (type to search)"),
    "hospital.trends": (
        "各指标季度趋势（对照合并率与百分位区间）",
        "Indicators by quarter (pooled rate, percentile band)",
    ),
    "hospital.yoy": ("同比变化", "Year over year"),
    "hospital.flags": ("当前标记", "Current flags"),
    "hospital.early_warning": (
        "早期预警：风险调整 CUSUM 与 EWMA（近 12 个季度）",
        "Early warning: risk-adjusted CUSUM and EWMA (last 12 quarters)",
    ),
    "hospital.submissions": ("上报状态与历史", "Submission status and history"),
    "hospital.report": ("反馈报告", "Feedback report"),
    "hospital.not_comparable": ("不可比", "not comparable"),
    "hospital.definition_changed": ("口径变化", "definition changed"),
    "national.title": ("全国汇总", "National rollup"),
    "national.provinces": ("各省比较", "Provinces compared"),
    "national.laggards": ("落后医院数", "Laggards"),
    "national.funnel": ("省级漏斗图", "Provinces on a funnel"),
    "national.trend": ("全国趋势", "National trend"),
    "catalog.title": ("目标目录与变化", "Goal catalog and changes"),
    "catalog.year": ("年度", "Year"),
    "catalog.diff": ("年度差异", "Changes between years"),
    "catalog.lineage": ("目标沿革（桑基图）", "Goal lineage (Sankey)"),
    "catalog.definition": ("定义", "Definition"),
    "catalog.revision": ("第 {revision} 版", "revision {revision}"),
    "catalog.revisions": ("版本记录", "Revisions"),
    "catalog.revision_reason": ("修订原因", "Reason for the revision"),
    "catalog.core_strategies": ("核心策略", "Core strategies"),
    "catalog.sources": ("来源", "Sources"),
    "catalog.source_documents": ("引用文件", "Cited documents"),
    "catalog.verification": ("核实", "Verification"),
    "catalog.code_inferred": ("代码为推断（原文未印编号）", "code inferred (the document prints none)"),
    "catalog.withdrawn": ("已撤销的指标", "Withdrawn indicators"),
    "catalog.withdrawn_by": ("第 {revision} 版撤销", "withdrawn by revision {revision}"),
    "catalog.replaced_by": ("改用", "replaced by"),
    "catalog.pending": (
        "上一年度专业目标待定（本年度专业目标尚未载入）",
        "Previous year's specialty goals pending (this year's specialty list not loaded yet)",
    ),
    "catalog.moved_unknown": (
        "调至专业目标（去向待定）",
        "Moved to a specialty list (destination not yet known)",
    ),
    "catalog.change": ("变化", "Change"),
    "catalog.search": ("搜索目标或指标", "Search goals and indicators"),
    "catalog.search_hint": (
        "搜索目标或指标：编号或名称，如 VTE、NIT-2023-II、静脉血栓",
        "Search goals or indicators by code or name, e.g. VTE, NIT-2023-II",
    ),
    "catalog.found": (
        "“{query}”：{goals} 个目标，{indicators} 个指标",
        "“{query}”: {goals} goals, {indicators} indicators",
    ),
    "catalog.nothing_found": ("没有匹配的目标或指标", "No goal or indicator matches"),
    "catalog.retired_node": ("退出或去向待定", "retired or destination unknown"),
    "catalog.legend": ("连线颜色", "Flow colours"),
    "catalog.show_new": ("显示新增目标的流向", "Show the flows of new goals"),
    "catalog.new_collapsed": (
        "新增目标的流向已隐藏（勾选上方可显示）",
        "The flows of new goals are hidden (tick above to show them)",
    ),
    "catalog.comparability": ("可比性", "Comparability"),
    "submit.title": ("数据上报", "Submit data"),
    "submit.entry": ("逐项填报", "Enter values"),
    "submit.upload": ("上传文件（CSV / XLSX）", "Upload a file (CSV / XLSX)"),
    "submit.template_xlsx": (
        "下载 XLSX 模板（含已报数据）",
        "Download the XLSX template (with values on record)",
    ),
    "submit.template_csv": (
        "下载 CSV 模板（含已报数据）",
        "Download the CSV template (with values on record)",
    ),
    "submit.reason_example": ("例如：更正：漏报 3 例", "e.g. correction: 3 cases were missed"),
    "submit.upload_check": ("仅校验，不保存", "Check only, do not save"),
    "submit.reason": (
        "更正原因：更正已提交的季度时必填，填写和上传文件都使用此原因",
        "Correction reason: required to correct a submitted quarter, for entry and upload alike",
    ),
    "submit.send": ("提交", "Submit"),
    "submit.locked": (
        "本季度已审核通过：数值不能再改；如需更正，请联系省级质控中心重新开放",
        "This quarter is approved: its values can no longer change; to correct it, ask the "
        "provincial QC center to reopen it",
    ),
    "submit.optional": (
        "专业目标指标 {n} 项：本院未被要求填报，可选填（点击展开）",
        "{n} specialty indicators: not required of this hospital, may be reported (click to open)",
    ),
    "submit.not_applicable": ("不适用的指标 {n} 项（质控中心标记）", "{n} indicators marked not applicable"),
    "submit.changes": (
        "与已报版本 v{version} 相比，提交将更正 {n} 项：",
        "Compared with v{version} on record, submitting would correct {n} values:",
    ),
    "submit.no_changes": (
        "与已报版本 v{version} 相同，提交不会改变任何数值",
        "Same as v{version} on record: submitting would change no value",
    ),
    "submit.check": ("仅校验", "Check only"),
    "submit.ok": ("已保存，等待审核", "Saved; awaiting review"),
    "submit.errors": ("校验未通过，请修改以下问题", "Validation failed: fix the problems below"),
    "review.title": ("审核队列", "Review queue"),
    "review.empty": ("没有待审核的上报", "Nothing to review"),
    "review.count": ("待审核 {n} 份", "{n} awaiting review"),
    "review.pick": ("选择", "Pick"),
    "review.changed": ("本次报送", "Latest write"),
    "review.reason": ("更正原因", "Correction reason"),
    "review.corrected": ("更正 {n} 项（共 {total} 项）", "{n} corrected (of {total})"),
    "review.first": ("首次上报 {n} 项（共 {total} 项）", "first submission: {n} values (of {total})"),
    "review.approve_picked": ("通过所选", "Approve the picked"),
    "review.none_picked": (
        "请先勾选要通过的上报 / pick the submissions to approve first",
        "Pick the submissions to approve first",
    ),
    "admin.title": ("上报窗口、网络与医院", "Submission windows, networks and hospitals"),
    "admin.networks": ("网络", "Networks"),
    "admin.windows": ("上报窗口", "Submission windows"),
    "admin.opens": ("开放", "Opens"),
    "admin.due": ("截止", "Due"),
    "admin.locks": ("锁定", "Locks"),
    "admin.members": ("成员数", "Members"),
    "admin.memberships": ("网络成员（按日期）", "Network members (dated)"),
    "admin.center": ("质控中心", "QC center"),
    "admin.network_name": ("网络名称", "Network name"),
    "admin.create_network": ("创建网络", "Create network"),
    "admin.valid_from": ("加入日期", "From"),
    "admin.valid_to": ("退出日期", "Until"),
    "admin.optional": ("（可空）", "(optional)"),
    "admin.add_member": ("添加成员", "Add member"),
    "admin.membership": ("成员资格", "Membership"),
    "admin.end_date": ("退出日期（不含）", "End date (exclusive)"),
    "admin.end_member": ("结束成员资格", "End membership"),
    "admin.hospitals": ("医院登记", "Hospital registry"),
    "admin.credit_code": ("统一社会信用代码", "Credit code"),
    "admin.hospital_name": ("医院名称", "Hospital name"),
    "admin.prefecture": ("地市", "Prefecture"),
    "admin.beds": ("床位", "Beds"),
    "admin.reports_from": ("起报季度", "Reports from"),
    "admin.reports_from_hint": (
        "起报季度：从该季度起须上报（默认本季度）；之前的季度仍可补报，但不计为缺报",
        "Reports from: the first quarter the hospital must report (default: this "
        "quarter); earlier quarters may still be submitted but are not counted missing",
    ),
    "admin.register_hospital": ("登记医院", "Register hospital"),
    "admin.change_reports_from": ("修改起报季度", "Change reports-from"),
    "admin.deactivate": ("停用医院", "Deactivate"),
    "admin.newest": ("最近登记的医院", "Most recently registered"),
    "admin.active": ("在用", "active"),
    "admin.inactive": ("已停用", "inactive"),
    "signed_out": ("您已退出。", "You are signed out."),
    "sign_in_again": ("重新登录", "Sign in again"),
}


# Lineage kinds, comparability and verification marks: one vocabulary with the CLI
# (services.catalog.labels), so none of them shows in English in the Chinese interface.
for _group, _words in (
    ("kind", _catalog_labels.KINDS),
    ("comparability", _catalog_labels.COMPARABILITY),
    ("verification", _catalog_labels.VERIFICATION),
):
    for _value, _pair in _words.items():
        TEXT[f"lineage.{_group}.{_value}"] = _pair


def lineage_kinds(kinds: list[str], lang: str | None = DEFAULT_LANG) -> str:
    """ "调整序号、重新定义" (zh) / "renumbered, redefined" (en); unknown kinds as they are."""
    sep = ", " if norm(lang) == "en" else "、"
    return sep.join(t(f"lineage.kind.{k}", lang) if f"lineage.kind.{k}" in TEXT else k for k in kinds)


def comparability(value: str | None, lang: str | None = DEFAULT_LANG) -> str:
    key = f"lineage.comparability.{value}"
    return t(key, lang) if key in TEXT else (value or "—")


def verification(value: str | None, lang: str | None = DEFAULT_LANG) -> str:
    key = f"lineage.verification.{value}"
    return t(key, lang) if key in TEXT else (value or "—")


def enum(group: str, value: str | None, lang: str | None = DEFAULT_LANG) -> str:
    """A stored enum value (status, action, source, comparability…) in the session's language;
    an unknown value as it is, "—" for none: the Chinese interface never shows ``submitted``."""
    if value is None or value == "":
        return "—"
    key = f"{group}.{value}"
    if key in TEXT:
        return t(key, lang)
    if group == "limits" and value.endswith("_overdispersed"):  # "…, 校正过度离散"
        sep = ", " if norm(lang) == "en" else "，"
        return f"{enum(group, value.removesuffix('_overdispersed'), lang)}{sep}{pick('校正过度离散', 'over-dispersion adjusted', lang)}"
    if group == "comparability":
        return comparability(value, lang)
    return value


def norm(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = DEFAULT_LANG) -> str:
    zh, en = TEXT[key]
    return en if norm(lang) == "en" else zh


def both(key: str) -> str:
    zh, en = TEXT[key]
    return f"{zh} / {en}"


def pick(zh: str | None, en: str | None, lang: str | None) -> str:
    """Catalog and service texts come in pairs: show the session's language, fall back to Chinese."""
    if norm(lang) == "en" and en:
        return en
    return zh or en or ""


def pair(text: str, lang: str | None) -> str:
    """Service messages are "中文 / English": keep the half in the session's language."""
    zh, sep, en = text.partition(" / ")
    return en if sep and norm(lang) == "en" else zh if sep else text


def other(lang: str | None) -> str:
    return "zh" if norm(lang) == "en" else "en"


# A file of the repository (sources/README.md, 000_81c3….txt): where a catalog's text names one, the
# reader sees the citation around it, not the file (the documents are listed under 引用文件).
FILE_NAME = re.compile(r"(?:见\s*|种子文件\s*)?(?:[\w.-]+/)*[\w.-]+\.(?:txt|md|ya?ml|csv|json|html?|pdf)\b")
CLAUSE = re.compile(r"[；;，,]")


def _without_files_inside(match: re.Match[str]) -> str:
    open_, inner, close = match.group(1), match.group(2), match.group(3)
    kept = [c.strip() for c in CLAUSE.split(inner) if c.strip() and not FILE_NAME.search(c)]
    return f"{open_}{'；'.join(kept)}{close}" if kept else ""


def public(text: str | None) -> str:
    """``text`` without the repository's file names: a bracketed clause naming a file goes, the
    other clauses of the bracket stay; a file named outside brackets goes too."""
    if not text:
        return ""
    text = re.sub(r"([（(])([^（）()]*)([）)])", _without_files_inside, text)
    return re.sub(r"\s{2,}", " ", FILE_NAME.sub("", text)).strip()
