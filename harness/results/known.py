"""Known refutations: what the project already knows does not hold, each
with the observation that makes it known.

An entry names the claim, the subject and what was seen: the HTTP status
(or gRPC code), the path the backend saw, the pod that answered, and/or a
regular expression the failed check's one-line reason must match. A
refutation of the same claim on the same subject that was seen otherwise is
a new failure, so a run turns red exactly when something changed: a new
refutation, a known one that looks different, or a known one that now
holds.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .model import Verdict
from .verdicts import ClaimVerdict

_SEEN_KEYS = ("status", "path", "pod", "reason")


class KnownRefutationsError(ValueError):
    """The known-refutations file is malformed; one line naming the file and the entry."""


@dataclass(frozen=True)
class KnownRefutation:
    claim: str
    subject: str
    why: str
    status: int | None = None
    path: str | None = None
    pod: str | None = None
    reason: str | None = None  # a regular expression searched in the failed check's reason

    def describe(self) -> str:
        seen = ", ".join(f"{k} {getattr(self, k)!r}" for k in _SEEN_KEYS if getattr(self, k) is not None)
        return f"{self.claim} on {self.subject} (seen: {seen})"

    def matches(self, v: ClaimVerdict) -> bool:
        """``v`` is this refutation: same claim and subject, and its failed
        check saw what the entry says."""
        if (v.claim, v.subject) != (self.claim, self.subject) or v.verdict is not Verdict.DOES_NOT_HOLD:
            return False
        failed = v.failed
        if failed is None:
            return False
        if self.status is not None and failed.seen.status != self.status:
            return False
        if self.path is not None and failed.seen.path != self.path:
            return False
        if self.pod is not None and failed.seen.pod != self.pod:
            return False
        return self.reason is None or re.search(self.reason, failed.reason) is not None


def load(path: Path, *, claims: Collection[str], subjects: Collection[str]) -> tuple[KnownRefutation, ...]:
    """The entries of ``path`` (a YAML list). A missing file, bad YAML, an
    entry without claim/subject/why/seen, an unknown claim or subject: one
    line naming the file and the entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnownRefutationsError(f"known refutations {path}: cannot read it ({exc.strerror})") from None
    try:
        entries = yaml.safe_load(text) or []
    except yaml.YAMLError as exc:
        raise KnownRefutationsError(f"known refutations {path}: invalid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(entries, list):
        raise KnownRefutationsError(f"known refutations {path}: must be a YAML list of entries")
    out = []
    for i, e in enumerate(entries, 1):
        where = f"known refutations {path}, entry {i}"
        if not isinstance(e, dict):
            raise KnownRefutationsError(f"{where}: must be a mapping (claim, subject, seen, why)")
        unknown = set(e) - {"claim", "subject", "seen", "why"}
        if unknown:
            raise KnownRefutationsError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        missing = [k for k in ("claim", "subject", "seen", "why") if not e.get(k)]
        if missing:
            raise KnownRefutationsError(f"{where}: needs {', '.join(missing)}")
        if e["claim"] not in claims:
            raise KnownRefutationsError(f"{where}: unknown claim {e['claim']!r}")
        if e["subject"] not in subjects:
            raise KnownRefutationsError(
                f"{where}: unknown subject {e['subject']!r}; subjects: {', '.join(sorted(subjects))}"
            )
        seen = e["seen"]
        if not isinstance(seen, dict) or not seen or set(seen) - set(_SEEN_KEYS):
            raise KnownRefutationsError(f"{where}: seen must map some of {', '.join(_SEEN_KEYS)} to what was seen")
        if "status" in seen and not isinstance(seen["status"], int):
            raise KnownRefutationsError(f"{where}: seen.status must be a number")
        if "reason" in seen:
            try:
                re.compile(str(seen["reason"]))
            except re.error as exc:
                raise KnownRefutationsError(f"{where}: seen.reason is not a regular expression: {exc}") from None
        out.append(
            KnownRefutation(
                claim=str(e["claim"]),
                subject=str(e["subject"]),
                why=" ".join(str(e["why"]).split()),
                status=seen.get("status"),
                path=None if seen.get("path") is None else str(seen["path"]),
                pod=None if seen.get("pod") is None else str(seen["pod"]),
                reason=None if seen.get("reason") is None else str(seen["reason"]),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Judgement:
    """What a test's claim verdicts mean for the run."""

    known: tuple[tuple[ClaimVerdict, KnownRefutation], ...]  # refutations the project knows: reported, not failing
    new: tuple[ClaimVerdict, ...]  # refutations nobody listed (or listed as seen otherwise): fail the run
    now_hold: tuple[KnownRefutation, ...]  # listed refutations whose claim now holds: fail the run
    errors: tuple[ClaimVerdict, ...]  # the harness could not do its job: fail the run

    @property
    def fails_run(self) -> bool:
        return bool(self.new or self.now_hold or self.errors)


def judge(verdicts: Iterable[ClaimVerdict], known: Iterable[KnownRefutation]) -> Judgement:
    verdicts = list(verdicts)
    known = list(known)
    matched, new, errors = [], [], []
    for v in verdicts:
        if v.verdict is Verdict.ERROR:
            errors.append(v)
        elif v.verdict is Verdict.DOES_NOT_HOLD:
            entry = next((k for k in known if k.matches(v)), None)
            if entry is None:
                new.append(v)
            else:
                matched.append((v, entry))
    holding = {(v.claim, v.subject) for v in verdicts if v.verdict is Verdict.HOLDS}
    now_hold = [k for k in known if (k.claim, k.subject) in holding]
    return Judgement(tuple(matched), tuple(new), tuple(now_hold), tuple(errors))
