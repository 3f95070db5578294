"""The plan's types: what a snippet needs provisioned, what it promises
(checks as expectation rows), and the small helpers every part of the
derivation uses to read objects. No logic beyond reading: the derivation
lives in :mod:`.derive` and the modules it calls."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.article import schema
from harness.checks.rows import Expectation

GATEWAY_API = schema.GATEWAY_GROUP + "/"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job")
LB_SUBJECT = "metallb"  # controller-independent L4 checks (as in the claims report)
CLUSTER_SUBJECT = "cluster"  # a snippet with no routing object: checked once, on the cluster
PROBE_SUFFIX = "article-check"  # the sub-path and the segment probes append; the label a wildcard probe uses
WEIGHT_REQUESTS = 200  # requests a weighted rule is measured over
DEFAULT_LISTENER_PORTS = {"HTTP": 80, "HTTPS": 443, "TLS": 443, "TCP": 9100, "UDP": 9200}
HTTPISH = re.compile(r"^(http|https|web|h2c|grpc)(-.*)?$")
# The harness's gRPC backend: the Gateway API conformance echo server in gRPC mode. It answers these
# methods naming its pod, and serves reflection (the probe learns message types through it).
GRPC_ECHO_SERVICE = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"
GRPC_ECHO_METHODS = ("Echo", "EchoTwo")
GRPC_REFLECTION = ("grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo")


@dataclass(frozen=True)
class Subject:
    """A controller of the matrix, as the derivation needs it."""

    name: str
    ingress_class: str | None = None
    gateway_class: str | None = None
    # protocol -> (listener port it listens on, port reachable at its address); None: any port, as written
    gateway_ports: Mapping[str, tuple[int, int]] | None = None
    # the controller strings an IngressClass / GatewayClass of this subject names (spec.controller,
    # spec.controllerName); None: unknown, and an article's own class of it is not applied
    ingress_controller: str | None = None
    gateway_controller: str | None = None


class Kind(enum.Enum):
    """What a check checks (``Check.kind`` holds the value)."""

    ROUTES = "routes"
    PATH_TYPE = "path-type"
    HEADERS = "headers"
    WEIGHTS = "weights"
    TLS = "tls"
    WILDCARD = "wildcard"
    ATTACHED = "attached"
    GRPC = "grpc"
    LB_ADDRESS = "lb-address"
    LB_PORT = "lb-port"
    LB_SHARED = "lb-shared"
    TCP_ROUTE = "tcp-route"
    UDP_ROUTE = "udp-route"
    CLASS = "class"
    APPLIED = "applied"


@dataclass(frozen=True)
class AddressWant:
    """What a LoadBalancer Service's address must be: exactly ``address``
    (a requested one, mapped), or one of ``among`` (a pool's)."""

    address: str | None = None
    among: tuple[str, ...] = ()
    pool: str | None = None  # the pool it must come from (as the article names it)


@dataclass
class Check:
    """One promise of one object, and how it is checked."""

    object: str  # "Ingress web-gateway"
    kind: str  # a Kind value: routes, path-type, headers, weights, tls, lb-address, lb-port, tcp-route, ...
    text: str  # the promise, in one line
    rows: list[Expectation] = field(default_factory=list)
    target: str = "controller"  # where requests go: controller | lb:<Service> | gateway:<Gateway>:<listener>
    weights: dict[str, int] | None = None  # Service -> weight (kind "weights")
    tolerance: str = ""
    not_checkable: str = ""
    claim: str | None = None  # the claim of the catalog the same check backs (for the comparison)
    unmet: str = ""  # known from the YAML alone not to hold (the run reports it does not hold, with this)
    address: AddressWant | None = None  # kind lb-address: what the address must be
    services: list[str] = field(default_factory=list)  # kind lb-shared: Services that must share one address

    @property
    def id(self) -> str:
        return f"{self.object}: {self.text}"


class Mode(enum.Enum):
    """How a backend port is served (``PortNeed.mode`` holds the value)."""

    HTTP = "http"  # the echo server, HTTP
    TCP = "tcp"  # the echo server's TCP mode (answers TEST with JSON naming the pod)
    GRPC = "grpc"  # the echo server in gRPC mode (GrpcEcho, server reflection)
    UDP = "udp"  # CoreDNS answering the TXT query whoami.harness with its pod's name
    DNS_TCP = "dns-tcp"  # a TCP port sharing its number with a UDP one: CoreDNS answers it (DNS over TCP)
    NONE = "none"  # not served (SCTP, ...)


@dataclass(frozen=True)
class PortNeed:
    port: int
    name: str | None
    target: int | str  # targetPort as the Service has it (a number or a container port name)
    protocol: str  # TCP, UDP, SCTP
    mode: str  # a Mode value


@dataclass
class BackendNeed:
    """Echo pods (and, when the snippet does not define it, the Service) for one Service."""

    service: str
    selector: dict[str, str]
    ports: list[PortNeed]
    define_service: bool
    served_by_article: str = ""  # a workload of the snippet the Service selects: the harness supplies no pods
    pods_from: str = ""  # another need with the same selector whose pods serve this Service too: make none
    pod_ports: list[PortNeed] = field(default_factory=list)  # what its pods serve when more than its own ports


@dataclass
class SecretNeed:
    name: str
    hosts: list[str]


@dataclass
class GatewayNeed:
    name: str
    listeners: list[tuple[str, str, int]]  # (name, protocol, port)


@dataclass
class PoolNeed:
    """An address pool an article names that the run's environment does not
    have: the run creates it (under a name unique to the test) with these
    addresses."""

    name: str  # as the article names it
    addresses: list[str]


@dataclass
class ClusterObject:
    """A cluster-scoped object of the snippet: applied under a name unique
    to the test (``applied``), with the references to it renamed too, or
    not applied, with the reason."""

    object: str  # "IngressClass external-lb"
    doc: dict[str, Any]
    applied: bool
    reason: str = ""  # why not applied
    subject: str = ""  # the subject whose controller serves it (applied)


@dataclass
class Rename:
    """A name the run makes unique to the test (namespace suffix), in every object of the plan."""

    what: str  # ingress-class, gateway-class, pool, sharing-key
    name: str  # as the article has it


@dataclass
class Plan:
    subject: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    backends: list[BackendNeed] = field(default_factory=list)
    secrets: list[SecretNeed] = field(default_factory=list)
    gateways: list[GatewayNeed] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    aliases: dict[str, list[str]] = field(default_factory=dict)  # "a or b" -> Services, for weighted rules
    checks: list[Check] = field(default_factory=list)
    not_checkable: str = ""  # the whole snippet on this subject
    cluster_objects: list[ClusterObject] = field(default_factory=list)
    pools: list[PoolNeed] = field(default_factory=list)
    renames: list[Rename] = field(default_factory=list)
    mapped_addresses: dict[str, str] = field(default_factory=dict)  # requested (as written) -> the run's


def name_of(doc: dict[str, Any]) -> str:
    return str((doc.get("metadata") or {}).get("name"))


def describe(doc: dict[str, Any]) -> str:
    return f"{doc.get('kind')} {name_of(doc)}"


def is_kind(doc: dict[str, Any], kind: str, group: str | None = None) -> bool:
    if doc.get("kind") != kind:
        return False
    g = schema.split_api_version(str(doc.get("apiVersion", "")))[0]
    if group is None:
        return True
    return g == group


def is_gateway_api(doc: dict[str, Any], *kinds: str) -> bool:
    return str(doc.get("apiVersion", "")).startswith(GATEWAY_API) and doc.get("kind") in kinds


def is_ingress(doc: dict[str, Any]) -> bool:
    return is_kind(doc, "Ingress", "networking.k8s.io")


def is_service(doc: dict[str, Any]) -> bool:
    return is_kind(doc, "Service", "")


def is_lb(doc: dict[str, Any]) -> bool:
    return is_service(doc) and (doc.get("spec") or {}).get("type") == "LoadBalancer"


def spec_of(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc.get("spec")
    return spec if isinstance(spec, dict) else {}


def annotations_of(doc: dict[str, Any]) -> dict[str, Any]:
    ann = (doc.get("metadata") or {}).get("annotations")
    return ann if isinstance(ann, dict) else {}
