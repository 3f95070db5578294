"""The conformance section of the reports: counts beside the published
figures, every test that differs with its reason and evidence, findings
linked to the guide's claims; Markdown, an HTML fragment with no external
asset, JSON. Pure functions over records."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from harness.claims import load
from harness.conformance import render
from harness.conformance.model import Case, ConformanceRun, Outcome, Published
from harness.conformance.published import REPORTS

CLAIMS = load().claims


def run(cases: list[Case], published: Published | None, profile: str = "GATEWAY-HTTP core") -> ConformanceRun:
    return ConformanceRun(
        suite="gateway-api v1.6.1",
        implementation="traefik",
        profile=profile,
        cases=tuple(cases),
        published=published,
        seconds=47.2,
        notes=("skipped tests: HTTPRouteMultipleGateways (traefik v3.7.13 module ...)",),
        report_file="conformance/gateway-api/traefik/report.yaml",
    )


PUB = REPORTS["traefik"].published("GATEWAY-HTTP", "core")
assert PUB is not None
SAME = [
    *(Case(f"HTTPRouteT{i}", Outcome.PASSED) for i in range(36)),
    Case("HTTPRouteMultipleGateways", Outcome.SKIPPED, reason="skipped by traefik's own set-up"),
]
FAILED_PATH = Case(
    "HTTPRouteExactPathMatching",
    Outcome.FAILED,
    reason="expected status 404, got 200 for /one/example",
    evidence=("GET /one/example -> 200 from infra-backend-v1", "<script>alert(1)</script>"),
    feature="Gateway, HTTPRoute",
    claims=("faq-gateway-successor", "gateway-ingress-migration"),
)


def test_a_run_as_published_has_no_difference():
    r = run(SAME, PUB)
    assert render.differences(r) == [] and render.count_gap(r) == ""
    assert render.verdict(r) == "as published"
    md = render.render_markdown([r])
    assert "| GATEWAY-HTTP core | 36 | 0 | 1 | 0 | 36 / 0 / 1 (v3.7.10) | 47 s | as published |" in md
    assert "Every test as published." in md


def test_a_failed_test_differs_with_its_reason_and_evidence():
    r = run([*SAME[:35], FAILED_PATH, SAME[-1]], PUB)
    (d,) = render.differences(r)
    assert d.case == "HTTPRouteExactPathMatching"
    assert d.here == "failed: expected status 404, got 200 for /one/example"
    assert d.published == "not failed (counted passed)" and d.evidence == FAILED_PATH.evidence
    assert render.count_gap(r) == (
        "here 35 passed, 1 failed, 1 skipped; published (v3.7.10) 36 passed, 0 failed, 1 skipped"
    )
    assert render.verdict(r) == "differs (1 test)"
    md = render.render_markdown([r])
    assert "- **HTTPRouteExactPathMatching** (GATEWAY-HTTP core): failed: expected status 404" in md


def test_a_skip_the_published_report_lists_is_no_difference_but_a_new_skip_is():
    new_skip = Case("HTTPRouteT3", Outcome.SKIPPED, reason="the test skipped itself: ...")
    r = run([*SAME[:3], new_skip, *SAME[4:]], PUB)
    assert [d.case for d in render.differences(r)] == ["HTTPRouteT3"]
    assert render.differences(r)[0].published == "not skipped (counted passed)"


def test_without_a_published_report_failures_are_listed():
    r = run([FAILED_PATH], None)
    assert [d.published for d in render.differences(r)] == ["no published report"]
    assert render.verdict(r) == "no published report; 1 failed"


def test_findings_link_a_failure_to_the_claims_it_touches():
    r = run([*SAME[:35], FAILED_PATH], PUB)
    other = run([Case("GRPCExactMethodMatching", Outcome.PASSED, claims=("gateway-grpcroute",))], None, "GATEWAY-GRPC")
    found = render.findings([r, other], CLAIMS)
    # one failure touching two claims: one finding, pinned on the first, naming the other
    assert [(f.implementation, f.claim, f.claims, f.cases) for f in found] == [
        (
            "traefik",
            "faq-gateway-successor",
            ("faq-gateway-successor", "gateway-ingress-migration"),
            ("HTTPRouteExactPathMatching",),
        ),
    ]
    quote = next(c.quote for c in CLAIMS if c.id == "faq-gateway-successor")
    assert found[0].text.startswith(f"The guide says “{quote}”")
    assert "expected status 404" in found[0].text
    assert found[0].text.endswith("The same tests also check: gateway-ingress-migration.")
    assert render.findings([run(SAME, PUB)], CLAIMS) == []  # nothing failed: no finding


class _Tags(HTMLParser):
    VOID = {"br", "hr", "img", "meta", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.attrs += attrs
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()


def test_html_is_one_balanced_section_with_no_external_asset_and_escapes_text():
    frag = render.render_html([run([*SAME[:35], FAILED_PATH], PUB), run(SAME, PUB, "GATEWAY-HTTP extended")])
    p = _Tags()
    p.feed(frag)
    assert p.errors == [] and p.stack == []
    assert frag.startswith('<section id="conformance"') and frag.endswith("</section>")
    assert not [a for a in p.attrs if a[0] in ("src", "href")]
    assert "<script>" not in frag and "&lt;script&gt;" in frag
    assert "HTTPRouteExactPathMatching" in frag and "as published" in frag


def test_json_report_is_deterministic_and_carries_findings():
    runs = [run(SAME, PUB, "GATEWAY-HTTP extended"), run([*SAME[:35], FAILED_PATH], PUB)]
    a = json.dumps(render.report_json(runs, CLAIMS), sort_keys=True)
    b = json.dumps(render.report_json(list(reversed(runs)), CLAIMS), sort_keys=True)
    assert a == b
    doc = json.loads(a)
    assert doc["schema"] == render.SCHEMA
    assert [r["profile"] for r in doc["runs"]] == ["GATEWAY-HTTP core", "GATEWAY-HTTP extended"]
    assert doc["runs"][0]["differences"][0]["case"] == "HTTPRouteExactPathMatching"
    assert [f["claims"] for f in doc["findings"]] == [["faq-gateway-successor", "gateway-ingress-migration"]]


def test_no_run_renders_a_line_saying_so():
    assert "No conformance run recorded." in render.render_markdown([])
    assert "No conformance run recorded." in render.render_html([])


def test_a_run_that_could_not_be_carried_out_says_not_run_never_passed():
    r = ConformanceRun(
        suite="gateway-api v1.6.1",
        implementation="envoy-gateway",
        profile="GATEWAY-HTTP core",
        cases=(),
        published=REPORTS["envoy-gateway"].published("GATEWAY-HTTP", "core"),
        not_run="the suite stopped before its tests (go test exit 1): context deadline exceeded",
    )
    assert (
        render.verdict(r) == "not run: the suite stopped before its tests (go test exit 1): context deadline exceeded"
    )
    assert render.differences(r) == [] and render.count_gap(r) == ""
    md = render.render_markdown([r])
    assert "Every test as published." not in md
    assert "- GATEWAY-HTTP core: not run: the suite stopped before its tests" in md
    assert "not run: the suite stopped" in render.render_html([r])
    assert ConformanceRun.from_json(r.to_json()) == r
