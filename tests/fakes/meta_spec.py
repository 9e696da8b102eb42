"""Meta's OpenAPI description of the WhatsApp Cloud API, loaded once, as JSON Schema validators.

The file is Meta's own (tests/specs/), with two known defects repaired as it is loaded, so
the schemas mean what Meta meant rather than being loosened:

1. Outbound messages are `allOf: [BaseMessageProperties, {..., additionalProperties: false}]`.
   The second branch cannot see the first branch's properties, so every real message would
   fail; what is meant is `unevaluatedProperties: false` on the combined schema.
2. The webhook schemas were merged in from another document, and some of their `$ref`s
   still name the outbound schemas (`TextMessage`, `BaseMessageProperties`...) instead of
   the webhook copies that got a numeric suffix (`TextMessage_2`, ...).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

SPEC_FILE = (
    Path(__file__).resolve().parent.parent / "specs/whatsapp-business-messaging-api_v23.0.yaml"
)
SCHEMAS_REF = "#/components/schemas/"
# Everything from this schema on came from Meta's webhook document.
FIRST_WEBHOOK_SCHEMA = "WebhookPayload"
_COPY_NAME = re.compile(r"^(?P<base>.+)_(?P<number>\d+)$")


@functools.cache
def raw_spec() -> dict[str, Any]:
    """The OpenAPI document exactly as Meta publishes it (about 1 MB: parsed once)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_FILE.open(encoding="utf-8") as source:
        document: dict[str, Any] = yaml.load(source, Loader=loader)  # noqa: S506 - a safe loader
    return document


@functools.cache
def repaired_schemas() -> dict[str, Any]:
    """`components.schemas` with both documented defects repaired."""
    schemas: dict[str, Any] = copy.deepcopy(raw_spec()["components"]["schemas"])
    for schema in schemas.values():
        _close_combined_schemas(schema)
    _point_webhooks_at_their_copies(schemas)
    return schemas


@functools.cache
def validator_for(name: str, *, repaired: bool = True) -> Draft202012Validator:
    """A Draft 2020-12 validator of `components.schemas.<name>`."""
    schemas = repaired_schemas() if repaired else raw_spec()["components"]["schemas"]
    # The refs are document-relative (#/components/schemas/...), so the root carries them.
    root = {"$ref": SCHEMAS_REF + name, "components": {"schemas": schemas}}
    return Draft202012Validator(root)


def problems(name: str, instance: Any) -> list[str]:
    """Why `instance` is not a valid `name`, one line per error; empty when it is."""
    errors = validator_for(name).iter_errors(instance)
    return sorted(
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in errors
    )


def _close_combined_schemas(node: Any) -> None:
    for child in _children(node):
        _close_combined_schemas(child)
    if not isinstance(node, dict) or not isinstance(node.get("allOf"), list):
        return
    closed = [
        branch
        for branch in node["allOf"]
        if isinstance(branch, dict) and branch.get("additionalProperties") is False
    ]
    if closed and any("$ref" in branch for branch in node["allOf"]):
        for branch in closed:
            del branch["additionalProperties"]
        node["unevaluatedProperties"] = False


def _point_webhooks_at_their_copies(schemas: dict[str, Any]) -> None:
    names = list(schemas)
    webhook_names = names[names.index(FIRST_WEBHOOK_SCHEMA) :]
    copies: dict[str, str] = {}
    for name in webhook_names:
        match = _COPY_NAME.match(name)
        if match and match["base"] in schemas:
            copies[match["base"]] = name
    for name in webhook_names:
        _rewrite_refs(schemas[name], copies)


def _rewrite_refs(node: Any, copies: dict[str, str]) -> None:
    if isinstance(node, dict):
        target = node.get("$ref")
        if isinstance(target, str) and target.startswith(SCHEMAS_REF):
            name = target.removeprefix(SCHEMAS_REF)
            if name in copies:
                node["$ref"] = SCHEMAS_REF + copies[name]
    for child in _children(node):
        _rewrite_refs(child, copies)


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        yield from node.values()
    elif isinstance(node, list):
        yield from node


def branch_problems(name: str, instance: Any) -> list[str]:
    """The errors against the `oneOf` branch that the body's `type` picks (clearer)."""
    mapping = repaired_schemas()[name].get("discriminator", {}).get("mapping", {})
    kind = instance.get("type") if isinstance(instance, dict) else None
    target = mapping.get(kind)
    if not isinstance(target, str):
        return []
    return [f"as {kind}: {line}" for line in problems(target.removeprefix(SCHEMAS_REF), instance)]
