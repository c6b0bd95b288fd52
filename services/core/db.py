"""Engine, sessions, unit of work and tenant binding.

Every session carries the acting :class:`Actor` in ``session.info``. When a transaction begins,
the actor's scope is written into transaction-local settings that the row-level security
policies read (``set_config(..., true)``: a session-level value would survive in the pool and
leak to the next caller). A session with no actor binds nothing and sees no tenant rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from services.core.actor import Actor
from services.core.config import database_settings

_BIND_SQL = text(
    "SELECT set_config('app.province', :province, true),"
    " set_config('app.all_provinces', :all_provinces, true),"
    " set_config('app.hospital', :hospital, true)"
)


def tenant_settings(actor: Actor | None) -> dict[str, str]:
    if actor is None:
        return {"province": "", "all_provinces": "off", "hospital": ""}
    return {
        "province": actor.province or "",
        "all_provinces": "on" if actor.is_national else "off",
        "hospital": str(actor.hospital_id) if actor.hospital_id is not None else "",
    }


@event.listens_for(Session, "after_begin")
def _bind_tenant(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if session.info.get("raw"):
        return
    connection.execute(_BIND_SQL, tenant_settings(session.info.get("actor")))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """The engine with the pool of ``QCP_DB_POOL_SIZE`` / ``_MAX_OVERFLOW`` / ``_POOL_TIMEOUT`` unless
    the caller says otherwise."""
    settings = database_settings()
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", settings.db_pool_size)
    kwargs.setdefault("max_overflow", settings.db_max_overflow)
    kwargs.setdefault("pool_timeout", settings.db_pool_timeout)
    return create_engine(url, **kwargs)


class Database:
    """The application's connection to PostgreSQL, as the restricted app role."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(make_engine(url, **kwargs))

    def session(self, actor: Actor | None) -> Session:
        session = self._factory()
        session.info["actor"] = actor
        return session

    @contextmanager
    def unit_of_work(self, actor: Actor | None) -> Iterator[Session]:
        """One transaction bound to ``actor``'s scope: commits on success, rolls back on error."""
        session = self.session(actor)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def actor_of(session: Session) -> Actor | None:
    return session.info.get("actor")


class UnsafeDatabaseRole(RuntimeError):
    """The application's database role could bypass row-level security."""


def assert_restricted_role(engine: Engine) -> None:
    """Refuse to run as a role that is superuser, can bypass RLS, or owns tables."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT r.rolname, r.rolsuper, r.rolbypassrls,"
                # tables owned by this role or by any role it is a member of (which could ALTER them)
                " (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                "  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
                "  AND pg_has_role(r.oid, c.relowner, 'MEMBER'))"
                " FROM pg_roles r WHERE r.rolname = current_user"
            )
        ).one()
    name, is_super, bypass, owned = row
    if is_super or bypass or owned:
        raise UnsafeDatabaseRole(
            f"应用数据库角色 {name} 可绕过行级安全 / the app database role {name!r} can bypass row-level security "
            f"(superuser={is_super}, bypassrls={bypass}, owns or is a member of the owner of {owned} tables): "
            "connect as the restricted role qcp_app"
        )
