"""Talking to the cluster: apply objects server-side, wait on conditions
(what a failure leaves to look at: :mod:`.forensics`).

Everything here takes plain dicts (parsed YAML, :mod:`harness.checks.manifests`)
so manifests stay files and tests stay data. Every wait has a deadline from
:class:`~harness.checks.timeouts.Timeouts` and, when it passes, raises
:class:`~harness.checks.consistency.WaitTimedOut` saying what it expected,
what it saw and where to look. Where status evidence goes is passed
explicitly (``sink``: the test's recorder), never kept on the client.

What a failure means is decided by the caller: the same refused object or
timed-out wait is a failed check inside a check block of an object under
test, and an error of the harness's scaffolding anywhere else.
"""

from __future__ import annotations

import builtins
import copy
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from harness.checks.consistency import Recording, WaitTimedOut, eventually
from harness.checks.forensics import event_lines, pod_problems
from harness.checks.gates import GATED_KINDS, GATEWAY_GROUP, GateRejected, RejectionWatch, gate_state
from harness.checks.manifests import ManifestError, describe
from harness.checks.timeouts import Timeouts
from harness.results.errors import Observed
from harness.results.model import FailureKind, Seen

FIELD_MANAGER = "exposure-harness"


class Sink(Protocol):
    """Where status evidence goes (the test's recorder)."""

    def add(self, label: str, data: Any) -> None: ...


class _Final(Exception):
    """Inside a gate wait: the rejection is final (not an attempt to retry)."""


class AdmissionRejected(Observed):
    """The API server (schema validation) or an admission webhook refused an
    object: for an object under test, what a reader applying it would see."""

    failure = FailureKind.ADMISSION


def _admission_refusal(exc: ApiException) -> str | None:
    """The refusal's message when ``exc`` is admission or validation saying
    no to the object itself (not RBAC, not a missing kind, not the server)."""
    try:
        body = json.loads(exc.body or "{}")
    except ValueError:
        body = {}
    msg = str(body.get("message") or exc.reason or "")
    if "admission webhook" in msg and "denied the request" in msg:
        return msg
    if exc.status == 422 or body.get("reason") == "Invalid":
        return msg
    return None


# --------------------------------------------------------------------------
# the client
# --------------------------------------------------------------------------


@dataclass
class Kube:
    kubeconfig: Path
    timeouts: Timeouts
    context: str | None = None

    def __post_init__(self) -> None:
        self.api_client = k8s_config.new_client_from_config(config_file=str(self.kubeconfig), context=self.context)
        self.core = k8s.CoreV1Api(self.api_client)
        self.apps = k8s.AppsV1Api(self.api_client)
        self.networking = k8s.NetworkingV1Api(self.api_client)
        self._dyn: DynamicClient | None = None

    @property
    def dyn(self) -> DynamicClient:
        if self._dyn is None:
            self._dyn = DynamicClient(self.api_client)
        return self._dyn

    def server_version(self) -> str:
        return k8s.VersionApi(self.api_client).get_code().git_version

    def _resource(self, api_version: str, kind: str):
        try:
            return self.dyn.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            # CRDs installed after discovery was cached: rediscover once.
            self.dyn.resources.invalidate_cache()
            return self.dyn.resources.get(api_version=api_version, kind=kind)

    # -- apply / delete ------------------------------------------------------

    def apply(
        self,
        docs: Iterable[dict[str, Any]],
        namespace: str | None = None,
        *,
        gate: bool = True,
        dry_run: bool = False,
        sink: Sink | None = None,
    ) -> list[dict[str, Any]]:
        """Server-side apply each document in order (force conflicts: the
        harness owns what it applies). ``namespace`` fills in namespaced
        objects that name none. With ``gate`` (the default), every Gateway
        and route applied is then waited on through its status
        (:meth:`wait_accepted`), the conditions going to ``sink``.
        ``dry_run`` sends each through admission (webhooks included) without
        persisting it, and gates nothing. Raises :class:`AdmissionRejected`
        when validation or a webhook refuses an object, ManifestError for
        anything else the API says no to."""
        applied = []
        for doc in docs:
            body = copy.deepcopy(doc)
            try:
                res = self._resource(body["apiVersion"], body["kind"])
            except ResourceNotFoundError:
                raise ManifestError(
                    f"cannot apply {describe(body)}: the cluster does not serve {body['apiVersion']} {body['kind']} "
                    "(missing CRD?)"
                ) from None
            ns = None
            if res.namespaced:
                ns = body.setdefault("metadata", {}).get("namespace") or namespace
                if not ns:
                    raise ManifestError(f"cannot apply {describe(body)}: namespaced object without a namespace")
                body["metadata"]["namespace"] = ns
            try:
                out = self.dyn.server_side_apply(
                    res,
                    body=body,
                    name=body["metadata"]["name"],
                    namespace=ns,
                    field_manager=FIELD_MANAGER,
                    force_conflicts=True,
                    **({"dry_run": "All"} if dry_run else {}),
                )
            except ApiException as exc:
                refusal = _admission_refusal(exc)
                if refusal is not None:
                    raise AdmissionRejected(
                        f"apply {describe(body)}", "the object admitted", Seen(refusal, status=exc.status)
                    ) from None
                raise ManifestError(f"cannot apply {describe(body)}: {api_reason(exc)}") from None
            applied.append(out.to_dict())
        if gate and not dry_run:
            for obj in applied:
                if obj.get("apiVersion", "").startswith(GATEWAY_GROUP + "/") and obj.get("kind") in GATED_KINDS:
                    md = obj["metadata"]
                    self.wait_accepted(obj["apiVersion"], obj["kind"], md["name"], md.get("namespace"), sink=sink)
        return applied

    def delete(self, docs: Iterable[dict[str, Any]], namespace: str | None = None) -> None:
        """Delete the objects ``docs`` name (gone already is fine): cluster-scoped
        objects a test made, or an object whose immutable field a fix changes."""
        for doc in docs:
            res = self._resource(doc["apiVersion"], doc["kind"])
            ns = (doc.get("metadata", {}).get("namespace") or namespace) if res.namespaced else None
            try:
                self.dyn.delete(res, name=doc["metadata"]["name"], namespace=ns)
            except ApiException as exc:
                if exc.status != 404:
                    raise ManifestError(f"cannot delete {describe(doc)}: {api_reason(exc)}") from None

    def wait_accepted(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None,
        *,
        deadline: float | None = None,
        sink: Sink | None = None,
    ) -> Any:
        """Wait until a Gateway is Accepted and Programmed, or a route is
        Accepted with its refs resolved by every parent. A final rejection
        (FINAL_REJECTIONS, unchanged for ``rejection_settle`` seconds) raises
        :class:`GateRejected` at once with the conditions seen, instead of a
        :class:`WaitTimedOut` after ``object_ready``; the conditions go to
        ``sink`` either way."""
        what = f"{kind} {namespace}/{name} accepted"
        seen: list[Any] = []
        watch = RejectionWatch(self.timeouts.rejection_settle)

        def accepted() -> Any:
            obj = self.get(api_version, kind, name, namespace) or {}
            state, detail = gate_state(obj)
            seen.append(detail)
            if watch.final(state, detail):
                raise _Final(detail)
            assert state == "ready", detail
            return detail

        try:
            detail = eventually(
                accepted,
                what=what,
                timeouts=self.timeouts,
                deadline=deadline or self.timeouts.object_ready,
                hint=f"kubectl -n {namespace} get {kind.lower()} {name} -o yaml; controller logs",
            )
        except _Final as exc:
            rec = Recording(what)
            for d in seen[-rec.keep :]:
                rec.record(False, d)
            if sink is not None:
                sink.add(f"status of {kind} {name}", {"rejected": str(exc)})
            raise GateRejected(
                f"{kind} {namespace}/{name}",
                "Accepted (and ResolvedRefs / Programmed) by the controller",
                Seen(f"rejected: {exc}"),
                transcript=rec.transcript(),
            ) from None
        except WaitTimedOut as exc:
            if sink is not None:
                sink.add(f"status of {kind} {name}", {"not accepted": exc.seen.text})
            raise
        if sink is not None:
            sink.add(f"status of {kind} {name}", detail)
        return detail

    def apply_when_admitted(
        self,
        docs: Iterable[dict[str, Any]],
        *,
        what: str,
        hint: str | Callable[[], str],
        dry_run: bool = False,
        deadline: float | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Apply ``docs`` as soon as admission lets them through: a validating
        webhook refuses every object of its kinds until its certificate is in
        place and its server answers, so this is also how an addon whose
        webhook guards its objects is known to be ready (``dry_run``: nothing
        is kept)."""
        docs = builtins.list(docs)

        def admitted() -> builtins.list[dict[str, Any]]:
            try:
                return self.apply(docs, dry_run=dry_run)
            except ManifestError as exc:
                raise AssertionError(str(exc)) from None

        return eventually(
            admitted, what=what, timeouts=self.timeouts, deadline=deadline or self.timeouts.addon_ready, hint=hint
        )

    def wait_rejected(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None,
        reason: str,
        *,
        sink: Sink | None = None,
    ) -> Any:
        """Wait until the controller rejects a route (or Gateway) with
        ``reason`` in its status, the conditions going to ``sink``: for
        checks that something must *not* be attached or resolved. Accepted
        (and resolved) by every parent, unchanged for ``rejection_settle``
        seconds, is an answer too: it fails then, not at the deadline."""
        what = f"{kind} {namespace}/{name} rejected with {reason}"
        since: list[float] = []

        def rejected() -> Any:
            state, detail = gate_state(self.get(api_version, kind, name, namespace) or {})
            if state == "ready":
                since[:] = since or [time.monotonic()]
                if time.monotonic() - since[0] >= self.timeouts.rejection_settle:
                    raise _Final(f"accepted for {self.timeouts.rejection_settle:.0f}s: {detail}")
            else:
                since.clear()
            assert state == "rejected" and reason in str(detail), f"{state}: {detail}"
            return detail

        try:
            detail = eventually(
                rejected,
                what=what,
                timeouts=self.timeouts,
                deadline=self.timeouts.object_ready,
                hint=f"kubectl -n {namespace} get {kind.lower()} {name} -o yaml; controller logs",
            )
        except _Final as exc:
            raise WaitTimedOut(what, f"rejected with {reason}", Seen(str(exc))) from None
        if sink is not None:
            sink.add(f"status of {kind} {name}", {"rejected": detail})
        return detail

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        res = self._resource(api_version, kind)
        try:
            return self.dyn.get(res, name=name, namespace=namespace).to_dict()
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def list(self, api_version: str, kind: str, namespace: str | None = None, **kw: Any) -> list[dict[str, Any]]:
        res = self._resource(api_version, kind)
        return [i for i in self.dyn.get(res, namespace=namespace, **kw).to_dict().get("items", [])]

    # -- namespaces ------------------------------------------------------------

    def create_namespace(self, name: str, labels: dict[str, str]) -> None:
        """Create ``name`` carrying ``labels``. A namespace of that name left
        by an earlier run (it carries the same labels) is deleted first; one
        the harness did not create is never touched."""
        body = k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name, labels=labels))
        try:
            self.core.create_namespace(body)
            return
        except ApiException as exc:
            if exc.status != 409:
                raise
        existing = self.core.read_namespace(name)
        if any((existing.metadata.labels or {}).get(k) != v for k, v in labels.items()):
            raise ManifestError(
                f"namespace {name} already exists and was not created by the harness; refusing to reuse it"
            )
        self.delete_namespace(name, wait=True)
        self.core.create_namespace(body)

    def delete_namespace(self, name: str, wait: bool = True) -> None:
        try:
            self.core.delete_namespace(name)
        except ApiException as exc:
            if exc.status == 404:
                return
            raise
        if wait:

            def gone() -> None:
                try:
                    ns = self.core.read_namespace(name)
                except ApiException as exc:
                    if exc.status == 404:
                        return
                    raise
                raise AssertionError(f"namespace {name} still {ns.status.phase}")

            eventually(
                gone,
                what=f"namespace {name} deleted",
                timeouts=self.timeouts,
                deadline=self.timeouts.object_ready,
                hint=f"finalizers on objects in {name}",
            )

    # -- waits -------------------------------------------------------------------

    def wait_deployments(
        self, namespace: str, names: Iterable[str] | None = None, *, deadline: float | None = None
    ) -> None:
        """Wait until each Deployment has rolled out: observed generation
        current, all replicas updated, available and ready."""
        wanted = (
            list(names)
            if names is not None
            else [d.metadata.name for d in self.apps.list_namespaced_deployment(namespace).items]
        )
        for name in wanted:

            def rolled_out(name: str = name) -> None:
                d = self.apps.read_namespaced_deployment(name, namespace)
                st, want = d.status, d.spec.replicas or 0
                assert (st.observed_generation or 0) >= d.metadata.generation, (
                    f"generation {d.metadata.generation} not observed yet"
                )
                assert (
                    (st.updated_replicas or 0) == want
                    and (st.ready_replicas or 0) == want
                    and (st.available_replicas or 0) == want
                ), f"{st.ready_replicas or 0}/{want} ready, {st.updated_replicas or 0} updated"

            eventually(
                rolled_out,
                what=f"deployment {namespace}/{name} ready",
                timeouts=self.timeouts,
                deadline=deadline or self.timeouts.object_ready,
                hint=lambda name=name: (  # type: ignore[misc]
                    f"pods in {namespace}: {pod_problems(self, namespace) or 'none unhealthy'}; "
                    f"kubectl -n {namespace} describe deploy {name}"
                ),
            )

    def wait_daemonset(self, namespace: str, name: str, *, deadline: float | None = None) -> None:
        def ready() -> None:
            ds = self.apps.read_namespaced_daemon_set(name, namespace)
            st = ds.status
            assert st.desired_number_scheduled > 0, "no node scheduled"
            assert (st.number_ready or 0) == st.desired_number_scheduled and (
                st.updated_number_scheduled or 0
            ) == st.desired_number_scheduled, f"{st.number_ready or 0}/{st.desired_number_scheduled} ready"

        eventually(
            ready,
            what=f"daemonset {namespace}/{name} ready",
            timeouts=self.timeouts,
            deadline=deadline or self.timeouts.object_ready,
            hint=f"kubectl -n {namespace} describe ds {name}",
        )

    def wait_jobs(self, namespace: str, names: Iterable[str], *, deadline: float | None = None) -> None:
        """Wait until each Job has succeeded."""
        batch = k8s.BatchV1Api(self.api_client)
        for name in names:

            def succeeded(name: str = name) -> None:
                job = batch.read_namespaced_job(name, namespace)
                assert (job.status.succeeded or 0) >= 1, (
                    f"job {name}: {job.status.active or 0} active, {job.status.failed or 0} failed"
                )

            eventually(
                succeeded,
                what=f"job {namespace}/{name} succeeded",
                timeouts=self.timeouts,
                deadline=deadline or self.timeouts.object_ready,
                hint=lambda: f"pods in {namespace}: {pod_problems(self, namespace) or 'none unhealthy'}",
            )

    def _endpoint_slices(self, namespace: str, service: str) -> builtins.list[Any]:
        return (
            k8s.DiscoveryV1Api(self.api_client)
            .list_namespaced_endpoint_slice(namespace, label_selector=f"kubernetes.io/service-name={service}")
            .items
        )

    def wait_endpoints(
        self, namespace: str, service: str, *, count: int = 1, deadline: float | None = None
    ) -> builtins.list[str]:
        """Wait until a Service has at least ``count`` ready endpoints (pods);
        returns their pod names."""

        def ready() -> builtins.list[str]:
            pods = sorted(
                {
                    ep.target_ref.name
                    for s in self._endpoint_slices(namespace, service)
                    for ep in (s.endpoints or [])
                    if ep.conditions and ep.conditions.ready and ep.target_ref
                }
            )
            assert len(pods) >= count, (
                f"service {namespace}/{service} has {len(pods)} ready endpoint(s), wanted {count}"
            )
            return pods

        return eventually(
            ready,
            what=f"endpoints of {namespace}/{service}",
            timeouts=self.timeouts,
            deadline=deadline or self.timeouts.object_ready,
            hint=lambda: (
                f"selector and targetPort of {service}; pods: {pod_problems(self, namespace) or 'none unhealthy'}"
            ),
        )

    def wait_pods_ready(
        self, namespace: str, label_selector: str, *, count: int = 1, deadline: float | None = None
    ) -> builtins.list[str]:
        """Wait until at least ``count`` pods ``label_selector`` selects exist
        and all of them are Ready; returns their names."""

        def ready() -> builtins.list[str]:
            pods = self.core.list_namespaced_pod(namespace, label_selector=label_selector).items
            assert len(pods) >= count, f"{len(pods)} pod(s) in {namespace} match {label_selector}, wanted {count}"
            waiting = [
                p.metadata.name
                for p in pods
                if not any(c.type == "Ready" and c.status == "True" for c in (p.status.conditions or []))
            ]
            assert not waiting, f"not ready yet: {', '.join(waiting)}"
            return sorted(p.metadata.name for p in pods)

        return eventually(
            ready,
            what=f"pods {label_selector} in {namespace} ready",
            timeouts=self.timeouts,
            deadline=deadline or self.timeouts.object_ready,
            hint=lambda: f"pods in {namespace}: {pod_problems(self, namespace) or 'none unhealthy'}",
        )

    def endpoint_addresses(self, namespace: str, service: str) -> builtins.list[str]:
        """Endpoint address:port pairs of a Service as its EndpointSlices list them."""
        return sorted(
            f"{a}:{p.port}"
            for s in self._endpoint_slices(namespace, service)
            for ep in (s.endpoints or [])
            for a in ep.addresses
            for p in (s.ports or [])
        )

    def load_balancer_address(self, namespace: str, service: str) -> str | None:
        svc = self.core.read_namespaced_service(service, namespace)
        ingress = (svc.status.load_balancer and svc.status.load_balancer.ingress) or []
        for i in ingress:
            if i.ip or i.hostname:
                return i.ip or i.hostname
        return None

    def wait_load_balancer(self, namespace: str, service: str, *, deadline: float | None = None) -> str:
        """Wait until a Service has an external address. A Service that is
        not of type LoadBalancer asks for none: that is an answer at once."""

        def assigned() -> str:
            svc = self.core.read_namespaced_service(service, namespace)
            if svc.spec.type != "LoadBalancer":
                raise _Final(f"service {namespace}/{service} is of type {svc.spec.type}: it asks for no load balancer")
            ingress = (svc.status.load_balancer and svc.status.load_balancer.ingress) or []
            addr = next((i.ip or i.hostname for i in ingress if i.ip or i.hostname), None)
            assert addr, f"service {namespace}/{service} has no load-balancer address yet"
            return addr

        what = f"load-balancer address of {namespace}/{service}"
        try:
            return eventually(
                assigned,
                what=what,
                timeouts=self.timeouts,
                deadline=deadline or self.timeouts.load_balancer_address,
                hint=lambda: (
                    f"events of service {service}: {event_lines(self, namespace, service) or 'none'}; "
                    "MetalLB controller logs"
                ),
            )
        except _Final as exc:
            raise WaitTimedOut(what, "an external address", Seen(str(exc))) from None

    def wait_crds(self, names: Iterable[str], *, deadline: float | None = None) -> None:
        ext = k8s.ApiextensionsV1Api(self.api_client)
        for name in names:

            def established(name: str = name) -> None:
                crd = ext.read_custom_resource_definition(name)
                conds = {c.type: c.status for c in (crd.status.conditions or [])}
                assert conds.get("Established") == "True", f"CRD {name} conditions {conds}"

            eventually(
                established,
                what=f"CRD {name} established",
                timeouts=self.timeouts,
                deadline=deadline or self.timeouts.object_ready,
            )
        self.dyn.resources.invalidate_cache()


def api_reason(exc: ApiException) -> str:
    import json

    try:
        body = json.loads(exc.body or "{}")
        msg = body.get("message") or exc.reason
    except ValueError:
        msg = exc.reason
    return f"HTTP {exc.status}: {msg}"
