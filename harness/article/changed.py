"""The Markdown articles a change touched: what ``article --changed-since
REF`` checks, and what the pull-request check runs on.

:func:`changed_articles` answers it for a git working tree, by running git
(nothing else is read):

- the change is what a pull request from this working tree would bring
  over ``REF``: every file that differs between the merge base of ``REF``
  and ``HEAD`` and the working tree (committed, staged or not), plus the
  untracked files git does not ignore. In CI, where the working tree is the
  pull request's head, that is exactly ``git diff REF...HEAD``; on an
  editor's machine it includes what they have not committed yet;
- only Markdown files (``.md``, ``.markdown``, ``.mdx``) that still exist (a
  deleted or renamed-away article has nothing to check; a renamed one is
  checked under its new name);
- only under ``repo`` (a directory of the working tree, its root or a docs
  folder) and, when ``paths`` are given, under one of them: a file, a
  directory, or a glob (``docs/**/*.md``, expanded as the shell would,
  ``**`` crossing directories).

A change to a file an article includes (an ``examples/*.yaml``) does not by
itself select the article: only the articles' own files count.

Bad input is one line (:class:`ChangedError`): not a git working tree, a
ref that does not name a commit (a shallow clone lacks the base: fetch it,
or check out with ``fetch-depth: 0``), no merge base, a path that does not
exist or a glob that matches nothing, a path outside ``repo``.

``exposure-harness changed --since REF [PATH...]`` prints the list (one per
line, or NUL-separated with ``--null``), for scripts and the Action.
"""

from __future__ import annotations

import argparse
import glob
import subprocess
import sys
from pathlib import Path

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx")
GLOB_CHARS = frozenset("*?[")


class ChangedError(ValueError):
    """Input ``changed_articles`` cannot work with; the message is one line."""


def is_markdown(path: Path) -> bool:
    return path.suffix.lower() in MARKDOWN_SUFFIXES


def _git(repo: Path, *args: str) -> str:
    try:
        r = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise ChangedError("git is not installed (it is needed to find the changed articles)") from None
    if r.returncode != 0:
        lines = [x for x in r.stderr.strip().splitlines() if x.strip()]
        raise ChangedError(lines[-1].removeprefix("fatal: ") if lines else f"git {' '.join(args)} failed")
    return r.stdout


def _names(out: str) -> list[str]:
    return [n for n in out.split("\0") if n]


def _scope(repo: Path, paths: list[Path]) -> tuple[set[Path], list[Path]]:
    """The files and directories ``paths`` name, resolved (globs expanded)."""
    files: set[Path] = set()
    dirs: list[Path] = []
    for p in paths:
        text = str(p)
        if GLOB_CHARS & set(text):
            found = [Path(m).resolve() for m in glob.glob(text, recursive=True)]
            if not found:
                raise ChangedError(f"{text}: no file matches")
        elif p.exists():
            found = [p.resolve()]
        else:
            raise ChangedError(f"{text}: no such file or directory")
        for f in found:
            if f != repo and repo not in f.parents:
                raise ChangedError(f"{text}: outside the repository directory {repo}")
            (dirs.append(f) if f.is_dir() else files.add(f))
    return files, dirs


def changed_articles(repo: Path, ref: str, paths: list[Path]) -> list[Path]:
    """The Markdown files under ``repo`` (and ``paths``, when given) that
    changed since ``ref`` (see the module's doc), in path order, each as
    ``repo / <its path under repo>``."""
    if not repo.is_dir():
        raise ChangedError(f"{repo}: no such directory")
    if not ref or ref.startswith("-"):
        raise ChangedError(f"--changed-since {ref!r}: not a git ref")
    try:
        top = Path(_git(repo, "rev-parse", "--show-toplevel").strip()).resolve()
    except ChangedError:
        raise ChangedError(f"{repo}: not in a git working tree") from None
    base = repo.resolve()
    try:
        _git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except ChangedError:
        raise ChangedError(f"{repo}: the repository has no commit yet") from None
    try:
        commit = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").strip()
    except ChangedError:
        raise ChangedError(
            f"--changed-since {ref}: no such commit in {top} (a shallow clone lacks it: fetch it, "
            "or check out with fetch-depth: 0)"
        ) from None
    try:
        merge_base = _git(repo, "merge-base", commit, "HEAD").strip()
    except ChangedError:
        raise ChangedError(f"--changed-since {ref}: it has no common history with HEAD (no merge base)") from None
    files, dirs = _scope(base, paths)
    # relative to the toplevel (-C <top> and --full-name style): one frame for both lists
    names = _names(_git(top, "diff", "--name-only", "-z", "--no-ext-diff", merge_base, "--"))
    names += _names(_git(top, "ls-files", "--others", "--exclude-standard", "-z", "--"))
    found: dict[Path, Path] = {}
    for name in names:
        real = top / name
        if not is_markdown(real) or not real.is_file():
            continue  # not an article, or gone (deleted, renamed away)
        if real != base and base not in real.parents:
            continue
        if paths and real not in files and not any(d == real or d in real.parents for d in dirs):
            continue
        found[real] = repo / real.relative_to(base)
    return [found[k] for k in sorted(found)]


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="exposure-harness changed",
        description="List the Markdown articles changed since a git ref (what `article --changed-since` checks).",
    )
    p.add_argument("--since", required=True, metavar="REF", help="the git ref (a pull request's base branch)")
    p.add_argument("--repo", default=".", help="the docs repository's directory (default: the current one)")
    p.add_argument("--null", action="store_true", help="separate the paths with NUL instead of newlines")
    p.add_argument("paths", nargs="*", type=Path, help="files, directories or globs to look in (default: all)")
    a = p.parse_args(argv)
    try:
        found = changed_articles(Path(a.repo), a.since, a.paths)
    except ChangedError as exc:
        print(f"exposure-harness changed: {exc}", file=sys.stderr)
        return 2
    sep = "\0" if a.null else "\n"
    # a name that starts with "-" is written ./-name: a command line reads it as a path, not an option
    sys.stdout.write("".join(f"{'./' if str(f).startswith('-') else ''}{f}{sep}" for f in found))
    print(f"{len(found)} changed article(s) since {a.since}", file=sys.stderr)
    return 0
