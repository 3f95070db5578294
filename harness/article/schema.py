"""The field structure of the kinds an article may show, for re-indenting
YAML a CMS flattened into one line (:mod:`.flat`).

Built-in kinds come from the official ``kubernetes`` client's generated
models (``V1Service.openapi_types`` and ``attribute_map``); the Gateway API
kinds are described here by their field names (v1.x, standard and
experimental channels). A type is one of:

- ``SCALAR``; ``ANY`` (free-form: any key, nesting unknown);
- ``("map", value_type)`` a map with free keys (labels, annotations);
- ``("list", element_type)``;
- ``("struct", {json_field: type})``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

SCALAR = "scalar"
ANY = "any"
Type = Any

BUILTIN_GROUPS = {
    "": "",
    "apps": "Apps",
    "batch": "Batch",
    "networking.k8s.io": "Networking",
    "policy": "Policy",
    "autoscaling": "Autoscaling",
    "rbac.authorization.k8s.io": "RbacAuthorization",
    "discovery.k8s.io": "Discovery",
    "storage.k8s.io": "Storage",
    "scheduling.k8s.io": "Scheduling",
    "coordination.k8s.io": "Coordination",
    "apiextensions.k8s.io": "Apiextensions",
    "admissionregistration.k8s.io": "Admissionregistration",
    "certificates.k8s.io": "Certificates",
    "node.k8s.io": "Node",
    "events.k8s.io": "Events",
}
GATEWAY_GROUP = "gateway.networking.k8s.io"


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def _model(name: str) -> Any:
    import kubernetes.client as k8s

    return getattr(k8s, name, None)


_LIST = re.compile(r"^[Ll]ist\[(.+)\]$")
_DICT = re.compile(r"^[Dd]ict\(str, (.+)\)$")


@cache
def _from_model(name: str) -> Type:
    model = _model(name)
    if model is None or not hasattr(model, "openapi_types"):
        return ANY
    fields = {}
    for attr, typ in model.openapi_types.items():
        fields[model.attribute_map[attr]] = ("lazy", typ)
    return ("struct", fields)


def resolve(t: Type) -> Type:
    """Expand a lazily named model type (``("lazy", "V1ServiceSpec")``)."""
    if isinstance(t, tuple) and t[0] == "lazy":
        return _typestr(t[1])
    return t


def _typestr(typ: str) -> Type:
    if typ in ("str", "int", "bool", "float", "datetime", "date", "bytearray"):
        return SCALAR
    if typ == "object":
        return ANY  # IntOrString, RawExtension, free JSON
    m = _LIST.match(typ)
    if m:
        return ("list", ("lazy", m.group(1)))
    m = _DICT.match(typ)
    if m:
        return ("map", ("lazy", m.group(1)))
    return _from_model(typ)


def _snake(kind: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()


def builtin_scope(api_version: str, kind: str) -> str | None:
    """``"namespaced"`` or ``"cluster"`` for a kind the client's API class of
    that group/version serves (``CoreV1Api.read_namespaced_service``), None
    when the group/version has no such kind (or is not built in)."""
    import kubernetes.client as k8s

    group, version = split_api_version(api_version)
    prefix = BUILTIN_GROUPS.get(group)
    if prefix is None:
        return None
    api = getattr(k8s, f"{prefix or 'Core'}{version[:1].upper()}{version[1:]}Api", None)
    if api is None:
        return None
    if hasattr(api, f"read_namespaced_{_snake(kind)}"):
        return "namespaced"
    if hasattr(api, f"read_{_snake(kind)}"):
        return "cluster"
    return None


def builtin_model(api_version: str, kind: str) -> str | None:
    """The client's model class name for a built-in kind (``V1Service``), or
    None when the client has no such kind in that group/version."""
    if builtin_scope(api_version, kind) is None:
        return None
    _, version = split_api_version(api_version)
    name = f"{version[:1].upper()}{version[1:]}{kind}"
    return name if _model(name) is not None else None


def is_builtin_group(api_version: str) -> bool:
    return split_api_version(api_version)[0] in BUILTIN_GROUPS


# --------------------------------------------------------------------------
# Gateway API (field names of v1.x; experimental fields included)
# --------------------------------------------------------------------------

META = ("lazy", "V1ObjectMeta")
S = SCALAR


def _struct(**fields: Type) -> Type:
    return ("struct", {k.rstrip("_"): v for k, v in fields.items()})


def _list(t: Type) -> Type:
    return ("list", t)


_PARENT = _struct(group=S, kind=S, namespace=S, name=S, sectionName=S, port=S)
_HEADER_MOD = _struct(set=_list(_struct(name=S, value=S)), add=_list(_struct(name=S, value=S)), remove=_list(S))
_FILTER = _struct(
    type=S,
    requestHeaderModifier=_HEADER_MOD,
    responseHeaderModifier=_HEADER_MOD,
    requestMirror=_struct(backendRef=_struct(group=S, kind=S, name=S, namespace=S, port=S), percent=S, fraction=ANY),
    requestRedirect=_struct(
        scheme=S, hostname=S, path=_struct(type=S, replaceFullPath=S, replacePrefixMatch=S), port=S, statusCode=S
    ),
    urlRewrite=_struct(hostname=S, path=_struct(type=S, replaceFullPath=S, replacePrefixMatch=S)),
    extensionRef=_struct(group=S, kind=S, name=S),
    cors=ANY,
    externalAuth=ANY,
)
_BACKEND = _struct(group=S, kind=S, name=S, namespace=S, port=S, weight=S, filters=_list(_FILTER))
_HTTP_MATCH = _struct(
    path=_struct(type=S, value=S),
    headers=_list(_struct(type=S, name=S, value=S)),
    queryParams=_list(_struct(type=S, name=S, value=S)),
    method=S,
)
_GRPC_MATCH = _struct(
    method=_struct(type=S, service=S, method=S),
    headers=_list(_struct(type=S, name=S, value=S)),
)
_TLS_CONFIG = _struct(
    mode=S,
    certificateRefs=_list(_struct(group=S, kind=S, name=S, namespace=S)),
    options=("map", S),
    frontendValidation=ANY,
)
_LISTENER = _struct(
    name=S,
    hostname=S,
    port=S,
    protocol=S,
    tls=_TLS_CONFIG,
    allowedRoutes=_struct(
        namespaces=_struct(from_=S, selector=ANY),
        kinds=_list(_struct(group=S, kind=S)),
    ),
)
_ROUTE_COMMON = {"parentRefs": _list(_PARENT), "hostnames": _list(S)}
_STATUS = ANY

GATEWAY_KINDS: dict[str, Type] = {
    "GatewayClass": _struct(controllerName=S, parametersRef=ANY, description=S),
    "Gateway": _struct(
        gatewayClassName=S,
        listeners=_list(_LISTENER),
        addresses=_list(_struct(type=S, value=S)),
        infrastructure=ANY,
        backendTLS=ANY,
    ),
    "HTTPRoute": (
        "struct",
        {
            **_ROUTE_COMMON,
            "rules": _list(
                _struct(
                    name=S,
                    matches=_list(_HTTP_MATCH),
                    filters=_list(_FILTER),
                    backendRefs=_list(_BACKEND),
                    timeouts=_struct(request=S, backendRequest=S),
                    retry=ANY,
                    sessionPersistence=ANY,
                )
            ),
        },
    ),
    "GRPCRoute": (
        "struct",
        {
            **_ROUTE_COMMON,
            "rules": _list(
                _struct(name=S, matches=_list(_GRPC_MATCH), filters=_list(_FILTER), backendRefs=_list(_BACKEND))
            ),
        },
    ),
    "TCPRoute": ("struct", {**_ROUTE_COMMON, "rules": _list(_struct(name=S, backendRefs=_list(_BACKEND)))}),
    "UDPRoute": ("struct", {**_ROUTE_COMMON, "rules": _list(_struct(name=S, backendRefs=_list(_BACKEND)))}),
    "TLSRoute": ("struct", {**_ROUTE_COMMON, "rules": _list(_struct(name=S, backendRefs=_list(_BACKEND)))}),
    "ReferenceGrant": _struct(
        from_=_list(_struct(group=S, kind=S, namespace=S)), to=_list(_struct(group=S, kind=S, name=S))
    ),
}


def object_type(api_version: str, kind: str) -> Type | None:
    """The field structure of a whole object of ``kind``, or None when the
    harness knows no structure for it (a CRD it has no schema for)."""
    group, _ = split_api_version(api_version)
    if group == GATEWAY_GROUP and kind in GATEWAY_KINDS:
        return _struct(apiVersion=S, kind=S, metadata=META, spec=GATEWAY_KINDS[kind], status=_STATUS)
    model = builtin_model(api_version, kind)
    if model is None:
        return None
    return _from_model(model)


# Kinds of the Gateway API group whose field structure is not described above (policies, attachment):
# real kinds all the same, so a snippet holding one is not an "unknown kind".
OTHER_GATEWAY_KINDS = frozenset({"BackendTLSPolicy", "BackendLBPolicy", "ListenerSet"})


def known_gateway_kind(api_version: str, kind: str) -> bool:
    return split_api_version(api_version)[0] == GATEWAY_GROUP and (kind in GATEWAY_KINDS or kind in OTHER_GATEWAY_KINDS)
