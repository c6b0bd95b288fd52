"""The generated references: docs/reference/http.md and openapi.json from the app's OpenAPI document,
docs/reference/cli.md from the Typer app (Typer's own Markdown generation).

``qcp docs generate`` (or ``python -m platform_api.docs_gen``) rewrites them; ``--check`` only compares,
as tests/docs/test_references.py does, so a route or option changed without its reference fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from typer.cli import get_docs_for_click
from typer.main import get_command

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "docs" / "reference"
METHODS = ("get", "post", "put", "patch", "delete")
REGENERATE = "qcp docs generate  (or: python -m platform_api.docs_gen)"
GENERATED_NOTE = (
    "> 由代码生成，请勿手工编辑 / Generated from the code; do not edit by hand. "
    "Regenerate with `qcp docs generate`; `tests/docs/test_references.py` fails when it is stale."
)

Spec = dict[str, Any]


def openapi_document() -> Spec:
    """The app's OpenAPI document (built without a database connection: the document needs none)."""
    from platform_api.app import create_app
    from platform_api.auth.verify import TokenVerifier
    from platform_api.settings import ApiSettings
    from services.core.db import Database

    app = create_app(
        database=Database.from_url("postgresql+psycopg://docs@/docs?host=/nonexistent"),
        settings=ApiSettings(environment="test"),
        verifier=TokenVerifier(server_url="http://127.0.0.1:9/", realm="qcp"),
    )
    return app.openapi()


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: Spec) -> str:
    """A short readable type: `HospitalRead`, `array of string`, `integer | null`."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f"[`{name}`](#{name.lower()})"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " \\| ".join(type_of(s) for s in schema[key])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " \\| ".join(kind)
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if "enum" in schema:
        return f"{kind}: " + ", ".join(f"`{v}`" for v in schema["enum"])
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    return str(kind)


def operations(spec: Spec) -> Iterator[tuple[str, str, Spec]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def _parameters(op: Spec) -> list[str]:
    params = op.get("parameters", [])
    if not params:
        return []
    lines = [
        "**参数 / Parameters**",
        "",
        "| 名称 / name | 位置 / in | 必填 / required | 类型 / type | 说明 / description |",
    ]
    lines.append("|---|---|---|---|---|")
    for p in params:
        schema = p.get("schema", {})
        note = p.get("description") or schema.get("description") or ""
        examples: dict[str, Any] = p.get("examples") or {}
        first: dict[str, Any] = next(iter(examples.values()), {})
        example = first.get("value") if examples else schema.get("examples", [None])[0]
        if example is not None:
            note = f"{note} 例 / e.g. `{example}`".strip()
        required = "是 / yes" if p.get("required") else "否 / no"
        lines.append(f"| `{p['name']}` | {p['in']} | {required} | {type_of(schema)} | {_cell(note)} |")
    return [*lines, ""]


def _example_of(media: Spec) -> Any:
    if "example" in media:
        return media["example"]
    for named in (media.get("examples") or {}).values():
        if "value" in named:
            return named["value"]
    return None


def _json_block(value: Any) -> list[str]:
    if isinstance(value, str):
        return ["```text", *value.rstrip("\n").splitlines(), "```"]
    return ["```json", *json.dumps(value, ensure_ascii=False, indent=2).splitlines(), "```"]


def _request_body(op: Spec) -> list[str]:
    body = op.get("requestBody")
    if not body:
        return []
    lines = ["**请求体 / Request body**" + (" (必填 / required)" if body.get("required") else ""), ""]
    for media_type, media in body.get("content", {}).items():
        lines.append(f"- `{media_type}`: {type_of(media.get('schema', {}))}")
        example = _example_of(media)
        if example is not None:
            lines += ["", "  <details><summary>示例 / example</summary>", ""]
            lines += ["  " + line for line in _json_block(example)]
            lines += ["", "  </details>"]
    return [*lines, ""]


def _error_codes(response: Spec) -> str:
    codes = []
    for media in (response.get("content") or {}).values():
        values = [media.get("example")] + [e.get("value") for e in (media.get("examples") or {}).values()]
        for value in values:
            if isinstance(value, dict):
                code = value.get("error") or (value.get("issue") or [{}])[0].get("code")
                if code and f"`{code}`" not in codes:
                    codes.append(f"`{code}`")
    return ", ".join(codes)


def _responses(op: Spec) -> list[str]:
    lines = [
        "**回答 / Responses**",
        "",
        "| 状态 / status | 说明 / description | 内容 / content | 错误代码 / error |",
    ]
    lines.append("|---|---|---|---|")
    for status, response in op.get("responses", {}).items():
        content = "; ".join(
            f"`{mt}` {type_of(m.get('schema', {}))}" for mt, m in (response.get("content") or {}).items()
        )
        lines.append(
            f"| {status} | {_cell(response.get('description', ''))} | {content or '—'} | {_error_codes(response)} |"
        )
    return [*lines, ""]


def _success_example(op: Spec) -> list[str]:
    for status, response in op.get("responses", {}).items():
        if status.startswith("2"):
            for media_type, media in (response.get("content") or {}).items():
                example = _example_of(media)
                if example is not None:
                    return [
                        f"<details><summary>{status} 示例 / example ({media_type})</summary>",
                        "",
                        *_json_block(example),
                        "",
                        "</details>",
                        "",
                    ]
    return []


def _operation(method: str, path: str, op: Spec) -> list[str]:
    lock = " 🔒" if op.get("security") else ""
    lines = [f"### {method} `{path}`{lock}", "", f"**{op.get('summary', '')}**", ""]
    if op.get("description"):
        lines += [op["description"], ""]
    return lines + _parameters(op) + _request_body(op) + _responses(op) + _success_example(op)


def _schemas(spec: Spec) -> list[str]:
    lines = ["## 数据结构 / Schemas", ""]
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [_cell(schema["description"]), ""]
        props = schema.get("properties") or {}
        if not props:
            lines += [f"类型 / type: {type_of(schema)}", ""]
            continue
        required = set(schema.get("required", []))
        lines += [
            "| 字段 / field | 类型 / type | 必有 / required | 说明 / description |",
            "|---|---|---|---|",
        ]
        for prop, sub in props.items():
            mark = "是 / yes" if prop in required else ""
            lines.append(f"| `{prop}` | {type_of(sub)} | {mark} | {_cell(sub.get('description', ''))} |")
        lines.append("")
    return lines


def render_http(spec: Spec) -> str:
    info = spec["info"]
    ops = list(operations(spec))
    by_tag: dict[str, list[tuple[str, str, Spec]]] = {}
    for method, path, op in ops:
        by_tag.setdefault((op.get("tags") or ["other"])[0], []).append((method, path, op))
    lines = [
        "# HTTP 接口参考 / HTTP API reference",
        "",
        GENERATED_NOTE,
        "",
        f"{info['title']} {info['version']}. {info.get('description', '')}",
        "",
        f"共 {len(ops)} 个操作 / {len(ops)} operations. 机器可读的文档 / the machine-readable document: "
        "[openapi.json](openapi.json)（运行中的平台也在 `/openapi.json` 提供 / also served at `/openapi.json`）。",
        "",
        "标有 🔒 的操作需要 `Authorization: Bearer <token>`，缺少或无效时回答 401；其余公开 / operations marked "
        "🔒 need a bearer token (401 without a valid one); the others are public. Every operation may also "
        "answer 400, 413 and 429 (request guards).",
        "",
        "## 目录 / Contents",
        "",
    ]
    for tag, items in by_tag.items():
        lines.append(f"- **{tag}**: " + ", ".join(f"`{m} {p}`" for m, p, _ in items))
    lines.append("")
    for tag, items in by_tag.items():
        lines += [f"## {tag}", ""]
        for method, path, op in items:
            lines += _operation(method, path, op)
    return "\n".join(lines + _schemas(spec)).rstrip() + "\n"


def render_cli() -> str:
    from platform_api.cli.main import root

    command = get_command(root)
    docs = get_docs_for_click(obj=command, ctx=typer.Context(command), name="qcp", title="qcp")
    header = f"# 命令行参考 / CLI reference\n\n{GENERATED_NOTE}\n\n"
    return header + docs.replace("# qcp\n", "## qcp\n", 1).strip() + "\n"


def render_all() -> dict[Path, str]:
    spec = openapi_document()
    return {
        REFERENCE / "openapi.json": json.dumps(spec, ensure_ascii=False, indent=2) + "\n",
        REFERENCE / "http.md": render_http(spec),
        REFERENCE / "cli.md": render_cli(),
    }


def stale(rendered: dict[Path, str] | None = None) -> list[Path]:
    """The reference files whose committed text differs from what the code renders now."""
    rendered = rendered or render_all()
    return [p for p, text in rendered.items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def generate(check: bool = False) -> list[Path]:
    """Write the references (or, with ``check``, only list the stale ones); returns the stale files."""
    rendered = render_all()
    changed = stale(rendered)
    if not check:
        REFERENCE.mkdir(parents=True, exist_ok=True)
        for path in changed:
            path.write_text(rendered[path], encoding="utf-8")
    return changed


def main(check: bool = False) -> None:
    changed = generate(check)
    names = ", ".join(str(p.relative_to(REPO)) for p in changed) or "nothing"
    if check and changed:
        typer.echo(f"过期 / stale: {names}; run: {REGENERATE}", err=True)
        raise typer.Exit(1)
    if not changed:
        typer.echo("参考文档已是最新 / docs/reference is up to date")
    else:
        typer.echo(f"已更新 / updated: {names}")


if __name__ == "__main__":
    typer.run(main)
