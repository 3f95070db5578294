"""One chain of an article's snippets on one subject, on the cluster.

A *chain* is what one test runs in one namespace: a lone snippet, or the
successive versions of one object (:mod:`.steps`), applied in article order
as updates. For each step the run

1. supplies what the plan says the snippet needs but does not define (the
   harness's own objects: echo pods of every mode, :func:`.supply.echo_objects`;
   Secrets from the run's CA; a Gateway; the address pools it names,
   :func:`.supply.pool_objects`): a failure there is an error of the harness;
2. applies the step's full state as written (:func:`.supply.localize`:
   hostnames made unique to the namespace, its own classes, pools and
   sharing keys renamed; cluster-scoped objects first, deleted when the
   chain is done; references to the namespaces its objects came from point
   at the test's, :func:`same_namespace`; host-less rules given a host of
   the test's own, :func:`give_hosts`): a precondition, never a verdict. A
   refused object is a check that does not hold and the checks resting on
   it are not checkable; a Gateway or route its controller rejects does not
   hold, with the status seen, and the checks resting on it are not
   checkable; the echo pods are waited for until the Services' endpoints
   are exactly their live pods (after an update too);
3. runs every check of the step's plan concurrently (they only read), each
   in a soft check block of its own recorder, merged in plan order into the
   step's recorder (the one recording path): traffic rows through the
   consistency rule (:func:`verify`: a wrong backend of the test fails once
   ``update_settle`` has passed, another test's echo pod answering is not
   routed yet, and the harness's error if it lasts, after an update answers
   within ``update_settle`` are not counted) with the steady-wrong-answer window
   (``Timeouts.steady_wrong_answer``), addresses (the one requested, mapped;
   one of the pool named), shared addresses, GatewayClasses accepted,
   weights; a check the plan knows does not hold (``unmet``) is recorded as
   not holding with its reason and the status seen; one the plan cannot
   check stays not checkable with its reason;
4. attaches ``diagnose``'s findings for the objects involved to every check
   that does not hold.

Nothing here decides pass or fail of a pytest test: the caller records each
step's :class:`~harness.results.recorder.Recorder` as a test record.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import trustme

from harness.article import derive, supply
from harness.article.environment import POOL_ANNOTATIONS
from harness.article.model import ROUTE_KINDS, Check, Kind, Plan, PoolNeed
from harness.checks.consistency import Mismatch, consistently, eventually
from harness.checks.expect import probe
from harness.checks.forensics import event_lines, pod_problems
from harness.checks.gates import GATED_KINDS, GATEWAY_GROUP, RejectionWatch
from harness.checks.kube import Kube
from harness.checks.manifests import ManifestError, load_manifest, unique_host
from harness.checks.manifests import describe as describe_doc
from harness.checks.probes import ProbeError
from harness.checks.rows import Expectation, Scene, describe, label
from harness.checks.timeouts import Timeouts
from harness.lab.addons import BoundController
from harness.lab.backends import secret_cert_sha256, tls_secret
from harness.results.errors import CheckFailed, HarnessError, Observed
from harness.results.model import CheckRecord, FailureKind, Seen, Verdict
from harness.results.recorder import Recorder

ALLOCATED_FROM = "metallb.io/ip-allocated-from-pool"
# Paths the harness's HTTP echo server (the Gateway API conformance echo-basic) answers itself, without naming
# its pod: a request for them reaches the backend but cannot say which one.
ECHO_OWN_PATHS = ("/health", "/ws")
ECHO_OWN_PREFIX = "/status/"
ANY_HOST = "any-host.example"  # the host a host-less rule gets (made unique to the test, like every host)
PARALLEL = 16  # checks of one step run at once (they only read: probes and status reads)
DIAGNOSABLE = {
    "Service": "service",
    "Ingress": "ingress",
    "Gateway": "gateway",
    "HTTPRoute": "httproute",
    "GRPCRoute": "grpcroute",
    "TCPRoute": "tcproute",
    "UDPRoute": "udproute",
    "TLSRoute": "tlsroute",
}


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


def gateway_objects(plan: Plan, gateway_class: str) -> list[dict[str, Any]]:
    """The Gateways the plan's routes name but the snippet never defines, on the subject's class."""
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
            if protocol == "TLS":  # a TLSRoute's listener: passthrough (the backend terminates TLS)
                one["spec"]["listeners"][0]["tls"] = {"mode": "Passthrough"}
            if doc is None:
                doc = one
            else:
                doc["spec"]["listeners"] += one["spec"]["listeners"]
        if doc is not None:
            out.append(doc)
    return out


class Unmet(Observed):
    """A promise the YAML alone shows cannot hold (a route no Gateway takes), seen on the cluster too."""

    failure = FailureKind.ASSERTION


@dataclass
class Cleanup:
    """Objects a chain made outside its namespace (cluster-scoped classes, address pools):
    deleted when the chain is done, since they do not go with the namespace."""

    docs: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, docs: Iterable[dict[str, Any]], namespace: str | None = None) -> None:
        for d in docs:
            key = (d["apiVersion"], d["kind"], d["metadata"]["name"], namespace)
            if not any((x["apiVersion"], x["kind"], x["metadata"]["name"], n) == key for x, n in self.docs):
                self.docs.append((d, namespace))

    def run(self, kube: Kube) -> None:
        for d, ns in reversed(self.docs):
            try:
                kube.delete([d], namespace=ns)
            except Exception as exc:  # noqa: BLE001 - one object left behind must not hide the others
                self.problems.append(f"could not delete {describe_doc(d)}: {exc}")
        self.docs.clear()


@dataclass
class StepResult:
    bad: str = ""  # the step cannot be checked at all on this cluster (a kind it does not serve)
    setup: dict[str, Any] = field(default_factory=dict)


@dataclass
class Env:
    """What every step of a chain runs against."""

    kube: Kube
    ns: str
    subject: BoundController | None
    run_ca: trustme.CA
    timeouts: Timeouts
    kubeconfig: Path | None = None  # for diagnose (None: no diagnosis)


# --------------------------------------------------------------------------
# one step
# --------------------------------------------------------------------------


def run_step(
    plan: Plan,
    env: Env,
    rec: Recorder,
    cleanup: Cleanup,
    *,
    update: bool = False,
    check: bool = True,
    label: str = "the snippet applies as written",
) -> StepResult:
    """Supply, apply and check one step (``update``: earlier steps of its
    chain are applied already; without ``check`` it is only supplied and
    applied: a step of the reader's path on the way to the final state)."""
    kube, ns, timeouts = env.kube, env.ns, env.timeouts
    result = StepResult()
    if check:  # a cluster-scoped object of the article the run does not apply: not checkable, with the reason
        for co in plan.cluster_objects:
            if not co.applied:
                rec.not_checkable(f"{co.object}: applied and served", co.reason, object=co.object, kind="class")
    cluster, objects = supply.localize(plan, ns)
    anyhosted = give_hosts(plan, objects, unique_host(ns, ANY_HOST))
    for obj in anyhosted:
        rec.note(
            f"{obj}: its host-less rules were given the host {unique_host(ns, ANY_HOST)} (on a controller other "
            "tests share, a request without a host cannot be told to reach this test's rule)"
        )
    mapped = same_namespace(objects, ns)
    for other in mapped:
        rec.note(f"references to namespace {other} point at the test's namespace (the article's objects are all in it)")
    why = not_served(kube, cluster + objects)
    if why:
        result.bad = why
        return result
    hosts = {h: unique_host(ns, h) for h in [*plan.hosts, ANY_HOST]}
    result.setup = {
        "namespace": ns,
        "subject": plan.subject,
        "hosts": hosts,
        "renamed": {f"{r.what} {r.name}": supply.unique_name(ns, r.name) for r in plan.renames},
        "mapped_addresses": dict(plan.mapped_addresses),
        "pools": {p.name: list(p.addresses) for p in plan.pools},
        "cluster_objects": [describe_doc(d) for d in cluster],
    }
    # -- the harness's own objects: a failure here is an error of the harness ----------------------
    for s in plan.secrets:
        names = [hosts.get(h, unique_host(ns, h)) for h in s.hosts] or [unique_host(ns, "article.example.com")]
        tls_secret(kube, ns, s.name, env.run_ca.issue_cert(*names))
    for pool in plan.pools:
        cidrs = [a if "/" in a or "-" in a else f"{a}/{32 if ':' not in a else 128}" for a in pool.addresses]
        docs = supply.pool_objects(PoolNeed(pool.name, cidrs), ns)
        cleanup.add(docs, "metallb-system")
        kube.apply(docs)
    waits: list[str] = []  # Services whose endpoints the checks need
    rollouts: list[str] = []  # the echo Deployments applied: an update replaces their pods
    serving: dict[str, str] = {}  # Service -> the echo Deployment whose pods serve it
    for need in plan.backends:
        if need.served_by_article:
            continue
        docs = supply.echo_objects(need)
        if docs:
            kube.apply(docs, namespace=ns)
            rollouts += [d["metadata"]["name"] for d in docs if d.get("kind") == "Deployment"]
        if any(p.mode != "none" for p in need.pod_ports or need.ports):
            waits.append(need.service)
            serving[need.service] = f"echo-{need.pods_from or need.service}"[:63]
    if plan.gateways:
        if env.subject is None or not env.subject.gateway_class:
            raise HarnessError(f"the plan supplies a Gateway but {plan.subject} has no GatewayClass")
        kube.apply(gateway_objects(plan, env.subject.gateway_class), namespace=ns, sink=rec)
    # -- the snippet as written: a precondition of every check derived from it ------------------------
    # each object on its own: a refused one is the check that does not hold, the checks resting on it are not
    # checkable, and the others still run on what did apply
    rec.add("applied", [describe_doc(d) for d in cluster + objects])
    cleanup.add(cluster)
    refused: dict[str, str] = {}
    for d, where in [(d, None) for d in cluster] + [(d, ns) for d in objects]:
        obj = describe_doc(d)
        try:
            with rec.check(f"{plan.subject}: {label}: {obj}", precondition=True, object=obj, kind="applied"):
                as_written(kube, [d], where, rec)
        except CheckFailed as exc:
            refused[obj] = exc.failed.seen.text
    applied_at = time.monotonic()
    if refused and env.kubeconfig is not None:
        diagnose_failures(rec, env.kubeconfig, ns)
    if refused and len(refused) == len(cluster) + len(objects):
        for c in plan.checks if check else []:
            rec.not_checkable(
                c.id,
                c.not_checkable or f"the snippet did not apply: {next(iter(refused.values()))}",
                claims=_claims(c),
                object=c.object,
                kind=c.kind,
            )
        return result
    if not check:
        return result
    # -- accepted by their controllers (routes, Gateways) and backends ready, at once ----------------
    needed = resting_on(plan)
    gated = [
        d
        for d in objects
        if str(d.get("apiVersion", "")).startswith(GATEWAY_GROUP + "/")
        and d.get("kind") in GATED_KINDS
        and describe_doc(d) in needed
        and describe_doc(d) not in refused
    ]
    blocked: dict[str, str] = {o: f"{o} was refused: {why}" for o, why in refused.items()}  # object -> why not
    backends: dict[str, list[str]] = {}
    errors: list[str] = []

    def gate(doc: dict[str, Any]) -> Recorder:
        child = Recorder()
        obj = describe_doc(doc)
        try:
            with child.check(f"{obj}: accepted by its controller", precondition=True, object=obj, kind="accepted"):
                kube.wait_accepted(doc["apiVersion"], doc["kind"], doc["metadata"]["name"], ns, sink=child)
        except CheckFailed as exc:
            blocked[obj] = f"{obj} was not accepted: {exc.failed.seen.text}"
        return child

    def endpoints(svc: str) -> None:
        try:
            backends[svc] = settled_endpoints(kube, ns, svc, serving[svc])
        except Exception as exc:  # noqa: BLE001 - the harness's own pods: said as an error below
            errors.append(f"echo pods of {svc} not ready: {str(exc).splitlines()[0] if str(exc) else exc}")

    def rolled_out(name: str) -> None:
        try:
            kube.wait_deployments(ns, [name])
        except Exception as exc:  # noqa: BLE001 - the harness's own pods: said as an error below
            errors.append(f"echo Deployment {name} not rolled out: {str(exc).splitlines()[0] if str(exc) else exc}")

    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as workers:
        gates = [workers.submit(gate, d) for d in gated]
        # every echo pod set rolled out first (an update replaces the pods: the scene must name the new ones)
        for f in [workers.submit(rolled_out, n) for n in rollouts]:
            f.result()
        for f in [workers.submit(endpoints, s) for s in waits]:
            f.result()
        for g in gates:
            merge(rec, g.result())
    if errors:
        raise HarnessError("; ".join(errors))
    for alias, members in plan.aliases.items():
        backends[alias] = sorted(p for m in members for p in backends.get(m, []))
    served_by_article = {n.service: n.served_by_article for n in plan.backends if n.served_by_article}
    certificates, unreadable = _certificates(plan, kube, ns)
    scene = Scene(
        address="",
        timeouts=timeouts,
        backends=backends,
        hosts=hosts,
        certificates=certificates,
        ca_pem=env.run_ca.cert_pem.bytes(),
        default_certificate_cn=env.subject.default_certificate_cn if env.subject else None,
        subject=plan.subject,
        namespaces=(ns,),
    )
    ctx = StepContext(
        plan,
        env,
        scene,
        blocked,
        served_by_article,
        unreadable,
        update,
        not_before=applied_at + timeouts.update_settle if update else 0.0,
        anyhost=frozenset(anyhosted),
    )
    # -- every check, at once; recorded in plan order -----------------------------------------------
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as workers:
        checked = [workers.submit(run_check, c, ctx) for c in plan.checks]
        for done in checked:
            merge(rec, done.result())
    if env.kubeconfig is not None:
        diagnose_failures(rec, env.kubeconfig, ns)
    return result


CONTENT_REFUSALS = ("HTTP 400", "failed to convert new object", "error decoding", "illegal base64", "cannot unmarshal")


class Refused(Observed):
    """The API server refused an object of the article for what it holds (it does not decode, say)."""

    failure = FailureKind.ADMISSION


def as_written(kube: Kube, docs: list[dict[str, Any]], ns: str | None, rec: Recorder) -> None:
    """Apply the article's objects without waiting on their status: a refusal
    for their content (admission, validation, a field that does not decode)
    is an observation of the article's object; anything else the API says is
    the harness's error."""
    for d in docs:
        try:
            kube.apply([d], namespace=ns, gate=False, sink=rec)
        except ManifestError as exc:
            text = str(exc)
            if any(mark in text for mark in CONTENT_REFUSALS):
                raise Refused(f"apply {describe_doc(d)}", "the object admitted", Seen(text)) from None
            raise


def give_hosts(plan: Plan, objects: list[dict[str, Any]], host: str) -> list[str]:
    """Host-less rules (an Ingress rule without ``host``, a route without
    ``hostnames``) of the objects whose checks send requests without a host
    get ``host``: on a controller other tests share, a request that names no
    host may reach another test's host-less rule, and an answer from it would
    say nothing of this one (or, for a row that must not be answered, hold
    falsely). Objects with an HTTPS row without a host keep theirs (its
    certificate names no host). Returns the objects changed."""
    rows = [(c.object, r) for c in plan.checks for r in c.rows if r.request.protocol in ("http", "https", "grpc")]
    hostless = {o for o, r in rows if r.request.host is None}
    tls = {o for o, r in rows if r.request.host is None and r.request.protocol == "https"}
    # a row for a named host that a host-less rule must answer (the domain a wildcard does not cover, say): the
    # host-less rule keeps answering every host, as written
    named = {r.response.backend for _, r in rows if r.request.host is not None and r.response.reached}
    fallback = {o for o, r in rows if r.request.host is None and r.response.reached and r.response.backend in named}
    changed = []
    for d in objects:
        obj = describe_doc(d)
        if obj not in hostless or obj in tls or obj in fallback:
            continue
        spec: dict[str, Any] = d["spec"] if isinstance(d.get("spec"), dict) else {}
        if d.get("kind") == "Ingress":
            rules = [r for r in spec.get("rules") or [] if isinstance(r, dict) and not r.get("host")]
            for r in rules:
                r["host"] = host
            if rules:
                changed.append(obj)
        elif d.get("kind") in ("HTTPRoute", "GRPCRoute") and not spec.get("hostnames"):
            spec["hostnames"] = [host]
            changed.append(obj)
    return changed


def same_namespace(objects: list[dict[str, Any]], ns: str) -> list[str]:
    """Every namespace the article's objects name in a reference (parentRefs,
    backendRefs, certificateRefs, a ReferenceGrant's from) made the test's:
    the article's objects all go into the test's namespace, so a reference to
    the namespace they came from must follow them. Returns the namespaces mapped."""
    mapped: set[str] = set()

    def fix(ref: Any) -> None:
        if isinstance(ref, dict) and isinstance(ref.get("namespace"), str) and ref["namespace"] != ns:
            mapped.add(ref["namespace"])
            ref["namespace"] = ns

    for d in objects:
        spec: dict[str, Any] = d["spec"] if isinstance(d.get("spec"), dict) else {}
        if not str(d.get("apiVersion", "")).startswith(GATEWAY_GROUP + "/"):
            continue
        if d.get("kind") in ROUTE_KINDS:
            for ref in spec.get("parentRefs") or []:
                fix(ref)
            for rule in spec.get("rules") or []:
                for ref in (rule or {}).get("backendRefs") or []:
                    fix(ref)
        elif d.get("kind") == "Gateway":
            for lst in spec.get("listeners") or []:
                for ref in ((lst or {}).get("tls") or {}).get("certificateRefs") or []:
                    fix(ref)
        elif d.get("kind") == "ReferenceGrant":
            for ref in spec.get("from") or []:
                fix(ref)
    return sorted(mapped)


def settled_endpoints(kube: Kube, ns: str, svc: str, deployment: str) -> list[str]:
    """The pods behind ``svc`` once its ready endpoints are exactly the live
    pods of the echo Deployment serving it: after an update (a chain's next
    step, the reader's path) the pods a previous version had must be gone
    from the scene, or the new ones answering would look like someone else."""

    def settled() -> list[str]:
        pods = kube.core.list_namespaced_pod(ns, label_selector=f"exposure-harness/echo={deployment}").items
        live = {p.metadata.name for p in pods if not p.metadata.deletion_timestamp}
        going = {p.metadata.name for p in pods if p.metadata.deletion_timestamp}
        ready = {
            ep.target_ref.name
            for sl in kube._endpoint_slices(ns, svc)
            for ep in (sl.endpoints or [])
            if ep.conditions and ep.conditions.ready and ep.target_ref
        }
        assert live and live <= ready and not ready & going, (
            f"Service {svc}: ready endpoints {sorted(ready)}, live pods of {deployment} {sorted(live)}"
            + (f", going {sorted(going)}" if going else "")
        )
        return sorted(ready)

    return eventually(
        settled,
        what=f"endpoints of {ns}/{svc} are the pods of {deployment}",
        timeouts=kube.timeouts,
        deadline=kube.timeouts.object_ready,
        hint=lambda: f"pods in {ns}: {pod_problems(kube, ns) or 'none unhealthy'}",
    )


def resting_on(plan: Plan) -> set[str]:
    """The objects the plan's checkable checks rest on (the routes and
    Gateways whose acceptance is waited on before traffic)."""
    out: set[str] = set()
    for c in plan.checks:
        if c.not_checkable or c.unmet:
            continue
        out.update(part.strip() for part in c.object.split(", "))
        if c.target.startswith("gateway:"):
            out.add(f"Gateway {c.target.split(':')[1]}")
    return out


def merge(rec: Recorder, child: Recorder) -> None:
    """A child recorder's checks, evidence and notes into ``rec`` (after its check blocks are closed)."""
    rec.checks.extend(child.checks)
    rec.items.extend(child.items)
    for n in child.notes:
        rec.note(n)


def _claims(c: Check) -> tuple[str, ...]:
    return (c.claim,) if c.claim else ()


def _certificates(plan: Plan, kube: Kube, ns: str) -> tuple[dict[str, str], dict[str, str]]:
    """SHA-256 of each Secret a TLS row names; and Secrets whose certificate cannot be read, with why."""
    names = {
        r.response.certificate
        for c in plan.checks
        for r in c.rows
        if r.response.certificate and r.response.certificate != "default"
    }
    out, unreadable = {}, {}
    for name in sorted(names):
        try:
            out[name] = secret_cert_sha256(kube, ns, name)
        except Exception as exc:  # noqa: BLE001 - an article's own Secret may hold anything
            unreadable[name] = f"Secret {name} holds no certificate the harness can read ({type(exc).__name__})"
    return out, unreadable


# --------------------------------------------------------------------------
# one check
# --------------------------------------------------------------------------


@dataclass
class StepContext:
    plan: Plan
    env: Env
    scene: Scene
    blocked: dict[str, str]
    served_by_article: dict[str, str]
    unreadable: dict[str, str]
    update: bool
    not_before: float = 0.0  # an update: answers before this instant (monotonic) may be the previous version's
    anyhost: frozenset[str] = frozenset()  # objects whose host-less rules were given ANY_HOST


def run_check(c: Check, ctx: StepContext) -> Recorder:
    """One check of the plan in a soft check block of its own recorder: its
    failure (or the harness's) is recorded and the other checks still run."""
    rec = Recorder()
    claims = _claims(c)
    why = _not_checkable(c, ctx)
    if why:
        rec.not_checkable(c.id, why, claims=claims, object=c.object, kind=c.kind)
        return rec
    with rec.check(c.id, claims=claims, soft=True, object=c.object, kind=c.kind):
        if c.unmet:
            _unmet(c, ctx, rec)
        elif c.kind == Kind.CLASS.value:
            _class_accepted(c, ctx, rec)
        elif c.kind == Kind.LB_ADDRESS.value:
            _lb_address(c, ctx, rec)
        elif c.kind == Kind.LB_SHARED.value:
            _lb_shared(c, ctx, rec)
        else:
            address, ports, listener_port = _target(c, ctx)
            scene = ctx.scene.at(address)
            rows = [_at(r, ports, listener_port) for r in c.rows]
            if c.object in ctx.anyhost:
                rows = [
                    replace(r, request=replace(r.request, host=ANY_HOST)) if r.request.host is None else r for r in rows
                ]
            for row in rows:
                if row.response.backend and not scene.backends.get(row.response.backend):
                    raise HarnessError(
                        f"{row.response.backend} has no ready echo pods: {ctx.scene.subject} cannot route to it"
                    )
            # a controller may program a snippet's rules as its backends' endpoints appear, one by one, fresh
            # objects or not: a wrong backend in the first update_settle seconds is recorded, then fails at once
            settle = ctx.env.timeouts.update_settle
            if c.kind == Kind.WEIGHTS.value:
                _weights(c, rows[0], scene, rec, settle, ctx.not_before)
            else:
                for row in rows:
                    verify(row, scene, rec, settle=settle, not_before=ctx.not_before)
    return rec


def verify(exp: Expectation, scene: Scene, rec: Recorder, *, settle: float = 0.0, not_before: float = 0.0) -> Any:
    """:func:`harness.checks.expect.verify` for an article's row, on a cluster
    other tests share: the same consistency rule with the steady-wrong-answer
    window. An answer from an echo pod of a namespace this test did not make
    (an Ingress of another test catching every host while this one's rule is
    not programmed yet) is the consistency rule's ``Foreign``: not yet routed,
    and the harness's ``Interference`` error if it lasts, never a refutation;
    a wrong backend of this test still fails once ``settle`` has passed.
    After an update, answers before ``not_before`` (``update_settle`` after
    the apply) are observed but not counted: the previous version may still
    be served."""
    inner = probe(exp, scene)

    def check() -> Any:
        value = inner()
        if time.monotonic() < not_before:
            text = "as expected, but within update_settle of the update: not counted (an old version may answer)"
            raise Mismatch(text, Seen(text))
        return value

    with rec.check(label(exp, scene)):
        seen, transcript = consistently(
            check,
            what=describe(exp, scene),
            timeouts=scene.timeouts,
            failure=FailureKind.TRAFFIC,
            settle=settle,
            steady=scene.timeouts.steady_wrong_answer,
        )
        rec.add(label(exp, scene), transcript)
    return seen


def _not_checkable(c: Check, ctx: StepContext) -> str:
    if c.not_checkable:
        return c.not_checkable
    if c.unmet:
        return ""
    for obj, why in ctx.blocked.items():
        if c.object == obj or (obj.startswith("Gateway ") and c.target.startswith(f"gateway:{obj[8:]}:")):
            return why
    for row in c.rows:
        backend = row.response.backend
        for svc in (backend or "").split(" or "):
            if svc in ctx.served_by_article:
                return (
                    f"Service {svc} is served by the snippet's own {ctx.served_by_article[svc]}: the harness "
                    "identifies the answering pod only on its echo backends"
                )
        cert = row.response.certificate
        if cert and cert in ctx.unreadable:
            return ctx.unreadable[cert]
        path = row.request.path.split("?", 1)[0]
        if (
            row.request.protocol in ("http", "https")
            and row.response.reached
            and (backend or row.response.pods)
            and (path in ECHO_OWN_PATHS or path.startswith(ECHO_OWN_PREFIX))
        ):
            return (
                f"{path} is a path the harness's echo backend answers itself (its health, status or websocket "
                "endpoint) without naming its pod: which backend got the request cannot be told"
            )
    return ""


def _unmet(c: Check, ctx: StepContext, rec: Recorder) -> None:
    """Known from the YAML not to hold: what the cluster shows of it goes to the evidence."""
    kind, _, name = c.object.partition(" ")
    status: Any = None
    doc = next((d for d in ctx.plan.objects if describe_doc(d) == c.object), None)
    if doc is not None:
        obj = ctx.env.kube.get(doc["apiVersion"], kind, name, ctx.env.ns) or {}
        status = obj.get("status") or "no status written by any controller"
        rec.add(f"status of {c.object}", status)
    raise Unmet(c.id, c.text, Seen(f"{c.unmet}" + (f" (status: {_short(status)})" if status is not None else "")))


def _short(value: Any, limit: int = 200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _class_accepted(c: Check, ctx: StepContext, rec: Recorder) -> None:
    kube, ns, timeouts = ctx.env.kube, ctx.env.ns, ctx.env.timeouts
    name = c.target.split(":", 1)[1]
    if any(r.what == "gateway-class" and r.name == name for r in ctx.plan.renames):
        name = supply.unique_name(ns, name)
    watch = RejectionWatch(timeouts.rejection_settle)
    final: dict[str, str] = {}

    def accepted() -> dict[str, Any]:
        obj = kube.get("gateway.networking.k8s.io/v1", "GatewayClass", name) or {}
        conds = {x.get("type"): x for x in (obj.get("status") or {}).get("conditions") or []}
        acc = conds.get("Accepted") or {}
        detail = f"Accepted={acc.get('status', 'unset')} {acc.get('reason', '')}".strip()
        if acc.get("status") == "False" and acc.get("reason") not in ("Pending", "Waiting"):
            if watch.final("rejected", detail):
                final["why"] = detail
                return {"Accepted": detail}
        else:
            watch.final("waiting", detail)
        assert acc.get("status") == "True", f"GatewayClass {name}: {detail}"
        return {"Accepted": detail}

    seen = eventually(
        accepted,
        what=f"GatewayClass {name} accepted",
        timeouts=timeouts,
        deadline=timeouts.object_ready,
        hint=f"kubectl get gatewayclass {name} -o yaml; the controller's logs",
        failure=FailureKind.WAIT,
    )
    rec.add(f"status of GatewayClass {name}", seen)
    if final:
        raise Unmet(c.id, "Accepted=True", Seen(f"rejected: {final['why']}"), failure=FailureKind.REJECTED)


class _Settled(Exception):
    """The same wrong address for the whole settle window."""


def _lb_address(c: Check, ctx: StepContext, rec: Recorder) -> None:
    """The Service gets an address, the one it requests (mapped) or one of its
    pool's; after an update the address a previous version got may still be
    there for a moment, so the wanted one is waited for, and the same wrong
    address for the settle window (``steady_wrong_answer``) fails at once."""
    kube, ns, timeouts = ctx.env.kube, ctx.env.ns, ctx.env.timeouts
    svc = c.target[3:]
    want = c.address
    pool = want.pool if want is not None else None
    if pool is not None and any(r.what == "pool" and r.name == pool for r in ctx.plan.renames):
        pool = supply.unique_name(ns, pool)
    wrong: dict[str, Any] = {"what": None, "since": 0.0}
    seen: dict[str, Any] = {}

    def observed() -> dict[str, Any]:
        address = kube.load_balancer_address(ns, svc)
        obj = kube.get("v1", "Service", svc, ns) or {}
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        seen.update({"service": svc, "address": address, "pool": annotations.get(ALLOCATED_FROM)})
        assert address, f"Service {svc} has no external address yet"
        problem = ""
        if want is not None and want.address is not None and address != want.address:
            problem = f"Service {svc} got {address}; it requests {want.address} (as mapped)"
        elif want is not None and want.among and address not in want.among:
            problem = f"Service {svc} got {address}, not one of {', '.join(want.among)}"
        elif pool is not None and seen["pool"] != pool:
            problem = f"Service {svc} got {address} from pool {seen['pool']!r}; it names pool {pool!r}"
        if problem:
            now = time.monotonic()
            if problem != wrong["what"]:
                wrong.update(what=problem, since=now)
            elif now - wrong["since"] >= timeouts.steady_wrong_answer:
                raise _Settled(problem)
            raise AssertionError(problem)
        return dict(seen)

    try:
        got = eventually(
            observed,
            what=f"external address of Service {svc}" + (f" ({c.text})" if want is not None else ""),
            timeouts=timeouts,
            deadline=timeouts.load_balancer_address,
            hint=lambda: f"events of Service {svc}: {event_lines(kube, ns, svc) or 'none'}; MetalLB controller logs",
        )
    except _Settled as exc:
        rec.add("external address", dict(seen))
        raise Unmet(
            f"external address of Service {svc}",
            c.text,
            Seen(f"{exc} (the same for {timeouts.steady_wrong_answer:.0f}s, steady_wrong_answer)"),
        ) from None
    rec.add("external address", got)


def _lb_shared(c: Check, ctx: StepContext, rec: Recorder) -> None:
    kube, ns = ctx.env.kube, ctx.env.ns
    addresses = {s: kube.wait_load_balancer(ns, s) for s in c.services}
    rec.add("external addresses", addresses)
    assert len(set(addresses.values())) == 1, (
        f"the Services are on {len(set(addresses.values()))} addresses: {addresses}"
    )


def _target(c: Check, ctx: StepContext) -> tuple[str, dict[int, int], int | None]:
    """Where the rows of ``c`` go: an address, listener port -> port to send to, and the listener's port."""
    kube, ns, subject = ctx.env.kube, ctx.env.ns, ctx.env.subject
    if c.target.startswith("lb:"):
        return kube.wait_load_balancer(ns, c.target[3:]), {}, None
    if subject is None:
        raise HarnessError(f"{c.id}: a controller check without a controller")
    if c.target.startswith("gateway:"):
        _, gw, listener = c.target.split(":", 2)
        obj = kube.get("gateway.networking.k8s.io/v1", "Gateway", gw, ns) or {}
        addresses = [a.get("value") for a in (obj.get("status") or {}).get("addresses") or [] if a.get("value")]
        ports = {lp: ext for lp, ext in (getattr(subject.addon, "gateway_ports", None) or {}).values()}
        return (addresses[0] if addresses else subject.address), ports, _listener_port(ctx.plan, gw, listener)
    return subject.address, {}, None


def _listener_port(plan: Plan, gw: str, listener: str) -> int | None:
    for g in plan.gateways:
        if g.name == gw:
            return next((p for n, _, p in g.listeners if n == listener), None)
    for d in plan.objects:
        if d.get("kind") == "Gateway" and derive.name_of(d) == gw:
            for lst in (d.get("spec") or {}).get("listeners") or []:
                if lst.get("name") == listener and isinstance(lst.get("port"), int):
                    return int(lst["port"])
    return None


def _at(exp: Expectation, ports: dict[int, int], listener_port: int | None) -> Expectation:
    rq = exp.request
    port = rq.port
    if port is None and listener_port is not None:
        port = listener_port
    if port is not None:
        port = ports.get(port, port)
    return replace(exp, request=replace(rq, port=port))


def _weights(c: Check, row: Expectation, scene: Scene, rec: Recorder, settle: float, not_before: float) -> None:
    """The rule answers at all (consistency rule), then ``WEIGHT_REQUESTS``
    requests are counted by the Service whose pod answered."""
    assert c.weights is not None
    verify(row, scene, rec, settle=settle, not_before=not_before)
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


# --------------------------------------------------------------------------
# diagnosis of what does not hold
# --------------------------------------------------------------------------


def targets_of(obj: str) -> list[str]:
    """``"Service a, Service b"`` -> ``["service/a", "service/b"]`` (kinds diagnose knows)."""
    out = []
    for part in obj.split(", "):
        kind, _, name = part.strip().partition(" ")
        if kind in DIAGNOSABLE and name:
            out.append(f"{DIAGNOSABLE[kind]}/{name}")
    return out


def diagnosis_lines(kubeconfig: Path, target: str, ns: str) -> tuple[str, ...]:
    """``diagnose``'s findings for one object, one line each: the cause in
    the guide's vocabulary and its fix; or that it found none."""
    from harness.diagnose import BadTarget, ClusterSource, Unreachable, diagnose

    try:
        d = diagnose(ClusterSource(kubeconfig), target, ns)
    except (BadTarget, Unreachable) as exc:
        return (f"{target}: could not diagnose: {exc}",)
    except Exception as exc:  # noqa: BLE001 - a diagnosis that fails must not hide the verdict
        return (f"{target}: the diagnosis failed: {type(exc).__name__}: {exc}".splitlines()[0],)
    if not d.findings:
        return (
            f"{d.target}: diagnose found no problem in what it reads ({len(d.checked)} reads: the object, "
            "what it depends on, endpoints, events)",
        )
    return tuple(f"{d.target}: {f.title} [{f.cause}]: {f.summary}; fix: {f.fix}" for f in d.findings)


def diagnose_failures(
    rec: Recorder, kubeconfig: Path, ns: str, objects: Callable[[CheckRecord], str] | None = None
) -> None:
    """Every check of ``rec`` that does not hold gets the findings for its objects."""
    cache: dict[str, tuple[str, ...]] = {}
    for i, c in enumerate(rec.checks):
        if c.verdict is not Verdict.DOES_NOT_HOLD or c.diagnosis:
            continue
        obj = objects(c) if objects is not None else c.object
        targets = targets_of(obj)
        lines: list[str] = []
        for t in targets:
            if t not in cache:
                cache[t] = diagnosis_lines(kubeconfig, t, ns)
            lines += cache[t]
        if not targets:
            lines.append(f"{obj or 'the snippet'}: no object diagnose reads (Services, Ingresses, Gateways, routes)")
        rec.checks[i] = replace(c, diagnosis=tuple(lines))


# --------------------------------------------------------------------------
# a chain
# --------------------------------------------------------------------------


@dataclass
class StepRun:
    """What the caller records for one step."""

    rec: Recorder
    result: StepResult | None
    error: str = ""  # the harness failed in this step (its error; the chain went on)
    seconds: float = 0.0


def run_chain(
    plans: list[Plan],
    env: Env,
    done: Callable[[int, StepRun], None],
    *,
    notes: Callable[[int], list[str]] | None = None,
) -> Cleanup:
    """Each plan of the chain in order, in one namespace; ``done(i, step)``
    after each (the caller records it). A harness failure in one step is an
    error of that step; the next step still runs. Returns what was cleaned up
    (and what could not be)."""
    cleanup = Cleanup()
    suffix = env.ns.rsplit("-", 1)[-1]
    try:
        for i, plan in enumerate(plans):
            rec = Recorder()
            rec.generated(suffix)
            for n in notes(i) if notes else []:
                rec.note(n)
            for n in plan.notes:
                rec.note(n)
            for what in plan.not_applied:
                rec.note(f"not applied: {what}")
            started = time.monotonic()
            try:
                result = run_step(plan, env, rec, cleanup, update=i > 0)
                step = StepRun(rec, result)
            except Exception as exc:  # noqa: BLE001 - the harness's failure in one step is that step's error
                text = str(exc).strip().splitlines()
                step = StepRun(rec, None, error=f"harness error: {text[0] if text else type(exc).__name__}")
            step.seconds = time.monotonic() - started
            done(i, step)
    finally:
        cleanup.run(env.kube)
    return cleanup


def run_reader(plans: list[Plan], lines: list[int], final: Plan, env: Env, rec: Recorder) -> Cleanup:
    """The article as a reader follows it, in one namespace: each snippet
    applied on top of the earlier ones (a refusal is recorded, and the reader
    goes on), then the checks of the state the article ends in."""
    cleanup = Cleanup()
    try:
        for plan, line in zip(plans, lines, strict=True):
            run_step(
                plan,
                env,
                rec,
                cleanup,
                update=True,
                check=False,
                label=f"line {line} applies on top of the earlier snippets",
            )
        run_step(final, env, rec, cleanup, update=True, label="the article's final state applies")
    finally:
        cleanup.run(env.kube)
    return cleanup


__all__ = [
    "ALLOCATED_FROM",
    "POOL_ANNOTATIONS",
    "Cleanup",
    "Env",
    "StepResult",
    "StepRun",
    "diagnose_failures",
    "diagnosis_lines",
    "gateway_objects",
    "merge",
    "not_served",
    "run_chain",
    "run_reader",
    "run_check",
    "run_step",
    "targets_of",
]
