"""Which rule takes a request, as the APIs define it: paths (Exact, Prefix
by segment), headers, methods and query parameters of HTTP rules; gRPC
service/method matches; hostnames and wildcards. Pure functions: the
expected answer of every row the derivation writes comes from here."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.article.model import PROBE_SUFFIX, WEIGHT_REQUESTS

# --------------------------------------------------------------------------
# paths
# --------------------------------------------------------------------------


def prefix_matches(prefix: str, path: str) -> bool:
    """Prefix by path segment: /api takes /api and /api/x, not /apix."""
    p = prefix.rstrip("/")
    if not p:
        return True
    return path == p or path.startswith(p + "/")


@dataclass(frozen=True)
class Match:
    """One way a request can match a rule: path (Exact, Prefix,
    ImplementationSpecific or RegularExpression), headers, method, query."""

    path_type: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    method: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    def takes(self, path: str, headers: Mapping[str, str], method: str, query: Mapping[str, str]) -> bool:
        if self.path_type == "Exact" and path != self.path:
            return False
        if self.path_type in ("Prefix", "PathPrefix", "ImplementationSpecific") and not prefix_matches(self.path, path):
            return False
        if self.path_type == "RegularExpression":
            return False  # not modelled: such rules are not checkable here
        lower = {k.lower(): v for k, v in headers.items()}
        if any(lower.get(k.lower()) != v for k, v in self.headers):
            return False
        if self.method and self.method != method:
            return False
        return all(query.get(k) == v for k, v in self.query)

    def rank(self) -> tuple[int, int, int, int, int]:
        """Higher wins: Exact over prefix, longer prefix, method, more headers, more query params."""
        return (
            1 if self.path_type == "Exact" else 0,
            len(self.path.rstrip("/")),
            1 if self.method else 0,
            len(self.headers),
            len(self.query),
        )


@dataclass
class Rule:
    match: Match
    backends: dict[str, int]  # Service -> weight
    object: str
    redirect: int | None = None  # a RequestRedirect filter's status code
    sets_headers: dict[str, str] = field(default_factory=dict)  # RequestHeaderModifier set/add


def route(rules: list[Rule], path: str, headers: Mapping[str, str] | None = None, method: str = "GET") -> Rule | None:
    """The rule a request takes among ``rules`` of one host (earlier rules win ties)."""
    path_only, _, qs = path.partition("?")
    query = dict(p.split("=", 1) for p in qs.split("&") if "=" in p)
    best: Rule | None = None
    for r in rules:
        if r.match.takes(path_only, headers or {}, method, query) and (
            best is None or r.match.rank() > best.match.rank()
        ):
            best = r
    return best


def probe_paths(m: Match) -> list[tuple[str, str]]:
    """(path, what it shows) for the path-type semantics of ``m``."""
    p = m.path
    if m.path_type == "Exact":
        return [(p.rstrip("/") + "/" + PROBE_SUFFIX, "an Exact path does not match a longer one")]
    if m.path_type in ("Prefix", "PathPrefix"):
        base = p.rstrip("/")
        if not base:
            return [("/" + PROBE_SUFFIX, "the prefix / takes every path")]
        return [
            (base + "/" + PROBE_SUFFIX, "a Prefix matches a sub-path"),
            (base + "x", "a Prefix matches by segment, not by string"),
        ]
    return []


def tolerance(p: float, n: int = WEIGHT_REQUESTS) -> float:
    """Allowed distance between a backend's measured share and its weight: 3σ of a binomial share, at least 5%."""
    return max(0.05, 3 * math.sqrt(p * (1 - p) / n))


# --------------------------------------------------------------------------
# gRPC
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class GrpcMatch:
    """A GRPCRoute match: service and method (Exact; None matches any),
    exact headers. ``regex`` marks a RegularExpression match (not modelled)."""

    service: str | None = None
    method: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    regex: bool = False

    def takes(self, service: str, method: str, headers: Mapping[str, str]) -> bool:
        if self.regex:
            return False
        if self.service is not None and self.service != service:
            return False
        if self.method is not None and self.method != method:
            return False
        lower = {k.lower(): v for k, v in headers.items()}
        return all(lower.get(k.lower()) == v for k, v in self.headers)

    def rank(self) -> tuple[int, int, int]:
        """GRPCRoute precedence: characters of the matching service, then of the method, then header count."""
        return (len(self.service or ""), len(self.method or ""), len(self.headers))


@dataclass
class GrpcRule:
    match: GrpcMatch
    backends: dict[str, int]
    object: str


def grpc_route(rules: list[GrpcRule], service: str, method: str, headers: Mapping[str, str]) -> GrpcRule | None:
    best: GrpcRule | None = None
    for r in rules:
        if r.match.takes(service, method, headers) and (best is None or r.match.rank() > best.match.rank()):
            best = r
    return best


# --------------------------------------------------------------------------
# hostnames
# --------------------------------------------------------------------------


def is_wildcard(host: str | None) -> bool:
    return bool(host) and str(host).startswith("*.")


def covers(pattern: str | None, host: str, *, one_label: bool = False) -> bool:
    """Whether ``pattern`` (a name, a ``*.`` wildcard, or None for any)
    takes ``host``. Gateway API wildcards take one or more labels;
    ``one_label`` (Ingress) exactly one."""
    if pattern is None:
        return True
    if not is_wildcard(pattern):
        return pattern == host
    suffix = pattern[1:]  # ".example.com"
    if not host.endswith(suffix) or len(host) == len(suffix):
        return False
    head = host[: -len(suffix)]
    return "." not in head if one_label else bool(head)


def intersect(route_host: str | None, listener_host: str | None) -> str | None | bool:
    """The hostname a route's ``route_host`` is served under on a listener
    of ``listener_host`` (either may be None: any): the more specific of the
    two when one covers the other; False when they do not meet."""
    if listener_host is None:
        return route_host
    if route_host is None:
        return listener_host
    if covers(listener_host, route_host) or route_host == listener_host:
        return route_host
    if covers(route_host, listener_host):
        return listener_host
    if is_wildcard(route_host) and is_wildcard(listener_host):
        a, b = route_host[1:], listener_host[1:]
        if a.endswith(b):
            return route_host
        if b.endswith(a):
            return listener_host
    return False


def covered_probe(pattern: str) -> str:
    """A concrete name a wildcard covers (in every wildcard dialect): ``article-check.<domain>``."""
    return f"{PROBE_SUFFIX}.{pattern[2:]}"


def uncovered_probe(pattern: str) -> str:
    """A name a wildcard does not cover (in every dialect): the domain itself."""
    return pattern[2:]
