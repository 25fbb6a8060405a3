"""GitHub's REST description (the subset a review bot uses), as a request/response checker.

The fake GitHub server checks every request our code makes against this file, so a request
GitHub would refuse (an unknown route, a body with a wrong field) fails the tests that made it,
and checks its own responses too, so the shapes our code reads are GitHub's.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SPEC_PATH = (
    Path(__file__).parents[2] / "fixtures" / "github-rest" / "github-openapi-subset.deref.json"
)

# Real GitHub endpoints the bot or the tests use that the subset leaves out. They take no body.
EXTRA_OPERATIONS = (
    ("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref}"),
    ("GET", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("DELETE", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions/{reaction_id}"),
    ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}"),
    ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("GET", "/repos/{owner}/{repo}/issues/comments"),  # the repository's conversation comments
)
_GREEDY = ("ref", "path")  # parameters that may contain slashes


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    regex: re.Pattern[str]
    spec: dict[str, Any] | None  # None for EXTRA_OPERATIONS


def _compile(template: str) -> re.Pattern[str]:
    def group(m: re.Match[str]) -> str:
        name = m.group(1)
        return f"(?P<{name}>.+)" if name in _GREEDY else f"(?P<{name}>[^/]+)"

    return re.compile("^" + re.sub(r"\{(\w+)\}", group, template) + "$")


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@cache
def operations() -> tuple[Operation, ...]:
    ops = []
    for template, item in spec()["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                ops.append(Operation(method.upper(), template, _compile(template), op))
    ops += [Operation(m, t, _compile(t), None) for m, t in EXTRA_OPERATIONS]
    # Literal segments beat parameters: /pulls/comments must not match /pulls/{pull_number}.
    return tuple(sorted(ops, key=lambda o: o.template.count("{")))


def find_operation(method: str, path: str) -> Operation | None:
    for op in operations():
        if op.method == method and op.regex.match(path):
            return op
    return None


def to_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable: true` becomes a type that admits null."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: to_json_schema(v) for k, v in schema.items() if k not in ("example", "examples")}
    if out.pop("nullable", False):
        if "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*kinds, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


@cache
def _validator(key: str) -> jsonschema.protocols.Validator:
    method, template, where = key.split(" ", 2)
    op = next(o for o in operations() if o.method == method and o.template == template).spec
    assert op is not None
    if where == "request":
        schema = op["requestBody"]["content"]["application/json"]["schema"]
    else:
        schema = op["responses"][where]["content"]["application/json"]["schema"]
    return jsonschema.Draft7Validator(to_json_schema(schema))


def _errors(key: str, value: Any) -> list[str]:
    errors = sorted(_validator(key).iter_errors(value), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:200]}" for e in errors]


def check_request(method: str, path: str, query: dict[str, list[str]], body: Any) -> list[str]:
    """What is wrong with this request by GitHub's description (empty when nothing)."""
    op = find_operation(method, path)
    if op is None:
        return [f"{method} {path}: no such operation in GitHub's REST description"]
    if op.spec is None:
        return [f"{method} {path}: unexpected body"] if body is not None else []
    problems = []
    for param in op.spec.get("parameters", []):
        if param["in"] == "query" and param["name"] in query:
            raw = query[param["name"]][-1]
            schema = to_json_schema(param.get("schema", {}))
            value: Any = raw
            if schema.get("type") in ("integer", "boolean"):
                value = {"true": True, "false": False}.get(raw, raw)
                value = int(raw) if schema["type"] == "integer" and raw.isdigit() else value
            for err in jsonschema.Draft7Validator(schema).iter_errors(value):
                problems.append(f"{method} {op.template} ?{param['name']}={raw}: {err.message}")
    if "requestBody" in op.spec:
        if body is None and op.spec["requestBody"].get("required"):
            problems.append(f"{method} {op.template}: a JSON body is required")
        elif body is not None:
            for err in _errors(f"{method} {op.template} request", body):
                problems.append(f"{method} {op.template} body {err}")
    elif body is not None:
        problems.append(f"{method} {op.template}: this operation takes no body")
    return problems


def check_response(method: str, path: str, status: int, body: Any) -> list[str]:
    """What is wrong with a response by GitHub's description (for checking the fake itself)."""
    op = find_operation(method, path)
    if op is None or op.spec is None:
        return []
    content = op.spec["responses"].get(str(status), {}).get("content", {})
    if "application/json" not in content:
        return []
    errs = _errors(f"{method} {op.template} {status}", body)
    return [f"{method} {op.template} -> {status} {e}" for e in errs]


def example(method: str, template: str, status: int, name: str | None = None) -> Any:
    """GitHub's own example response body for an operation (a fresh copy to edit)."""
    op = next(o for o in operations() if o.method == method and o.template == template).spec
    assert op is not None
    examples = op["responses"][str(status)]["content"]["application/json"]["examples"]
    return copy.deepcopy(examples[name or next(iter(examples))]["value"])
