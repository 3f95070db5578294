"""Each Gateway API implementation's conformance set-up, as its own project
runs the suite, as data: the features it claims, the tests it skips, the
timeouts it changes, each with the file it comes from. And what the cluster
needs for a run (:func:`prepare`) and to be given back to the claims suites
afterwards (:func:`restore`).

Sources:

- Envoy Gateway: ``envoyproxy/gateway`` v1.9.0 (commit 39763b1c, the newest
  tag in the stored copy; the harness runs v1.9.1), ``test/conformance/suite.go``
  (``EnvoyGatewaySuite``: every feature of the suite but the ones it skips,
  the mesh features exempt, ``GatewayInfrastructure`` skipped in the default
  mode), ``tools/make/kube.mk`` (``run-experimental-conformance``: the
  GatewayClass, ``--cleanup-base-resources``, the static-address flags) and
  ``test/config/gatewayclass.yaml`` (the EnvoyProxy).
- Traefik: ``github.com/traefik/traefik/v3`` v3.7.13 (the module the harness
  builds), ``integration/gateway_api_conformance_test.go`` (options, skipped
  test, timeouts), ``pkg/provider/kubernetes/gateway/features.go``
  (``SupportedFeatures``) and ``integration/fixtures/gateway-api-conformance/
  02-traefik.yml`` (its entryPoints, one per listener port the suite uses).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from harness.checks.consistency import eventually
from harness.checks.kube import Kube
from harness.checks.manifests import load_manifest
from harness.lab.addons import ADDONS, Context
from harness.lab.addons import envoy_gateway as eg_addon
from harness.lab.addons import traefik as traefik_addon
from harness.lab.addons.gateway_api import wait_class_accepted
from harness.lab.cluster import log


@dataclass(frozen=True)
class Sourced:
    """A value of the set-up and where it comes from."""

    value: str
    source: str


@dataclass(frozen=True)
class SetUp:
    implementation: str  # the harness subject
    addon: str  # the harness addon that installs it
    gateway_class: str
    organization: str
    project: str
    url: str
    contact: tuple[str, ...]
    # features: an explicit list, or every feature of the suite (all_features) less the exempt ones
    supported_features: tuple[str, ...] = ()
    all_features: bool = False
    exempt_features: tuple[str, ...] = ()
    features_source: str = ""
    skip_tests: tuple[Sourced, ...] = ()
    timeouts: tuple[tuple[str, int], ...] = ()  # TimeoutConfig json name -> seconds
    timeouts_source: str = ""
    debug: bool = False
    static_addresses: bool = False  # pass a usable (MetalLB pool) and an unusable address
    notes: tuple[str, ...] = ()  # further set-up facts for the report, with their sources

    def supported(self, known: set[str]) -> set[str]:
        base = set(known) if self.all_features else set(self.supported_features)
        return base - set(self.exempt_features)


# the mesh features of the v1.6.1 suite (pkg/features/mesh.go), which Envoy Gateway exempts
MESH_FEATURES = (
    "Mesh",
    "MeshClusterIPMatching",
    "MeshConsumerRoute",
    "MeshHTTPRouteBackendRequestHeaderModification",
    "MeshHTTPRouteNamedRouteRule",
    "MeshHTTPRouteQueryParamMatching",
    "MeshHTTPRouteRedirectPath",
    "MeshHTTPRouteRedirectPort",
    "MeshHTTPRouteRewritePath",
    "MeshHTTPRouteSchemeRedirect",
)

EG_SOURCE = "envoyproxy/gateway v1.9.0 (39763b1c)"
EG_CONFORMANCE_CLASS = "eg-conformance"  # a class of its own: the harness's "envoy-gateway" stays as it is

ENVOY_GATEWAY = SetUp(
    implementation="envoy-gateway",
    addon=eg_addon.ADDON.name,
    gateway_class=EG_CONFORMANCE_CLASS,
    organization="envoyproxy",
    project="envoy-gateway",
    url="https://github.com/envoyproxy/gateway",
    contact=("https://github.com/envoyproxy/gateway/blob/main/GOVERNANCE.md",),
    all_features=True,
    exempt_features=(
        # SkipFeatures(default mode): not claimed
        "GatewayHTTPSListenerDetectMisdirectedRequests",
        "GatewayInfrastructurePropagation",
        # meshFeatures(): ExemptFeatures
        *MESH_FEATURES,
    ),
    features_source=(
        f"{EG_SOURCE} test/conformance/suite.go allFeatures(): every feature of features.AllFeatures but "
        "SkipFeatures(default mode) (the UDPRoute features and TLSRouteModeMixed it adds back are in "
        "AllFeatures already); meshFeatures() exempt"
    ),
    skip_tests=(Sourced("GatewayInfrastructure", f"{EG_SOURCE} test/conformance/suite.go SkipTests(default mode)"),),
    timeouts_source=f"{EG_SOURCE} test/conformance/suite.go: config.DefaultTimeoutConfig(), unchanged",
    static_addresses=True,
    notes=(
        f"GatewayClass {EG_CONFORMANCE_CLASS} with an EnvoyProxy as upstream's test/config/gatewayclass.yaml "
        "(ipFamily IPv4, drainTimeout 5s, minDrainDuration 1s) plus small Envoy resource requests "
        "(cpu 10m, memory 64Mi) so the suite's Gateways fit on this 2-core node "
        "(manifests/conformance/envoy-gateway.yaml)",
        "GatewayStaticAddresses: the usable address is the last of the cluster's MetalLB pool, the unusable one "
        f"unusable.example.com, as {EG_SOURCE} tools/hack/get-static-address-args.sh picks them",
        f"cleanup of base and test resources on, debug off ({EG_SOURCE} tools/make/kube.mk E2E_TEST_SUITE_ARGS)",
        f"not copied: FailFast (upstream stops at the first failure; here every test runs) and the Hook "
        f"that dumps resources for its own CI ({EG_SOURCE} test/conformance/suite.go)",
    ),
)

TRAEFIK_SOURCE = "traefik v3.7.13 module"
TRAEFIK_TEST = f"{TRAEFIK_SOURCE} integration/gateway_api_conformance_test.go"

TRAEFIK = SetUp(
    implementation="traefik",
    addon=traefik_addon.ADDON.name,
    gateway_class="traefik",
    organization="traefik",
    project="traefik",
    url="https://traefik.io/",
    contact=("@traefik/maintainers",),
    supported_features=(
        # features.GatewayCoreFeatures, HTTPRouteCoreFeatures, ReferenceGrantCoreFeatures,
        # BackendTLSPolicyCoreFeatures, GRPCRouteCoreFeatures, TLSRouteCoreFeatures
        "Gateway",
        "HTTPRoute",
        "ReferenceGrant",
        "BackendTLSPolicy",
        "GRPCRoute",
        "TLSRoute",
        # extendedGatewayFeatures()
        "GatewayPort8080",
        # extendedHTTPRouteFeatures()
        "HTTPRouteQueryParamMatching",
        "HTTPRouteMethodMatching",
        "HTTPRoutePathRedirect",
        "HTTPRoutePortRedirect",
        "HTTPRouteSchemeRedirect",
        "HTTPRoute303RedirectStatusCode",
        "HTTPRoute307RedirectStatusCode",
        "HTTPRoute308RedirectStatusCode",
        "HTTPRouteHostRewrite",
        "HTTPRoutePathRewrite",
        "HTTPRouteResponseHeaderModification",
        "HTTPRouteBackendProtocolH2C",
        "HTTPRouteBackendProtocolWebSocket",
        "HTTPRouteDestinationPortMatching",
        "HTTPRouteBackendRequestHeaderModification",
        "HTTPRouteNamedRouteRule",
        "HTTPRouteParentRefPort",
        # extendedGRPCRouteFeatures()
        "GRPCRouteNamedRouteRule",
        # extendedTLSRouteFeatures()
        "TLSRouteModeTerminate",
        "TLSRouteModeMixed",
    ),
    features_source=f"{TRAEFIK_SOURCE} pkg/provider/kubernetes/gateway/features.go SupportedFeatures()",
    skip_tests=(Sourced("HTTPRouteMultipleGateways", f"{TRAEFIK_TEST} SkipTests"),),
    timeouts=(
        ("gatewayMustHaveAddress", 30),
        ("gatewayMustHaveCondition", 30),
        ("gwcMustBeAccepted", 30),
        ("listenerSetMustHaveCondition", 30),
        ("namespacesMustBeReady", 60),
    ),
    timeouts_source=f'{TRAEFIK_TEST} timeoutConfig ("Traefik reconciles a resource in a couple of seconds")',
    debug=True,
    notes=(
        f"cleanup of base and test resources on, debug on ({TRAEFIK_TEST})",
        "entryPoints as upstream's integration/fixtures/gateway-api-conformance/02-traefik.yml: web :80, "
        "websecure :443, web8080 :8080, web8090 :8090, tls8443 :8443, tls8883 :8883 (a Gateway listener is "
        "served on the entryPoint of its port), and a LoadBalancer Service with the same ports; only the "
        "kubernetesGateway provider (upstream runs it in k3s, the harness in its kind cluster)",
    ),
)

SETUPS: dict[str, SetUp] = {s.implementation: s for s in (ENVOY_GATEWAY, TRAEFIK)}


# ---------------------------------------------------------------------------
# the cluster, before and after a run
# ---------------------------------------------------------------------------

# (entryPoint name, port): integration/fixtures/gateway-api-conformance/02-traefik.yml
TRAEFIK_ENTRYPOINTS = (
    ("web", 80),
    ("websecure", 443),
    ("web8080", 8080),
    ("web8090", 8090),
    ("tls8443", 8443),
    ("tls8883", 8883),
)
TRAEFIK_ADMIN_PORT = 9000  # ping (the harness's readiness probe)


def traefik_conformance_manifest() -> list[dict[str, Any]]:
    """The harness's Traefik (manifests/addons/traefik.yaml) with upstream's
    conformance entryPoints and only its Gateway API provider, and a Service
    exposing each entryPoint on its own port. Applied over the harness's
    Traefik (same objects, same field manager), so :func:`restore` applying
    the original puts everything back."""
    ns = traefik_addon.NAMESPACE
    docs = load_manifest("addons/traefik.yaml", namespace=ns, image=traefik_addon.IMAGE)
    out = []
    for doc in docs:
        doc = copy.deepcopy(doc)
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "traefik":
            (container,) = doc["spec"]["template"]["spec"]["containers"]
            container["args"] = [
                *(f"--entryPoints.{name}.address=:{port}" for name, port in TRAEFIK_ENTRYPOINTS),
                f"--entryPoints.traefik.address=:{TRAEFIK_ADMIN_PORT}",
                "--ping=true",
                "--log.level=INFO",
                "--global.checkNewVersion=false",
                "--global.sendAnonymousUsage=false",
                "--providers.kubernetesGateway=true",
                "--providers.kubernetesGateway.experimentalChannel=true",
                "--providers.kubernetesGateway.statusAddress.service.name=traefik",
                f"--providers.kubernetesGateway.statusAddress.service.namespace={ns}",
            ]
            container["ports"] = [
                *({"name": name, "containerPort": port} for name, port in TRAEFIK_ENTRYPOINTS),
                {"name": "admin", "containerPort": TRAEFIK_ADMIN_PORT},
            ]
            # ports 80 and 443 as the harness's non-root user, no capability: a safe sysctl (Kubernetes 1.22+)
            pod = doc["spec"]["template"]["spec"]
            pod["securityContext"] = {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]}
            out.append(doc)
        elif doc["kind"] == "Service" and doc["metadata"]["name"] == "traefik":
            doc["spec"]["ports"] = [
                {"name": name, "port": port, "targetPort": name} for name, port in TRAEFIK_ENTRYPOINTS
            ]
            out.append(doc)
    if len(out) != 2:
        raise ValueError("manifests/addons/traefik.yaml has no Deployment and Service named traefik")
    return out


def envoy_gateway_manifest(envoy_image: str | None = None) -> list[dict[str, Any]]:
    """The conformance GatewayClass and its EnvoyProxy. An EnvoyProxy of a
    GatewayClass replaces the controller's default one, image included: it
    names the Envoy image the installed controller is configured with
    (:func:`configured_envoy_image`), else Envoy Gateway's built-in default."""
    docs = load_manifest(
        "conformance/envoy-gateway.yaml",
        name=EG_CONFORMANCE_CLASS,
        namespace=eg_addon.NAMESPACE,
        controller=eg_addon.CONTROLLER_NAME,
    )
    if envoy_image:
        for doc in docs:
            if doc["kind"] == "EnvoyProxy":
                doc["spec"]["provider"]["kubernetes"]["envoyDeployment"]["container"]["image"] = envoy_image
    return docs


def configured_envoy_image(kube: Kube) -> str | None:
    """The Envoy image of the installed Envoy Gateway's own configuration (the
    chart's envoy-gateway-config ConfigMap; the harness sets it when it runs
    on images built here), or None when it names none."""
    import yaml

    cm = kube.get("v1", "ConfigMap", "envoy-gateway-config", eg_addon.NAMESPACE) or {}
    try:
        conf = yaml.safe_load((cm.get("data") or {}).get("envoy-gateway.yaml") or "") or {}
        image = conf["envoyProxy"]["provider"]["kubernetes"]["envoyDeployment"]["container"]["image"]
    except (yaml.YAMLError, KeyError, TypeError):
        return None
    return str(image) if image else None


@dataclass
class Prepared:
    """What a run's set-up decided on the cluster (the usable address, say)."""

    usable_address: str = ""
    unusable_address: str = ""
    facts: list[str] = field(default_factory=list)


def last_pool_address(kube: Kube) -> str:
    """The last address of the MetalLB pool: the one upstream's script picks
    (.250 of its .200-.250 pool); MetalLB hands addresses out from the start."""
    from harness.lab.addons import metallb

    ranges = metallb.ADDON.pool_addresses(kube)
    if not ranges:
        raise ValueError("no MetalLB address pool in the cluster")
    last = ranges[-1]
    return last.split("-", 1)[1].strip() if "-" in last else last.split("/")[0]


def prepare(ctx: Context, setup: SetUp) -> Prepared:
    kube = ctx.kube
    prepared = Prepared()
    if setup.implementation == "traefik":
        log("traefik: switching to upstream's conformance entryPoints (80, 443, 8080, 8090, 8443, 8883)")
        kube.apply(traefik_conformance_manifest())
        kube.wait_deployments(traefik_addon.NAMESPACE, ["traefik"], deadline=kube.timeouts.addon_ready)
        address = kube.wait_load_balancer(traefik_addon.NAMESPACE, "traefik")
        prepared.facts.append(f"Traefik's Service traefik/traefik at {address}")
    elif setup.implementation == "envoy-gateway":
        _wait_not_terminating(kube, setup.gateway_class)
        image = configured_envoy_image(kube)
        kube.apply(envoy_gateway_manifest(image))
        _wait_class_accepted(kube, setup.gateway_class)
        prepared.facts.append(f"Envoy image {image or 'Envoy Gateway default'} (as the installed controller's)")
    if setup.static_addresses:
        prepared.usable_address = last_pool_address(kube)
        prepared.unusable_address = "unusable.example.com"
    return prepared


def restore(ctx: Context, setup: SetUp) -> None:
    """Give the cluster back as the claims suites expect it."""
    kube = ctx.kube
    if setup.implementation == "traefik":
        log("traefik: back to the harness's entryPoints")
        addon = ADDONS[setup.addon]
        addon.install(ctx)
        addon.wait_ready(ctx)
    elif setup.implementation == "envoy-gateway":
        kube.delete(list(reversed(envoy_gateway_manifest())))


def _wait_not_terminating(kube: Kube, name: str) -> None:
    """A class an earlier run deleted goes once its Gateways are gone (its
    controller's finalizer): wait for that rather than apply over it."""

    def settled() -> None:
        gc = kube.get("gateway.networking.k8s.io/v1", "GatewayClass", name) or {}
        assert not gc.get("metadata", {}).get("deletionTimestamp"), f"GatewayClass {name} is being deleted"

    eventually(
        settled,
        what=f"GatewayClass {name} not being deleted",
        timeouts=kube.timeouts,
        deadline=kube.timeouts.object_ready,
        hint=f"its finalizers; Gateways of class {name} still in the cluster",
    )


def _wait_class_accepted(kube: Kube, name: str) -> None:
    wait_class_accepted(kube, name, hint="the controller's logs; the EnvoyProxy it names")
