"""The claims report as JUnit XML: one test case per (claim, subject) cell,
so CI systems show refutations as failures and everything not checked as
skipped, with the reason."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from harness.claims import Verdict


def render_junit(doc: dict[str, Any]) -> str:
    cases = [(row, c) for row in [*doc["claims"], *doc.get("corrections", [])] for c in row["results"]]
    failures = sum(1 for _, c in cases if c["verdict"] == Verdict.DOES_NOT_HOLD.value)
    skipped = sum(1 for _, c in cases if c["verdict"] != Verdict.HOLDS.value) - failures
    suite = ET.Element(
        "testsuite",
        name="claims",
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="status", value=doc["status"]["state"])
    ET.SubElement(props, "property", name="schema", value=doc["schema"])
    for row, c in cases:
        case = ET.SubElement(suite, "testcase", classname=row["id"], name=c["subject"])
        if c["verdict"] == Verdict.DOES_NOT_HOLD.value:
            ET.SubElement(case, "failure", message=c["reason"][:500]).text = row["quote"]
        elif c["verdict"] != Verdict.HOLDS.value:
            ET.SubElement(case, "skipped", message=f"{c['verdict']}: {c['reason']}"[:500])
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
