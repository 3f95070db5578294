"""The article as a reader follows it: its snippets one after another in
one namespace, later ones updating earlier objects. What the YAML alone
shows a reader meets there, without a cluster: a Service, Secret or Gateway
that different snippets name with different ports, keys or listeners
(:func:`inconsistencies`), each with the lines involved.

- Services: definitions with different ports; a backend reference (an
  Ingress rule, a route's backendRef) to a port the article's Service of
  that name does not define; one name referenced with different ports when
  no snippet defines it;
- Secrets: definitions with different keys; a TLS reference (an Ingress's
  ``tls``, a listener's ``certificateRefs``) to an article Secret without
  ``tls.crt`` and ``tls.key``;
- Gateways: definitions with different listeners; a route's ``parentRefs``
  naming a listener (``sectionName``) or port the article's Gateway of that
  name does not have.

Successive versions of one object (a chain, :mod:`.steps`) are an edit the
article makes on purpose; they are reported too, saying so, since a reader
who skips a step meets the difference.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from harness.article.article_plan import ArticlePlan
from harness.article.model import ROUTE_KINDS, is_gateway_api, is_ingress, is_kind, name_of, spec_of
from harness.results.model import Json


@dataclass(frozen=True)
class Inconsistency:
    """Two snippets of the article naming one Service, Secret or Gateway differently."""

    kind: str
    name: str
    lines: tuple[int, ...]
    text: str

    def to_json(self) -> dict[str, Json]:
        return {"kind": self.kind, "name": self.name, "lines": list(self.lines), "text": self.text}


def _docs(ap: ArticlePlan) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(line of the document, chain of its snippet, document) for every object of the article's snippets."""
    for sp in ap.snippets:
        s = sp.snippet
        if not s.kubernetes or s.error:  # a snippet the harness cannot check is still applied by a reader
            continue
        lines = s.doc_lines or [s.line] * len(s.docs)
        for d, n in zip(s.docs, lines, strict=False):
            if isinstance(d, dict):
                yield n, sp.step.chain, d


def _ports(svc: dict[str, Any]) -> tuple[frozenset[tuple[Any, str]], frozenset[str]]:
    ports = [p for p in spec_of(svc).get("ports") or [] if isinstance(p, dict)]
    numbers = frozenset((p.get("port"), str(p.get("protocol") or "TCP")) for p in ports)
    names = frozenset(str(p["name"]) for p in ports if p.get("name"))
    return numbers, names


def _show_ports(numbers: frozenset[tuple[Any, str]]) -> str:
    return ", ".join(f"{p}/{proto}" for p, proto in sorted(numbers, key=str)) or "no ports"


def _keys(secret: dict[str, Any]) -> frozenset[str]:
    out: set[str] = set()
    for field in ("data", "stringData"):
        value = secret.get(field)
        if isinstance(value, dict):
            out.update(str(k) for k in value)
    return frozenset(out)


def _listeners(gw: dict[str, Any]) -> frozenset[tuple[str, str, Any]]:
    return frozenset(
        (str(lst.get("name")), str(lst.get("protocol")), lst.get("port"))
        for lst in spec_of(gw).get("listeners") or []
        if isinstance(lst, dict)
    )


def _backend_refs(d: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(Service, port number or name) of every backend an Ingress or route names."""
    spec = spec_of(d)
    if is_ingress(d):
        backends = [spec.get("defaultBackend") or spec.get("backend")]
        for rule in spec.get("rules") or []:
            for p in ((rule or {}).get("http") or {}).get("paths") or []:
                backends.append((p or {}).get("backend"))
        for b in backends:
            if not isinstance(b, dict):
                continue
            svc = b.get("service")
            if isinstance(svc, dict) and svc.get("name"):
                port = svc.get("port") or {}
                yield str(svc["name"]), port.get("number", port.get("name")) if isinstance(port, dict) else None
            elif b.get("serviceName"):
                yield str(b["serviceName"]), b.get("servicePort")
    elif is_gateway_api(d, *ROUTE_KINDS):
        for rule in spec.get("rules") or []:
            for b in (rule or {}).get("backendRefs") or []:
                if isinstance(b, dict) and b.get("name") and b.get("kind", "Service") == "Service":
                    if b.get("group", "") in ("", "core"):
                        yield str(b["name"]), b.get("port")


def _tls_refs(d: dict[str, Any]) -> Iterator[str]:
    spec = spec_of(d)
    if is_ingress(d):
        for t in spec.get("tls") or []:
            if isinstance(t, dict) and t.get("secretName"):
                yield str(t["secretName"])
    elif is_gateway_api(d, "Gateway"):
        for lst in spec.get("listeners") or []:
            for ref in ((lst or {}).get("tls") or {}).get("certificateRefs") or []:
                if isinstance(ref, dict) and ref.get("name") and ref.get("kind", "Secret") == "Secret":
                    yield str(ref["name"])


def _parent_refs(d: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if is_gateway_api(d, *ROUTE_KINDS):
        for ref in spec_of(d).get("parentRefs") or []:
            if isinstance(ref, dict) and ref.get("name") and ref.get("kind", "Gateway") == "Gateway":
                yield ref


def inconsistencies(ap: ArticlePlan) -> list[Inconsistency]:
    services: dict[str, list[tuple[int, int, frozenset[tuple[Any, str]], frozenset[str]]]] = {}
    secrets: dict[str, list[tuple[int, int, frozenset[str], str]]] = {}
    gateways: dict[str, list[tuple[int, int, frozenset[tuple[str, str, Any]]]]] = {}
    backend_refs: list[tuple[int, str, Any, str]] = []  # line, Service, port, what names it
    tls_refs: list[tuple[int, str, str]] = []
    parent_refs: list[tuple[int, dict[str, Any], str]] = []
    for line, chain, d in _docs(ap):
        what = f"{d.get('kind')} {name_of(d)}"
        if is_kind(d, "Service", ""):
            numbers, names = _ports(d)
            services.setdefault(name_of(d), []).append((line, chain, numbers, names))
        elif is_kind(d, "Secret", ""):
            secrets.setdefault(name_of(d), []).append((line, chain, _keys(d), str(d.get("type") or "Opaque")))
        elif is_gateway_api(d, "Gateway"):
            gateways.setdefault(name_of(d), []).append((line, chain, _listeners(d)))
        backend_refs += [(line, svc, port, what) for svc, port in _backend_refs(d)]
        tls_refs += [(line, s, what) for s in _tls_refs(d)]
        parent_refs += [(line, ref, what) for ref in _parent_refs(d)]
    out: list[Inconsistency] = []

    def versions(chains: list[int]) -> str:
        return " (successive versions of one object)" if len(set(chains)) == 1 and chains[0] else ""

    for name, defs in services.items():
        if len({d[2] for d in defs}) > 1:
            out.append(
                Inconsistency(
                    "Service",
                    name,
                    tuple(d[0] for d in defs),
                    "defined with different ports: "
                    + "; ".join(f"line {d[0]}: {_show_ports(d[2])}" for d in defs)
                    + versions([d[1] for d in defs]),
                )
            )
    named: dict[str, list[tuple[int, Any, str]]] = {}
    for line, svc, port, what in backend_refs:
        if port is None:
            continue
        if svc in services:
            defs = services[svc]
            known = any(
                (isinstance(port, int) and any(p == port for p, _ in d[2])) or (isinstance(port, str) and port in d[3])
                for d in defs
            )
            if not known:
                out.append(
                    Inconsistency(
                        "Service",
                        svc,
                        (line, *(d[0] for d in defs)),
                        f"{what} (line {line}) sends to port {port} of Service {svc}, which the article defines "
                        + "; ".join(f"at line {d[0]} with {_show_ports(d[2])}" for d in defs),
                    )
                )
        else:
            named.setdefault(svc, []).append((line, port, what))
    for svc, refs in named.items():
        if len({str(p) for _, p, _ in refs}) > 1:
            out.append(
                Inconsistency(
                    "Service",
                    svc,
                    tuple(r[0] for r in refs),
                    "named with different ports and defined by no snippet: "
                    + "; ".join(f"{w} (line {n}): port {p}" for n, p, w in refs),
                )
            )
    for name, sdefs in secrets.items():
        if len({(d[2], d[3]) for d in sdefs}) > 1:
            out.append(
                Inconsistency(
                    "Secret",
                    name,
                    tuple(d[0] for d in sdefs),
                    "defined with different keys: "
                    + "; ".join(f"line {d[0]}: {d[3]} {', '.join(sorted(d[2])) or 'no keys'}" for d in sdefs)
                    + versions([d[1] for d in sdefs]),
                )
            )
    for line, name, what in tls_refs:
        for sd in secrets.get(name, []):
            missing = sorted({"tls.crt", "tls.key"} - sd[2])
            if missing:
                out.append(
                    Inconsistency(
                        "Secret",
                        name,
                        (line, sd[0]),
                        f"{what} (line {line}) serves TLS from Secret {name}, whose definition at line {sd[0]} has no "
                        f"{' or '.join(missing)}",
                    )
                )
    for name, gdefs in gateways.items():
        if len({d[2] for d in gdefs}) > 1:
            out.append(
                Inconsistency(
                    "Gateway",
                    name,
                    tuple(d[0] for d in gdefs),
                    "defined with different listeners: "
                    + "; ".join(
                        f"line {d[0]}: " + ", ".join(f"{n} {p}/{port}" for n, p, port in sorted(d[2], key=str))
                        for d in gdefs
                    )
                    + versions([d[1] for d in gdefs]),
                )
            )
    for line, ref, what in parent_refs:
        gdefs = gateways.get(str(ref["name"]), [])
        if not gdefs:
            continue
        section, port = ref.get("sectionName"), ref.get("port")
        if section is not None and not any(section == n for d in gdefs for n, _, _ in d[2]):
            out.append(
                Inconsistency(
                    "Gateway",
                    str(ref["name"]),
                    (line, *(d[0] for d in gdefs)),
                    f"{what} (line {line}) attaches to listener {section}, which the article's Gateway "
                    f"{ref['name']} (line {', '.join(str(d[0]) for d in gdefs)}) does not have",
                )
            )
        if port is not None and not any(port == p for d in gdefs for _, _, p in d[2]):
            out.append(
                Inconsistency(
                    "Gateway",
                    str(ref["name"]),
                    (line, *(d[0] for d in gdefs)),
                    f"{what} (line {line}) attaches to port {port}, on which the article's Gateway {ref['name']} "
                    "has no listener",
                )
            )
    return out
