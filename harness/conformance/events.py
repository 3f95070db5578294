"""``go test -json`` (test2json) events, read into one result per test.

The Gateway API suite's own ConformanceReport is written from inside the
test function, after ``t.Run`` has returned for every test; a test that
calls ``t.Parallel()`` returns from ``t.Run`` at once and runs only after the
test function itself returns, so v1.6.1 counts it "passed" before it has run
(fixed upstream in v1.6.2). What ``go test`` itself reports for each test,
its pass/fail/skip event, is the outcome that counts here.

The stream is one JSON object a line (``Time``, ``Action``, ``Package``,
``Test``, ``Elapsed``, ``Output``); anything else on a line (a build error, a
crash before test2json framed it) is kept as package output.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class Action(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


ENDS = {a.value: a for a in Action}


@dataclass
class TestEvents:
    """Everything the stream said about one test (``Parent/Child`` names)."""

    name: str
    ended: Action | None = None  # None: started but never ended (the run stopped first)
    elapsed: float = 0.0
    output: list[str] = field(default_factory=list)
    parallel: bool = False  # it paused (t.Parallel) at least once

    @property
    def short_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]


@dataclass
class GoTestRun:
    tests: dict[str, TestEvents] = field(default_factory=dict)
    package_output: list[str] = field(default_factory=list)
    package_result: Action | None = None  # None: no package-level end (killed, or no event at all)
    elapsed: float = 0.0
    bad_lines: int = 0  # lines that were not events

    def children(self, parent: str) -> dict[str, TestEvents]:
        """The direct subtests of ``parent``, by their short names."""
        prefix = parent + "/"
        return {
            t.name[len(prefix) :]: t
            for t in self.tests.values()
            if t.name.startswith(prefix) and "/" not in t.name[len(prefix) :]
        }

    def descendants_output(self, name: str) -> list[str]:
        """Output of a test and of every subtest under it, in stream order."""
        out = list(self.tests[name].output) if name in self.tests else []
        prefix = name + "/"
        for t in self.tests.values():
            if t.name.startswith(prefix):
                out.extend(t.output)
        return out


def read_events(lines: Iterable[str]) -> GoTestRun:
    run = GoTestRun()
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            ev = None
        if not isinstance(ev, dict) or "Action" not in ev:
            run.bad_lines += 1
            run.package_output.append(raw.rstrip("\n"))
            continue
        action = str(ev.get("Action"))
        name = ev.get("Test")
        if not name:
            if action == "output":
                run.package_output.append(str(ev.get("Output", "")).rstrip("\n"))
            elif action in ENDS:
                run.package_result = ENDS[action]
                run.elapsed = float(ev.get("Elapsed") or 0.0)
            continue
        t = run.tests.get(name)
        if t is None:
            t = run.tests[name] = TestEvents(name)
        if action == "output":
            t.output.append(str(ev.get("Output", "")).rstrip("\n"))
        elif action == "pause":
            t.parallel = True
        elif action in ENDS:
            t.ended = ENDS[action]
            t.elapsed = float(ev.get("Elapsed") or 0.0)
    return run


def read_file(path: str | Path) -> GoTestRun:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return read_events(fh)
