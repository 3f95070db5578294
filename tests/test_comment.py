"""The step summary and the pull-request comment (harness/article/comment.py),
rendered from typed indexes: what an editor reads, without a network."""

from __future__ import annotations

import json
from pathlib import Path

from harness.__main__ import main as harness_main
from harness.article.comment import (
    COMMENT_BUDGET,
    MARKER,
    REPORT_HTML,
    comment_body,
    headline,
    no_articles_markdown,
    no_index_markdown,
    summary_markdown,
)
from harness.article.index import ArticleEntry, ArticleIndex, ArticleStatus
from harness.results.model import Verdict

H, D, E, N = Verdict.HOLDS, Verdict.DOES_NOT_HOLD, Verdict.ERROR, Verdict.NOT_CHECKABLE


def index() -> ArticleIndex:
    return ArticleIndex(
        entries=[
            ArticleEntry("docs/ok.md", "docs-ok", ArticleStatus.CHECKED, 3, 0, {H: 7, N: 1}, 40.0),
            ArticleEntry("docs/rewrite|pipe.md", "docs-rewrite-pipe", ArticleStatus.CHECKED, 2, 1, {H: 2, D: 1}, 30.0),
            ArticleEntry("docs/prose.md", "docs-prose", ArticleStatus.NO_YAML),
            ArticleEntry("docs/`tick`.md", "docs-tick", ArticleStatus.ERROR, reason="cluster went away"),
            ArticleEntry("docs/late.md", "docs-late", ArticleStatus.NOT_RUN, reason="interrupted"),
        ],
        run={"controllers": "traefik,envoy-gateway", "kind": "v0.30.0"},
        seconds=312.0,
    )


def rows(md: str) -> list[str]:
    return [x for x in md.splitlines() if x.startswith("| `") or x.startswith("| ``")]


def test_summary_has_every_article_in_the_runs_order_with_its_counts():
    md = summary_markdown(index())
    assert md.startswith("## Article check: 5 article(s): 1 does not hold, 1 error, 1 not run, 1 holds, 1 no YAML\n"), (
        md.splitlines()[0]
    )
    assert "Run: controllers traefik,envoy-gateway, kind v0.30.0, 5 min 12 s in all" in md
    r = rows(md)
    assert len(r) == 5
    assert r[0] == "| `docs/ok.md` | holds | 3 | 7 | 0 | 0 | 1 | 0 | `articles/docs-ok/` |"
    assert (
        r[1]
        == "| `docs/rewrite\\|pipe.md` | **DOES NOT HOLD** | 2 | 2 | 1 | 0 | 0 | 1 | `articles/docs-rewrite-pipe/` |"
    )
    assert r[3].startswith("| ``docs/`tick`.md`` | **ERROR**: cluster went away |")
    assert "| not run: interrupted |" in r[4]


def test_comment_starts_with_its_marker_and_puts_problems_first():
    body = comment_body(index(), "https://github.example/artifacts/9", run_url="https://github.example/runs/1")
    assert body.splitlines()[0] == MARKER
    assert body.count(MARKER) == 1
    r = rows(body)
    assert [x.split(" | ")[1] for x in r] == ["**DOES NOT HOLD**", "**ERROR**", "not run", "holds", "no YAML"]
    assert r[0] == (
        "| `docs/rewrite\\|pipe.md` | **DOES NOT HOLD** | 1 does not hold, 2 holds, 1 bad snippet(s) | "
        f"`articles/docs-rewrite-pipe/{REPORT_HTML}` |"
    )
    assert "cluster went away" in r[1]
    assert "[the reports' artifact](https://github.example/artifacts/9)" in body
    assert "[run](https://github.example/runs/1)" in body


def test_a_comment_over_githubs_limit_is_cut_and_says_how_many_it_left_out():
    many = ArticleIndex(
        [
            ArticleEntry(
                f"docs/section-{i:04d}/a-rather-long-article-name.md", f"r{i}", ArticleStatus.CHECKED, 1, 0, {H: 1}
            )
            for i in range(3000)
        ]
        + [ArticleEntry("docs/zz-broken.md", "rz", ArticleStatus.CHECKED, 1, 0, {D: 1})]
    )
    body = comment_body(many, "https://a")
    assert len(body) <= COMMENT_BUDGET < 65536
    assert "docs/zz-broken.md" in rows(body)[0]  # the problem is not what gets cut
    shown = len(rows(body))
    assert shown < 3001 and f"... and {3001 - shown} more article(s) ({3001 - shown} article(s): " in body
    assert "see the step summary" in body


def test_no_article_and_no_index_are_said():
    assert no_articles_markdown("origin/main") == "No changed Markdown article since `origin/main`: nothing to check.\n"
    c = no_articles_markdown("origin/main", comment=True)
    assert c.startswith(MARKER + "\n### Article check: no changed article")
    t = no_index_markdown(3, run_url="https://r")
    assert t.startswith("## Article check: ERROR") and "exit 3" in t and "(https://r)" in t
    assert headline(ArticleIndex([])) == "no article"
    assert "No article was checked." in summary_markdown(ArticleIndex([]))


def test_the_command_reads_the_index_of_a_report_directory(tmp_path: Path, capsys):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "index.json").write_text(json.dumps(index().to_json()))
    assert harness_main(["pr", "summary", "--index", str(tmp_path)]) == 0
    assert capsys.readouterr().out == summary_markdown(index())
    assert (
        harness_main(["pr", "comment", "--index", str(tmp_path / "articles" / "index.json"), "--artifact-url", "u"])
        == 0
    )
    assert capsys.readouterr().out == comment_body(index(), "u")
    # no index: the harness stopped; said with its exit status, not a crash
    assert harness_main(["pr", "summary", "--index", str(tmp_path / "nowhere"), "--exit-code", "4"]) == 0
    assert "exit 4" in capsys.readouterr().out
    # a file that is not an index: one line, exit 2
    (tmp_path / "bad.json").write_text('{"schema": "something/else"}')
    assert harness_main(["pr", "summary", "--index", str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an article index" in err
