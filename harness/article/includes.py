"""Includes: files a documentation page pulls into itself at build time.

Recognised forms (one per line, anywhere in the page, a fence included):

- Hugo shortcodes ``{{% code_sample file="..." %}}``, ``{{< code_sample
  file="..." >}}``, ``{{< codenew file="..." >}}``, ``{{< code file="..." >}}``
  (the Kubernetes website: the path is under ``content/<lang>/examples/``)
  and ``{{< readfile file="..." >}}`` (also positional, ``{{< readfile
  "..." >}}``; a leading ``/`` is the site's root, otherwise the page's own
  directory);
- mkdocs-macros ``{% include '...' %}`` / ``{% include "..." %}`` (the
  Gateway API site: under ``examples/``, its ``include_dir``) and
  mkdocs-include-markdown ``{% include-markdown "..." %}`` (Traefik's docs);
- pymdownx snippets ``--8<-- "..."`` (also ``;--8<--``, and the bare form
  ``--8<-- path``; relative to the docs' base path, the repository root).

:func:`resolve` looks for the file under the include root (the docs
repository's checkout) in the places its form implies, then in the page's
own directory and each directory above it; the first that exists wins. A path that leaves the include
root (``../../etc/passwd``, an absolute path outside it, a symlink out of
it) is refused and never read.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_BYTES = 1 << 20  # an included file larger than this is not read


class Status(enum.Enum):
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    REFUSED = "refused"


class Form(enum.Enum):
    HUGO_CODE_SAMPLE = "hugo code_sample"
    HUGO_CODENEW = "hugo codenew"
    HUGO_CODE = "hugo code"
    HUGO_READFILE = "hugo readfile"
    MKDOCS_INCLUDE = "mkdocs include"
    MKDOCS_INCLUDE_MARKDOWN = "mkdocs include-markdown"
    SNIPPET = "pymdownx snippet"


@dataclass(frozen=True)
class Directive:
    """An include as written: its form, the path it names, its article line."""

    form: Form
    path: str
    line: int
    raw: str


@dataclass(frozen=True)
class Include:
    """An include and what became of it."""

    form: Form
    path: str  # as written
    line: int  # the article line of the directive
    status: Status
    file: str = ""  # the resolved file, relative to the include root (RESOLVED)
    reason: str = ""  # why it is unresolved or refused

    def message(self) -> str:
        if self.status is Status.RESOLVED:
            return f"include resolved: {self.path} (line {self.line}) -> {self.file}"
        if self.status is Status.REFUSED:
            return f"include refused: {self.path} (line {self.line}): {self.reason}"
        return f"include not resolved: {self.path} (line {self.line})"


_ATTR = r"""(?:file|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>%}]+))"""
_HUGO = re.compile(
    r"\{\{\s*([<%])\s*(code_sample|codenew|code|readfile)\b(?P<args>.*?)\s*[>%]\s*\}\}",
)
_POSITIONAL = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=]+))(?:\s|$)""")
_MKDOCS = re.compile(r"""\{%-?\s*(include|include-markdown)\s+(?:"([^"]+)"|'([^']+)')[^%]*-?%\}""")
_SNIPPET = re.compile(r"""^\s*;?-{1,}8<-{1,}\s+(?:"([^"]+)"|'([^']+)'|(\S+))\s*$""")
_FORMS = {
    "code_sample": Form.HUGO_CODE_SAMPLE,
    "codenew": Form.HUGO_CODENEW,
    "code": Form.HUGO_CODE,
    "readfile": Form.HUGO_READFILE,
}


def find(line: str, number: int) -> list[Directive]:
    """The include directives on one line of the page."""
    out: list[Directive] = []
    for m in _HUGO.finditer(line):
        args = m.group("args")
        a = re.search(_ATTR, args)
        path = next((g for g in a.groups() if g is not None), None) if a else None
        if path is None:
            p = _POSITIONAL.match(args)
            path = next((g for g in p.groups() if g is not None), None) if p else None
        if path:
            out.append(Directive(_FORMS[m.group(2)], path, number, m.group(0)))
    for m in _MKDOCS.finditer(line):
        form = Form.MKDOCS_INCLUDE if m.group(1) == "include" else Form.MKDOCS_INCLUDE_MARKDOWN
        out.append(Directive(form, m.group(2) or m.group(3), number, m.group(0)))
    snip = _SNIPPET.match(line)
    if snip:
        target = next(g for g in snip.groups() if g is not None)
        if target.strip() and not target.startswith("--"):
            out.append(Directive(Form.SNIPPET, target.strip(), number, line.strip()))
    return out


def is_directive_line(line: str) -> bool:
    """True when the line holds nothing but include directives (and blanks)."""
    rest = _HUGO.sub("", line)
    rest = _MKDOCS.sub("", rest)
    return not rest.strip() or bool(_SNIPPET.match(line))


def repository_root(article: Path) -> Path:
    """The default include root: the nearest directory above the article
    holding ``.git``, else the article's own directory."""
    here = article.resolve().parent
    for d in (here, *here.parents):
        if (d / ".git").exists():
            return d
    return here


def _language(article_rel: PurePosixPath) -> str:
    parts = article_rel.parts
    if len(parts) >= 2 and parts[0] == "content":
        return parts[1]
    return "en"


def candidates(d: Directive, article_rel: PurePosixPath) -> list[PurePosixPath]:
    """Where the file of ``d`` may be, relative to the include root, in order."""
    raw = d.path.strip()
    rooted = raw.startswith("/")
    p = PurePosixPath(raw.lstrip("/"))
    page_dir = article_rel.parent
    out: list[PurePosixPath] = []
    if d.form in (Form.HUGO_CODE_SAMPLE, Form.HUGO_CODENEW, Form.HUGO_CODE):
        out.append(PurePosixPath("content") / _language(article_rel) / "examples" / p)
    elif d.form is Form.HUGO_READFILE:
        if rooted:
            out += [p, PurePosixPath("site") / p, PurePosixPath("content") / p]
        else:
            out.append(page_dir / p)
    elif d.form is Form.MKDOCS_INCLUDE:
        out += [PurePosixPath("examples") / p, p, PurePosixPath("docs") / p]
    elif d.form is Form.MKDOCS_INCLUDE_MARKDOWN:
        out.append(page_dir / p)
    else:  # pymdownx snippets: base_path, by default the repository root
        out += [p, PurePosixPath("docs") / p]
    # then the page's directory and each one above it (a docs_dir, a content root)
    out += [p, *(parent / p for parent in [page_dir, *page_dir.parents])]
    return list(dict.fromkeys(out))


def resolve(d: Directive, article: Path, root: Path) -> tuple[Include, str | None]:
    """The include's status and, when resolved, the file's text."""
    root = root.resolve()
    try:
        article_rel = PurePosixPath(article.resolve().relative_to(root).as_posix())
    except ValueError:
        article_rel = PurePosixPath(article.name)
    escapes: list[str] = []
    for rel in candidates(d, article_rel):
        lexical = Path(os.path.normpath(root / rel))
        if not lexical.is_relative_to(root):
            escapes.append(rel.as_posix())
            continue
        try:
            real = lexical.resolve()
        except (OSError, RuntimeError):
            continue
        if not real.is_relative_to(root):  # a symlink out of the root
            escapes.append(rel.as_posix())
            continue
        if not real.is_file():
            continue
        if real.stat().st_size > MAX_BYTES:
            return Include(d.form, d.path, d.line, Status.REFUSED, reason=f"larger than {MAX_BYTES} bytes"), None
        try:
            text = real.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return Include(d.form, d.path, d.line, Status.UNRESOLVED, reason=f"unreadable: {exc}"), None
        return Include(d.form, d.path, d.line, Status.RESOLVED, file=real.relative_to(root).as_posix()), text
    if escapes:
        return (
            Include(d.form, d.path, d.line, Status.REFUSED, reason="the path leaves the include root"),
            None,
        )
    return Include(d.form, d.path, d.line, Status.UNRESOLVED, reason=f"not found under {root}"), None
