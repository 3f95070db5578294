"""The Gateway API conformance run, without a cluster: bad input stops it in
one line before anything is created; each implementation's set-up, applied to
the pinned suite's own catalogue (written by the Go test module's
TestCatalogue, recorded in tests/data/conformance), selects exactly the tests
its published report counts; outcomes come from go test's events of a real
run (recorded, trimmed), not from the suite's report."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.conformance import catalogue as cat
from harness.conformance import gateway as gw
from harness.conformance import model, setups
from harness.conformance.cli import Usage, preflight_images
from harness.conformance.published import REPORTS, claimed_profiles
from harness.lab.addons import ADDONS, gateway_api, gateway_conformance

DATA = Path(__file__).resolve().parent / "data" / "conformance"


@pytest.fixture(scope="module")
def catalogue() -> cat.Catalogue:
    return cat.load(DATA / "catalogue-v1.6.1.json")


ROOT = Path(__file__).resolve().parent.parent  # the checkout


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "conformance", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


# ---------------------------------------------------------------------------
# bad input: one line, exit 2, nothing created
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("implementation", "says"),
    [
        ("nginx", "unknown implementation 'nginx': a harness subject with no Gateway API conformance set-up"),
        ("istio", "unknown implementation 'istio': not a subject of the harness"),
    ],
)
def test_an_implementation_without_a_set_up_is_one_line(tmp_path, implementation, says):
    res = run_cli(f"--implementation={implementation}", f"--report-dir={tmp_path / 'reports'}")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"harness conformance: {says}"), res.stderr
    assert "envoy-gateway, traefik" in lines[0]
    assert not (tmp_path / "reports").exists()


def test_a_profile_the_implementation_does_not_claim_is_one_line(tmp_path):
    res = run_cli("--implementation=traefik", "--profiles=GATEWAY-UDP", f"--report-dir={tmp_path / 'r'}")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "harness conformance: traefik publishes no GATEWAY-UDP conformance (claims: GATEWAY-HTTP, GATEWAY-TLS, "
        "GATEWAY-GRPC); nothing to compare a run with"
    ]


def test_a_crd_suite_version_mismatch_is_one_line(tmp_path):
    go_mod = tmp_path / "go.mod"
    go_mod.write_text(
        (gw.MODULE_DIR / "go.mod").read_text().replace("conformance v1.6.1", "conformance v1.5.1"), encoding="utf-8"
    )
    with pytest.raises(gw.ConformanceError) as info:
        gw.check_versions(go_mod)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(
        f"CRD/suite version mismatch: {go_mod} pins sigs.k8s.io/gateway-api/conformance v1.5.1 but the harness "
        f"installs the Gateway API CRDs {gateway_api.VERSION}"
    )
    # the project's own pin agrees with the CRDs it installs
    assert gw.check_versions() == gateway_api.VERSION


def test_a_missing_image_is_one_line_naming_it_and_who_needs_it(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    present = [
        i
        for n in ("metallb", "gateway_api", "gateway_api_conformance", "envoy_gateway")
        for i in ADDONS[n].images()
        if i != gateway_conformance.ECHO_DEV3_IMAGE
    ]
    index = {}
    for i in present:
        name = i.replace("/", "_").replace(":", "_") + ".tar"
        (images / name).write_bytes(b"")
        index[i] = name
    (images / "index.json").write_text(json.dumps({"images": index}))
    a = argparse.Namespace(kubeconfig=None, images_dir=str(images), node_image=None)
    with pytest.raises(Usage) as info:
        preflight_images(a, [setups.ENVOY_GATEWAY], gw.suite_version())
    msg = str(info.value)
    assert "\n" not in msg
    assert msg == (
        f"missing image in {images}: {gateway_conformance.ECHO_DEV3_IMAGE} (for gateway_api_conformance; "
        "named by sigs.k8s.io/gateway-api/conformance v1.6.1 base/manifests.yaml) (`make images`)"
    )
    # an archive the index names but that is gone: one line naming it
    index[gateway_conformance.ECHO_DEV3_IMAGE] = "echo-dev3.tar"
    (images / "index.json").write_text(json.dumps({"images": index}))
    with pytest.raises(Usage) as info:
        preflight_images(a, [setups.ENVOY_GATEWAY], gw.suite_version())
    assert str(info.value) == (
        f"missing image in {images}: {gateway_conformance.ECHO_DEV3_IMAGE}: its archive {images / 'echo-dev3.tar'} "
        "is gone (`make images`)"
    )
    # the suite's own manifests name it too (base/manifests.yaml), and say so when asked
    lines = gw.missing_suite_images(gw.suite_version(), present)
    assert lines == [
        f"{gateway_conformance.ECHO_DEV3_IMAGE} (named by sigs.k8s.io/gateway-api/conformance v1.6.1 "
        "base/manifests.yaml)"
    ]


def test_every_image_the_suites_manifests_name_is_built_or_knowingly_left_out():
    """The list of further images comes from the suite's manifests, not from memory."""
    named = set(gw.suite_images(gw.suite_version()))
    built = {gateway_api.ECHO_IMAGE, *gateway_conformance.ADDON.images()}
    assert named - built == set(gateway_conformance.NOT_BUILT)
    assert built <= named


# ---------------------------------------------------------------------------
# set-ups against the suite's catalogue
# ---------------------------------------------------------------------------


def test_selection_defaults_to_every_claimed_profile_and_takes_core_only():
    assert (
        gw.parse_selection("", "traefik").names
        == claimed_profiles("traefik")
        == [
            "GATEWAY-HTTP",
            "GATEWAY-TLS",
            "GATEWAY-GRPC",
        ]
    )
    sel = gw.parse_selection("gateway-http:core", "envoy-gateway")
    assert sel.profiles == (("GATEWAY-HTTP", (cat.Level.CORE,)),)
    with pytest.raises(gw.ConformanceError, match="unknown profile 'NOPE'"):
        gw.parse_selection("NOPE", "traefik", ["GATEWAY-HTTP"])


@pytest.mark.parametrize("implementation", sorted(setups.SETUPS))
def test_each_set_up_selects_the_tests_its_published_report_counts(catalogue, implementation):
    """The set-up as data (features, skipped tests), applied with the suite's
    rules to the suite's own catalogue, gives the published figures: a run here
    is the same run as upstream's."""
    setup = setups.SETUPS[implementation]
    gw.check_setup(setup, catalogue)
    published = REPORTS[implementation]
    for (profile, level), (passed, failed, skipped, skipped_tests) in published.figures.items():
        sel = gw.parse_selection(profile, implementation, catalogue.profiles)
        features = set(gw.suite_features(setup, catalogue, sel)) | catalogue.profiles[profile].core
        tests = catalogue.tests_of(catalogue.profiles[profile], cat.Level(level))
        run = [t for t in tests if set(t.features) <= features]
        skips = sorted(t.name for t in run if t.name in {s.value for s in setup.skip_tests})
        assert (len(run) - len(skips), len(skips)) == (passed + failed, skipped), (profile, level)
        assert tuple(skips) == skipped_tests


def test_a_core_only_run_tells_the_suite_only_core_features(catalogue):
    sel = gw.parse_selection("GATEWAY-HTTP:core", "envoy-gateway", catalogue.profiles)
    assert gw.suite_features(setups.ENVOY_GATEWAY, catalogue, sel) == ["Gateway", "HTTPRoute", "ReferenceGrant"]


def test_a_set_up_naming_an_unknown_feature_is_refused(catalogue):
    import dataclasses

    bad = dataclasses.replace(setups.TRAEFIK, supported_features=(*setups.TRAEFIK.supported_features, "HTTPRouteTypo"))
    with pytest.raises(gw.ConformanceError, match="names features the suite does not know: HTTPRouteTypo"):
        gw.check_setup(bad, catalogue)


def test_options_document_carries_the_set_up(catalogue):
    sel = gw.parse_selection("", "traefik", catalogue.profiles)
    feats = gw.suite_features(setups.TRAEFIK, catalogue, sel)
    doc = gw.options_document(setups.TRAEFIK, sel, feats, setups.Prepared(), "v3.7.13")
    assert doc["gatewayClassName"] == "traefik" and doc["skipTests"] == ["HTTPRouteMultipleGateways"]
    assert doc["timeoutConfig"]["gatewayMustHaveAddress"] == "30s" and doc["debug"] is True
    assert doc["conformanceProfiles"] == ["GATEWAY-HTTP", "GATEWAY-TLS", "GATEWAY-GRPC"]
    assert "usableNetworkAddresses" not in doc and doc["failFast"] is False


def test_traefik_conformance_entrypoints_replace_the_harness_ones():
    deploy, svc = setups.traefik_conformance_manifest()
    (container,) = deploy["spec"]["template"]["spec"]["containers"]
    assert "--entryPoints.web.address=:80" in container["args"]
    assert "--entryPoints.tls8883.address=:8883" in container["args"]
    assert not any("kubernetesIngress" in a or ":8000" in a for a in container["args"])
    assert sorted(p["port"] for p in svc["spec"]["ports"]) == [80, 443, 8080, 8090, 8443, 8883]
    assert {p["targetPort"] for p in svc["spec"]["ports"]} == {n for n, _ in setups.TRAEFIK_ENTRYPOINTS}


def test_every_claim_a_test_touches_is_in_the_catalog():
    from harness.claims import load

    ids = {c.id for c in load().claims}
    assert {c for claims in gw.CLAIMS.values() for c in claims} <= ids


def test_records_round_trip(tmp_path):
    run = model.ConformanceRun(
        suite="gateway-api v1.6.1",
        implementation="traefik",
        profile="GATEWAY-HTTP core",
        cases=(model.Case("HTTPRouteMultipleGateways", model.Outcome.SKIPPED, reason="set-up"),),
        published=REPORTS["traefik"].published("GATEWAY-HTTP", "core"),
    )
    model.write(tmp_path, run)
    (back,) = model.load_all(tmp_path)
    assert back == run and back.published and back.published.skipped_tests == ("HTTPRouteMultipleGateways",)


def test_the_nightly_runs_every_implementation_with_a_set_up():
    import yaml

    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "nightly.yml").read_text())
    job = wf["jobs"]["conformance"]
    assert set(job["strategy"]["matrix"]["implementation"]) == set(setups.SETUPS)
    assert any("make conformance" in s.get("run", "") for s in job["steps"])
