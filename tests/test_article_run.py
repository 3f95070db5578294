"""Article mode's run side without a cluster: the steady-wrong-answer rule
and the foreign-pod tolerance on real local servers, the many-article
selection (files, directories, globs, --changed-since on a throw-away git
repository) and its bad input, the per-article report (typed JSON,
Markdown, versions as steps, diagnosis) and its HTML in headless chromium,
the index and JUnit, the article's inconsistencies, and the pieces of a
step the run builds before it touches a cluster."""

from __future__ import annotations

import json
import subprocess
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_report_formats import _browse

from conftest import FAST, Backend
from harness.article import batch, publish, reader, report, run
from harness.article.article_plan import plan_article
from harness.article.environment import Environment
from harness.article.index import ArticleIndex, ArticleStatus
from harness.article.matrix import known_classes, matrix
from harness.checks.consistency import Interference, WaitTimedOut, consistently
from harness.checks.expect import probe
from harness.checks.rows import Expectation, Request, Response, Scene
from harness.results.errors import CheckFailed
from harness.results.model import (
    CheckRecord,
    EvidenceItem,
    FailedCheck,
    FailureKind,
    Outcome,
    Seen,
    TestRecord,
    Transcript,
    Verdict,
)
from harness.results.recorder import Recorder

REAL = Path(__file__).parent / "data" / "articles" / "real"


# --------------------------------------------------------------------------
# the steady-wrong-answer rule, on real local servers
# --------------------------------------------------------------------------


class _Status(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        srv = self.server
        status = srv.statuses.pop(0) if len(srv.statuses) > 1 else srv.statuses[0]  # type: ignore[attr-defined]
        body = b"not found\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def status_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Status)
    srv.statuses = [404]  # type: ignore[attr-defined]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _row(port: int, status: int = 200) -> Expectation:
    return Expectation(Request("http", "shop.example.com", "/", port=port), Response(status=status))


def test_the_same_wrong_answer_fails_after_the_settle_window_not_the_deadline(status_server):
    scene = Scene(address="127.0.0.1", timeouts=FAST)
    started = time.monotonic()
    with pytest.raises(WaitTimedOut) as caught:
        consistently(probe(_row(status_server.server_port), scene), what="/ -> 200", timeouts=FAST, steady=1.0)
    took = time.monotonic() - started
    assert took < 5 < FAST.consistency  # the window, not the 20 s deadline
    assert "the same wrong answer was seen steadily for 1s" in caught.value.expected
    assert caught.value.seen.status == 404
    assert caught.value.transcript is not None and caught.value.transcript.failures >= 2


def test_without_the_rule_the_same_wrong_answer_waits_out_the_deadline(status_server):
    scene = Scene(address="127.0.0.1", timeouts=FAST)
    started = time.monotonic()
    with pytest.raises(WaitTimedOut) as caught:
        consistently(probe(_row(status_server.server_port), scene), what="/ -> 200", timeouts=FAST, deadline=2.0)
    assert time.monotonic() - started >= 2.0
    assert "steadily" not in caught.value.expected  # the claims suites' behaviour, unchanged


def test_a_changing_answer_restarts_the_window_and_a_right_one_holds(status_server):
    scene = Scene(address="127.0.0.1", timeouts=FAST)
    # 404, 503, 404, 503, ... never the same twice in a row: the rule never fires, the deadline does
    status_server.statuses[:] = [404, 503] * 200
    started = time.monotonic()
    with pytest.raises(WaitTimedOut) as caught:
        consistently(probe(_row(status_server.server_port), scene), what="/", timeouts=FAST, steady=0.5, deadline=3.0)
    assert time.monotonic() - started >= 3.0 and "steadily" not in caught.value.expected
    # wrong for a while, then right: holds within the window
    status_server.statuses[:] = [404] * 5 + [200]
    seen, transcript = consistently(probe(_row(status_server.server_port), scene), what="/", timeouts=FAST, steady=2.0)
    assert seen.status == 200 and transcript.failures == 5


def test_another_tests_echo_pod_is_not_a_misroute_but_ours_is():
    mine, theirs = Backend("echo-api-svc-1"), Backend("t-other-article-1a2b3/echo-other-namespace-1")
    try:
        timeouts = FAST
        # a pod of this test's other Service answering: a misroute, failed at once
        scene = Scene(
            address="127.0.0.1", timeouts=timeouts, backends={"api-svc": ["echo-api-svc-9"], "web": ["echo-api-svc-1"]}
        )
        rec = Recorder()
        started = time.monotonic()
        with pytest.raises(CheckFailed) as caught:
            run.verify(Expectation(Request("http", None, "/", port=mine.port), Response(backend="api-svc")), scene, rec)
        assert time.monotonic() - started < 3
        assert caught.value.failed.kind is FailureKind.MISROUTE
        # a pod of a namespace this test did not make (another test's catch-all Ingress): not yet routed, the
        # steady rule does not count it, and lasting to the deadline it is the harness's error, never a refutation
        scene = Scene(
            address="127.0.0.1",
            timeouts=FAST.overridden({"steady_wrong_answer": 0.5, "consistency": 2.0}),
            backends={"api-svc": ["echo-api-svc-9"]},
            namespaces=("unit",),
        )
        rec = Recorder()
        with pytest.raises(Interference, match="of namespace t-other-article-1a2b3, which this test did not make"):
            run.verify(
                Expectation(Request("http", None, "/", port=theirs.port), Response(backend="api-svc")), scene, rec
            )
        assert not any(c.verdict is Verdict.DOES_NOT_HOLD for c in rec.checks)
    finally:
        mine.close()
        theirs.close()


# --------------------------------------------------------------------------
# which articles: files, directories, globs, --changed-since; bad input
# --------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture
def docs_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "docs"
    (repo / "guides" / "deep").mkdir(parents=True)
    (repo / ".hidden").mkdir()
    for name in ("guides/a.md", "guides/b.md", "guides/deep/c.markdown", "README.md", ".hidden/x.md"):
        (repo / name).write_text(f"# {name}\n", encoding="utf-8")
    (repo / "guides" / "notes.txt").write_text("not an article\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "first")
    return repo


def test_files_directories_and_globs_each_once_in_order(docs_repo: Path):
    got = batch.select(["guides", "README.md", "guides/*.md"], cwd=docs_repo)
    rel = [str(p.relative_to(docs_repo.resolve())) for p in got]
    assert rel == ["guides/a.md", "guides/b.md", "guides/deep/c.markdown", "README.md"]  # hidden dirs skipped
    assert [p.name for p in batch.select(["**/*.md"], cwd=docs_repo)] == ["README.md", "a.md", "b.md"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["nope.md"], "nope.md: no such file or directory"),
        (["guides/deep/none-*.md"], "guides/deep/none-*.md: matches no Markdown file"),
        (["empty"], "empty: no Markdown file in this directory"),
    ],
)
def test_a_path_that_matches_no_markdown_is_one_line(docs_repo: Path, args: list[str], line: str):
    (docs_repo / "empty").mkdir()
    with pytest.raises(batch.SelectionError) as caught:
        batch.select(args, cwd=docs_repo)
    assert str(caught.value) == line


def test_changed_since_a_ref_on_a_throwaway_repository(docs_repo: Path):
    base = _git(docs_repo, "rev-parse", "HEAD")
    (docs_repo / "guides" / "a.md").write_text("# a, edited and committed\n")
    _git(docs_repo, "commit", "-qam", "edit a")
    (docs_repo / "guides" / "b.md").write_text("# b, edited in the working tree\n")
    (docs_repo / "guides" / "new.md").write_text("# new, untracked\n")
    (docs_repo / "README.md").unlink()  # deleted: nothing to check
    (docs_repo / "guides" / "notes.txt").write_text("changed, but not Markdown\n")
    got = batch.select([], changed_since=base, cwd=docs_repo)
    assert [p.name for p in got] == ["a.md", "b.md", "new.md"]
    # restricted to the paths given
    assert [p.name for p in batch.select(["guides/b.md", "guides/deep"], changed_since=base, cwd=docs_repo)] == ["b.md"]
    assert batch.select([], changed_since="HEAD~0", cwd=docs_repo) != []  # the working tree against HEAD
    _git(docs_repo, "add", "-A")
    _git(docs_repo, "commit", "-qm", "all")
    assert batch.select([], changed_since="HEAD", cwd=docs_repo) == []


@pytest.mark.parametrize("ref", ["no-such-branch", "--output=/tmp/x", "deadbeef" * 5])
def test_a_git_ref_that_does_not_exist_is_one_line(docs_repo: Path, ref: str):
    with pytest.raises(batch.SelectionError) as caught:
        batch.select([], changed_since=ref, cwd=docs_repo)
    said = str(caught.value)
    assert "\n" not in said
    if ref.startswith("-"):
        assert said == f"--changed-since {ref!r}: not a git ref"
    else:
        assert said.startswith(f"--changed-since {ref}: no such commit in {docs_repo.resolve()} (a shallow clone")


def test_changed_since_outside_a_repository_is_one_line(tmp_path: Path):
    with pytest.raises(batch.SelectionError, match="is not in a git repository"):
        batch.select([], changed_since="HEAD", cwd=tmp_path)


def test_the_command_line_says_bad_input_in_one_line_and_creates_nothing(docs_repo: Path, capsys, monkeypatch):
    from harness.__main__ import main

    monkeypatch.chdir(docs_repo)
    assert main(["article", "guides/*.rst"]) == 2
    assert capsys.readouterr().err == "harness article: guides/*.rst: matches no Markdown file\n"
    assert main(["article", "--changed-since", "v9.9", "guides"]) == 2
    said = capsys.readouterr().err
    assert said.startswith(f"harness article: --changed-since v9.9: no such commit in {docs_repo.resolve()}")
    assert said.count("\n") == 1
    assert main(["article"]) == 2
    assert "name a Markdown file" in capsys.readouterr().err
    assert main(["article", "guides", "--controllers=nope"]) == 2
    assert capsys.readouterr().err == "harness article: unknown controller(s) nope\n"
    assert main(["article", "guides", "--include-root=/no/such/root"]) == 2
    assert capsys.readouterr().err == "harness article: --include-root /no/such/root: no such directory\n"
    assert not (docs_repo / "reports").exists()


def test_nothing_changed_is_an_empty_index_and_no_cluster(docs_repo: Path, tmp_path: Path, capsys, monkeypatch):
    from harness.__main__ import main

    monkeypatch.chdir(docs_repo)
    out = tmp_path / "out"
    assert main(["article", "--changed-since", "HEAD", f"--report-dir={out}"]) == 0
    index = ArticleIndex.from_json(json.loads((out / "articles" / "index.json").read_text()))
    assert index.entries == [] and index.run["changed since"] == "HEAD"
    assert "no Markdown file changed since HEAD" in capsys.readouterr().out


def test_include_roots_the_deepest_holding_root_wins(tmp_path: Path):
    a, b = tmp_path / "site", tmp_path / "site" / "docs"
    b.mkdir(parents=True)
    article = b / "x.md"
    article.write_text("# x\n")
    assert batch.include_root_for(article, [a, b]) == b
    assert batch.include_root_for(article, [tmp_path / "elsewhere"]) == tmp_path / "elsewhere"  # the only one given
    assert batch.include_root_for(article, [tmp_path / "e1", tmp_path / "e2"]) is None
    assert batch.slugs(["a/b.md", "a_b.md", "a/b.md"]) == ["a_b.md", "a_b.md-2", "a_b.md-3"]


def test_articles_checked_side_by_side_never_share_an_address():
    """The MetalLB page twice in one run: each copy gets its own slice of the reserved addresses."""
    page = REAL / "metallb" / "website" / "content" / "usage" / "_index.md"
    reserved = [f"172.18.254.{n}" for n in range(200, 251)]
    arts = batch.plan_run(
        [page, page],
        [REAL / "metallb"],
        matrix(["traefik"]),
        known_classes(),
        reserved=reserved,
        pools=("exposure-harness",),
        base=REAL,
    )
    used = [set(batch.addresses_used(a.plan)) for a in arts if a.plan]
    assert len(used) == 2 and used[0] and not used[0] & used[1]
    assert used[0] | used[1] <= set(reserved)
    wanted = batch.requested_addresses(arts)  # the reserved pool: requested ones only (pools are the tests' own)
    pools = {
        x for a in arts if a.plan for sp in a.plan.snippets for p in sp.plans for q in p.pools for x in q.addresses
    }
    assert wanted and not set(wanted) & pools
    # the versions of Service nginx: one test; the reader's path: the article's three snippets in one namespace
    assert [u.id for u in arts[0].units] == ["L30-metallb", "L218-metallb", "reader-metallb"]
    assert [len(u.steps) for u in arts[0].units] == [2, 1, 3]
    reader = arts[0].readers["metallb"]
    assert [len(p.objects) for p in reader.plans] == [1, 1, 2] and len(reader.final.objects) == 3
    assert set(reader.final.mapped_addresses.values()) <= set(reserved) - used[0] - used[1]  # its own addresses


def test_the_reserved_range_sits_one_slice_below_the_clusters_pool():
    assert batch.reserved_range(["172.18.255.140-172.18.255.190"])[:2] == ["172.18.254.140", "172.18.254.141"]
    assert len(batch.reserved_range(["172.18.255.140-172.18.255.190"])) == batch.RESERVED_SIZE
    assert batch.reserved_range([]) == []
    (pool, adv) = batch.reserved_pool_objects(["172.18.254.140"])
    assert pool["spec"] == {"autoAssign": False, "addresses": ["172.18.254.140/32"]}
    assert adv["spec"]["ipAddressPools"] == [batch.RESERVED_POOL]


# --------------------------------------------------------------------------
# what a step builds before it touches the cluster
# --------------------------------------------------------------------------


def test_references_to_the_articles_namespaces_follow_it_into_the_tests():
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "r"},
            "spec": {
                "parentRefs": [{"name": "gw", "namespace": "default"}],
                "rules": [{"backendRefs": [{"name": "whoami", "namespace": "default", "port": 80}, {"name": "x"}]}],
            },
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "gw"},
            "spec": {"listeners": [{"name": "https", "tls": {"certificateRefs": [{"name": "s", "namespace": "ns1"}]}}]},
        },
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"namespace": "untouched"}},
    ]
    assert run.same_namespace(docs, "t-1") == ["default", "ns1"]
    route, gw, svc = docs
    assert route["spec"]["parentRefs"][0]["namespace"] == "t-1"
    assert route["spec"]["rules"][0]["backendRefs"][0]["namespace"] == "t-1"
    assert "namespace" not in route["spec"]["rules"][0]["backendRefs"][1]
    assert gw["spec"]["listeners"][0]["tls"]["certificateRefs"][0]["namespace"] == "t-1"
    assert svc["spec"]["namespace"] == "untouched"


def test_only_what_a_checkable_check_rests_on_is_waited_on():
    from harness.article.model import Check, Plan

    plan = Plan(
        "traefik",
        checks=[
            Check("HTTPRoute a", "routes", "x", target="gateway:gw:http"),
            Check("UDPRoute u", "udp-route", "x", not_checkable="traefik has no UDP listener"),
            Check("HTTPRoute b", "attached", "x", unmet="no parentRefs"),
            Check("Service s, Service t", "lb-shared", "x", target="lb:s"),
        ],
    )
    assert run.resting_on(plan) == {"HTTPRoute a", "Gateway gw", "Service s", "Service t"}
    assert run.targets_of("Service s, Service t") == ["service/s", "service/t"]
    assert run.targets_of("GatewayClass x, ConfigMap y") == []


# --------------------------------------------------------------------------
# the report: versions as steps, diagnosis, bad input, HTML, JUnit, index
# --------------------------------------------------------------------------

ARTICLE = textwrap.dedent(
    """\
    # Canary, step by step

    ```yaml
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata:
      name: shop
    spec:
      parentRefs: [{name: gw}]
      hostnames: [shop.example.com]
      rules:
      - backendRefs: [{name: v1, port: 8080}]
    ```

    Then send half of the traffic to v2:

    ```yaml
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata:
      name: shop
    spec:
      parentRefs: [{name: gw}]
      hostnames: [shop.example.com]
      rules:
      - backendRefs: [{name: v1, port: 8080, weight: 50}, {name: v2, port: 8080, weight: 50}]
    ```

    ```yaml
    apiVersion: v1
    kind: Service
    metadata: {name: v1}
    spec: {selector: {app: v1}, ports: [{port: 80}]}
    ```

    ```yaml
    this: [is not closed
    ```

    ```bash
    kubectl apply -f - <<EOF
    apiVersion: v1
    kind: Service
    metadata: {name: left-open}
    ```
    """
)


def _records(ap, *, diagnosis: bool = True) -> list[TestRecord]:
    """What the suite records for the chain (two steps) on traefik: step 1 holds, step 2's weights do not."""
    chain = [sp for sp in ap.snippets if sp.step.chain]
    out = []
    for sp in chain:
        rec = Recorder()
        plan = next(p for p in sp.plans if p.subject == "traefik")
        for c in plan.checks:
            if c.kind == "weights":
                failed = FailedCheck(
                    c.id,
                    "each share within its tolerance",
                    Seen("v1 answered 100% of 200 requests; its weight asks 50% ± 5%"),
                    FailureKind.ASSERTION,
                )
                rec.checks.append(
                    CheckRecord(
                        c.id,
                        (),
                        Verdict.DOES_NOT_HOLD,
                        failed=failed,
                        object=c.object,
                        kind=c.kind,
                        diagnosis=("HTTPRoute t/shop: diagnose found no problem (checked: HTTPRoute t/shop)",)
                        if diagnosis
                        else (),
                    )
                )
            else:
                t = Transcript("GET /", 3, 0, ())
                rec.checks.append(
                    CheckRecord(c.id, (), Verdict.HOLDS, evidence=(EvidenceItem("/ -> v1", transcript=t),), kind=c.kind)
                )
        out.append(
            rec.record(
                test="t",
                subject="traefik",
                outcome=Outcome.PASSED,
                line=sp.snippet.line,
                setup={"seconds": 12.5, "step": sp.step.step},
            )
        )
    return out


@pytest.fixture
def article(tmp_path: Path) -> batch.Article:
    page = tmp_path / "canary.md"
    page.write_text(ARTICLE, encoding="utf-8")
    (found,) = batch.plan_run(
        [page], [], matrix(["traefik"]), known_classes(), reserved=[], pools=("exposure-harness",), base=tmp_path
    )
    return found


def test_the_report_shows_versions_as_steps_and_the_diagnosis(article: batch.Article, tmp_path: Path):
    assert article.plan is not None
    doc = report.build_article(article, _records(article.plan), run={"controllers": "traefik"})
    steps = [s.summary for s in doc.snippets if s.summary.chain]
    assert [(s.step, s.chain) for s in steps] == [(1, 4), (2, 4)] and steps[1].updates == ("HTTPRoute shop",)
    n = doc.counts
    assert n[Verdict.DOES_NOT_HOLD] == 1 and n[Verdict.HOLDS] >= 2 and n[Verdict.ERROR] == 0
    assert doc.seconds == 25.0 and doc.status is ArticleStatus.CHECKED
    assert [p.line for p in doc.problems] and all(isinstance(p.line, int) for p in doc.problems)
    md = report.render_markdown(doc)
    assert "step 2 of the versions from line 4 (updates HTTPRoute shop)" in md
    assert "diagnosis: HTTPRoute t/shop: diagnose found no problem" in md
    assert "bad snippet: " in md  # the unclosed flow sequence, with its line
    assert any("heredoc" in p.text or "EOF" in p.text for p in doc.problems)  # the heredoc with no end delimiter
    data = json.loads(json.dumps(doc.to_json()))
    assert data["schema"] == report.SCHEMA == "exposure-harness/article-report/v3"
    assert data["summary"]["does not hold"] == 1 and data["summary"]["checks derived"] == doc.derived
    step2 = next(s for s in data["snippets"] if s["step"] == 2)
    assert step2["chain"] == 4 and step2["updates"] == ["HTTPRoute shop"]
    failed = [c for r in step2["results"] for c in r["checks"] if c["verdict"] == "does not hold"]
    assert failed and failed[0]["diagnosis"]


def test_the_article_report_renders_in_headless_chromium(article: batch.Article, tmp_path: Path):
    assert article.plan is not None
    doc = report.build_article(article, _records(article.plan), run={"controllers": "traefik"})
    out = tmp_path / "out"
    publish.write(out, doc)
    page = out / "article-report.html"
    html = page.read_text()
    assert "<link" not in html and "src='http" not in html and 'src="http' not in html  # fetches nothing
    dom = _browse(tmp_path, page, "--dump-dom", "--virtual-time-budget=2000")
    assert dom.returncode == 0, dom.stderr.decode()[-500:]
    text = dom.stdout.decode()
    assert "Versions as steps" in text and "step 2, line" in text
    assert "step 2 of the versions from line 4" in text
    assert "diagnose found no problem" in text and "DOES NOT HOLD" in text
    assert "Problems of the page" in text
    shot = tmp_path / "shot.png"
    png = _browse(tmp_path, page, f"--screenshot={shot}", "--window-size=1200,900")
    assert png.returncode == 0 and shot.stat().st_size > 10_000  # it painted something


def test_html_escapes_what_an_article_holds(article: batch.Article):
    assert article.plan is not None
    doc = report.build_article(article, [], run={})
    doc.problems.append(report.Noted(1, "<script>alert(1)</script>"))
    from harness.article.html import render_article

    assert "<script>alert(1)" not in render_article(doc)


def test_the_index_junit_and_an_article_without_yaml(article: batch.Article, tmp_path: Path):
    empty = tmp_path / "empty.md"
    empty.write_text("# Nothing to see\n\nJust prose.\n")
    (other,) = batch.plan_run(
        [empty], [], matrix(["traefik"]), known_classes(), reserved=[], pools=("x",), base=tmp_path
    )
    assert article.plan is not None
    docs = [
        (article, report.build_article(article, _records(article.plan), run={})),
        (other, report.build_article(other, [], run={})),
    ]
    nothing = docs[1][1]
    assert nothing.status is ArticleStatus.NO_YAML and "no YAML in the article" in nothing.problems[0].text
    index = report.index_of(docs, run={"controllers": "traefik"}, seconds=42.0)
    assert ArticleIndex.from_json(json.loads(json.dumps(index.to_json()))) == index
    first, second = index.entries
    assert first.report == "canary.md/" and first.counts[Verdict.DOES_NOT_HOLD] == 1 and not first.holds
    assert second.status is ArticleStatus.NO_YAML and second.holds
    out = tmp_path / "articles"
    md = publish.write_index(out, index, [d for _, d in docs])
    assert "| empty.md | no yaml |" in md.read_text()
    root = ET.parse(out / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["canary.md", "empty.md"]  # one suite per article
    assert suites[0].get("failures") == "1" and suites[1].get("tests") == "0"
    failure = suites[0].find(".//failure")
    assert failure is not None and "diagnosis:" in (failure.text or "")
    dom = _browse(tmp_path, out / "index.html", "--dump-dom", "--virtual-time-budget=2000")
    assert dom.returncode == 0 and "2 article(s), 1 without a failure" in dom.stdout.decode()


def test_an_unreadable_article_is_an_error_of_its_own(tmp_path: Path):
    bad = tmp_path / "latin1.md"
    bad.write_bytes(b"# caf\xe9\n")
    (a,) = batch.plan_run([bad], [], matrix(["traefik"]), known_classes(), reserved=[], pools=("x",), base=tmp_path)
    doc = report.build_article(a, [], run={})
    assert doc.status is ArticleStatus.ERROR and doc.counts[Verdict.ERROR] == 1 and "cannot read" in doc.error
    assert not report.entry(doc, "x/").holds


def test_inconsistencies_between_snippets(tmp_path: Path):
    page = tmp_path / "inc.md"
    page.write_text(
        textwrap.dedent(
            """\
            ```yaml
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {ports: [{port: 80, name: http}]}
            ```

            ```yaml
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: in}
            spec:
              tls: [{secretName: certs}]
              rules:
              - http:
                  paths:
                  - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}
            ```

            ```yaml
            apiVersion: v1
            kind: Secret
            metadata: {name: certs}
            stringData: {cert.pem: x}
            ```

            ```yaml
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              gatewayClassName: x
              listeners: [{name: web, protocol: HTTP, port: 80}]
            ```

            ```yaml
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r}
            spec:
              parentRefs: [{name: gw, sectionName: https}]
              rules: [{backendRefs: [{name: web, port: 80}]}]
            ```

            ```yaml
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {ports: [{port: 9090}]}
            ```
            """
        )
    )
    ap = plan_article(page, matrix(["traefik"]), known_classes(), env=Environment(("x",), "10.0.0.1-10.0.0.9"))
    found = {(i.kind, i.name, i.text.split(":")[0]) for i in reader.inconsistencies(ap)}
    texts = " | ".join(i.text for i in reader.inconsistencies(ap))
    assert ("Service", "web", "defined with different ports") in found
    assert "sends to port 8080 of Service web" in texts
    assert "serves TLS from Secret certs, whose definition at line 21 has no tls.crt or tls.key" in texts
    assert "attaches to listener https, which the article's Gateway gw (line 28) does not have" in texts
    assert "(successive versions of one object)" in texts  # the two Services web are versions of one object


def test_the_real_corpus_plans_without_a_cluster_and_reports_no_yaml_pages():
    arts = batch.plan_run(
        batch.select([str(REAL)]),
        sorted(p for p in REAL.iterdir() if p.is_dir()),
        matrix(["traefik"]),
        known_classes(),
        reserved=[f"10.9.0.{n}" for n in range(1, 60)],
        pools=("exposure-harness",),
        base=REAL,
    )
    assert len(arts) == 15 and all(a.plan is not None for a in arts)
    docs = [report.build_article(a, [], run={}) for a in arts]
    assert {d.article for d in docs if d.status is ArticleStatus.NO_YAML} == {
        "traefik/docs/content/includes/traefik-for-business-applications.md"
    }
    assert sum(len(a.units) for a in arts) > 30
    for d in docs:  # no test ran: every result of a planned subject is "not run", never a verdict
        assert d.counts[Verdict.HOLDS] == d.counts[Verdict.DOES_NOT_HOLD] == 0


# --------------------------------------------------------------------------
# gRPC: the row's headers go as the call's metadata (a real server routes on them)
# --------------------------------------------------------------------------


@pytest.fixture
def canary_by_metadata():
    """A real gRPC server with reflection whose answer names the canary pod when
    the call carries ``x-canary: yes`` and the stable pod otherwise (as a
    GRPCRoute header match would route it)."""
    from conftest import grpc_echo_server

    with grpc_echo_server(lambda md: "canary-pod" if md.get("x-canary") == "yes" else "stable-pod") as port:
        yield port


def test_a_grpc_rows_headers_are_sent_as_metadata(canary_by_metadata):
    from harness.checks.rows import grpc

    scene = Scene(address="127.0.0.1", timeouts=FAST, backends={"canary": ["canary-pod"], "stable": ["stable-pod"]})
    rec = Recorder()
    with_header = grpc("g.example", "/harness.test.Echo/Say", port=canary_by_metadata, headers={"X-Canary": "yes"})
    run.verify(replace_response(with_header, backend="canary"), scene, rec)
    run.verify(
        replace_response(grpc("g.example", "/harness.test.Echo/Say", port=canary_by_metadata), backend="stable"),
        scene,
        rec,
    )
    assert [c.verdict for c in rec.checks] == [Verdict.HOLDS, Verdict.HOLDS]
    with pytest.raises(CheckFailed) as caught:  # without the metadata the canary is not reached: the row sees it
        run.verify(
            replace_response(grpc("g.example", "/harness.test.Echo/Say", port=canary_by_metadata), backend="canary"),
            scene,
            Recorder(),
        )
    assert caught.value.failed.kind is FailureKind.MISROUTE and caught.value.failed.seen.pod == "stable-pod"


def replace_response(exp: Expectation, **response: Any) -> Expectation:
    from dataclasses import replace

    return replace(exp, response=replace(exp.response, **response))


def test_host_less_rules_get_a_host_of_the_tests_own():
    """On a controller other tests share, a request without a host may reach
    another test's host-less rule: the rule gets the test's own any-host name."""
    from harness.article.model import Check, Plan
    from harness.checks.rows import http

    ingress: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "minimal"},
        "spec": {"rules": [{"http": {"paths": []}}, {"host": "foo.example-1.com", "http": {"paths": []}}]},
    }
    route: dict[str, Any] = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {},
    }
    tls: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "t"},
        "spec": {"rules": [{}]},
    }
    plan = Plan(
        "traefik",
        checks=[
            Check("Ingress minimal", "routes", "x", rows=[http(None, "/testpath", backend="test")]),
            Check("HTTPRoute r", "routes", "x", rows=[http(None, "/", backend="web")]),
            Check(
                "Ingress t",
                "routes",
                "x",
                rows=[Expectation(Request("https", None, "/"), Response(backend="web"))],
            ),
        ],
    )
    changed = run.give_hosts(plan, [ingress, route, tls], "any-host-1.example")
    assert changed == ["Ingress minimal", "HTTPRoute r"]
    assert [r.get("host") for r in ingress["spec"]["rules"]] == ["any-host-1.example", "foo.example-1.com"]
    assert route["spec"]["hostnames"] == ["any-host-1.example"]
    assert tls["spec"]["rules"] == [{}]  # an HTTPS row without a host: its certificate names none, left as written
    # a named host that the host-less rule must answer (a wildcard's uncovered domain): the rule stays host-less
    catch_all: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "c"},
        "spec": {"rules": [{"http": {"paths": []}}]},
    }
    fallback = Plan(
        "traefik",
        checks=[
            Check("Ingress c", "routes", "x", rows=[http(None, "/", backend="catch")]),
            Check("Ingress w", "wildcard", "x", rows=[http("foo.com", "/", backend="catch")]),
        ],
    )
    assert run.give_hosts(fallback, [catch_all], "any-host-1.example") == []
    assert catch_all["spec"]["rules"] == [{"http": {"paths": []}}]
