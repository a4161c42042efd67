"""What the providers publish, as the project's own fixtures, and checks against it.

The fixtures under ``tests/fixtures/references/`` restate the parts of the providers' published
interfaces that Order Tracker uses, in our own layout (one JSON file per REST provider, two
``.graphql`` files for Magma), so a clone without ``../shared`` can run every check.
``test_references.py`` compares them with ``../shared/references/`` when that is present.

REST answers and requests are validated with openapi-core (a maintained OpenAPI 3.0/3.1
validator) against an OpenAPI document built from a fixture; nothing here validates JSON by
hand. Two checks are ours on top: no query parameter the operation does not declare, and —
for success bodies only — no field the schema does not declare ("closed" schemas), so our
clients cannot come to depend on a field only the simulator serves.

Run ``python -m tests.conformance.published`` to rewrite the REST fixtures from
``../shared/references/`` after the providers' documents changed (then review the diff).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
import json
import os
from pathlib import Path
import re
from typing import Any
from urllib.parse import urlsplit

from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse

from custom_components.order_tracker.api import CLIENTS

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "references"
# The providers' own documents, beside the clone (ORDER_TRACKER_SHARED points elsewhere).
SHARED = Path(os.environ.get("ORDER_TRACKER_SHARED") or REPO.parent / "shared")
SHARED_REFERENCES = SHARED / "references"

type Json = Any

# Documentation text in a schema: left out of our fixtures (we restate facts, not prose).
PROSE_KEYS = frozenset({"description", "title", "summary", "example", "examples"})


def published_providers() -> list[str]:
    """The providers with a REST fixture (`<provider>.json`), in CLIENTS order."""
    return [provider for provider in CLIENTS if fixture_path(provider).is_file()]


def rest_sources() -> dict[str, tuple[str, dict[str, str]]]:
    """Fixtures restated from an OpenAPI document: (its file, {our name: operationId}).

    Each such fixture names its source document and keeps each operation's operationId, so
    the restatement can be redone from ``../shared/references/`` (see `main`).
    """
    sources = {}
    for provider in published_providers():
        fixture = load_fixture(provider)
        operations = {
            name: operation["operation_id"]
            for name, operation in fixture["operations"].items()
            if "operation_id" in operation
        }
        if operations:
            sources[provider] = (fixture["source"], operations)
    return sources


def production_origin(provider: str) -> str:
    """Where the provider's API lives (the client's default base URL, scheme and host)."""
    parts = urlsplit(CLIENTS[provider].spec.default_base_url)
    return f"{parts.scheme}://{parts.netloc}"


def fixture_path(provider: str) -> Path:
    """The REST fixture of a provider."""
    return FIXTURES / f"{provider}.json"


def load_fixture(provider: str) -> Json:
    """A REST fixture as data."""
    return json.loads(fixture_path(provider).read_text())


# --- restating a published OpenAPI document in our layout -----------------------------------


def strip_prose(node: Json, *, names: bool = False) -> Json:
    """The schema without its documentation text (descriptions, titles, examples).

    ``names``: `node` maps field names to schemas (``properties``), so no key is prose.
    """
    if isinstance(node, dict):
        return {
            key: strip_prose(value, names=key == "properties" and not names)
            for key, value in node.items()
            if names or key not in PROSE_KEYS
        }
    if isinstance(node, list):
        return [strip_prose(item) for item in node]
    return node


def _refs(node: Json) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _closure(roots: Json, schemas: Mapping[str, Json]) -> list[str]:
    """Names of the component schemas `roots` refer to, directly or through each other."""
    seen: list[str] = []
    pending = list(_refs(roots))
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.append(name)
            pending.extend(_refs(schemas[name]))
    return sorted(seen)


def restate_openapi(document: Json, operations: Mapping[str, str]) -> Json:
    """The named operations of a published OpenAPI document, in our fixture layout.

    Kept: paths, methods, parameters, the API key header, the JSON schema of each documented
    answer and every component schema those refer to. Left out: prose and everything else.
    """
    by_id = {
        operation["operationId"]: (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    schemes = document.get("components", {}).get("securitySchemes", {})
    restated: dict[str, Json] = {}
    for name, operation_id in operations.items():
        path, method, operation = by_id[operation_id]
        header = None
        for requirement in operation.get("security", document.get("security", [])):
            for scheme in requirement:
                if schemes[scheme].get("in") == "header":
                    header = schemes[scheme]["name"]
        restated[name] = {
            "operation_id": operation_id,
            "method": method.upper(),
            "path": path,
            "api_key_header": header,
            "parameters": [
                {key: strip_prose(parameter[key]) for key in ("name", "in", "required", "schema")}
                for parameter in operation.get("parameters", [])
            ],
            "responses": {
                status: strip_prose(answer["content"]["application/json"]["schema"])
                for status, answer in operation["responses"].items()
                if "application/json" in answer.get("content", {})
            },
        }
    schemas = document["components"]["schemas"]
    return {
        "openapi": document["openapi"],
        "servers": [server["url"] for server in document.get("servers", [])],
        "operations": restated,
        "schemas": {name: strip_prose(schemas[name]) for name in _closure(restated, schemas)},
    }


def restate_reference(provider: str) -> Json:
    """The provider's REST fixture as it should be, from ``../shared/references/``."""
    filename, operations = rest_sources()[provider]
    document = json.loads((SHARED_REFERENCES / filename).read_text())
    return {"source": filename, **restate_openapi(document, operations)}


# --- from our layout to an OpenAPI document openapi-core can check against -------------------


def _close(node: Json) -> Json:
    """Every object schema with declared properties refuses undeclared ones."""
    if isinstance(node, dict):
        closed = {key: _close(value) for key, value in node.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(node, list):
        return [_close(item) for item in node]
    return node


def build_openapi(fixture: Json) -> Json:
    """An OpenAPI document of the fixture's operations; success bodies are closed schemas."""
    # Every operation's success schemas (a list: keyed by status, one operation's "200" would
    # hide another's).
    success = [
        schema
        for operation in fixture["operations"].values()
        for status, schema in operation.get("responses", {}).items()
        if status.startswith("2")
    ]
    schemas = fixture.get("schemas", {})
    closed = set(_closure(success, schemas))
    paths: dict[str, dict[str, Json]] = {}
    security_schemes: dict[str, Json] = {}
    for name, operation in fixture["operations"].items():
        responses = {
            status: {
                "description": "",
                "content": {
                    "application/json": {
                        "schema": _close(schema) if status.startswith("2") else schema
                    }
                },
            }
            for status, schema in operation.get("responses", {}).items()
        } or {"default": {"description": ""}}
        entry: dict[str, Json] = {
            "operationId": name,
            "parameters": operation.get("parameters", []),
            "responses": responses,
        }
        if header := operation.get("api_key_header"):
            scheme = f"key_in_{header}"
            security_schemes[scheme] = {"type": "apiKey", "in": "header", "name": header}
            entry["security"] = [{scheme: []}]
        paths.setdefault(operation["path"], {})[operation["method"].lower()] = entry
    document: dict[str, Json] = {
        "openapi": fixture["openapi"],
        "info": {"title": f"{fixture['source']} (restated)", "version": "fixture"},
        "paths": paths,
        "components": {
            "schemas": {
                name: _close(schema) if name in closed else schema
                for name, schema in schemas.items()
            },
            "securitySchemes": security_schemes,
        },
    }
    if fixture.get("servers"):
        document["servers"] = [{"url": url} for url in fixture["servers"]]
    return document


@dataclass(frozen=True)
class PublishedApi:
    """One provider's published operations, ready to check requests and answers against."""

    provider: str
    fixture: Json
    openapi: OpenAPI
    origin: str

    def operation_for(self, method: str, path: str) -> Json | None:
        """The fixture operation whose method and path template match, if any."""
        for operation in self.fixture["operations"].values():
            if operation["method"] == method.upper() and _template_matches(
                self.prefix() + operation["path"], path
            ):
                return operation
        return None

    def prefix(self) -> str:
        """The path part of the server URL that the client's origin serves under."""
        for url in self.fixture.get("servers", []):
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" == self.origin:
                return parts.path.rstrip("/")
        return ""

    def _request(
        self, method: str, path: str, query: Mapping[str, str], key: str | None
    ) -> MockRequest:
        headers = {}
        operation = self.operation_for(method, path)
        if key is not None and operation is not None and operation.get("api_key_header"):
            headers[operation["api_key_header"]] = key
        return MockRequest(self.origin, method.lower(), path, args=dict(query), headers=headers)

    def request_errors(
        self, method: str, path: str, query: Mapping[str, str], key: str | None = None
    ) -> list[str]:
        """Why a request does not match a published operation (empty when it does)."""
        where = f"{method} {path}"
        operation = self.operation_for(method, path)
        if operation is None:
            return [f"{where}: no published operation has this method and path"]
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        errors = [
            f"{where}: query parameter {name!r} is not declared by the operation"
            for name in sorted(set(query) - declared)
        ]
        try:
            self.openapi.validate_request(self._request(method, path, query, key))
        except OpenAPIError as err:
            errors.append(f"{where}: {describe(err)}")
        return errors

    def answer_errors(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        status: int,
        body: bytes,
        content_type: str = "application/json",
        key: str | None = None,
    ) -> list[str]:
        """Why an answer does not fit the published schema of its operation and status."""
        request = self._request(method, path, query, key)
        response = MockResponse(body, status_code=status, content_type=content_type)
        try:
            self.openapi.validate_response(request, response)
        except OpenAPIError as err:
            return [f"{method} {path} -> {status}: {describe(err)}"]
        return []

    def documents_status(self, method: str, path: str, status: int) -> bool:
        """Whether the operation publishes a schema for that status."""
        operation = self.operation_for(method, path)
        return operation is not None and str(status) in operation.get("responses", {})


def describe(err: BaseException) -> str:
    """The validator's complaint, with each schema error and where in the document it is."""
    details: list[str] = []
    cause: BaseException | None = err
    while cause is not None:
        for schema_error in getattr(cause, "schema_errors", ()) or ():
            location = "/".join(str(part) for part in schema_error.absolute_path)
            details.append(f"{location or '(root)'}: {schema_error.message}")
        cause = cause.__cause__
    # Short messages name the parameter; long ones repeat the whole document.
    head = str(err) if len(str(err)) <= 120 else type(err).__name__
    return head if not details else f"{head}: " + "; ".join(details)


def _template_matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


@cache
def published(provider: str) -> PublishedApi:
    """The provider's published operations, as its REST fixture restates them."""
    fixture = load_fixture(provider)
    return PublishedApi(
        provider=provider,
        fixture=fixture,
        openapi=OpenAPI.from_dict(build_openapi(fixture)),
        origin=production_origin(provider),
    )


def main() -> None:
    """Rewrite the REST fixtures from ../shared/references/ (review the diff afterwards)."""
    for provider in rest_sources():
        text = json.dumps(restate_reference(provider), indent=2, ensure_ascii=False) + "\n"
        fixture_path(provider).write_text(text)
        print(f"wrote {fixture_path(provider).relative_to(REPO)}")


if __name__ == "__main__":
    main()
