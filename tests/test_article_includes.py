"""Article mode: includes in every form, resolved under the include root,
reported per include when they do not resolve (never as malformed YAML),
refused when they leave the root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.article import extract
from harness.article.extract import Origin
from harness.article.includes import Form, Status, find, repository_root

ROUTE = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: {}\nspec: {{}}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A docs repository: a Hugo site (content/en/...), mkdocs examples/, a docs/ snippets dir."""
    (tmp_path / ".git").mkdir()
    files = {
        "content/en/examples/service/networking/route.yaml": ROUTE.format("hugo"),
        "examples/standard/route.yaml": "#$ Used in:\n#$ - site-src/guides/x.md\n" + ROUTE.format("mkdocs"),
        "docs/snippets/route.yaml": ROUTE.format("snippet"),
        "docs/snippets/prereq.md": "Prerequisites\n\n```yaml\n" + ROUTE.format("from-markdown") + "```\n",
        "site-src/guides/local.yaml": ROUTE.format("local"),
        "broken/bad.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\n",
    }
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def article(repo: Path, rel: str, text: str) -> Path:
    p = repo / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "line, form",
    [
        ('{{% code_sample file="service/networking/route.yaml" %}}', Form.HUGO_CODE_SAMPLE),
        ('{{< code_sample language="yaml" file="service/networking/route.yaml" >}}', Form.HUGO_CODE_SAMPLE),
        ('   {{< codenew file="service/networking/route.yaml" >}}', Form.HUGO_CODENEW),
        ('{{< code file="service/networking/route.yaml" >}}', Form.HUGO_CODE),
        ('{{< readfile file="/examples/standard/route.yaml" code="true" lang="yaml" >}}', Form.HUGO_READFILE),
        ('{{< readfile "local.yaml" >}}', Form.HUGO_READFILE),
        ("{% include 'standard/route.yaml' %}", Form.MKDOCS_INCLUDE),
        ('{% include "standard/route.yaml" %}', Form.MKDOCS_INCLUDE),
        ('--8<-- "docs/snippets/route.yaml"', Form.SNIPPET),
        ("--8<-- 'snippets/route.yaml'", Form.SNIPPET),
    ],
)
def test_every_form_is_recognised_and_resolved_under_the_root(repo, line, form):
    (d,) = find(line, 7)
    assert (d.form, d.line) == (form, 7)
    inside_fence = form in (Form.MKDOCS_INCLUDE, Form.SNIPPET)
    text = f"# Guide\n\n```yaml\n{line}\n```\n" if inside_fence else f"# Guide\n\n{line}\n"
    page = article(repo, "content/en/docs/guide.md" if "HUGO" in form.name else "site-src/guides/x.md", text)
    if form is Form.HUGO_READFILE and "local" in line:
        page = article(repo, "site-src/guides/x.md", text)
    found = extract.scan_file(page, repo)
    (s,) = found.snippets
    assert s.error is None
    assert (s.origin, s.line, s.doc_lines) == (Origin.INCLUDE, 4 if inside_fence else 3, [4 if inside_fence else 3])
    assert s.docs[0]["kind"] == "HTTPRoute"
    (inc,) = found.includes
    assert inc.status is Status.RESOLVED and (repo / inc.file).is_file()


def test_an_unresolved_include_is_reported_per_include_never_as_malformed_yaml(repo):
    page = article(
        repo,
        "site-src/guides/x.md",
        "```yaml\n{% include 'standard/missing.yaml' %}\n```\n\n{{< readfile file=\"/examples/nope.yaml\" >}}\n",
    )
    found = extract.scan_file(page, repo)
    assert [s.error for s in found.snippets] == [
        "include not resolved: standard/missing.yaml (line 2)",
        "include not resolved: /examples/nope.yaml (line 5)",
    ]
    assert [(i.status, i.line) for i in found.includes] == [(Status.UNRESOLVED, 2), (Status.UNRESOLVED, 5)]
    assert not any("malformed" in (s.error or "") for s in found.snippets)


def test_an_include_that_leaves_the_root_is_refused_and_never_read(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.yaml").write_text(ROUTE.format("stolen"))
    os.symlink(outside / "secret.yaml", repo / "examples" / "link.yaml")
    page = article(
        repo,
        "site-src/guides/x.md",
        "```yaml\n{% include '../../etc/passwd' %}\n```\n\n```yaml\n{% include 'link.yaml' %}\n```\n",
    )
    found = extract.scan_file(page, repo)
    assert [(i.status, i.line, i.reason) for i in found.includes] == [
        (Status.REFUSED, 2, "the path leaves the include root"),
        (Status.REFUSED, 6, "the path leaves the include root"),
    ]
    assert all(s.error and s.error.startswith("include refused:") for s in found.snippets)
    assert not any(s.docs for s in found.snippets)


def test_included_markdown_is_read_for_its_snippets_with_the_directive_line(repo):
    page = article(repo, "site-src/guides/x.md", '# Guide\n\n--8<-- "snippets/prereq.md"\n')
    (s,) = extract.scan_file(page, repo).snippets
    assert (s.line, s.objects()) == (3, ["HTTPRoute from-markdown"])


def test_malformed_yaml_in_an_included_file_names_the_file_line_and_the_include_line(repo):
    page = article(repo, "site-src/guides/x.md", 'intro\n\n{{< readfile file="/broken/bad.yaml" >}}\n')
    (s,) = extract.scan_file(page, repo).snippets
    assert s.error is not None
    assert s.error.startswith("malformed YAML at line 4 of broken/bad.yaml (included at line 3):")


def test_the_default_root_is_the_articles_repository(repo):
    page = article(repo, "site-src/guides/x.md", "```yaml\n{% include 'standard/route.yaml' %}\n```\n")
    assert repository_root(page) == repo.resolve()
    (s,) = extract.scan_file(page).snippets
    assert s.objects() == ["HTTPRoute mkdocs"]


def test_a_yaml_fence_mixing_yaml_and_an_include(repo):
    page = article(
        repo,
        "site-src/guides/x.md",
        "```yaml\n" + ROUTE.format("inline") + '---\n--8<-- "docs/snippets/route.yaml"\n```\n',
    )
    (s,) = extract.scan_file(page, repo).snippets
    assert s.objects() == ["HTTPRoute inline", "HTTPRoute snippet"]
    assert s.origin is Origin.FENCED and s.doc_lines == [2, 8]
