"""Which articles changed since a ref (harness/article/changed.py), on
throw-away git repositories made with the real git: committed, staged,
unstaged and untracked changes, deletions and renames, scopes (directories,
files, globs), and every bad input as one line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.__main__ import main as harness_main
from harness.article.changed import ChangedError, changed_articles

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    r = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env={**os.environ, **GIT_ENV}, check=False
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def write(repo: Path, name: str, text: str = "# t\n") -> None:
    p = repo / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: docs/a.md, docs/b.md, docs/e.md, docs/deep/k.md, docs/same.md, notes.txt, README.md;
    branch `change` (checked out) changes some of them; main moves on after it."""
    r = tmp_path / "docs-repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    for name in ("docs/a.md", "docs/b.md", "docs/e.md", "docs/deep/k.md", "docs/same.md", "notes.txt", "README.md"):
        write(r, name)
    write(r, ".gitignore", "ignored.md\n")
    git(r, "add", "-A")
    git(r, "commit", "-qm", "base")
    git(r, "checkout", "-qb", "change")
    write(r, "docs/a.md", "# a, changed\n")  # modified
    write(r, "docs/d.md")  # added
    git(r, "rm", "-q", "docs/b.md")  # deleted
    git(r, "mv", "docs/e.md", "docs/f.md")  # renamed
    write(r, "notes.txt", "changed, not Markdown\n")
    write(r, "docs/deep/k.md", "# k, changed\n")
    git(r, "add", "-A")
    git(r, "commit", "-qm", "change")
    git(r, "checkout", "-q", "main")
    write(r, "docs/z.md")  # on main after the branch: not the branch's change
    write(r, "docs/same.md", "# changed on main only\n")  # differs from main's tip, not from the merge base
    git(r, "add", "-A")
    git(r, "commit", "-qm", "main moves on")
    git(r, "checkout", "-q", "change")
    write(r, "docs/g.md")  # untracked
    write(r, "ignored.md")  # ignored
    write(r, "docs/i.md")
    git(r, "add", "docs/i.md")  # staged, not committed
    write(r, "README.md", "# unstaged\n")  # modified, not staged
    return r


def names(found: list[Path], repo: Path) -> list[str]:
    return [str(p.relative_to(repo)) for p in found]


def test_what_the_branch_and_the_working_tree_changed(repo):
    found = changed_articles(repo, "main", [])
    assert names(found, repo) == [
        "README.md",
        "docs/a.md",
        "docs/d.md",
        "docs/deep/k.md",
        "docs/f.md",
        "docs/g.md",
        "docs/i.md",
    ]
    assert all(p.is_file() for p in found)


def test_a_clean_checkout_of_the_head_is_ref_dot_dot_dot_head(repo):
    """In CI the working tree is the pull request's head: the selection is `git diff main...HEAD`'s Markdown."""
    git(repo, "stash", "-q", "--include-untracked")
    found = names(changed_articles(repo, "main", []), repo)
    diff = git(repo, "diff", "--name-only", "main...HEAD").split()
    assert found == sorted(n for n in diff if n.endswith(".md") and (repo / n).exists())
    assert found == ["docs/a.md", "docs/d.md", "docs/deep/k.md", "docs/f.md"]


def test_paths_narrow_the_selection(repo):
    assert names(changed_articles(repo, "main", [repo / "docs" / "deep"]), repo) == ["docs/deep/k.md"]
    assert names(changed_articles(repo, "main", [repo / "docs" / "a.md", repo / "README.md"]), repo) == [
        "README.md",
        "docs/a.md",
    ]
    glob = str(repo / "docs" / "**" / "k.md")
    assert names(changed_articles(repo, "main", [Path(glob)]), repo) == ["docs/deep/k.md"]
    # a file in scope that did not change is not selected
    assert changed_articles(repo, "main", [repo / "docs" / "deep" / "../same.md"]) == []


def test_a_docs_folder_as_the_repo_and_relative_paths(repo, monkeypatch):
    monkeypatch.chdir(repo)
    found = changed_articles(Path("docs"), "main", [])
    assert [str(p) for p in found] == [
        "docs/a.md",
        "docs/d.md",
        "docs/deep/k.md",
        "docs/f.md",
        "docs/g.md",
        "docs/i.md",
    ]
    assert [str(p) for p in changed_articles(Path("."), "main", [Path("docs/deep")])] == ["docs/deep/k.md"]


def test_no_changed_article_is_an_empty_list(repo):
    assert changed_articles(repo, "HEAD", [repo / "docs" / "deep"]) == []


@pytest.mark.parametrize(
    "ref, paths, expected",
    [
        ("no-such-branch", [], "--changed-since no-such-branch: no such commit in"),
        ("-x", [], "--changed-since '-x': not a git ref"),
        ("main", ["missing.md"], "missing.md: no such file or directory"),
        ("main", ["docs/*.rst"], "docs/*.rst: no file matches"),
    ],
)
def test_bad_input_is_one_line(repo, monkeypatch, ref, paths, expected):
    monkeypatch.chdir(repo)
    with pytest.raises(ChangedError) as e:
        changed_articles(Path("."), ref, [Path(p) for p in paths])
    assert expected in str(e.value) and "\n" not in str(e.value)


def test_not_a_repository_unrelated_history_and_outside_paths(tmp_path, repo):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ChangedError, match="not in a git working tree"):
        changed_articles(plain, "main", [])
    with pytest.raises(ChangedError, match="outside the repository directory"):
        changed_articles(repo / "docs", "main", [repo / "README.md"])
    git(repo, "stash", "-q", "--include-untracked")
    git(repo, "checkout", "-q", "--orphan", "other")
    git(repo, "commit", "-qm", "unrelated")
    with pytest.raises(ChangedError, match="no common history"):
        changed_articles(repo, "main", [])
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    with pytest.raises(ChangedError, match="no commit yet"):
        changed_articles(empty, "main", [])


def test_the_command_lists_them_and_says_bad_refs_in_one_line(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    assert harness_main(["changed", "--since", "main", "--null", "docs/deep", "README.md"]) == 0
    out = capsys.readouterr()
    assert out.out == "README.md\0docs/deep/k.md\0"
    assert out.err == "2 changed article(s) since main\n"
    assert harness_main(["changed", "--since", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("exposure-harness changed: --changed-since nope: no such commit") and err.count("\n") == 1
