"""The index of a run over many articles (a docs folder, a pull request's
changed articles): one entry per article, its report's place and counts.

Article mode writes it as ``<report-dir>/articles/index.json`` (schema
``exposure-harness/article-index/v1``) beside one report directory per
article; the pull-request check and the step summary read it.
``ArticleIndex.from_json(index.to_json()) == index``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from harness.results.model import Verdict

SCHEMA = "exposure-harness/article-index/v1"
INDEX_FILE = "index.json"
COUNTED = (Verdict.HOLDS, Verdict.DOES_NOT_HOLD, Verdict.ERROR, Verdict.NOT_CHECKABLE)


class IndexError_(ValueError):
    """An index document that cannot be read; one line."""


class ArticleStatus(str, Enum):
    CHECKED = "checked"  # its snippets were checked; the counts say how they did
    NO_YAML = "no yaml"  # the article has no snippet at all (it still gets a report that says so)
    NOT_RUN = "not run"  # the run did not get to it (interrupted)
    ERROR = "error"  # the harness could not check it (the reason is in its report)


@dataclass(frozen=True)
class ArticleEntry:
    path: str  # the article, as given (relative to the docs repository when it is one)
    report: str  # its report directory, relative to the index
    status: ArticleStatus
    snippets: int = 0
    bad: int = 0  # bad snippets
    counts: dict[Verdict, int] = field(default_factory=dict)  # checks by verdict
    seconds: float = 0.0
    reason: str = ""  # not run / error: why

    @property
    def holds(self) -> bool:
        """Nothing of the article failed: no check does not hold, no error."""
        return self.status is not ArticleStatus.ERROR and not (
            self.counts.get(Verdict.DOES_NOT_HOLD) or self.counts.get(Verdict.ERROR)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "report": self.report,
            "status": self.status.value,
            "snippets": self.snippets,
            "bad": self.bad,
            "counts": {v.value: self.counts.get(v, 0) for v in COUNTED},
            "seconds": self.seconds,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ArticleEntry:
        return cls(
            path=str(d["path"]),
            report=str(d["report"]),
            status=ArticleStatus(d["status"]),
            snippets=int(d.get("snippets", 0)),
            bad=int(d.get("bad", 0)),
            counts={Verdict(k): int(n) for k, n in (d.get("counts") or {}).items() if int(n)},
            seconds=float(d.get("seconds", 0.0)),
            reason=str(d.get("reason", "")),
        )


@dataclass
class ArticleIndex:
    entries: list[ArticleEntry]
    run: dict[str, str] = field(default_factory=dict)  # controllers, kind, Kubernetes, ...
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "run": dict(self.run),
            "seconds": self.seconds,
            "articles": [e.to_json() for e in self.entries],
        }

    @classmethod
    def from_json(cls, d: Any) -> ArticleIndex:
        if not isinstance(d, dict) or d.get("schema") != SCHEMA:
            found = d.get("schema") if isinstance(d, dict) else type(d).__name__
            raise IndexError_(f"not an article index of schema {SCHEMA} (found {found!r})")
        try:
            return cls(
                entries=[ArticleEntry.from_json(e) for e in d["articles"]],
                run=dict(d.get("run") or {}),
                seconds=float(d.get("seconds", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexError_(f"malformed article index: {type(exc).__name__}: {exc}") from None
