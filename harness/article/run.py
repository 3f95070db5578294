"""One snippet on one subject, on the cluster: provision what it needs,
apply it as written (server-side, in the test's namespace, classes mapped
as the plan says, hostnames made unique to the namespace), and verify each
check of the plan. Every check is recorded through the test's recorder (the
one recording path of the claims suites too): a check that does not hold is
"does not hold" with what was expected and seen, a check the harness could
not make is "error" with the cause, and the next check still runs.

Applying the snippet is a precondition, not a verdict: when it is refused
(validation, a webhook) or a route is rejected by its Gateway, that is the
one check that does not hold (a reader gets nothing routed), and every check
derived from the snippet is not checkable.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import trustme

from harness.article import derive
from harness.article.derive import BackendNeed, Check, Plan
from harness.checks.expect import Expectation, Scene, describe, probe, verify
from harness.checks.kube import Kube
from harness.checks.manifests import describe as describe_doc
from harness.checks.manifests import load_manifest, rename_hosts, unique_host
from harness.checks.probes import ProbeError
from harness.checks.timeouts import Timeouts
from harness.lab.addons import BoundController
from harness.lab.addons.gateway_api import ECHO_IMAGE
from harness.lab.backends import secret_cert_sha256, tls_secret
from harness.results.errors import CheckFailed, HarnessError
from harness.results.recorder import Recorder


def not_served(kube: Kube, docs: list[dict[str, Any]]) -> str | None:
    """Why the cluster cannot take one of ``docs``: a kind whose CRD is not
    installed (its API group/version is not served at all) or an unknown kind
    of a group it serves."""
    for doc in docs:
        api_version, kind = str(doc["apiVersion"]), str(doc["kind"])
        found = kube.dyn.resources.search(api_version=api_version, kind=kind)
        if found:
            continue
        kube.dyn.resources.invalidate_cache()
        if kube.dyn.resources.search(api_version=api_version, kind=kind):
            continue
        group_served = bool(kube.dyn.resources.search(api_version=api_version))
        if group_served:
            return f"unknown kind: the cluster serves {api_version} but no kind {kind!r} ({describe_doc(doc)})"
        return (
            f"{describe_doc(doc)}: the cluster does not serve {api_version} (its CRD is not installed here; "
            "the harness installs only MetalLB, the Gateway API and the controllers' own CRDs)"
        )
    return None


# --------------------------------------------------------------------------
# provisioning
# --------------------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _fragment(path: str, **variables: Any) -> dict[str, Any]:
    import string
    from pathlib import Path

    import yaml

    from harness.checks.manifests import MANIFESTS

    text = string.Template((MANIFESTS / Path(path)).read_text(encoding="utf-8")).substitute(
        {k: str(v) for k, v in variables.items()}
    )
    return yaml.safe_load(text)


def echo_objects(need: BackendNeed) -> list[dict[str, Any]]:
    """The Deployment (one echo container per targeted port) and, when the
    snippet does not define it, the Service for ``need``."""
    containers: list[dict[str, Any]] = []
    used = {p.target for p in need.ports if isinstance(p.target, int)}
    named: dict[str, int] = {}
    next_free = 8080
    for p in need.ports:
        if p.mode not in ("http", "tcp"):
            continue
        if isinstance(p.target, str):
            if p.target in named:
                continue
            while next_free in used:
                next_free += 1
            named[p.target] = next_free
            used.add(next_free)
            number, port_name = next_free, p.target
        else:
            number, port_name = int(p.target), f"p{int(p.target)}"
            if any(c["ports"][0]["containerPort"] == number for c in containers):
                continue
        n = len(containers)
        common = {"name": f"echo-{n}", "image": ECHO_IMAGE, "port": number, "port_name": port_name[:15]}
        if p.mode == "http":
            containers.append(
                _fragment("article/echo-http-container.yaml", service=need.service, h2c_port=30000 + n, **common)
            )
        else:
            containers.append(_fragment("article/echo-tcp-container.yaml", tls_port=31000 + n, **common))
    out: list[dict[str, Any]] = []
    if containers:
        name = f"echo-{need.service}"[:63]
        out += load_manifest(
            "article/echo-pods.yaml",
            name=name,
            labels=_json({**need.selector, "exposure-harness/echo": name}),
            containers=_json(containers),
        )
    if need.define_service:
        ports = []
        for p in need.ports:
            port: dict[str, Any] = {"port": p.port, "protocol": p.protocol, "targetPort": p.target}
            if p.name:
                port["name"] = p.name
            ports.append(port)
        if len(ports) > 1:
            for i, port in enumerate(ports):
                port.setdefault("name", f"p{port['port']}-{i}")
        out += load_manifest(
            "article/echo-service.yaml", name=need.service, selector=_json(need.selector), ports=_json(ports)
        )
    return out


def gateway_objects(plan: Plan, gateway_class: str) -> list[dict[str, Any]]:
    out = []
    for g in plan.gateways:
        doc: dict[str, Any] | None = None
        for name, protocol, port in g.listeners:
            one = load_manifest(
                "article/gateway.yaml",
                name=g.name,
                gateway_class=gateway_class,
                listener=name,
                protocol=protocol,
                port=port,
            )[0]
            if doc is None:
                doc = one
            else:
                doc["spec"]["listeners"] += one["spec"]["listeners"]
        if doc is not None:
            out.append(doc)
    return out


# --------------------------------------------------------------------------
# the run of one case
# --------------------------------------------------------------------------


@dataclass
class CaseResult:
    bad: str = ""  # the snippet cannot be checked at all (found on the cluster)
    setup: dict[str, Any] = field(default_factory=dict)


def run_plan(
    plan: Plan,
    kube: Kube,
    ns: str,
    subject: BoundController | None,
    run_ca: trustme.CA,
    timeouts: Timeouts,
    rec: Recorder,
) -> CaseResult:
    result = CaseResult()
    why = not_served(kube, plan.objects)
    if why:
        result.bad = why
        return result
    hosts = {h: unique_host(ns, h) for h in plan.hosts}
    result.setup = {"namespace": ns, "hosts": hosts, "subject": plan.subject}
    # what the snippet needs but does not define: the harness's own objects
    for s in plan.secrets:
        names = [hosts.get(h, unique_host(ns, h)) for h in s.hosts] or [unique_host(ns, "article.example.com")]
        tls_secret(kube, ns, s.name, run_ca.issue_cert(*names))
    pods_of: dict[str, BackendNeed] = {}
    for need in plan.backends:
        if need.served_by_article:
            continue
        docs = echo_objects(need)
        if docs:
            kube.apply(docs, namespace=ns)
        if any(p.mode in ("http", "tcp") for p in need.ports):
            pods_of[need.service] = need
    if plan.gateways:
        assert subject is not None and subject.gateway_class
        kube.apply(gateway_objects(plan, subject.gateway_class), namespace=ns, sink=rec)
    # the snippet as written: a precondition of every check derived from it
    try:
        with rec.check(f"{plan.subject}: the snippet applies as written", precondition=True):
            rec.add("applied", [describe_doc(d) for d in plan.objects])
            kube.apply(rename_hosts(plan.objects, hosts), namespace=ns, sink=rec)
    except CheckFailed:
        for c in plan.checks:
            rec.not_checkable(c.id, c.not_checkable or "the snippet did not apply", object=c.object, kind=c.kind)
        return result
    backends: dict[str, list[str]] = {}
    for svc in pods_of:
        backends[svc] = kube.wait_endpoints(ns, svc)
    for alias, members in plan.aliases.items():
        backends[alias] = sorted(p for m in members for p in backends.get(m, []))
    certificates = {}
    for name in {c.rows[0].response.certificate for c in plan.checks if c.kind == "tls" and c.rows}:
        if name:
            certificates[name] = secret_cert_sha256(kube, ns, name)
    base = Scene(
        address="",
        timeouts=timeouts,
        backends=backends,
        hosts=hosts,
        certificates=certificates,
        ca_pem=run_ca.cert_pem.bytes(),
        default_certificate_cn=subject.default_certificate_cn if subject else None,
        subject=plan.subject,
    )
    for c in plan.checks:
        run_check(c, plan, base, kube, ns, subject, rec)
    return result


def _target(c: Check, kube: Kube, ns: str, subject: BoundController | None) -> tuple[str, dict[int, int]]:
    """Where the rows of ``c`` go: an address, and listener port -> port to send to."""
    if c.target.startswith("lb:"):
        return kube.wait_load_balancer(ns, c.target[3:]), {}
    assert subject is not None, f"{c.id}: a controller check without a controller"
    if c.target.startswith("gateway:"):
        _, gw, _listener = c.target.split(":", 2)
        obj = kube.get("gateway.networking.k8s.io/v1", "Gateway", gw, ns) or {}
        addresses = [a.get("value") for a in (obj.get("status") or {}).get("addresses") or [] if a.get("value")]
        ports = {lp: ext for lp, ext in (getattr(subject.addon, "gateway_ports", None) or {}).values()}  # by listener
        return (addresses[0] if addresses else subject.address), ports
    return subject.address, {}


def _at(exp: Expectation, ports: dict[int, int], listener_port: int | None) -> Expectation:
    rq = exp.request
    port = rq.port
    if port is None and listener_port is not None:
        port = listener_port
    if port is not None:
        port = ports.get(port, port)
    return replace(exp, request=replace(rq, port=port))


def _listener_port(c: Check, kube: Kube, ns: str, plan: Plan) -> int | None:
    if not c.target.startswith("gateway:"):
        return None
    _, gw, listener = c.target.split(":", 2)
    for g in plan.gateways:
        if g.name == gw:
            return next((p for n, _, p in g.listeners if n == listener), None)
    for d in plan.objects:
        if d.get("kind") == "Gateway" and derive.name_of(d) == gw:
            for lst in (d.get("spec") or {}).get("listeners") or []:
                if lst.get("name") == listener:
                    return int(lst.get("port"))
    return None


def run_check(
    c: Check, plan: Plan, base: Scene, kube: Kube, ns: str, subject: BoundController | None, rec: Recorder
) -> None:
    """One check of the plan, judged in a soft check block: its failure (or
    the harness's) is recorded and the next check runs."""
    claims = (c.claim,) if c.claim else ()
    if c.not_checkable:
        rec.not_checkable(c.id, c.not_checkable, claims=claims, object=c.object, kind=c.kind)
        return
    with rec.check(c.id, claims=claims, soft=True, object=c.object, kind=c.kind):
        address, ports = _target(c, kube, ns, subject)
        if c.kind == "lb-address":
            rec.add("external address", {"service": c.target[3:], "address": address})
        scene = base.at(address)
        listener_port = _listener_port(c, kube, ns, plan)
        rows = [_at(r, ports, listener_port) for r in c.rows]
        for row in rows:
            if row.response.backend and not scene.backends.get(row.response.backend):
                raise HarnessError(f"{row.response.backend} has no ready echo pods: {base.subject} cannot route to it")
        if c.kind == "weights":
            _weights(c, rows[0], scene, rec)
        else:
            for row in rows:
                verify(row, scene, rec)


def _weights(c: Check, row: Expectation, scene: Scene, rec: Recorder) -> None:
    """The rule answers at all (consistency rule), then ``WEIGHT_REQUESTS``
    requests are counted by the Service whose pod answered."""
    assert c.weights is not None
    verify(row, scene, rec)
    check = probe(row, scene)
    owner = {pod: svc for svc in c.weights for pod in scene.backends.get(svc, [])}
    counts: Counter[str] = Counter()
    started = time.monotonic()
    for _ in range(derive.WEIGHT_REQUESTS):
        try:
            seen = check()
        except (AssertionError, ProbeError) as exc:
            counts[f"error: {str(exc).splitlines()[0][:80]}"] += 1
            continue
        pod = seen.echo.get("pod") if getattr(seen, "echo", None) else None
        counts[owner.get(str(pod), f"other ({pod})")] += 1
    total = sum(c.weights.values())
    n = derive.WEIGHT_REQUESTS
    shares = {svc: counts.get(svc, 0) / n for svc in c.weights}
    data = {
        "requests": n,
        "seconds": round(time.monotonic() - started, 1),
        "answered by": dict(counts),
        "shares": {s: round(v, 3) for s, v in shares.items()},
        "tolerance": c.tolerance,
        "what": describe(row, scene),
    }
    rec.add("weights", data)
    for svc, w in c.weights.items():
        want = w / total if total else 0.0
        tol = derive.tolerance(want)
        assert abs(shares[svc] - want) <= tol, (
            f"{svc} answered {shares[svc]:.0%} of {n} requests; its weight asks {want:.0%} ± {tol:.0%} "
            f"(answered by: {dict(counts)})"
        )
