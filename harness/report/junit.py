"""The claims report as JUnit XML: one test case per (claim, subject) cell,
so CI systems show refutations as failures, harness errors as errors and
everything not checked as skipped, with the reason."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.report.document import SCHEMA, ClaimsReport
from harness.results.model import Verdict


def render_junit(doc: ClaimsReport) -> str:
    cases = [(row, c) for row in doc.rows() for c in row.cells]
    count = {v: sum(1 for _, c in cases if c.verdict is v) for v in Verdict}
    suite = ET.Element(
        "testsuite",
        name="claims",
        tests=str(len(cases)),
        failures=str(count[Verdict.DOES_NOT_HOLD]),
        errors=str(count[Verdict.ERROR]),
        skipped=str(count[Verdict.NOT_CHECKABLE] + count[Verdict.NOT_RUN]),
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="status", value=doc.status.state.value)
    ET.SubElement(props, "property", name="schema", value=SCHEMA)
    for row, c in cases:
        case = ET.SubElement(suite, "testcase", classname=row.id, name=c.subject)
        if c.verdict is Verdict.DOES_NOT_HOLD:
            ET.SubElement(case, "failure", message=c.reason[:500]).text = row.quote
        elif c.verdict is Verdict.ERROR:
            ET.SubElement(case, "error", message=c.reason[:500]).text = "the harness could not check this claim"
        elif c.verdict is not Verdict.HOLDS:
            ET.SubElement(case, "skipped", message=f"{c.verdict.value}: {c.reason}"[:500])
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
