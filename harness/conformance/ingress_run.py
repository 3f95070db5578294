"""A planned Ingress conformance scenario (:mod:`harness.conformance.ingress`)
run on one controller of the harness's cluster.

What the scenario sets up lives in an :class:`Env`: a namespace of its own
with the echo backends its Ingress names, its TLS Secrets (from the run's
CA) and the Ingress itself, hostnames made unique to the namespace and the
controller's class given when the Ingress names none. A feature's
Background is the same for each of its scenarios, so its Env is built by the
first scenario of the feature on a controller and reused by the next ones
(its checks, the Ingress status, still run in each); a worker keeps one Env
at a time, deleting the last one (namespace and all) before building the
next, so a feature's catch-all default backend never overlaps another
feature's 404s on the same class.

Outcomes: a check of the controller that does not hold raises
:class:`ScenarioFailed` (reason: expected vs seen, one line; evidence: the
requests and the answers); anything else that goes wrong (an API error, echo
pods that never get ready) is the harness's and propagates as it is, so the
test errors instead of reading as the controller failing.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import trustme

from harness.checks.consistency import WaitTimedOut, consistently, eventually
from harness.checks.expect import probe, throughout, verify
from harness.checks.forensics import dump_namespace, event_lines, pod_problems
from harness.checks.kube import Kube
from harness.checks.manifests import ManifestError, rename_hosts
from harness.checks.probes import HttpResult, ProbeError
from harness.checks.rows import Expectation, Response, Scene, Sink, describe
from harness.checks.timeouts import Timeouts
from harness.conformance import ingress
from harness.conformance.ingress import (
    ApplyIngress,
    NewNamespace,
    Planned,
    RowCheck,
    Scale,
    ScenarioSpec,
    SpreadCheck,
    StatusCheck,
    TlsSecret,
    negative,
)
from harness.lab.addons import BoundController
from harness.lab.backends import Backend, deploy_echo, secret_cert_sha256, tls_secret
from harness.results.errors import CheckFailed

# (controller, feature file, scenario title or "*") -> why it cannot apply as written.
# Empty: every scenario of the five features applies to the four Ingress controllers as written.
NOT_APPLICABLE: dict[tuple[str, str, str], str] = {}


class ScenarioFailed(AssertionError):
    """The controller did not do what a step asks: the scenario fails."""

    def __init__(self, reason: str, lines: list[str]):
        super().__init__(reason)
        self.reason = reason
        self.lines = lines


class NotApplicable(Exception):
    """The scenario cannot apply to this controller as written."""


def admission_denied(message: str) -> bool:
    """An apply refused by an admission webhook (a controller's own validation), not by the API server."""
    return "admission webhook" in message and "denied the request" in message


def not_applicable(controller: str, scenario: ScenarioSpec, table: dict[tuple[str, str, str], str]) -> str | None:
    for key in ((controller, scenario.feature, scenario.title), (controller, scenario.feature, "*")):
        if key in table:
            return table[key]
    return None


@dataclass
class Env:
    """What one feature's Background (or one scenario's own set-up) made on one controller."""

    key: tuple[str, ...]
    controller: str
    ns: str
    suffix: str
    hosts: dict[str, str] = field(default_factory=dict)  # the feature's name -> this namespace's
    ingresses: list[dict[str, Any]] = field(default_factory=list)
    backends: dict[str, Backend] = field(default_factory=dict)
    certificates: dict[str, str] = field(default_factory=dict)  # Secret name -> SHA-256
    built_by: str = ""  # the scenario that set it up ("" while it is being set up)
    status_failure: str = ""  # the status check's failure, once seen
    live: bool | None = None  # the controller serves the Ingress (readiness rows), once checked
    live_detail: str = ""


class Envs:
    """This worker's Env: one at a time, deleted (and waited on) before the next."""

    def __init__(self, kube: Kube, run_id: str):
        self.kube = kube
        self.run_id = run_id
        self.current: Env | None = None

    def enter(self, key: tuple[str, ...], controller: str, feature: str) -> Env:
        if self.current is not None and self.current.key == key and self.current.built_by:
            return self.current
        self.close()
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # two workers never share a namespace
        digest = hashlib.sha1("/".join((self.run_id, worker, *key)).encode()).hexdigest()[:5]
        stem = feature.removesuffix(".feature").replace("_", "-")
        ns = f"conf-{controller}-{stem}-{digest}"[:63]
        labels = {"exposure-harness/test": "true", "exposure-harness/conformance": "ingress"}
        self.kube.create_namespace(ns, labels=labels)
        self.current = Env(key=key, controller=controller, ns=ns, suffix=digest)
        return self.current

    def discard(self) -> None:
        """Forget the Env (a set-up that failed half-way is not reused); deleted like any other."""
        self.close()

    def close(self) -> None:
        env, self.current = self.current, None
        if env is not None:
            self.kube.delete_namespace(env.ns, wait=True)


class ScenarioRunner:
    """One scenario on one controller: executes its plan step by step (the
    pytest-bdd step definitions call :meth:`run`), gathering the evidence
    lines its Case carries."""

    def __init__(
        self,
        spec: ScenarioSpec,
        controller: BoundController,
        kube: Kube,
        timeouts: Timeouts,
        run_ca: trustme.CA,
        envs: Envs,
        evidence: Sink,
        *,
        shared_class_with: tuple[str, ...] = (),
        not_applicable_table: dict[tuple[str, str, str], str] | None = None,
    ):
        self.spec = spec
        self.planned = ingress.plan(spec)
        self.claims = ingress.claims(spec, self.planned)
        self.controller = controller
        self.kube = kube
        self.timeouts = timeouts
        self.run_ca = run_ca
        self.envs = envs
        self.evidence = evidence
        self.shared_class_with = shared_class_with
        self.lines: list[str] = []
        self.next = 0
        self.env: Env | None = None
        self.started = time.monotonic()
        own_setup = any(p.setup and not p.step.background for p in self.planned)
        scope = (f"line {spec.line}", *(f"{k}={v}" for k, v in spec.example)) if own_setup else ("background",)
        self.env_key = (controller.name, spec.feature, *scope)
        table = NOT_APPLICABLE if not_applicable_table is None else not_applicable_table
        self.not_applicable = not_applicable(controller.name, spec, table)

    # -- the step definitions call this -------------------------------------------

    def run(self, line: int, text: str) -> None:
        if self.not_applicable:
            raise NotApplicable(self.not_applicable)
        if self.next >= len(self.planned) or self.planned[self.next].step.line != line:
            raise RuntimeError(f"step at line {line} ({text!r}) is not the one the plan expects next")
        index, p = self.next, self.planned[self.next]
        self.next += 1
        if p.setup:
            self._setup(index, p)
        if p.check is not None:
            self._check(p.check)

    @property
    def finished(self) -> bool:
        return self.next == len(self.planned)

    # -- set-up ---------------------------------------------------------------------

    def _setup(self, index: int, p: Planned) -> None:
        a = p.action
        if isinstance(a, NewNamespace) or (isinstance(a, ApplyIngress) and a.new_namespace) or self.env is None:
            self.env = self.envs.enter(self.env_key, self.controller.name, self.spec.feature)
            if self.env.built_by:
                self.lines.append(f"Background set up by: {self.env.built_by} (namespace {self.env.ns})")
        env = self.env
        if env.built_by and p.step.background:
            return  # the Background's set-up, done by an earlier scenario of this feature
        try:
            if isinstance(a, TlsSecret):
                host = self._host(a.host)
                tls_secret(self.kube, env.ns, a.name, self.run_ca.issue_cert(host))
                env.certificates[a.name] = secret_cert_sha256(self.kube, env.ns, a.name)
            elif isinstance(a, ApplyIngress):
                self._apply(a)
            elif isinstance(a, Scale):
                self._scale(a)
        except BaseException:
            self.envs.discard()
            self.env = None
            raise
        if not any(q.setup for q in self.planned[index + 1 :]):
            env.built_by = self.spec.name

    def _host(self, name: str) -> str:
        assert self.env is not None
        if name not in self.env.hosts:
            self.env.hosts[name] = ingress.unique_host(name, self.env.suffix)
        return self.env.hosts[name]

    def _apply(self, a: ApplyIngress) -> None:
        env = self.env
        assert env is not None and self.controller.ingress_class is not None
        docs = ingress.with_class(a.documents(), self.controller.ingress_class)
        docs = rename_hosts(docs, {h: self._host(h) for h in ingress.doc_hosts(docs)})
        by_port: dict[int, list[str]] = {}
        for b in ingress.backends(docs):
            by_port.setdefault(b.port, []).append(b.service)
        for port, names in by_port.items():
            env.backends.update(deploy_echo(self.kube, env.ns, *names, service_port=port))
        try:
            env.ingresses = self.kube.apply(docs, namespace=env.ns)
        except ManifestError as exc:
            if not admission_denied(str(exc)):
                raise
            # the controller's admission webhook refused the scenario's Ingress: the controller's answer
            reason = f"{self.controller.name} refused the Ingress: {exc}"
            raise ScenarioFailed(reason, [*self.lines, reason]) from None
        cls = env.ingresses[0].get("spec", {}).get("ingressClassName")
        self.lines.append(
            f"applied Ingress {env.ns}/{env.ingresses[0]['metadata']['name']} (class {cls}); backends: "
            + ", ".join(f"{n} ({len(b.pods)} pod)" for n, b in sorted(env.backends.items()))
        )

    def _scale(self, a: Scale) -> None:
        env = self.env
        assert env is not None
        self.kube.apps.patch_namespaced_deployment_scale(a.deployment, env.ns, {"spec": {"replicas": a.replicas}})

        def scaled() -> list[str]:
            pods = self.kube.wait_endpoints(env.ns, a.deployment)
            assert len(pods) == a.replicas, f"{a.deployment} has {len(pods)} ready endpoints, not {a.replicas}"
            return pods

        pods = eventually(
            scaled,
            what=f"{a.deployment} scaled to {a.replicas} ready endpoints",
            timeouts=self.timeouts,
            deadline=self.timeouts.object_ready,
            hint=lambda: f"pods in {env.ns}: {pod_problems(self.kube, env.ns) or 'none unhealthy'}",
        )
        env.backends[a.deployment] = Backend(a.deployment, env.ns, tuple(pods))
        self.lines.append(f"scaled {a.deployment} to {a.replicas} ready pods")

    # -- checks -----------------------------------------------------------------------

    def scene(self) -> Scene:
        env = self.env
        assert env is not None
        for p in self.planned:  # every name this scenario uses, mapped like the Ingress's
            for h in ingress.hosts([p]) if not isinstance(p.action, ApplyIngress) else ():
                self._host(h)
        return Scene(
            address=self.controller.address,
            timeouts=self.timeouts,
            backends={n: b.pods for n, b in env.backends.items()},
            hosts=dict(env.hosts),
            certificates=dict(env.certificates),
            ca_pem=self.run_ca.cert_pem.bytes(),
            default_certificate_cn=self.controller.default_certificate_cn,
            subject=self.controller.name,
            namespaces=(env.ns,),
        )

    def _check(self, c: ingress.Check) -> None:
        if self.env is None:
            raise RuntimeError("a check before anything was set up")
        if isinstance(c, StatusCheck):
            self._status(c)
        elif isinstance(c, RowCheck):
            self._row(c.row)
        elif isinstance(c, SpreadCheck):
            self._spread(c)

    def _addresses(self) -> list[str]:
        env = self.env
        assert env is not None and env.ingresses
        name = env.ingresses[0]["metadata"]["name"]
        ing = self.kube.networking.read_namespaced_ingress(name, env.ns)
        lb = (ing.status.load_balancer.ingress if ing.status and ing.status.load_balancer else None) or []
        return [a.ip or a.hostname for a in lb if a.ip or a.hostname]

    def _status(self, c: StatusCheck) -> None:
        env = self.env
        assert env is not None
        own = self.controller.address
        if not c.shown:
            self._status_not_shown()
            return

        def shown() -> list[str]:
            seen = self._addresses()
            assert seen, "no address in the Ingress status yet"
            assert own in seen or self.shared_class_with, f"the status shows {', '.join(seen)}, not {own}"
            return seen

        if env.status_failure:  # an earlier scenario of this feature waited its full deadline: look once more
            try:
                seen = shown()
            except AssertionError:
                raise ScenarioFailed(env.status_failure, [*self.lines, env.status_failure]) from None
        else:
            deadline = self.timeouts.object_ready
            try:
                seen = eventually(
                    shown, what="an address in the Ingress status", timeouts=self.timeouts, deadline=deadline
                )
            except (CheckFailed, WaitTimedOut) as exc:
                last = _last(exc)
                name = env.ingresses[0]["metadata"]["name"]
                said = [e for e in event_lines(self.kube, env.ns, involved=name) if e.startswith("Warning")]
                env.status_failure = (
                    f"the Ingress status shows no address of {self.controller.name} within {deadline:.0f}s: {last}"
                    + (f"; the controller said: {said[-1]}" if said else "")
                )
                raise ScenarioFailed(env.status_failure, [*self.lines, env.status_failure]) from None
        whose = "this controller's" if own in seen else f"another controller's of class {self.controller.ingress_class}"
        self.lines.append(f"Ingress status: {', '.join(seen)} ({whose}; requests go to {own})")

    def _status_not_shown(self) -> None:
        """No address of this controller in the status, and the controller
        does not route the Ingress's host to its backend, for the whole
        observation window (the scenario's title: "should not send traffic")."""
        env = self.env
        assert env is not None
        own = self.controller.address
        others: set[str] = set()

        def status() -> list[str]:
            seen = self._addresses()
            assert own not in seen, f"the Ingress status shows {own}, {self.controller.name}'s address"
            others.update(seen)
            return seen

        scene = self.scene()
        for r in ingress.readiness_rows(env.ingresses):
            unrouted = Expectation(r.request, Response(status=None, backend=r.response.backend, reached=False))
            try:
                t = throughout(unrouted, scene, self.evidence, also=status)
            except (CheckFailed, WaitTimedOut) as exc:
                last = _last(exc)
                reason = self._unmap(f"{describe(unrouted, scene)}: {last}")
                raise ScenarioFailed(reason, [*self.lines, reason]) from None
            self.lines.append(self._unmap(f"{describe(unrouted, scene)}: held for {t.window_seconds or 0:.0f}s"))
        self.lines.append(
            f"Ingress status: no address of {self.controller.name} for {self.timeouts.negative_observation:.0f}s"
            + (f" (shown by another controller: {', '.join(sorted(others))})" if others else "")
        )

    def _ensure_live(self, scene: Scene) -> None:
        """Once per Env: does the controller serve this Ingress at all? One of
        its rules answering from its own backend, N times in a row."""
        env = self.env
        assert env is not None
        if env.live is not None:
            return
        rows = ingress.readiness_rows(env.ingresses)
        state: dict[str, str] = {}

        def any_rule() -> str:
            errors = []
            for r in rows:
                try:
                    probe(r, scene)()
                    return r.label
                except (AssertionError, ProbeError) as exc:
                    errors.append(str(exc).splitlines()[0])
            state["last"] = "; ".join(errors)
            raise AssertionError(state["last"])

        try:
            label, _ = consistently(any_rule, what="a rule of the Ingress served", timeouts=self.timeouts)
            env.live, env.live_detail = True, f"{label} answered"
        except (CheckFailed, WaitTimedOut):
            env.live, env.live_detail = False, self._unmap(state.get("last", "no rule answered"))

    def _row(self, row: Expectation) -> None:
        scene = self.scene()
        self._ensure_live(scene)
        env = self.env
        assert env is not None
        if negative(row) and not env.live:
            reason = (
                f"{row.label}: a 404 proves nothing here: {self.controller.name} serves no rule of this Ingress "
                f"({env.live_detail})"
            )
            raise ScenarioFailed(reason, [*self.lines, reason])
        if env.live:  # the controller has this Ingress's configuration: the row needs no propagation time
            scene = replace(scene, timeouts=replace(scene.timeouts, consistency=scene.timeouts.settled))
        try:
            seen = verify(row, scene, self.evidence)
        except (CheckFailed, WaitTimedOut) as exc:
            last = _last(exc)
            lines = [*self.lines, self._unmap(f"{describe(row, scene)}: {last}")]
            observed = self._observe(row, scene)
            if observed:
                lines.append(f"seen: {observed}")
            raise ScenarioFailed(self._unmap(f"{row.label}: {last}"), lines) from None
        self.lines.append(f"{row.label} -> {self._answer(seen, scene)}")

    def _observe(self, row: Expectation, scene: Scene) -> str:
        """One more request, to say what the answer was (who answered, what it saw)."""
        try:
            seen = probe(Expectation(row.request, Response(status=None)), scene)()
        except (AssertionError, ProbeError) as exc:
            return self._unmap(str(exc).splitlines()[0])
        return self._answer(seen, scene)

    def _answer(self, seen: Any, scene: Scene) -> str:
        if not isinstance(seen, HttpResult):
            return self._unmap(str(seen))
        parts = [str(seen.status)]
        if seen.echo:
            pod = seen.echo.get("pod")
            svc = next((n for n, pods in scene.backends.items() if pod in set(pods)), "?")
            parts.append(f"from {svc} ({pod}), backend saw {seen.echo.get('method')} {seen.echo.get('path')}")
        elif seen.body:
            parts.append(f"body {seen.body[:60]!r}")
        if seen.headers.get("server"):
            parts.append(f"Server: {seen.headers['server']}")
        if seen.redirects:
            parts.append(f"after {' then '.join(seen.redirects)}")
        if seen.certificate:
            parts.append(f"certificate {seen.certificate.subject} {', '.join(seen.certificate.sans)}")
        return self._unmap(" ".join(parts))

    def _spread(self, c: SpreadCheck) -> None:
        """N requests, each on a connection of its own like upstream's client:
        all answered with the status, by exactly ``pods`` different pods. The
        controller learns new endpoints in its own time, so the N requests are
        repeated until they hold or the consistency deadline passes."""
        scene = self.scene()
        self._ensure_live(scene)
        one = probe(c.row, scene)
        tally: dict[str, Any] = {}

        def sample() -> Counter[str]:
            counts: Counter[str] = Counter()
            for _ in range(c.count):
                try:
                    seen = one()
                except (AssertionError, ProbeError) as exc:
                    counts[f"error: {str(exc).splitlines()[0][:80]}"] += 1
                    continue
                counts[str(seen.echo.get("pod") if getattr(seen, "echo", None) else "no echo")] += 1
            tally["last"] = counts
            errors = sum(n for k, n in counts.items() if k.startswith("error"))
            pods = [k for k in counts if not k.startswith("error")]
            assert not errors, f"{errors} of {c.count} requests did not get {c.row.response.status}: {dict(counts)}"
            assert len(pods) == c.pods, f"{len(pods)} different pods answered {c.count} requests, not {c.pods}"
            return counts

        try:
            counts, _ = consistently(sample, what=f"{c.count} requests spread", timeouts=self.timeouts, successes=1)
        except (CheckFailed, WaitTimedOut) as exc:
            last = _last(exc)
            raise ScenarioFailed(self._unmap(f"{c.row.label}: {last}"), [*self.lines, self._unmap(str(last))]) from None
        self.evidence.add(c.row.label, {"answered by": dict(counts)})
        self.lines.append(
            f"{c.count} requests -> {c.row.response.status} from {len(counts)} pods "
            f"({', '.join(str(n) for n in sorted(counts.values(), reverse=True))} each)"
        )

    def _unmap(self, text: str) -> str:
        """The feature's hostnames back in a line meant for a reader."""
        env = self.env
        if env is None:
            return text
        for name, mine in sorted(env.hosts.items(), key=lambda kv: -len(kv[1])):
            text = text.replace(mine, name)
        return text

    def host_line(self) -> str:
        env = self.env
        if env is None or not env.hosts:
            return ""
        return "hostnames in namespace " + env.ns + ": " + ", ".join(f"{k}={v}" for k, v in env.hosts.items())

    def dump(self, dest: Path) -> None:
        """Failure evidence: the Env's namespace, the controller's logs and configuration."""
        from harness.lab.addons import rendered_config

        if self.env is not None:
            dump_namespace(
                self.kube,
                self.env.ns,
                dest,
                extra_logs=self.controller.logs(),
                rendered=rendered_config(self.controller),
            )

    def case(self, outcome: Any, reason: str = "", lines: list[str] | None = None) -> Any:
        from harness.conformance.model import Case

        evidence = [*(lines if lines is not None else self.lines)]
        if self.host_line():
            evidence.append(self.host_line())
        return Case(
            name=self.spec.name,
            outcome=outcome,
            reason=reason,
            evidence=tuple(evidence),
            feature=self.spec.feature,
            claims=self.claims,
        )


def _last(exc: CheckFailed | WaitTimedOut) -> str:
    """What a failed row or wait last saw, from its fields (nothing parsed back)."""
    return exc.failed.seen.text if isinstance(exc, CheckFailed) else exc.seen.text
