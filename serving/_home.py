"""The service's own front page (``GET /``): what avstand is, how to authenticate, and every route with an
example, rendered from the exact OpenAPI document (``serving._openapi.amend``) so that it cannot list a
route the service lacks or miss one it has. Plain HTML and one inline style sheet: no script, nothing
fetched from anywhere, printable; the interactive Swagger UI stays at ``/docs``, served from this service.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

__all__ = ["BASE_URL_MARK", "HOME_POLICY", "home_page", "with_base_url"]

# The page has no script and loads nothing: everything but its inline style sheet is refused.
HOME_POLICY = (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
               b"base-uri 'none'; form-action 'none'")
_ENV = Environment(loader=FileSystemLoader(Path(__file__).with_name("pages")), autoescape=True,
                   undefined=StrictUndefined)
_METHOD_ORDER = {"post": 0, "get": 1}
BASE_URL_MARK = "http://avstand-base-url.invalid"  # where each answer puts the address it was asked at
# The Host header is the client's to write: only a plain address is repeated (a long or odd one could make the
# page large or misleading), otherwise the examples show where to put it.
_PLAIN_BASE_URL = re.compile(r"https?://([A-Za-z0-9.\-]{1,100}|\[[0-9A-Fa-f:]{2,45}\])(:[0-9]{1,5})?")
_UNKNOWN_BASE_URL = "http://HOST:PORT"


def with_base_url(page: str, base_url: str) -> str:
    """``page`` (rendered with ``BASE_URL_MARK``) with the address it was asked at, or ``http://HOST:PORT``."""
    base_url = base_url.rstrip("/")
    return page.replace(BASE_URL_MARK, escape(base_url if _PLAIN_BASE_URL.fullmatch(base_url) else _UNKNOWN_BASE_URL))


def home_page(document: dict[str, Any], *, base_url: str) -> str:
    """The front page for an OpenAPI ``document``; ``base_url`` (``http://host:port``) is put in the examples."""
    schemas = document.get("components", {}).get("schemas", {})
    routes = [_route(path, method, operation, schemas, base_url)
              for path, methods in document["paths"].items() for method, operation in methods.items()]
    routes.sort(key=lambda r: (not r["key"], _METHOD_ORDER.get(r["method"].lower(), 2), r["path"]))
    return _ENV.get_template("home.html.j2").render(info=document["info"], routes=routes, base_url=base_url,
                                                   error_fields=list(schemas.get("ErrorOut", {}).get("properties", {})))


def _route(path: str, method: str, operation: dict[str, Any], schemas: dict[str, Any], base_url: str) -> dict:
    key = bool(operation.get("security"))
    body = _example(operation, schemas)
    target = path.replace("{assessment_id}", "0b6f3c52-8a53-4a8e-9a51-3f0f1c2d4e5f")
    command = ["curl", "-s"] + (['-H "Authorization: Bearer $AVSTAND_KEY"'] if key else [])
    if body is not None:
        command += ['-H "Content-Type: application/json"', f"-d '{json.dumps(body)}'"]
    command.append(f"{base_url}{target}")
    return {"path": path, "method": method.upper(), "key": key, "id": (method + path).replace("/", "-").strip("-")
            .replace("{", "").replace("}", "") or method, "description": operation.get("description")
            or operation.get("summary") or "", "curl": " ".join(command), "body": body,
            "answers": [(status, answer.get("description", "")) for status, answer in
                        sorted(operation.get("responses", {}).items())]}


def _example(operation: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """The request body's example from its schema (following a reference), or None without a body."""
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    schema = schemas.get(schema.get("$ref", "").rsplit("/", 1)[-1], schema)
    if "example" in schema:
        return schema["example"]
    items = schema.get("properties", {})
    # A batch: its list of jobseekers, each the single route's example.
    return {name: [spec["items"]["example"]] for name, spec in items.items()
            if spec.get("type") == "array" and "example" in spec.get("items", {})} or None
