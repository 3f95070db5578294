"""Mutants: for every checkable claim, a change to what its test applies
under which the claim must read "does not hold". A check a mutant survives
cannot see what its claim promises; a ✔ is trusted once a mutant was killed.

A mutant is data (``harness/mutants.yaml``): the test it runs, the edits it
makes to the objects that test applies as under test (the guide's YAML, the
controller's idiom of it, a Service, a route: everything a test passes
through :func:`harness.checks.expect.applied`), the claims it must kill, and
optionally the kind of failed check the kill must show. The harness's own
scaffolding (echo pods, Secrets, the MetalLB pool) is never mutated: a
mutant that broke those would be an error, never a kill.

Edits (each names the ``kind`` of the objects it edits, and optionally their
``name``):

- ``swap: [a, b]``: every string value ``a`` becomes ``b`` and ``b`` becomes
  ``a`` (two backends, two hosts);
- ``replace: {old: new}``: every scalar value written ``old`` (a string, or
  a number compared as written) becomes ``new``;
- ``set: [{path: [...], value: ...}]``: a field set (created if missing);
- ``delete: [[...], ...]``: fields removed (a path is a list of keys and
  list indexes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness import claims as catalog
from harness import paths

MUTANTS_FILE = paths.MUTANTS
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FAILURE_KINDS = (
    "traffic",
    "misroute",
    "unexpected answer",
    "wait",
    "admission",
    "rejected",
    "assertion",
    "probe",
)


class MutantError(ValueError):
    """The mutants file is malformed; the message names the entry."""


@dataclass(frozen=True)
class Edit:
    kind: str  # the kind of object edited (Ingress, Service, HTTPRoute, ...)
    name: str | None = None  # only the object of this name
    swap: tuple[str, str] | None = None
    replace: tuple[tuple[str, Any], ...] = ()
    set: tuple[tuple[tuple[str | int, ...], Any], ...] = ()
    delete: tuple[tuple[str | int, ...], ...] = ()

    def describe(self) -> str:
        what = [f"{self.kind}{f' {self.name}' if self.name else ''}:"]
        if self.swap:
            what.append(f"swap {self.swap[0]} and {self.swap[1]}")
        what += [f"replace {a!r} with {b!r}" for a, b in self.replace]
        what += [f"set {_path(p)} to {v!r}" for p, v in self.set]
        what += [f"delete {_path(p)}" for p in self.delete]
        return " ".join(what)


def _path(p: tuple[str | int, ...]) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else (f".{k}" if re.match(r"^\w+$", k) else f"[{k!r}]") for k in p)


@dataclass(frozen=True)
class Mutant:
    name: str
    test: str  # suites/test_x.py::test_name
    edits: tuple[Edit, ...]
    kills: tuple[str, ...]  # claims that must read "does not hold" under it
    why: str  # what the mutant breaks, in a line
    fails: str = ""  # the FailedCheck kind the kill must show ("" any)
    subjects: tuple[str, ...] = ()  # only on these subjects ("" all where the test runs)

    def describe(self) -> str:
        return "; ".join(e.describe() for e in self.edits)


def _edit(e: Any, where: str) -> Edit:
    if not isinstance(e, dict) or not isinstance(e.get("kind"), str):
        raise MutantError(f"{where}: an edit is a mapping with a kind")
    unknown = set(e) - {"kind", "name", "swap", "replace", "set", "delete"}
    if unknown:
        raise MutantError(f"{where}: unknown edit field(s) {', '.join(sorted(unknown))}")
    swap = e.get("swap")
    if swap is not None and (not isinstance(swap, list) or len(swap) != 2 or not all(isinstance(s, str) for s in swap)):
        raise MutantError(f"{where}: swap takes two strings")
    replace = e.get("replace") or {}
    if not isinstance(replace, dict):
        raise MutantError(f"{where}: replace maps old strings to new ones")
    sets = []
    for s in e.get("set") or []:
        if not isinstance(s, dict) or not isinstance(s.get("path"), list) or "value" not in s or not s["path"]:
            raise MutantError(f"{where}: set takes a list of {{path: [keys...], value: ...}}")
        sets.append((tuple(s["path"]), s["value"]))
    deletes = []
    for p in e.get("delete") or []:
        if not isinstance(p, list) or not p:
            raise MutantError(f"{where}: delete takes a list of paths (each a list of keys)")
        deletes.append(tuple(p))
    if not (swap or replace or sets or deletes):
        raise MutantError(f"{where}: the edit changes nothing (give swap, replace, set or delete)")
    return Edit(
        kind=e["kind"],
        name=e.get("name"),
        swap=(swap[0], swap[1]) if swap else None,
        replace=tuple((str(a), b) for a, b in replace.items()),
        set=tuple(sets),
        delete=tuple(deletes),
    )


def load(path: Path = MUTANTS_FILE) -> tuple[Mutant, ...]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MutantError(f"cannot read the mutants {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise MutantError(f"{path}: invalid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("mutants"), list):
        raise MutantError(f"{path}: needs a top-level `mutants:` list")
    out: list[Mutant] = []
    seen: set[str] = set()
    for i, m in enumerate(doc["mutants"]):
        where = f"{path.name} mutants[{i}]"
        if not isinstance(m, dict):
            raise MutantError(f"{where}: a mutant is a mapping")
        unknown = set(m) - {"name", "test", "edits", "kills", "why", "fails", "subjects"}
        if unknown:
            raise MutantError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        name = m.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise MutantError(f"{where}: name must be lower-case words joined by '-'")
        where = f"{path.name} mutant {name}"
        if name in seen:
            raise MutantError(f"{where}: the name appears twice")
        seen.add(name)
        test = m.get("test")
        if not isinstance(test, str) or "::" not in test:
            raise MutantError(f"{where}: test must be a test id like suites/test_x.py::test_name")
        kills = m.get("kills")
        if not isinstance(kills, list) or not kills:
            raise MutantError(f"{where}: kills must list the claims it must turn to does not hold")
        for cid in kills:
            claim = catalog.BY_ID.get(cid)
            if claim is None:
                raise MutantError(f"{where}: kills unknown claim {cid!r}")
            if test not in claim.tests:
                raise MutantError(f"{where}: claim {cid} is not checked by {test} (harness/claims.yaml)")
        fails = str(m.get("fails", ""))
        if fails and fails not in FAILURE_KINDS:
            raise MutantError(f"{where}: fails must be one of {', '.join(FAILURE_KINDS)}")
        edits = m.get("edits")
        if not isinstance(edits, list) or not edits:
            raise MutantError(f"{where}: edits must list at least one edit")
        if not isinstance(m.get("why"), str) or not m["why"].strip():
            raise MutantError(f"{where}: why (what the mutant breaks, in a line) is required")
        out.append(
            Mutant(
                name=name,
                test=test,
                edits=tuple(_edit(e, f"{where} edit {j + 1}") for j, e in enumerate(edits)),
                kills=tuple(kills),
                why=" ".join(m["why"].split()),
                fails=fails,
                subjects=tuple(m.get("subjects") or ()),
            )
        )
    return tuple(out)


MUTANTS: tuple[Mutant, ...] = load()
BY_NAME = {m.name: m for m in MUTANTS}


def for_test(test_id: str) -> list[Mutant]:
    """The mutants of a test (node id, parametrisation removed)."""
    base = test_id.split("[", 1)[0]
    return [m for m in MUTANTS if m.test == base]


def of_claim(claim_id: str) -> list[Mutant]:
    return [m for m in MUTANTS if claim_id in m.kills]
