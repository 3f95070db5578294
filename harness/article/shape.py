"""Whether an object's fields have the shape its kind gives them (a mapping
where the API wants a mapping, a list where it wants a list, a number where
it wants a number), told without a cluster: the API server would refuse an
object that fails, and the derivation reads fields by that shape. The kinds'
structure comes from :mod:`.schema` (the ``kubernetes`` client's models for
built-in kinds, the Gateway API's fields); kinds it does not know are not
checked."""

from __future__ import annotations

from typing import Any

from harness.article import schema

# Gateway API fields that are numbers (its structure in schema.py keeps only their names)
# fields the client types as free "object" that are IntOrString in the API
INT_OR_STRING = frozenset({"targetPort", "port", "maxSurge", "maxUnavailable", "minAvailable"})
GATEWAY_NUMBERS = frozenset({"port", "weight", "statusCode", "percent"})
GATEWAY_STRINGS = frozenset(
    {"name", "hostname", "hostnames", "sectionName", "namespace", "kind", "group", "value", "type", "service"}
    | {"method", "controllerName", "gatewayClassName", "protocol"}
)


def _model_fields(name: str) -> dict[str, str] | None:
    model = schema._model(name)
    if model is None or not hasattr(model, "openapi_types"):
        return None
    return {model.attribute_map[a]: t for a, t in model.openapi_types.items()}


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return f"{value!r}" if isinstance(value, str) and len(value) < 40 else "a string"


def _check_model(value: Any, typ: str, path: str) -> str | None:
    """``value`` against a client model type string (``V1ServiceSpec``, ``list[V1ServicePort]``, ``int``...)."""
    if value is None:
        return None
    if typ in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{path} is {_kind_of(value)}, the API wants a number"
        return None
    if typ in ("str", "datetime", "date", "bytearray"):
        if not isinstance(value, str):
            return f"{path} is {_kind_of(value)}, the API wants a string (quote it)"
        return None
    if typ == "bool":
        if not isinstance(value, bool):
            return f"{path} is {_kind_of(value)}, the API wants true or false"
        return None
    if typ == "object":
        field = path.rsplit(".", 1)[-1].split("[", 1)[0]
        if field in INT_OR_STRING and (isinstance(value, bool) or not isinstance(value, int | str)):
            return f"{path} is {_kind_of(value)}, the API wants a number or a name"
        return None
    if typ.startswith(("list[", "List[")):
        if not isinstance(value, list):
            return f"{path} is {_kind_of(value)}, the API wants a list"
        inner = typ[5:-1]
        for i, v in enumerate(value):
            why = f"{path}[{i}] is empty (null)" if v is None else _check_model(v, inner, f"{path}[{i}]")
            if why:
                return why
        return None
    if typ.startswith(("dict(", "Dict(", "dict[", "Dict[")):
        if not isinstance(value, dict):
            return f"{path} is {_kind_of(value)}, the API wants a mapping"
        inner = typ[typ.index(",") + 1 : -1].strip()
        for k, v in value.items():
            why = _check_model(v, inner, f"{path}.{k}")
            if why:
                return why
        return None
    fields = _model_fields(typ)
    if fields is None:
        return None
    if not isinstance(value, dict):
        return f"{path} is {_kind_of(value)}, the API wants a mapping"
    for k, v in value.items():
        if k in fields:
            why = _check_model(v, fields[k], f"{path}.{k}" if path else str(k))
            if why:
                return why
    return None


def _check_struct(value: Any, t: schema.Type, path: str) -> str | None:
    """``value`` against a structure of :mod:`.schema` (Gateway API kinds)."""
    t = schema.resolve(t)
    if value is None or t == schema.ANY:
        return None
    if isinstance(t, tuple) and t[0] == "lazy":
        return _check_model(value, t[1], path)
    if t == schema.SCALAR:
        if isinstance(value, dict | list):
            return f"{path} is {_kind_of(value)}, the API wants a single value"
        field = path.rsplit(".", 1)[-1].split("[", 1)[0]
        if field in GATEWAY_NUMBERS and (isinstance(value, bool) or not isinstance(value, int)):
            return f"{path} is {_kind_of(value)}, the API wants a number"
        if field in GATEWAY_STRINGS and not isinstance(value, str):
            return f"{path} is {_kind_of(value)}, the API wants a string (quote it)"
        return None
    kind, inner = t
    if kind == "list":
        if not isinstance(value, list):
            return f"{path} is {_kind_of(value)}, the API wants a list"
        for i, v in enumerate(value):
            why = f"{path}[{i}] is empty (null)" if v is None else _check_struct(v, inner, f"{path}[{i}]")
            if why:
                return why
        return None
    if not isinstance(value, dict):
        return f"{path} is {_kind_of(value)}, the API wants a mapping"
    if kind == "map":
        for k, v in value.items():
            why = _check_struct(v, inner, f"{path}.{k}")
            if why:
                return why
        return None
    for k, v in value.items():
        if k in inner:
            why = _check_struct(v, inner[k], f"{path}.{k}" if path else str(k))
            if why:
                return why
    return None


def shape_error(doc: dict[str, Any]) -> str | None:
    """The first field of ``doc`` whose shape the API would refuse, said in one line; None when all fit."""
    api_version, kind = str(doc.get("apiVersion", "")), str(doc.get("kind", ""))
    group, _ = schema.split_api_version(api_version)
    if group == schema.GATEWAY_GROUP and kind in schema.GATEWAY_KINDS:
        return _check_struct(
            {k: v for k, v in doc.items() if k in ("metadata", "spec")},
            schema._struct(metadata=schema.META, spec=schema.GATEWAY_KINDS[kind]),
            "",
        )
    model = schema.builtin_model(api_version, kind)
    if model is None:
        if not isinstance(doc.get("metadata"), dict | None):
            return f"metadata is {_kind_of(doc.get('metadata'))}, the API wants a mapping"
        return None
    return _check_model({k: v for k, v in doc.items() if k not in ("status",)}, model, "")
