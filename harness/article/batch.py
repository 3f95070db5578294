"""Many articles in one run (a docs folder, the articles a pull request
changed): which files, where each one's includes resolve, each article
planned with its own slice of the run's reserved addresses, and the tests a
run makes of them.

- :func:`select`: files, directories (their Markdown, hidden directories
  skipped) and globs, in the order given; :func:`changed_markdown` the
  Markdown files that changed since a git ref. Bad input is one line
  (:class:`SelectionError`).
- :func:`include_root_for`: the deepest ``--include-root`` holding the
  article; the only one given when none holds it; else the article's
  repository root.
- :func:`plan_run`: every article planned (:func:`.article_plan.plan_article`),
  each with one :class:`~.environment.Allocator` over a slice of the reserved
  addresses of its own, so articles checked side by side on one cluster
  never ask for the same address.
- :class:`Unit`: one test, a *chain* (a lone snippet, or the successive
  versions of one object, :mod:`.steps`) on one subject, applied in one
  namespace in article order.
- :func:`reserved_addresses`, :func:`reserved_pool_objects`: where the
  reserved addresses come from on a cluster, and the MetalLB pool
  (``autoAssign: false``) that makes them requestable and never handed out
  on their own.
"""

from __future__ import annotations

import glob
import ipaddress
import json
import os
import re
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.article import derive
from harness.article.article_plan import ArticlePlan, SnippetPlan, plan_article
from harness.article.changed import ChangedError, changed_articles
from harness.article.environment import Allocator, Environment
from harness.article.model import Plan, Subject
from harness.article.steps import identity

MARKDOWN = (".md", ".markdown", ".mdx")
SKIP_DIRS = ("node_modules",)
RESERVED_POOL = "exposure-harness-article-reserved"
PLANNING_RANGE = "10.255.0.1-10.255.3.254"  # the first pass counts each article's addresses in this (never used)


class SelectionError(ValueError):
    """Input that selects nothing or cannot be read: one line."""


# --------------------------------------------------------------------------
# which articles
# --------------------------------------------------------------------------


def _markdown(p: Path) -> bool:
    return p.is_file() and p.suffix.lower() in MARKDOWN


def _walk(d: Path) -> list[Path]:
    out = []
    for p in sorted(d.rglob("*")):
        rel = p.relative_to(d).parts
        if any(part.startswith(".") or part in SKIP_DIRS for part in rel[:-1]) or p.name.startswith("."):
            continue
        if _markdown(p):
            out.append(p)
    return out


def select(args: list[str], *, changed_since: str | None = None, cwd: Path | None = None) -> list[Path]:
    """The articles ``args`` name: files (any name), directories (their
    Markdown files) and globs (``docs/**/*.md``), each once, in the order
    given; with ``changed_since`` only those that changed since that git ref
    (every changed Markdown file of the repository when ``args`` is empty)."""
    here = cwd or Path.cwd()
    out: list[Path] = []
    scopes: list[Path] = []
    for arg in args:
        p = Path(arg) if Path(arg).is_absolute() else here / arg
        if p.is_file():
            found = [p]
        elif p.is_dir():
            found = _walk(p)
            if not found and changed_since is None:
                raise SelectionError(f"{arg}: no Markdown file in this directory")
        elif any(ch in arg for ch in "*?["):
            found = []
            for m in sorted(glob.glob(str(p), recursive=True)):
                mp = Path(m)
                found += _walk(mp) if mp.is_dir() else [mp] if _markdown(mp) else []
            if not found and changed_since is None:
                raise SelectionError(f"{arg}: matches no Markdown file")
        else:
            raise SelectionError(f"{arg}: no such file or directory")
        scopes.append(p)
        out += [f.resolve() for f in found]
    seen: set[Path] = set()
    unique = [p for p in out if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]
    if changed_since is None:
        if not unique:
            raise SelectionError("no article given")
        return unique
    changed = changed_markdown(changed_since, scopes[0] if scopes else here)
    if not args:
        return changed
    chosen = set(changed)
    return [p for p in unique if p in chosen]


def changed_markdown(ref: str, where: Path) -> list[Path]:
    """The Markdown files of the git working tree holding ``where`` that a
    pull request from it would bring over ``ref`` (:mod:`.changed`: since the
    merge base, the working tree and untracked files included; deleted ones
    are not listed), resolved."""
    d = where if where.is_dir() else where.parent
    top = subprocess.run(["git", "-C", str(d), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    if top.returncode != 0:
        raise SelectionError(f"--changed-since {ref}: {d} is not in a git repository")
    try:
        return [p.resolve() for p in changed_articles(Path(top.stdout.strip()), ref, [])]
    except ChangedError as exc:
        raise SelectionError(str(exc)) from None


def include_root_for(article: Path, roots: list[Path]) -> Path | None:
    """The deepest of ``roots`` holding ``article``; the only root given when
    none holds it; None (the article's repository root) otherwise."""
    holding = [r for r in roots if article.resolve().is_relative_to(r.resolve())]
    if holding:
        return max(holding, key=lambda r: len(r.resolve().parts))
    if len(roots) == 1:
        return roots[0]
    return None


def display(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def slugs(names: list[str]) -> list[str]:
    """A directory name per article (its path, made safe), unique in the run."""
    out: list[str] = []
    for n in names:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", n).strip("_.")[-120:] or "article"
        slug, i = base, 2
        while slug in out:
            slug, i = f"{base}-{i}", i + 1
        out.append(slug)
    return out


# --------------------------------------------------------------------------
# planned articles and their tests
# --------------------------------------------------------------------------


READER = 0  # the key of the reader's path among an article's units


@dataclass(frozen=True)
class Unit:
    """One test: a chain of steps (indexes into the article's snippets) on one
    subject; or (``key`` :data:`READER`) the article as a reader follows it."""

    article: int
    key: int  # the line of the chain's first snippet (a lone snippet's line); READER: the whole article
    subject: str
    steps: tuple[int, ...]

    @property
    def id(self) -> str:
        return f"reader-{self.subject}" if self.key == READER else f"L{self.key}-{self.subject}"


@dataclass
class Reader:
    """The article as a reader follows it, on one subject: every snippet the
    harness can check, applied in article order in one namespace (``plans``,
    planned in one scope: one mapping of hosts, addresses and classes for
    all), later ones updating earlier objects; then the checks of the state
    the article ends in (``final``: the latest version of every object)."""

    subject: str
    steps: tuple[int, ...]
    plans: list[Plan]
    final: Plan
    left_out: list[str] = field(default_factory=list)  # snippets not applied, with why


@dataclass
class Article:
    index: int
    path: Path
    display: str
    slug: str
    include_root: Path | None
    env: Environment | None = None
    plan: ArticlePlan | None = None
    error: str = ""  # the article could not be read (its report says so)
    units: list[Unit] = field(default_factory=list)
    readers: dict[str, Reader] = field(default_factory=dict)  # subject -> the reader's path on it

    def plans(self, unit: Unit) -> list[tuple[SnippetPlan, Plan]]:
        """The steps of ``unit``, each with its plan on the unit's subject."""
        assert self.plan is not None
        out = []
        for i in unit.steps:
            sp = self.plan.snippets[i]
            plan = next(p for p in sp.plans if p.subject == unit.subject)
            out.append((sp, plan))
        return out

    def unit(self, key: int, subject: str) -> Unit:
        return next(u for u in self.units if u.key == key and u.subject == subject)


def units_of(index: int, ap: ArticlePlan, readers: dict[str, Reader] | None = None) -> list[Unit]:
    grouped: dict[tuple[int, str], list[int]] = {}
    for i, sp in enumerate(ap.snippets):
        key = sp.step.chain or sp.snippet.line
        for p in sp.plans:
            grouped.setdefault((key, p.subject), []).append(i)
    out = [Unit(index, key, subject, tuple(steps)) for (key, subject), steps in grouped.items()]
    out += [Unit(index, READER, r.subject, r.steps) for r in (readers or {}).values()]
    return out


def readers_of(
    ap: ArticlePlan, subjects: list[Subject], known: dict[str, list[str]], alloc: Allocator
) -> dict[str, Reader]:
    """The reader's path on each subject that checks the article's final
    state, when the article has two snippets or more to follow that are not
    one chain of versions already (that chain's test is the reader's path)."""
    usable = [i for i, sp in enumerate(ap.snippets) if sp.plans and not (sp.bad or sp.skipped or sp.harness_error)]
    left_out = [
        f"line {sp.snippet.line}: {sp.bad or sp.skipped or sp.harness_error}"
        for sp in ap.snippets
        if sp.snippet.kubernetes and (sp.bad or sp.harness_error)
    ]
    chains = {ap.snippets[i].step.chain or ap.snippets[i].snippet.line for i in usable}
    if len(usable) < 2 or len(chains) < 2:
        return {}
    state: dict[tuple[str, str, str], dict[str, Any]] = {}
    lines: dict[tuple[str, str, str], int] = {}
    for i in usable:
        s = ap.snippets[i].snippet
        for d, n in zip(s.docs, s.doc_lines or [s.line] * len(s.docs), strict=False):
            state[identity(d)] = d
            lines[identity(d)] = n
    first = ap.snippets[usable[0]].snippet
    merged = replace(first, line=READER, docs=list(state.values()), doc_lines=[lines[k] for k in state])
    names, _ = derive.subjects(merged, subjects, known)
    out: dict[str, Reader] = {}
    for name in names:
        subject = next((m for m in subjects if m.name == name), None)
        try:
            final = derive.plan(merged, subject, subjects, known, alloc, scope="reader")
            plans = [
                derive.plan(ap.snippets[i].snippet, subject, subjects, known, alloc, scope="reader") for i in usable
            ]
        except Exception:  # noqa: BLE001 - the harness cannot plan it: the per-snippet tests still say why
            continue
        out[name] = Reader(name, tuple(usable), plans, final, list(left_out))
    return out


def addresses_used(ap: ArticlePlan) -> list[str]:
    """Every address of the environment the article's plans hand out (requested ones mapped, pools)."""
    out: set[str] = set()
    for sp in ap.snippets:
        for p in sp.plans:
            out.update(p.mapped_addresses.values())
            for pool in p.pools:
                out.update(pool.addresses)
    return sorted(out, key=lambda a: ipaddress.ip_address(a))


def requested_addresses(articles: list[Article]) -> list[str]:
    """The addresses the run's Services request (mapped): what the reserved pool must hold."""
    out: set[str] = set()
    for a in articles:
        for sp in a.plan.snippets if a.plan else []:
            for p in sp.plans:
                out.update(p.mapped_addresses.values())
        for r in a.readers.values():
            for p in [*r.plans, r.final]:
                out.update(p.mapped_addresses.values())
    return sorted(out, key=lambda a: ipaddress.ip_address(a))


def _span(addresses: list[str]) -> str:
    if not addresses:
        return "0.0.0.1-0.0.0.0"  # an empty range: the article hands out nothing
    return f"{addresses[0]}-{addresses[-1]}"


def plan_run(
    paths: list[Path],
    roots: list[Path],
    subjects: list[Subject],
    known: dict[str, list[str]],
    *,
    reserved: list[str],
    pools: tuple[str, ...],
    base: Path,
) -> list[Article]:
    """Each article planned; articles get consecutive slices of ``reserved``
    sized by what they hand out (counted in a first pass), in the order given."""
    names = [display(p, base) for p in paths]
    common = Path(os.path.commonpath([p.resolve().parent for p in paths])) if paths else base
    short = [display(p, common) for p in paths]  # report directories: paths below what the articles share
    articles = [
        Article(i, p, n, s, include_root_for(p, roots))
        for i, (p, n, s) in enumerate(zip(paths, names, slugs(short), strict=True))
    ]
    free = list(reserved)
    for a in articles:
        try:
            first = plan_article(
                a.path, subjects, known, include_root=a.include_root, env=Environment(pools, PLANNING_RANGE)
            )
        except (OSError, UnicodeDecodeError) as exc:
            a.error = f"cannot read {a.display}: {getattr(exc, 'strerror', None) or exc}"
            continue
        need = len(addresses_used(first))
        counting = Allocator(Environment(pools, PLANNING_RANGE))
        readers_of(first, subjects, known, counting)
        reader_need = len(counting.given) + sum(len(v) for v in counting.pools.values())
        mine, free = free[:need], free[need:]
        theirs, free = free[:reader_need], free[reader_need:]
        a.env = Environment(pools, _span(mine))
        a.plan = plan_article(a.path, subjects, known, include_root=a.include_root, env=a.env)
        a.readers = readers_of(a.plan, subjects, known, Allocator(Environment(pools, _span(theirs))))
        a.units = units_of(a.index, a.plan, a.readers)
    return articles


# --------------------------------------------------------------------------
# the reserved addresses on a cluster
# --------------------------------------------------------------------------


RESERVED_SIZE = 51


def reserved_range(pool_addresses: list[str]) -> list[str]:
    """Addresses for what articles request: the cluster's own MetalLB pool
    shifted 256 addresses down (one /24 below on kind's /16 network), so the
    slices of other clusters' pools (60 apart in the top /24) never meet it."""
    if not pool_addresses:
        return []
    first = pool_addresses[0]
    lo_text = first.split("-")[0].split("/")[0].strip()
    lo = ipaddress.ip_address(lo_text)
    start = int(lo) - 256
    if start <= 0:
        return []
    return [str(ipaddress.ip_address(start + i)) for i in range(RESERVED_SIZE)]


def reserved_pool_objects(addresses: list[str], namespace: str = "metallb-system") -> list[dict[str, Any]]:
    """The pool that makes ``addresses`` requestable (``autoAssign: false``)."""
    from harness.checks.manifests import load_manifest

    return load_manifest(
        "article/address-pool.yaml",
        name=RESERVED_POOL,
        namespace=namespace,
        addresses=json.dumps([f"{a}/32" for a in addresses]),
    )


__all__ = [
    "READER",
    "Article",
    "Reader",
    "RESERVED_POOL",
    "SelectionError",
    "Unit",
    "addresses_used",
    "changed_markdown",
    "include_root_for",
    "plan_run",
    "readers_of",
    "requested_addresses",
    "reserved_pool_objects",
    "reserved_range",
    "select",
    "slugs",
    "units_of",
]
