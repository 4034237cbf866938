"""The SDK's types and calls follow docs/openapi.json: every modelled field
exists in its schema with a compatible type and the same required-ness, and
every (method, path, query parameter) the SDK sends exists."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any, Dict, List, Union

import httpx
import pytest
from conftest import REPO

from steward_client import _core
from steward_client import models as m

SPEC = json.loads((REPO / "docs" / "openapi.json").read_text())
SCHEMAS: Dict[str, Any] = SPEC["components"]["schemas"]
REF = "#/components/schemas/"


def resolve(schema: Dict[str, Any]) -> Dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"][len(REF) :]]
    return schema


def types_of(schema: Dict[str, Any]) -> List[str]:
    t = resolve(schema).get("type")
    if t is None and "enum" in resolve(schema):
        return ["string"]
    return t if isinstance(t, list) else [t]


def nullable(schema: Dict[str, Any]) -> bool:
    return "null" in types_of(schema) or any(
        s.get("type") == "null" for s in schema.get("oneOf", []) + schema.get("anyOf", [])
    )


def check(tp: Any, schema: Dict[str, Any], where: str) -> List[str]:
    """Why ``tp`` does not fit ``schema`` (empty if it does)."""
    origin = getattr(tp, "__origin__", None)
    if origin is Union:
        args = [a for a in tp.__args__ if a is not type(None)]
        return check(args[0], schema, where)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        schema = schema["allOf"][0]
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        want = REF + tp.__schema__  # type: ignore[attr-defined]
        return [] if schema.get("$ref") == want else [f"{where}: {tp.__name__} but the schema is {schema}"]
    target = resolve(schema)
    kinds = [k for k in types_of(schema) if k != "null"]
    if origin in (list, List):
        if kinds != ["array"]:
            return [f"{where}: a list but the schema says {kinds}"]
        return check(tp.__args__[0], target["items"], where + "[]")
    if origin in (dict, Dict):
        if kinds != ["object"] or "additionalProperties" not in target:
            return [f"{where}: a mapping but the schema says {kinds}"]
        return check(tp.__args__[1], target["additionalProperties"], where + "{}")
    expected = {str: "string", int: "integer", bool: "boolean", float: "number", datetime: "string"}[tp]
    if kinds != [expected]:
        return [f"{where}: {tp.__name__} but the schema says {kinds}"]
    if tp is datetime and target.get("format") != "date-time":
        return [f"{where}: a datetime but the schema's format is {target.get('format')}"]
    if tp is str and target.get("format") == "date-time":
        return [f"{where}: a str but the schema is a date-time (model it as datetime)"]
    return []


@pytest.mark.parametrize("model", m.MODELS, ids=lambda c: c.__name__)
def test_model_follows_its_schema(model: type) -> None:
    name = model.__schema__  # type: ignore[attr-defined]
    assert name in SCHEMAS, f"{name} is not a schema of docs/openapi.json"
    schema = SCHEMAS[name]
    props: Dict[str, Any] = schema["properties"]
    required = set(schema.get("required", []))
    hints = m.type_hints(model)
    problems: List[str] = []
    for f in dataclasses.fields(model):
        key = f.metadata.get("json", f.name)
        where = f"{model.__name__}.{f.name}"
        if key not in props:
            problems.append(f"{where}: no property `{key}` in {name}")
            continue
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        if (key in required) == has_default:
            problems.append(f"{where}: required in the schema is {key in required}, in the SDK {not has_default}")
        tp = hints[f.name]
        optional = getattr(tp, "__origin__", None) is Union and type(None) in tp.__args__
        if optional and key in required and not nullable(props[key]):
            problems.append(f"{where}: Optional but the schema never sends null")
        if not optional and nullable(props[key]):
            problems.append(f"{where}: the schema allows null but the SDK type does not")
        problems += check(tp, props[key], where)
    if model in m.REQUEST_MODELS:
        # Everything a request may carry can be sent from the SDK.
        missing = set(props) - {f.metadata.get("json", f.name) for f in dataclasses.fields(model)}
        if missing:
            problems.append(f"{model.__name__}: the SDK cannot send {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_every_schema_a_model_references_is_modelled() -> None:
    modelled = {c.__schema__ for c in m.MODELS}  # type: ignore[attr-defined]
    for model in m.MODELS:
        props = SCHEMAS[model.__schema__]["properties"]  # type: ignore[attr-defined]
        for f in dataclasses.fields(model):
            ref = props[f.metadata.get("json", f.name)]
            ref = ref.get("items", ref)
            if "$ref" in ref and "properties" in resolve(ref):
                assert ref["$ref"][len(REF) :] in modelled, f"{model.__name__}.{f.name}"


def test_error_fields_exist() -> None:
    props = SCHEMAS["ErrorBody"]["properties"]
    for key in ("error", "message", "error_id", "findings", "proposal_id"):
        assert key in props, key
    assert SCHEMAS["ErrorBody"]["required"] == ["error", "message"]


SAMPLE_CALLS: List[_core.Call[Any]] = [
    _core.report_refresh("sales.orders", partition="dt=1", table="t", snapshot_id="s", row_count=1, idempotency_key="k"),
    _core.get_refresh("sales.orders", 1),
    _core.list_refreshes("sales.orders", table="t", limit=1),
    _core.find_refresh("sales.orders", "dt=1", table="t"),
    _core.list_partitions("sales.orders", table="t", limit=1),
    _core.search_products("q", domain=["a"], tag=["b"], classification="c", owner="o", limit=1, offset=0),
    _core.get_product("sales.orders"),
    _core.request_access("sales.orders", account="1", justification="j", duration_days=1),
    _core.list_access_requests(status="pending", product="sales.orders", limit=1),
    _core.list_grants(status="active", product="sales.orders", limit=1),
    _core.create_subscription("sales.orders", account="1", channel="email", target="a@b.c"),
    _core.list_subscriptions(product="sales.orders"),
    _core.delete_subscription(1),
    _core.submit_proposal("x: 1"),
    _core.list_proposals(status="s", product="p", submitted_by="u", limit=1, offset=0),
]


def test_every_call_exists_in_the_spec() -> None:
    assert {c.endpoint for c in SAMPLE_CALLS} == set(_core.ENDPOINTS), "a sample for every endpoint"
    for call in SAMPLE_CALLS:
        method, template = _core.ENDPOINTS[call.endpoint]
        assert template in SPEC["paths"], template
        op = SPEC["paths"][template].get(method.lower())
        assert op is not None, f"{method} {template} is not in docs/openapi.json"
        names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        sent = {k for k, _ in call.params}
        assert sent <= names, f"{method} {template}: {sorted(sent - names)} are not parameters"
        path_params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert path_params == {s.split("}")[0] for s in template.split("{")[1:]}, template
        body = op.get("requestBody", {}).get("content", {})
        if call.json is not None:
            schema = body["application/json"]["schema"]
            props = resolve(schema)["properties"]
            assert set(call.json) <= set(props), f"{method} {template}: {sorted(set(call.json) - set(props))}"
        if call.content is not None:
            assert call.headers["Content-Type"] in body, f"{method} {template} does not take {call.headers}"
        success = {int(s) for s in op["responses"] if s.startswith("2")}
        assert success, template


def test_parse_partition() -> None:
    assert _core.parse_partition("dt=2026-11-21/region=eu") == {"dt": "2026-11-21", "region": "eu"}
    assert _core.parse_partition({"dt": "x"}) == {"dt": "x"}
    assert _core.parse_partition(None) == {}
    with pytest.raises(ValueError):
        _core.parse_partition("2026-11-21")


def test_datetime_parsing() -> None:
    assert m.parse_datetime("2026-11-21T06:00:00Z").isoformat() == "2026-11-21T06:00:00+00:00"
    assert m.parse_datetime("2026-11-21T06:00:00.123456789Z").microsecond == 123456
    assert httpx  # the SDK's transport
