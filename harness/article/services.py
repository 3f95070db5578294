"""Services -> the echo pods behind them and what a LoadBalancer Service
promises: an external address (the one it requests, mapped into the run's
environment; one of the pool it names), each port answering in its
protocol from the Service's own pods (HTTP, TCP, UDP by a real datagram),
and Services with one sharing key and one requested address on one address.

The pods: one echo pod set per selector (two Services selecting the same
pods get the same pods, with the ports of both); a TCP port that shares its
number with a UDP port of the same pods is answered by the UDP echo
(CoreDNS, over TCP), as one process must serve both."""

from __future__ import annotations

import ipaddress
from typing import Any

from harness.article.environment import (
    POOL_ANNOTATIONS,
    REQUEST_ANNOTATIONS,
    SHARE_ANNOTATIONS,
    AddressesExhausted,
    Allocator,
)
from harness.article.model import (
    GRPC_ECHO_METHODS,
    GRPC_ECHO_SERVICE,
    HTTPISH,
    WORKLOAD_KINDS,
    AddressWant,
    BackendNeed,
    Check,
    Kind,
    Mode,
    Plan,
    PoolNeed,
    PortNeed,
    Rename,
    annotations_of,
    describe,
    name_of,
    spec_of,
)
from harness.checks.rows import GRPC_OK, Expectation, Request, Response
from harness.lab.backends import UDP_WHOAMI

DNS_TCP_WHOAMI = len(UDP_WHOAMI).to_bytes(2, "big") + UDP_WHOAMI  # the same query over TCP (RFC 1035 4.2.2)
Refs = dict[str, dict[tuple[Any, str], str]]  # Service -> {(port or port name, protocol): mode}


def selects(selector: dict[str, str], workload: dict[str, Any]) -> bool:
    if workload.get("kind") == "Pod":
        labels = (workload.get("metadata") or {}).get("labels") or {}
    else:
        labels = (((workload.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def service_need(svc: dict[str, Any], refs: Refs, docs: list[dict[str, Any]]) -> BackendNeed:
    """The pods a Service the snippet defines needs, port by port."""
    name = name_of(svc)
    spec = spec_of(svc)
    selector = {str(k): str(v) for k, v in (spec.get("selector") or {}).items()}
    referenced = refs.get(name, {})
    ports: list[PortNeed] = []
    for p in spec.get("ports") or []:
        if not isinstance(p.get("port"), int):
            continue  # no port number: the API refuses the port; nothing to serve
        protocol = str(p.get("protocol") or "TCP")
        number = int(p["port"])
        by_ref = referenced.get((number, protocol)) or (
            referenced.get((p.get("name"), protocol)) if p.get("name") else None
        )
        if protocol == "UDP":
            mode = Mode.UDP.value
        elif protocol != "TCP":
            mode = Mode.NONE.value
        elif by_ref:
            mode = by_ref
        elif HTTPISH.match(str(p.get("name") or "")) or str(p.get("appProtocol") or "").startswith(
            ("http", "kubernetes.io/h2c")
        ):
            mode = Mode.HTTP.value
        else:
            mode = Mode.TCP.value
        ports.append(PortNeed(number, p.get("name"), p.get("targetPort", number), protocol, mode))
    served_by = next(
        (describe(d) for d in docs if d.get("kind") in WORKLOAD_KINDS and selector and selects(selector, d)), ""
    )
    return BackendNeed(name, selector, ports, define_service=False, served_by_article=served_by)


def replace_target(p: PortNeed) -> PortNeed:
    """A supplied Service's port targets a container port of the same number
    (10000 + the port when it is below 1024; UDP keeps its number)."""
    if p.mode == Mode.UDP.value:
        return PortNeed(p.port, p.name, p.port, p.protocol, p.mode)
    return PortNeed(p.port, p.name, p.port if p.port >= 1024 else 10000 + p.port, p.protocol, p.mode)


def supplied_needs(refs: Refs, defined: set[str]) -> list[BackendNeed]:
    """Services the snippet names but never defines: the harness supplies them, with echo pods."""
    out = []
    for svc, ports in refs.items():
        if svc in defined:
            continue
        needs = [
            PortNeed(
                port=port if isinstance(port, int) else 80 + n,
                name=port if isinstance(port, str) else None,
                target=(port if isinstance(port, int) else 80 + n) if mode != Mode.UDP.value else 0,
                protocol=protocol,
                mode=mode,
            )
            for n, ((port, protocol), mode) in enumerate(sorted(ports.items(), key=lambda kv: str(kv[0])))
        ]
        out.append(BackendNeed(svc, {"app": svc}, [replace_target(p) for p in needs], define_service=True))
    return out


def share_pods(needs: list[BackendNeed]) -> None:
    """One pod set per selector: later needs with the selector of an earlier
    one take its pods (``pods_from``), whose ports grow by theirs; then a
    TCP port sharing its target with a UDP port of the same pods is served by
    the UDP echo (mode dns-tcp)."""
    first: dict[frozenset[tuple[str, str]], BackendNeed] = {}
    for need in needs:
        if need.served_by_article or not need.selector:
            continue
        key = frozenset(need.selector.items())
        owner = first.setdefault(key, need)
        if owner is not need:
            need.pods_from = owner.service
    for owner in first.values():
        group = [owner] + [n for n in needs if n.pods_from == owner.service]
        udp = {p.target for n in group for p in n.ports if p.mode == Mode.UDP.value}
        for n in group:
            n.ports = [
                PortNeed(p.port, p.name, p.target, p.protocol, Mode.DNS_TCP.value)
                if p.protocol == "TCP" and p.target in udp
                else p
                for p in n.ports
            ]
        if len(group) > 1:
            owner.pod_ports = [p for n in group for p in n.ports]


# --------------------------------------------------------------------------
# LoadBalancer Services
# --------------------------------------------------------------------------


def lb_checks(svc: dict[str, Any], need: BackendNeed, out: Plan, alloc: Allocator | None, scope: str) -> None:
    """The checks of a LoadBalancer Service (``svc`` is the plan's copy: a
    requested address is rewritten to the run's)."""
    obj = describe(svc)
    name = name_of(svc)
    spec = spec_of(svc)
    cls = spec.get("loadBalancerClass")
    if cls:
        out.checks.append(
            Check(
                obj,
                Kind.LB_ADDRESS.value,
                "gets an external address",
                target=f"lb:{name}",
                not_checkable=f"loadBalancerClass {cls} is not implemented in this cluster "
                "(MetalLB serves Services without a class)",
            )
        )
        return
    ann = annotations_of(svc)
    cloud = sorted(k for k in ann if "aws" in k or "azure" in k or "gcp" in k or "cloud.google" in k)
    if cloud:
        out.notes.append(f"{obj}: cloud-specific annotations {', '.join(cloud)} have no effect on this cluster")
    out.checks.append(_address_check(svc, out, alloc, scope))
    for p in need.ports:
        out.checks.append(_port_check(obj, name, p, need.served_by_article))


def _address_check(svc: dict[str, Any], out: Plan, alloc: Allocator | None, scope: str) -> Check:
    obj, name, spec, ann = describe(svc), name_of(svc), spec_of(svc), annotations_of(svc)
    check = Check(
        obj,
        Kind.LB_ADDRESS.value,
        "gets an external address from the load-balancer implementation",
        target=f"lb:{name}",
        claim="lb-external-address",
    )
    requested: list[tuple[str, str]] = []
    if spec.get("loadBalancerIP"):
        requested.append(("spec.loadBalancerIP", str(spec["loadBalancerIP"])))
    for key in REQUEST_ANNOTATIONS:
        if ann.get(key):
            requested += [(key, a.strip()) for a in str(ann[key]).split(",") if a.strip()]
    pool = next((str(ann[k]) for k in POOL_ANNOTATIONS if ann.get(k)), None)
    want = AddressWant()
    try:
        if requested:
            if alloc is None:
                check.not_checkable = (
                    f"it requests {', '.join(sorted({a for _, a in requested}))}: no environment was given to map "
                    "the address into this run's"
                )
                return check
            mapped: dict[str, str] = {}
            for field_, address in requested:
                try:
                    v6 = ipaddress.ip_address(address).version == 6
                except ValueError:
                    check.not_checkable = f"{field_} {address} is not an address"
                    return check
                if v6:
                    out.notes.append(f"{obj}: requested IPv6 address {address} dropped (the run's range is IPv4)")
                    continue
                mapped[address] = alloc.address(scope, address)
            for address, got in mapped.items():
                out.mapped_addresses[address] = got
                out.notes.append(
                    f"{obj}: requested address {address} mapped to {got}, an address of the run's reserved range "
                    f"{alloc.env.addresses}"
                )
            if spec.get("loadBalancerIP") in mapped:
                spec["loadBalancerIP"] = mapped[spec["loadBalancerIP"]]
            for key in REQUEST_ANNOTATIONS:
                if ann.get(key):
                    kept = [mapped[a.strip()] for a in str(ann[key]).split(",") if a.strip() in mapped]
                    ann[key] = ",".join(kept)
            if mapped:
                want = AddressWant(address=next(iter(mapped.values())))
                check.text = f"gets the address it requests ({', '.join(mapped)}, mapped to {want.address})"
        if pool:
            if alloc is not None and pool in alloc.env.pools:
                want = AddressWant(want.address, want.among, pool)
            elif alloc is None:
                check.not_checkable = f"it asks for pool {pool}: no environment was given to map the pool"
                return check
            else:
                addresses = alloc.pool(scope, pool)
                if not any(p.name == pool for p in out.pools):
                    out.pools.append(PoolNeed(pool, addresses))
                    out.renames.append(Rename("pool", pool))
                    out.notes.append(
                        f"{obj}: address pool {pool} is not of this run; the harness makes a pool of that name "
                        f"(unique to the test) with {', '.join(addresses)} from its reserved range"
                    )
                want = AddressWant(want.address, tuple(addresses), pool)
            check.text += f" from pool {pool}"
    except AddressesExhausted as exc:
        check.not_checkable = str(exc)
        return check
    if want != AddressWant():
        check.address = want
    return check


def _port_check(obj: str, name: str, p: PortNeed, served_by: str) -> Check:
    what = f"port {p.port}/{p.protocol} answers"
    target = f"lb:{name}"
    if served_by:
        return Check(
            obj,
            Kind.LB_PORT.value,
            what,
            target=target,
            not_checkable=f"served by the snippet's own {served_by}: the harness identifies answering pods on its "
            "echo backends only",
        )
    if p.mode == Mode.NONE.value:
        return Check(
            obj,
            Kind.LB_PORT.value,
            what,
            target=target,
            not_checkable=f"protocol {p.protocol} is not probed by the harness",
        )
    if p.mode == Mode.UDP.value:
        return Check(
            obj,
            Kind.LB_PORT.value,
            f"port {p.port}/UDP answers a datagram from {name}'s pods",
            target=target,
            rows=[
                Expectation(
                    Request("udp", port=p.port, payload=UDP_WHOAMI),
                    Response(backend=name),
                    label=f"UDP :{p.port} -> {name}",
                )
            ],
            claim="table-lb-udp",
        )
    if p.mode == Mode.HTTP.value:
        return Check(
            obj,
            Kind.LB_PORT.value,
            f"port {p.port} answers HTTP from {name}",
            target=target,
            rows=[
                Expectation(
                    Request("http", None, "/", port=p.port), Response(backend=name), label=f"HTTP :{p.port} -> {name}"
                )
            ],
        )
    if p.mode == Mode.GRPC.value:
        method = f"/{GRPC_ECHO_SERVICE}/{GRPC_ECHO_METHODS[0]}"
        return Check(
            obj,
            Kind.LB_PORT.value,
            f"port {p.port} answers gRPC from {name}",
            target=target,
            rows=[
                Expectation(
                    Request("grpc", None, method, port=p.port),
                    Response(status=GRPC_OK, backend=name, seen_path=method),
                    label=f"gRPC :{p.port} {method} -> {name}",
                )
            ],
        )
    if p.mode == Mode.DNS_TCP.value:
        request = Request("tcp", port=p.port, payload=DNS_TCP_WHOAMI, until=None)
    else:
        request = Request("tcp", port=p.port)
    return Check(
        obj,
        Kind.LB_PORT.value,
        f"port {p.port}/TCP reaches {name}'s pods",
        target=target,
        rows=[Expectation(request, Response(backend=name), label=f"TCP :{p.port} -> {name}")],
        claim="lb-l4-reach",
    )


def shared_checks(services: list[dict[str, Any]], out: Plan) -> None:
    """LoadBalancer Services with one sharing key: on one address when they
    all request the same one (MetalLB may, but need not, share otherwise)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for svc in services:
        ann = annotations_of(svc)
        key = next((str(ann[k]) for k in SHARE_ANNOTATIONS if ann.get(k)), None)
        if key is not None:
            groups.setdefault(key, []).append(svc)
            if not any(r.what == "sharing-key" and r.name == key for r in out.renames):
                out.renames.append(Rename("sharing-key", key))
    for key, members in groups.items():
        names = [name_of(s) for s in members]
        if len(members) < 2:
            continue
        asked = {
            spec_of(s).get("loadBalancerIP")
            or next((str(annotations_of(s)[k]) for k in REQUEST_ANNOTATIONS if annotations_of(s).get(k)), None)
            for s in members
        }
        check = Check(
            ", ".join(f"Service {n}" for n in names),
            Kind.LB_SHARED.value,
            f"share one address (sharing key {key})",
            target=f"lb:{names[0]}",
            services=names,
        )
        if len(asked) != 1 or None in asked:
            check.not_checkable = (
                "they share a key but do not all request one address: MetalLB may put them on one address "
                "or on several, so neither is a promise"
            )
        out.checks.append(check)
