"""The Ingress conformance features, cluster-free: read from the real pinned
archive (and refused when missing or altered), each scenario's steps mapped
to the expectation rows the runner checks, bad input named in one line, and
the results gathered into ConformanceRuns."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.conformance import ingress
from harness.conformance.ingress import (
    ApplyIngress,
    PlanError,
    RowCheck,
    ScenarioSpec,
    SpreadCheck,
    StatusCheck,
    StepText,
)
from harness.conformance.ingress_run import not_applicable
from harness.conformance.model import Case, ConformanceRun, Outcome
from harness.lab.sources import SourceError, sources_dir
from harness.pytest.conformance import (
    Cause,
    KnownDeviation,
    UsageError,
    collect,
    load_known,
    markdown,
)

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = sources_dir() / ingress.SOURCE.file
needs_archive = pytest.mark.skipif(not ARCHIVE.is_file(), reason=f"{ARCHIVE} is not on this machine")


@pytest.fixture(scope="module")
def features() -> dict[str, ingress.FeatureSpec]:
    if not ARCHIVE.is_file():
        pytest.skip(f"{ARCHIVE} is not on this machine")
    return {f.file: f for f in ingress.load()}


def scenario(features, feature: str, needle: str) -> ScenarioSpec:
    found = [s for s in features[feature].scenarios if needle in s.name]
    assert len(found) == 1, [s.name for s in found]
    return found[0]


def only_row(s: ScenarioSpec):
    rows = [c for c in ingress.checks(ingress.plan(s)) if isinstance(c, RowCheck)]
    assert len(rows) == 1
    return rows[0].row


# ---------------------------------------------------------------------------
# the features of the pinned archive
# ---------------------------------------------------------------------------


def test_five_features_with_their_scenarios(features):
    counts = {name: len(f.scenarios) for name, f in features.items()}
    # path_rules has 16 scenarios, two pairs sharing a title: pytest-bdd's own parser keeps 14
    assert counts == {
        "default_backend.feature": 6,  # one outline, six examples
        "host_rules.feature": 6,
        "ingress_class.feature": 1,
        "load_balancing.feature": 1,
        "path_rules.feature": 16,
    }
    for f in features.values():
        names = [s.name for s in f.scenarios]
        assert len(set(names)) == len(names), f"{f.file}: scenario names are not unique"
        assert len(f.templates) == len({line for line, _ in (s.key for s in f.scenarios)})
    same_title = [s for s in features["path_rules.feature"].scenarios if "(line " in s.name]
    assert [s.line for s in same_title] == [127, 167]  # identical twins: told apart by line
    outline = features["default_backend.feature"].scenarios[3]
    assert [st.background for st in outline.steps] == [True] * 3 + [False] * 9  # set up once, reused
    assert features["default_backend.feature"].scenarios[3].example == (
        ("method", "PUT"),
        ("host", ""),
        ("path", "resource"),
    )


def test_every_step_of_every_scenario_has_a_definition(features):
    for f in features.values():
        for s in f.scenarios:
            planned = ingress.plan(s)
            assert [p.step.line for p in planned] == [st.line for st in s.steps]
            # every step either sets up, or is folded into a check that some step closes
            assert ingress.checks(planned), s.name


def test_path_rules_map_to_rows(features):
    f = "path_rules.feature"
    aaaccc = only_row(scenario(features, f, "/aaaccc"))
    assert (aaaccc.request.protocol, aaaccc.request.host, aaaccc.request.path) == (
        "http",
        "prefix-path-rules",
        "/aaaccc",
    )
    assert aaaccc.response.status == 404 and aaaccc.response.backend is None
    assert aaaccc.request.follow_redirects and aaaccc.request.headers["User-Agent"] == "Go-http-client/1.1"
    assert not aaaccc.request.tls_verify  # like upstream's client: a redirect to HTTPS is not a certificate check
    longest = only_row(scenario(features, f, "(prefix /aaa/bbb matches request /aaa/bbb/ccc)"))
    assert (longest.request.path, longest.response.status, longest.response.backend) == (
        "/aaa/bbb/ccc",
        200,
        "aaa-slash-bbb-prefix",
    )
    mixed = only_row(scenario(features, f, "Exact is preferred"))
    assert (mixed.request.host, mixed.response.backend) == ("mixed-path-rules", "foo-exact")
    background = ingress.plan(scenario(features, f, "exact path rules should send traffic"))
    assert isinstance(background[0].action, ApplyIngress) and background[0].action.new_namespace
    assert isinstance(background[1].check, StatusCheck) and background[1].check.shown
    assert ingress.hosts(background) == [
        "exact-path-rules",
        "prefix-path-rules",
        "mixed-path-rules",
        "trailing-slash-path-rules",
    ]


def test_host_rules_map_to_rows_with_the_secret_and_the_host_seen(features):
    s = scenario(features, "host_rules.feature", "send TLS traffic")
    row = only_row(s)
    assert (row.request.protocol, row.request.host, row.request.path) == ("https", "foo.bar.com", "/")
    assert row.response.certificate == "conformance-tls"  # the Secret the Background makes for foo.bar.com
    assert row.request.tls_verify  # "the secure connection must verify the foo.bar.com hostname"
    assert (row.response.status, row.response.backend, row.response.seen_host) == (200, "foo-bar-com", "foo.bar.com")
    assert set(ingress.claims(s, ingress.plan(s))) >= {"ingress-host-path-routing", "ingress-tls-termination"}
    deep = only_row(scenario(features, "host_rules.feature", "more than a single dns label"))
    assert (deep.request.host, deep.response.status) == ("baz.bar.foo.com", 404)


def test_default_backend_outline_folds_every_then_into_one_row(features):
    s = features["default_backend.feature"].scenarios[3]  # PUT, no host, /resource
    row = only_row(s)
    assert (row.request.method, row.request.host, row.request.path) == ("PUT", None, "/resource")
    rs = row.response
    assert (rs.status, rs.backend, rs.proto, rs.seen_method, rs.seen_path, rs.seen_proto) == (
        200,
        "echo-service",
        "HTTP/1.1",
        "PUT",
        "/resource",
        "HTTP/1.1",
    )
    assert dict(rs.headers) == {"Content-Length": "*", "Content-Type": "*", "Date": "*", "Server": "*"}
    assert dict(rs.seen_headers) == {"User-Agent": "Go-http-client/1.1"}
    closing = [p for p in ingress.plan(s) if isinstance(p.check, RowCheck)]
    assert len(closing) == 1 and closing[0].step.text.startswith("the request headers must contain")
    assert closing[0].check.lines == tuple(st.line for st in s.steps[-9:])  # the When and its eight Thens


def test_load_balancing_and_ingress_class(features):
    lb = features["load_balancing.feature"].scenarios[0]
    spread = [c for c in ingress.checks(ingress.plan(lb)) if isinstance(c, SpreadCheck)]
    assert len(spread) == 1
    assert (spread[0].count, spread[0].pods, spread[0].row.request.host) == (100, 10, "load-balancing")
    assert ingress.SETUP and any(isinstance(p.action, ingress.Scale) for p in ingress.plan(lb))
    cls = features["ingress_class.feature"].scenarios[0]
    planned = ingress.plan(cls)
    assert [type(c) for c in ingress.checks(planned)] == [StatusCheck] and not ingress.checks(planned)[0].shown
    docs = ingress.with_class(planned[0].action.documents(), "nginx")
    assert docs[0]["spec"]["ingressClassName"] == "some-invalid-class-name"  # the class it names stays
    assert ingress.readiness_rows(docs)[0].response.backend == "ingress-class-prefix"
    spec_docs = ingress.plan(features["default_backend.feature"].scenarios[0])[1].action.documents()
    assert spec_docs[0]["metadata"]["name"] == "default-backend"
    assert ingress.with_class(spec_docs, "traefik")[0]["spec"]["ingressClassName"] == "traefik"


def test_backends_as_upstream_deploys_them(features):
    docs = ingress.plan(features["host_rules.feature"].scenarios[0])[2].action.documents()
    # wildcard-foo-com by port number 8080, foo-bar-com by port name: 8080 named http
    assert ingress.backends(docs) == [
        ingress.EchoBackend("wildcard-foo-com", 8080),
        ingress.EchoBackend("foo-bar-com", 8080),
    ]
    bad = [{"spec": {"defaultBackend": {"service": {"name": "x", "port": {"name": "grpc"}}}}}]
    with pytest.raises(ingress.ManifestError, match="names port 'grpc'"):
        ingress.backends(bad)


def test_hostnames_made_unique_keep_their_labels():
    sfx = "1a2b3"
    mapped = {h: ingress.unique_host(h, sfx) for h in ("*.foo.com", "bar.foo.com", "baz.bar.foo.com", "foo.com")}
    assert mapped == {
        "*.foo.com": "*.foo-1a2b3.com",
        "bar.foo.com": "bar.foo-1a2b3.com",
        "baz.bar.foo.com": "baz.bar.foo-1a2b3.com",
        "foo.com": "foo-1a2b3.com",
    }
    assert ingress.unique_host("exact-path-rules", sfx) == "exact-path-rules-1a2b3"

    def wildcard_matches(pattern: str, host: str) -> bool:  # the Ingress API's rule: one label for the star
        return host.split(".", 1)[1] == pattern[2:] and "." not in host.split(".", 1)[0]

    star = mapped["*.foo.com"]
    assert wildcard_matches(star, mapped["bar.foo.com"])
    assert not wildcard_matches(star, mapped["baz.bar.foo.com"]) and not mapped["foo.com"].endswith(star[1:])


# ---------------------------------------------------------------------------
# the archive pin and bad input
# ---------------------------------------------------------------------------


@needs_archive
def test_an_altered_or_missing_archive_is_refused_in_one_line(tmp_path):
    altered = tmp_path / ingress.SOURCE.file
    shutil.copy(ARCHIVE, altered)
    with open(altered, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(SourceError) as exc:
        ingress.features_dir(tmp_path)
    assert "altered" in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(SourceError, match="is missing from") as missing:
        ingress.features_dir(tmp_path / "nowhere")
    assert "\n" not in str(missing.value)


@needs_archive
@pytest.mark.parametrize("case", ["altered", "missing"])
def test_a_run_asking_for_the_features_stops_before_anything(tmp_path, case):
    if case == "altered":
        shutil.copy(ARCHIVE, tmp_path / ingress.SOURCE.file)
        with open(tmp_path / ingress.SOURCE.file, "ab") as fh:
            fh.write(b"tampered")
    env = {**os.environ, "HARNESS_SOURCES": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "suites", "--conformance=ingress", "--controllers=nginx", "-n", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = r.stdout + r.stderr
    assert r.returncode != 0
    errors = [line for line in out.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, out[-2000:]
    assert ingress.SOURCE.file in errors[0] and ("altered" if case == "altered" else "missing") in errors[0]
    assert "[harness]" not in out  # no progress line: nothing was created, no cluster, no image loaded


def step(text: str, line: int = 1, keyword: str = "Then", doc: str | None = None, table=()) -> StepText:
    return StepText(keyword=keyword, kind=keyword.lower(), text=text, line=line, docstring=doc, table=table)


def spec(*steps: StepText) -> ScenarioSpec:
    return ScenarioSpec("x.feature", "t", "", 1, tuple(steps))


def test_steps_the_harness_cannot_check_are_named():
    with pytest.raises(PlanError, match=r"line 7: no step definition for Then 'the moon is full'"):
        ingress.plan(spec(step("the moon is full", line=7)))
    with pytest.raises(PlanError, match="line 3: 'the response status-code must be 200' follows no request"):
        ingress.plan(spec(step("the response status-code must be 200", line=3)))
    send = step('I send a "GET" request to "https://a.example"', keyword="When")
    with pytest.raises(PlanError, match="no TLS secret for a.example"):
        ingress.plan(spec(send, step('the secure connection must verify the "a.example" hostname', line=2)))
    with pytest.raises(PlanError, match="only http:// and https://"):
        ingress.plan(spec(step('I send a "GET" request to "ftp://a.example"', keyword="When")))
    bad_table = step("the response headers must contain <key> with matching <value>", table=(("a", "b", "c"),))
    with pytest.raises(PlanError, match="key | value"):
        ingress.plan(spec(step('I send a "GET" request to "http://a"', keyword="When"), bad_table))
    with pytest.raises(PlanError, match="needs its Ingress as a doc string"):
        ingress.plan(spec(step("an Ingress resource", keyword="Given")))
    two = [step("the response status-code must be 200", 2), step("the response status-code must be 404", 3)]
    with pytest.raises(PlanError, match="two different status codes"):
        ingress.plan(spec(step('I send a "GET" request to "http://a"', keyword="When"), *two))


def test_a_broken_ingress_in_a_step_is_named():
    broken = ApplyIngress("kind: Ingress\nmetadata: [", name=None)
    with pytest.raises(ingress.ManifestError, match="invalid YAML"):
        broken.documents()
    with pytest.raises(ingress.ManifestError, match="not a mapping"):
        ApplyIngress("- a\n- b\n", name="x").documents()


def test_bad_conformance_options_are_one_line(tmp_path, features):
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "suites", "--conformance=ingres", "-n", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0 and "ERROR: --conformance: unknown suite ingres; choose from: ingress" in r.stderr
    # collected only when asked
    asked = _collect(["--conformance=ingress", "--controllers=nginx,envoy-gateway"])
    assert len(asked) == 30 and all(t.endswith("[nginx]") or "[nginx-" in t for t in asked)
    assert _collect(["--controllers=nginx"]) == []


def _collect(args: list[str]) -> list[str]:
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/conformance", "--collect-only", "-q", "-n", "0", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [line for line in r.stdout.splitlines() if "::" in line]


def test_known_deviations_must_name_what_exists(tmp_path, features):
    good = tmp_path / "k.yaml"
    good.write_text(
        "- controller: traefik\n  feature: path_rules.feature\n"
        "  scenario: An Ingress with prefix path rules should match each labels string prefix\n"
        "  cause: behaviour\n  why: PathPrefix is a string prefix\n"
    )
    (known,) = load_known(good, list(features.values()))
    assert known == KnownDeviation(
        "traefik",
        "path_rules.feature",
        "An Ingress with prefix path rules should match each labels string prefix",
        Cause.BEHAVIOUR,
        "PathPrefix is a string prefix",
    )
    s = scenario(features, "path_rules.feature", "/aaaccc")
    assert known.matches("traefik", s) and not known.matches("nginx", s)
    for text, message in [
        ("- controller: traefik\n", "needs exactly"),
        (good.read_text().replace("traefik", "haproxy"), "unknown controller 'haproxy'"),
        (good.read_text().replace("behaviour", "luck"), "cause must be one of build, environment, behaviour"),
        (good.read_text().replace("string prefix\n  cause", "string prefixes\n  cause"), "has no scenario"),
        (good.read_text().replace("path_rules", "paths"), "unknown feature 'paths.feature'"),
    ]:
        good.write_text(text)
        with pytest.raises(UsageError, match=message):
            load_known(good, list(features.values()))
    shipped = load_known(ROOT / "suites" / "conformance" / "known-deviations.yaml", list(features.values()))
    assert all(k.cause is not Cause.BUILD for k in shipped), "a build difference is fixed, not listed"


def test_a_webhook_refusal_is_the_controllers_answer():
    from harness.conformance.ingress_run import admission_denied

    denied = (
        'cannot apply Ingress ns/x: HTTP 400: admission webhook "validate.nginx.ingress.kubernetes.io" denied the '
        "request: host and path already defined"
    )
    assert admission_denied(denied)
    assert not admission_denied("cannot apply Ingress ns/x: HTTP 403: forbidden: namespace is being terminated")


def test_not_applicable_table():
    s = ScenarioSpec("path_rules.feature", "T", "", 1, ())
    table = {("traefik", "path_rules.feature", "*"): "needs an annotation"}
    assert not_applicable("traefik", s, table) == "needs an annotation"
    assert not_applicable("nginx", s, table) is None


# ---------------------------------------------------------------------------
# results: fragments -> one ConformanceRun per (controller, feature)
# ---------------------------------------------------------------------------


def test_cases_gather_into_runs_and_a_summary(tmp_path, features):
    frag = tmp_path / "frag"
    frag.mkdir()

    def put(name: str, data: dict) -> None:
        (frag / f"{name}.json").write_text(json.dumps(data))

    ok = Case("A", Outcome.PASSED, feature="path_rules.feature", claims=("ingress-host-path-routing",))
    bad = Case("B", Outcome.FAILED, reason="B: status 200, wanted 404", evidence=("known deviation (behaviour): x",))
    for name, order, case in (("b", 1, bad), ("a", 0, ok)):
        c = {
            "name": case.name,
            "outcome": case.outcome.value,
            "reason": case.reason,
            "evidence": list(case.evidence),
            "feature": "path_rules.feature",
            "claims": list(case.claims),
        }
        put(name, {"controller": "traefik", "feature": "path_rules.feature", "order": order, "case": c, "seconds": 2})
    put("e", {"controller": "traefik", "feature": "host_rules.feature", "error": "C: harness error: HTTP 500"})
    runs = collect(tmp_path, frag, ("traefik",))
    assert [(r.implementation, r.profile) for r in runs] == [
        ("traefik", "host_rules.feature"),
        ("traefik", "path_rules.feature"),
    ]
    host, path = runs
    assert host.cases == () and any("C: harness error: HTTP 500" in n for n in host.notes)
    assert [c.name for c in path.cases] == ["A", "B"] and path.seconds == 4
    assert (path.count(Outcome.PASSED), path.count(Outcome.FAILED)) == (1, 1)
    again = ConformanceRun.from_json(json.loads(json.dumps(path.to_json())))
    assert again == path
    md = markdown(runs, ["traefik host_rules.feature: C: harness error: HTTP 500"])
    assert "| traefik | path_rules.feature | 1 | 1 | 0 | 4 |" in md
    assert "B: status 200, wanted 404" in md and "known deviation (behaviour): x" in md and "Harness errors" in md


def test_claims_named_exist():
    from harness import claims

    named = {c for ids in ingress.FEATURE_CLAIMS.values() for c in ids} | {ingress.TLS_CLAIM}
    assert named <= set(claims.BY_ID)


@needs_archive
def test_online_without_the_archive_reads_the_pinned_commit_and_checks_each_file(tmp_path, monkeypatch):
    """No network here: the upstream cache is seeded with what the commit serves (the archive's own
    files), then one of them altered."""
    import hashlib

    from harness.lab import upstream

    monkeypatch.setattr(upstream, "CACHE", tmp_path / "cache")
    monkeypatch.setenv("HARNESS_REGISTRY", "online")
    real = ingress.features_dir()  # the archive's
    for name in ingress.FEATURE_FILES:
        url = ingress.RAW_URL.format(commit=ingress.COMMIT, file=name)
        dest = tmp_path / "cache" / "files" / hashlib.sha256(url.encode()).hexdigest()[:20]
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((real / name).read_bytes())
    got = ingress.features_dir(tmp_path / "no-archive-here")
    assert got.parent == tmp_path / "cache" / "src" and sorted(p.name for p in got.iterdir()) == sorted(
        ingress.FEATURE_FILES
    )
    assert len(ingress.load(tmp_path / "no-archive-here")) == 5
    with open(dest, "a") as fh:
        fh.write("  Scenario: one more\n")
    with pytest.raises(ingress.FeatureError, match=r"features/path_rules.feature from .* has sha256 .*not the pinned"):
        ingress.features_dir(tmp_path / "no-archive-here")
    monkeypatch.delenv("HARNESS_REGISTRY")  # offline (or undeclared): a missing archive is refused
    with pytest.raises(SourceError, match="is missing from"):
        ingress.features_dir(tmp_path / "no-archive-here")


def test_the_features_run_on_the_controllers_asked_for():
    on_nginx = _collect(["--conformance=ingress", "--conformance-controllers=nginx"])
    assert len(on_nginx) == 30 and all("[nginx" in t and "[nginx-inc" not in t for t in on_nginx)
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "suites", "--collect-only", "-n", "0", "--conformance=ingress"]
        + ["--controllers=traefik", "--conformance-controllers=nginx"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "ERROR: --conformance-controllers: nginx not among --controllers" in r.stderr
    # a controller's scenarios run together, in file order (one Env at a time per worker)
    both = _collect(["--conformance=ingress", "--controllers=nginx,traefik"])
    assert [("[traefik" in t) for t in both] == [False] * 30 + [True] * 30
    assert both[:6] == sorted(both[:6], key=both.index) and "default_backend" in both[0] and "path_rules" in both[29]


def test_scenarios_are_scheduled_by_ingress_class():
    from harness.pytest.conformance import scheduling_group

    base = "suites/conformance/test_ingress_features.py::test_path_rules_95_x"
    assert scheduling_group(f"{base}[nginx]") == "ingress-conformance-nginx"
    assert scheduling_group(f"{base}[traefik-nginx]") == "ingress-conformance-nginx"  # the same class
    assert scheduling_group(f"{base}[nginx-inc]") == "ingress-conformance-nginx-inc"
    assert scheduling_group(f"{base}[nginx-inc-GET-my-host-]") == "ingress-conformance-nginx-inc"
    assert scheduling_group(f"{base}[traefik-PUT--resource]") == "ingress-conformance-traefik"
    assert scheduling_group("suites/test_tls.py::test_x[nginx]") is None  # the claims: one test, one unit


def test_another_controller_of_the_features_class_waits_for_them():
    """traefik-nginx serves class nginx too: with the features on nginx its
    tests join the features' worker (a feature's class-wide catch-all would
    answer their requests); the conformance controller's own tests, the
    other classes' and the L4 ones stay units of their own."""
    from harness.pytest.conformance import scheduling_group

    on = frozenset({"nginx"})
    group = "ingress-conformance-nginx"
    claims = "suites/test_consolidation.py::test_one_controller_address_serves_many_hosts_and_paths"
    assert scheduling_group(f"{claims}[as-written-traefik-nginx]", on) == group
    assert scheduling_group("suites/test_tls.py::test_x[traefik-nginx]", on) == group
    article = "suites/article/test_article.py::test_chain[kubernetes-ingress-vs-load-balancer.md-L159-traefik-nginx]"
    assert scheduling_group(article, on) == group
    assert scheduling_group(f"{claims}[as-written-nginx]", on) is None  # the features' own controller
    assert scheduling_group(f"{claims}[as-written-nginx-inc]", on) is None  # its own class
    assert scheduling_group(f"{claims}[as-written-traefik]", on) is None
    assert scheduling_group("suites/test_loadbalancer.py::test_udp[metallb]", on) is None  # no IngressClass
    assert scheduling_group(f"{claims}[as-written-traefik-nginx]", frozenset()) is None  # no features in the run
    assert scheduling_group(f"{claims}[as-written-traefik-nginx]", frozenset({"nginx", "traefik-nginx"})) is None
