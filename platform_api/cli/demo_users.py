"""The demo's people and hospital systems, served by the development issuer (never in production)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from platform_api.auth.dev_directory import DevClient, DevDirectory, DevUser

if TYPE_CHECKING:
    from platform_api.settings import ApiSettings

DEMO_PASSWORD = "demo"
DASHBOARD_SECRET = "demo-dashboard-secret"
ICU = "icu"  # 重症医学专业


def demo_directory(hospitals: dict[str, int], centers: dict[str | None, int], api_base: str) -> DevDirectory:
    def user(username: str, name: str, role: str, **claims: Any) -> DevUser:
        return DevUser(username=username, password=DEMO_PASSWORD, name=name, roles=(role,), **claims)

    users = [
        user("nat.admin", "国家质控中心管理员", "national_admin", qc_center_id=centers[None]),
        user("nat.analyst", "国家质控中心分析员", "national_analyst", qc_center_id=centers[None]),
        user("nat.icu", "国家重症医学质控中心", "specialty_qc", specialty=ICU),
    ]
    for code, short in (("330000", "zj"), ("440000", "gd"), ("510000", "sc")):
        users.append(
            user(
                f"{short}.admin",
                f"{short.upper()} 省质控中心管理员",
                "provincial_admin",
                province=code,
                qc_center_id=centers[code],
            )
        )
        users.append(
            user(
                f"{short}.analyst",
                f"{short.upper()} 省质控中心分析员",
                "provincial_analyst",
                province=code,
                qc_center_id=centers[code],
            )
        )
    users.append(user("zj.icu", "浙江省重症医学质控中心", "specialty_qc", province="330000", specialty=ICU))
    for key, province in (("H001", "330000"), ("H025", "440000")):
        users.append(
            user(
                f"{key.lower()}.submitter",
                f"{key} 上报员",
                "hospital_submitter",
                province=province,
                hospital_id=hospitals[key],
            )
        )
        users.append(
            user(
                f"{key.lower()}.viewer",
                f"{key} 查看者",
                "hospital_viewer",
                province=province,
                hospital_id=hospitals[key],
            )
        )
    clients = [
        DevClient(client_id="qcp-dashboard", secret=DASHBOARD_SECRET, redirect_uris=(f"{api_base}/*",)),
        DevClient(
            client_id="his-h001",
            secret="demo-his-h001-secret",
            roles=("hospital_system",),
            province="330000",
            hospital_id=hospitals["H001"],
        ),
        DevClient(
            client_id="his-h025",
            secret="demo-his-h025-secret",
            roles=("hospital_system",),
            province="440000",
            hospital_id=hospitals["H025"],
        ),
    ]
    return DevDirectory(users=users, clients=clients)


def print_banner(
    directory: DevDirectory,
    settings: ApiSettings,
    echo: Callable[[str], None] = print,
    *,
    running: bool = True,
) -> None:
    base = f"http://{settings.api_host}:{settings.api_port}"
    echo("")
    if running:
        echo("QCP 演示已启动 / QCP demo is running")
    else:
        echo(
            "演示数据已就绪，未启动服务（--no-serve）；运行 qcp demo 启动后以下地址可用 / demo data loaded, "
            "nothing is serving (--no-serve): run qcp demo and these addresses answer"
        )
    echo(f"  仪表板 / dashboards:        {base}/dash/")
    echo(f"  API 文档 / API docs:        {base}/docs")
    echo(f"  健康检查 / health:          {base}/health")
    echo(f"  目标目录 / goal catalog:    {base}/api/v1/catalog/2023")
    echo(f"  开发签发者 / dev issuer:    {settings.issuer}")
    echo("")
    echo(f"演示账号（密码均为 {DEMO_PASSWORD}）/ demo logins (password: {DEMO_PASSWORD}):")
    for u in directory.users:
        scope = u.province or "全国 national"
        extra = f" hospital_id={u.hospital_id}" if u.hospital_id else ""
        echo(f"  {u.username:<16} {','.join(u.roles):<20} {scope}{extra}  {u.name}")
    echo("医院系统客户端（client credentials）/ hospital-system clients:")
    for c in directory.clients:
        if c.service_account:
            echo(f"  {c.client_id:<10} secret={c.secret}  hospital_id={c.hospital_id}")
    echo("")
    echo(
        "获取令牌示例 / get a token:\n"
        f"  curl -s -d grant_type=password -d client_id=qcp-dashboard -d client_secret={DASHBOARD_SECRET} "
        f"-d username=zj.admin -d password={DEMO_PASSWORD} {settings.issuer}/protocol/openid-connect/token"
    )
