"""A stand-in for the Keycloak admin API paths that ``tenants.keycloak_admin`` uses (python-keycloak 7.1).

Runs the FastAPI app on uvicorn in a thread on 127.0.0.1 (a socket bound to port 0), answers with
Keycloak's status codes — 201 + ``Location`` on create, 409 on duplicate, 204 on update / role
mapping, 404 on unknown ids, 401 without a valid admin token (python-keycloak then logs in and
retries) — and keeps its state in :class:`KeycloakState` so tests can assert exactly what exists.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request, Response
from fastapi.responses import JSONResponse


@dataclass
class KeycloakState:
    realm: str = "qcp"
    admin_user: str = "admin"
    admin_password: str = "admin-pass"
    tokens: set[str] = field(default_factory=set)
    groups: dict[str, dict] = field(default_factory=dict)  # id → {id, name, path, attributes, parent}
    clients: dict[str, dict] = field(default_factory=dict)  # id → representation (+ secret)
    mappers: dict[str, list[dict]] = field(default_factory=dict)  # client id → mappers
    users: dict[str, dict] = field(default_factory=dict)
    group_members: dict[str, list[str]] = field(default_factory=dict)
    role_mappings: dict[str, list[dict]] = field(default_factory=dict)  # user id → realm roles
    roles: dict[str, dict] = field(default_factory=dict)
    writes: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every POST/PUT

    def __post_init__(self) -> None:
        for name in ("hospital_system", "hospital_submitter", "provincial_admin"):
            self.roles[name] = {
                "id": str(uuid.uuid4()),
                "name": name,
                "composite": False,
                "clientRole": False,
            }

    def reset(self) -> None:
        """Forget every object (the server keeps running between tests)."""
        fresh = KeycloakState(self.realm, self.admin_user, self.admin_password)
        self.__dict__.update(fresh.__dict__)

    def add_user(self, username: str, group_path: str | None = None) -> str:
        """Seed a person (tests of offboarding)."""
        user_id = str(uuid.uuid4())
        self.users[user_id] = {"id": user_id, "username": username, "enabled": True}
        if group_path:
            group = next(g for g in self.groups.values() if g["path"] == group_path)
            self.group_members.setdefault(group["id"], []).append(user_id)
        return user_id

    def group_paths(self) -> list[str]:
        return sorted(g["path"] for g in self.groups.values())


def _public(group: dict) -> dict:
    return {k: group[k] for k in ("id", "name", "path", "attributes")} | {
        "subGroupCount": 0,
        "subGroups": [],
    }


def _page(items: list, request: Request) -> list:
    first = int(request.query_params.get("first", 0))
    size = int(request.query_params.get("max", 100))
    return items[first : first + size]


def _created(request: Request, new_id: str) -> Response:
    return Response(status_code=201, headers={"Location": f"{str(request.url).rstrip('/')}/{new_id}"})


def _conflict(message: str) -> JSONResponse:
    return JSONResponse({"errorMessage": message}, status_code=409)


def build_standin(state: KeycloakState) -> FastAPI:
    app = FastAPI()

    @app.post("/realms/{realm}/protocol/openid-connect/token")
    def token(
        realm: str,
        grant_type: str = Form(...),
        client_id: str = Form(...),
        username: str = Form(""),
        password: str = Form(""),
    ) -> JSONResponse:
        ok = (
            realm == "master"
            and grant_type == "password"
            and client_id == "admin-cli"
            and (username, password) == (state.admin_user, state.admin_password)
        )
        if not ok:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Invalid user credentials"}, 401
            )
        access = secrets.token_urlsafe(24)
        state.tokens.add(access)
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": 60,
                "refresh_expires_in": 1800,
                "refresh_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
            }
        )

    def authorised(request: Request) -> None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in state.tokens:
            raise HTTPException(401, "HTTP 401 Unauthorized")
        if request.method in ("POST", "PUT", "DELETE"):
            state.writes.append((request.method, request.url.path))

    admin = APIRouter(prefix="/admin/realms/{realm}", dependencies=[Depends(authorised)])
    _group_routes(admin, state)
    _client_routes(admin, state)
    _user_routes(admin, state)
    app.include_router(admin)
    return app


def _group_or_404(state: KeycloakState, group_id: str) -> dict:
    if group_id not in state.groups:
        raise HTTPException(404, "Could not find group by id")
    return state.groups[group_id]


def _group_routes(admin: APIRouter, state: KeycloakState) -> None:
    def create(request: Request, body: dict, parent: dict | None) -> Response:
        path = f"{parent['path'] if parent else ''}/{body['name']}"
        if any(g["path"] == path for g in state.groups.values()):
            return _conflict(f"Sibling group named '{body['name']}' already exists.")
        gid = str(uuid.uuid4())
        state.groups[gid] = {
            "id": gid,
            "name": body["name"],
            "path": path,
            "attributes": body.get("attributes") or {},
            "parent": parent["id"] if parent else None,
        }
        return _created(request, gid)

    @admin.post("/groups")
    async def create_top(realm: str, request: Request) -> Response:
        return create(request, await request.json(), None)

    @admin.post("/groups/{group_id}/children")
    async def create_child(realm: str, group_id: str, request: Request) -> Response:
        return create(request, await request.json(), _group_or_404(state, group_id))

    @admin.get("/groups/{group_id}/children")
    def children(realm: str, group_id: str, request: Request) -> list:
        _group_or_404(state, group_id)
        return _page([_public(g) for g in state.groups.values() if g["parent"] == group_id], request)

    @admin.get("/group-by-path/{path:path}")
    def by_path(realm: str, path: str) -> dict:
        wanted = "/" + path.lstrip("/")
        found = next((g for g in state.groups.values() if g["path"] == wanted), None)
        if found is None:
            raise HTTPException(404, "Group path does not exist")
        return _public(found)

    @admin.put("/groups/{group_id}", status_code=204)
    async def update(realm: str, group_id: str, request: Request) -> Response:
        group, body = _group_or_404(state, group_id), await request.json()
        if "attributes" in body:
            group["attributes"] = body["attributes"]
        return Response(status_code=204)

    @admin.get("/groups/{group_id}/members")
    def members(realm: str, group_id: str, request: Request) -> list:
        _group_or_404(state, group_id)
        return _page([state.users[u] for u in state.group_members.get(group_id, [])], request)


def _client_or_404(state: KeycloakState, client_uuid: str) -> dict:
    if client_uuid not in state.clients:
        raise HTTPException(404, "Could not find client")
    return state.clients[client_uuid]


def _client_routes(admin: APIRouter, state: KeycloakState) -> None:
    @admin.get("/clients")
    def clients(realm: str, request: Request, clientId: str | None = None) -> list:  # noqa: N803
        found = [c for c in state.clients.values() if clientId is None or c["clientId"] == clientId]
        return [{k: v for k, v in c.items() if k != "secret"} for c in found]

    @admin.post("/clients")
    async def create(realm: str, request: Request) -> Response:
        body = await request.json()
        if any(c["clientId"] == body["clientId"] for c in state.clients.values()):
            return _conflict(f"Client {body['clientId']} already exists")
        cid = str(uuid.uuid4())
        state.clients[cid] = {**body, "id": cid, "secret": secrets.token_urlsafe(24)}
        state.mappers[cid] = list(body.get("protocolMappers") or [])
        if body.get("serviceAccountsEnabled"):
            user_id = str(uuid.uuid4())
            state.users[user_id] = {
                "id": user_id,
                "username": f"service-account-{body['clientId']}",
                "enabled": True,
                "serviceAccountClientId": body["clientId"],
            }
            state.clients[cid]["serviceAccountUserId"] = user_id
        return _created(request, cid)

    @admin.get("/clients/{client_uuid}")
    def get(realm: str, client_uuid: str) -> dict:
        return {k: v for k, v in _client_or_404(state, client_uuid).items() if k != "secret"}

    @admin.put("/clients/{client_uuid}", status_code=204)
    async def update(realm: str, client_uuid: str, request: Request) -> Response:
        _client_or_404(state, client_uuid).update(
            {k: v for k, v in (await request.json()).items() if k != "id"}
        )
        return Response(status_code=204)

    @admin.get("/clients/{client_uuid}/client-secret")
    def secret(realm: str, client_uuid: str) -> dict:
        return {"type": "secret", "value": _client_or_404(state, client_uuid)["secret"]}

    @admin.get("/clients/{client_uuid}/protocol-mappers/models")
    def mappers(realm: str, client_uuid: str) -> list:
        _client_or_404(state, client_uuid)
        return state.mappers[client_uuid]

    @admin.post("/clients/{client_uuid}/protocol-mappers/models")
    async def add_mapper(realm: str, client_uuid: str, request: Request) -> Response:
        _client_or_404(state, client_uuid)
        body = await request.json()
        if any(m["name"] == body["name"] for m in state.mappers[client_uuid]):
            return _conflict(f"Protocol mapper exists with same name: {body['name']}")
        mid = str(uuid.uuid4())
        state.mappers[client_uuid].append({**body, "id": mid})
        return _created(request, mid)

    @admin.get("/clients/{client_uuid}/service-account-user")
    def service_account(realm: str, client_uuid: str) -> dict:
        client = _client_or_404(state, client_uuid)
        if "serviceAccountUserId" not in client:
            raise HTTPException(400, "Service account not enabled for the client")
        return state.users[client["serviceAccountUserId"]]


def _user_routes(admin: APIRouter, state: KeycloakState) -> None:
    def user_or_404(user_id: str) -> dict:
        if user_id not in state.users:
            raise HTTPException(404, "User not found")
        return state.users[user_id]

    @admin.get("/roles/{name}")
    def role(realm: str, name: str) -> dict:
        if name not in state.roles:
            raise HTTPException(404, "Could not find role")
        return state.roles[name]

    @admin.get("/users/{user_id}/role-mappings/realm")
    def user_roles(realm: str, user_id: str) -> list:
        user_or_404(user_id)
        return state.role_mappings.get(user_id, [])

    @admin.post("/users/{user_id}/role-mappings/realm", status_code=204)
    async def map_roles(realm: str, user_id: str, request: Request) -> Response:
        user_or_404(user_id)
        mapped = state.role_mappings.setdefault(user_id, [])
        for item in await request.json():
            if item["name"] not in state.roles:
                raise HTTPException(404, "Could not find role")
            if all(r["name"] != item["name"] for r in mapped):
                mapped.append(state.roles[item["name"]])
        return Response(status_code=204)

    @admin.put("/users/{user_id}", status_code=204)
    async def update_user(realm: str, user_id: str, request: Request) -> Response:
        user_or_404(user_id).update({k: v for k, v in (await request.json()).items() if k != "id"})
        return Response(status_code=204)


@dataclass
class RunningStandin:
    url: str
    state: KeycloakState
    _server: uvicorn.Server
    _thread: threading.Thread
    _socket: socket.socket

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def start_standin(state: KeycloakState | None = None) -> RunningStandin:
    state = state or KeycloakState()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(
        uvicorn.Config(build_standin(state), log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="keycloak-standin"
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("Keycloak stand-in did not start")
        time.sleep(0.02)
    return RunningStandin(f"http://127.0.0.1:{sock.getsockname()[1]}/", state, server, thread, sock)
