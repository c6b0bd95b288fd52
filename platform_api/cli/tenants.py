"""``qcp tenants``: onboard and offboard provinces and hospitals (database + Keycloak).

Runs as the owner role (``owner_session``). Keycloak admin access comes from options or the
environment: ``QCP_KEYCLOAK_ADMIN_URL``, ``_REALM``, ``_USER``, ``_PASSWORD``, ``_USER_REALM``.
Without a URL the Keycloak steps are skipped (the demo's development issuer has no admin API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from services.core.errors import DomainError

if TYPE_CHECKING:  # imported where used: the CLI starts without loading the onboarding code
    from tenants.keycloak_admin import TenantDirectory
    from tenants.onboarding import Outcome

app = typer.Typer(help="租户管理 / tenant onboarding", no_args_is_help=True)

KcUrl = Annotated[
    str | None,
    typer.Option(
        "--keycloak-url",
        envvar="QCP_KEYCLOAK_ADMIN_URL",
        help="Keycloak 地址；不给则只做数据库步骤 / Keycloak's address; without it only the database steps run",
    ),
]
KcRealm = Annotated[
    str,
    typer.Option(
        "--keycloak-realm", envvar="QCP_KEYCLOAK_ADMIN_REALM", help="平台的 realm / the platform's realm"
    ),
]
KcUser = Annotated[
    str,
    typer.Option("--keycloak-user", envvar="QCP_KEYCLOAK_ADMIN_USER", help="管理员用户名 / admin user name"),
]
KcPassword = Annotated[
    str,
    typer.Option(
        "--keycloak-password",
        envvar="QCP_KEYCLOAK_ADMIN_PASSWORD",
        show_default=False,
        help="管理员密码（建议用环境变量）/ admin password (prefer the environment variable)",
    ),
]
KcUserRealm = Annotated[
    str,
    typer.Option(
        "--keycloak-user-realm",
        envvar="QCP_KEYCLOAK_ADMIN_USER_REALM",
        help="管理员所在的 realm / the realm the admin user lives in",
    ),
]


def _directory(
    url: str | None, realm: str, user: str, password: str, user_realm: str
) -> TenantDirectory | None:
    if not url:
        return None
    from tenants.keycloak_admin import KeycloakAdminSettings, TenantDirectory

    settings = KeycloakAdminSettings(
        server_url=url, realm=realm, username=user, password=password, user_realm=user_realm
    )
    return TenantDirectory.connect(settings)


def _run(step: Callable[..., Outcome], *args: Any, **kwargs: Any) -> None:
    """Run one onboarding step in an owner transaction; print its lines (and a new secret) after commit."""
    from platform_api.cli.common import owner_session

    try:
        with owner_session() as session:
            outcome = step(session, *args, **kwargs)
    except DomainError as exc:
        typer.echo(f"错误 / error: {exc.detail}", err=True)
        for problem in getattr(exc, "problems", []):
            typer.echo(f"  - {problem.get('field')}: {problem.get('problem')}", err=True)
        raise typer.Exit(1) from exc
    for line in outcome.lines:
        typer.echo(line)
    if outcome.secret:
        typer.echo(
            "客户端密钥仅显示这一次，请立即安全保存 / the client secret is shown ONCE; store it securely now:"
        )
        typer.echo(outcome.secret)


@app.command("onboard")
def onboard(
    province: Annotated[str, typer.Option(help="省级行政区划代码 / province code, e.g. 330000")],
    keycloak_url: KcUrl = None,
    keycloak_realm: KcRealm = "qcp",
    keycloak_user: KcUser = "admin",
    keycloak_password: KcPassword = "",
    keycloak_user_realm: KcUserRealm = "master",
) -> None:
    """接入省份 / onboard a province: mark it, create its general QC center and Keycloak group."""
    from tenants.onboarding import onboard_province

    directory = _directory(
        keycloak_url, keycloak_realm, keycloak_user, keycloak_password, keycloak_user_realm
    )
    _run(onboard_province, directory, province_code=province)


@app.command("add-hospital")
def add_hospital(
    province: Annotated[str, typer.Option(help="省份代码 / province code")],
    credit_code: Annotated[str, typer.Option(help="统一社会信用代码 / unified social credit code")],
    name: Annotated[str, typer.Option(help="医院名称 / hospital name")],
    level: Annotated[str, typer.Option(help="一级 | 二级 | 三级 | 未定级")],
    grade: Annotated[str, typer.Option(help="甲等 | 乙等 | 丙等 | 未定等")],
    type: Annotated[str, typer.Option("--type", help="综合 | 专科 | 中医 | 中西医结合 | 民族医 | 妇幼保健")],
    prefecture: Annotated[str, typer.Option(help="地市代码 / prefecture code, e.g. 330100")],
    beds: Annotated[int, typer.Option(help="床位数 / beds")],
    reports_from: Annotated[
        str | None,
        typer.Option(help="起报季度 / first quarter it must report, e.g. 2023Q1 (default: this quarter)"),
    ] = None,
    keycloak_url: KcUrl = None,
    keycloak_realm: KcRealm = "qcp",
    keycloak_user: KcUser = "admin",
    keycloak_password: KcPassword = "",
    keycloak_user_realm: KcUserRealm = "master",
) -> None:
    """登记医院并创建其系统客户端 / register a hospital and create its hospital-system client."""
    from pydantic import ValidationError

    from services.registry.schemas import HospitalCreate
    from tenants.onboarding import add_hospital as add

    try:
        data = HospitalCreate(
            province_code=province,
            credit_code=credit_code,
            name=name,
            # The CLI passes strings; pydantic checks them against the Literal choices (ValidationError below).
            level=level,  # type: ignore[arg-type]
            grade=grade,  # type: ignore[arg-type]
            type=type,  # type: ignore[arg-type]
            prefecture_code=prefecture,
            beds=beds,
            reports_from=reports_from,
        )
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"错误 / error: {'.'.join(map(str, err['loc']))}: {err['msg']}", err=True)
        raise typer.Exit(2) from exc
    directory = _directory(
        keycloak_url, keycloak_realm, keycloak_user, keycloak_password, keycloak_user_realm
    )
    _run(add, directory, data=data)


@app.command("offboard")
def offboard(
    province: Annotated[str | None, typer.Option(help="下线整个省份 / offboard a province")] = None,
    hospital: Annotated[int | None, typer.Option(help="停用一家医院 / offboard one hospital (id)")] = None,
    reason: Annotated[
        str, typer.Option(help="原因（记入审计）/ reason, kept in the audit log")
    ] = "offboarded",
    keycloak_url: KcUrl = None,
    keycloak_realm: KcRealm = "qcp",
    keycloak_user: KcUser = "admin",
    keycloak_password: KcPassword = "",
    keycloak_user_realm: KcUserRealm = "master",
) -> None:
    """停用访问、保留数据 / disable access and keep the data."""
    from tenants.onboarding import offboard as run_offboard

    directory = _directory(
        keycloak_url, keycloak_realm, keycloak_user, keycloak_password, keycloak_user_realm
    )
    _run(run_offboard, directory, province_code=province, hospital_id=hospital, reason=reason)
