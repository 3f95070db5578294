"""go test's own events decide each upstream test's outcome. The recordings
are real runs of the suite's test binary (tests/data/conformance, trimmed to
the events and the lines the harness reads):

- traefik-static-addresses.jsonl: Traefik (built here, its conformance
  entryPoints) run on GATEWAY-HTTP with the suite told it supports
  GatewayStaticAddresses, which it does not: that parallel test fails, and
  the suite's own report (traefik-static-addresses-report.yaml) still counts
  it passed (v1.6.1 counts a parallel test when it is scheduled);
- no-cluster.jsonl: the binary pointed at a kubeconfig whose API server does
  not answer: the suite stops before any test.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.conformance import catalogue as cat
from harness.conformance import events as ev
from harness.conformance import gateway as gw
from harness.conformance import render, setups
from harness.conformance.model import Outcome

DATA = Path(__file__).resolve().parent / "data" / "conformance"
RECORDED = DATA / "traefik-static-addresses.jsonl"
# what that run told the suite (its options.yaml): Traefik's core features and the one it does not support
TOLD = ["Gateway", "GatewayStaticAddresses", "HTTPRoute", "ReferenceGrant"]


@pytest.fixture(scope="module")
def catalogue() -> cat.Catalogue:
    return cat.load(DATA / "catalogue-v1.6.1.json")


def suite_run(path: Path = RECORDED, lines: list[str] | None = None, returncode: int = 1) -> gw.SuiteRun:
    run = ev.read_events(lines) if lines is not None else ev.read_file(path)
    report = DATA / "traefik-static-addresses-report.yaml" if lines is None else None
    return gw.SuiteRun(run, 80.0, returncode, path, report, 20)


def context(catalogue: cat.Catalogue) -> gw.RunContext:
    setup = dataclasses.replace(setups.TRAEFIK, supported_features=tuple(TOLD))
    sel = gw.parse_selection("GATEWAY-HTTP", "traefik", catalogue.profiles)
    return gw.RunContext(setup, sel, catalogue, TOLD, "v1.6.1", "v3.7.13")


def test_the_reader_gives_every_test_its_end():
    run = ev.read_file(RECORDED)
    tests = run.children(gw.PARENT)
    assert len(tests) == 153  # every test of tests.ConformanceTests gets a t.Run
    assert tests["GatewayStaticAddresses"].ended is ev.Action.FAIL and tests["GatewayStaticAddresses"].parallel
    assert tests["HTTPRouteSimpleSameNamespace"].ended is ev.Action.PASS
    assert tests["HTTPRouteMultipleGateways"].ended is ev.Action.SKIP
    assert sum(t.ended is ev.Action.PASS for t in tests.values()) == 36
    assert run.package_result is ev.Action.FAIL and run.bad_lines == 0


def test_a_test_the_suites_report_counts_passed_but_go_test_failed_is_failed(catalogue):
    run = suite_run()
    counted = gw.report_figures(run.report_file)
    assert counted[("GATEWAY-HTTP", "extended")] == gw.ReportFigures(1, 0, 0)  # the suite's own report: passed
    recs = {r.profile: r for r in gw.records(run, context(catalogue))}
    ext = recs["GATEWAY-HTTP extended"]
    (case,) = [c for c in ext.cases if c.name == "GatewayStaticAddresses"]
    assert case.outcome is Outcome.FAILED
    assert case.reason == (
        "Received unexpected error: error fetching Gateway: context deadline exceeded (error waiting for Gateway "
        "status to have a Condition matching expectations)"
    )
    assert case.evidence and len(case.evidence) <= 12
    assert render.counts(ext)[:3] == (0, 1, 0)
    assert any(
        n.startswith("the suite's own report counts 1 passed, 0 failed, 0 skipped; go test's events say 0/1/0")
        for n in ext.notes
    )
    # the rest of the profile: as the suite ran it
    core = recs["GATEWAY-HTTP core"]
    assert render.counts(core) == (36, 0, 1, 0)
    (skipped,) = [c for c in core.cases if c.outcome is Outcome.SKIPPED]
    assert (
        skipped.name == "HTTPRouteMultipleGateways" and "integration/gateway_api_conformance_test.go" in skipped.reason
    )
    # extended tests of features Traefik was not told it supports: not applicable, with the feature named
    na = [c for c in ext.cases if c.outcome is Outcome.NOT_APPLICABLE]
    assert na and all("traefik does not claim" in c.reason for c in na)
    assert render.verdict(ext) == "differs (1 test)"
    assert render.differences(ext)[0].case == "GatewayStaticAddresses"


def test_a_run_cut_short_leaves_its_unfinished_tests_failed_not_passed(catalogue):
    lines = RECORDED.read_text().splitlines()
    cut = next(i for i, line in enumerate(lines) if '"Test":"TestGatewayAPIConformance/GatewayStaticAddresses"' in line)
    run = suite_run(lines=lines[: cut + 3], returncode=-15)
    assert gw.setup_failure(run) is None  # it did get to its tests
    recs = {r.profile: r for r in gw.records(run, context(catalogue))}
    (case,) = [c for c in recs["GATEWAY-HTTP extended"].cases if c.name == "GatewayStaticAddresses"]
    assert (
        case.outcome is Outcome.FAILED
        and case.reason == "no result: go test ended (exit -15) before this test finished"
    )
    assert any("wrote no ConformanceReport" in n for n in recs["GATEWAY-HTTP core"].notes)


def test_lines_that_are_not_events_do_not_stop_the_reader():
    lines = [*RECORDED.read_text().splitlines()[:50], "panic: test timed out after 20m0s", "", "{not json"]
    run = ev.read_events(lines)
    assert run.bad_lines == 2 and "panic: test timed out after 20m0s" in run.package_output
    assert run.package_result is None  # the package never ended


def test_a_suite_that_stops_before_its_tests_says_why():
    run = suite_run(DATA / "no-cluster.jsonl")
    why = gw.setup_failure(run)
    assert why == (
        "the suite stopped before its tests (go test exit 1): Received unexpected error: failed to get server "
        'groups: Get "https://127.0.0.1:1/api": dial tcp 127.0.0.1:1: connect: connection refused (error initializing '
        "conformance suite)"
    )
    assert gw.setup_failure(suite_run()) is None
