"""Article reports as JUnit XML: one ``testsuite`` per article, one
``testcase`` per check of a snippet on a subject (a failure when it does not
hold, with what was seen and the diagnosis; an error for the harness's own;
skipped, with the reason, when not checkable here or not run), and one per
snippet that could not be checked at all (bad, or a planning error)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.article.report import ArticleReport, status_of, why
from harness.results.model import Outcome, Verdict


def _case(suite: ET.Element, classname: str, name: str, seconds: float = 0.0) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds:.1f}")


def suite_of(doc: ArticleReport) -> ET.Element:
    n = doc.counts
    suite = ET.Element("testsuite", name=doc.article)
    tests = failures = errors = skipped = 0
    if doc.error:
        ET.SubElement(_case(suite, doc.article, "the article"), "error", message=doc.error)
        tests, errors = 1, 1
    for snip in doc.snippets:
        s = snip.summary
        cls = f"{doc.article}:{s.line}"
        state = status_of(snip)
        if state or not snip.results:
            case = _case(suite, cls, "the snippet")
            tests += 1
            if s.harness_error:
                ET.SubElement(case, "error", message=state)
                errors += 1
            else:
                ET.SubElement(case, "skipped", message=state or "no result")
                skipped += 1
            continue
        for r in snip.results:
            share = r.seconds / max(1, len(r.checks))
            if r.missing or (r.outcome is Outcome.ERROR and not any(c.verdict is Verdict.ERROR for c in r.checks)):
                case = _case(suite, f"{cls}.{r.subject}", "the step")
                tests += 1
                if r.missing:
                    ET.SubElement(case, "skipped", message=f"not run: {r.reason}")
                    skipped += 1
                else:
                    ET.SubElement(case, "error", message=r.reason)
                    errors += 1
            for c in r.checks:
                case = _case(suite, f"{cls}.{r.subject}", c.label, share)
                tests += 1
                text = why(c)
                if c.verdict is Verdict.DOES_NOT_HOLD:
                    el = ET.SubElement(case, "failure", message=text)
                    el.text = "\n".join([text, *("diagnosis: " + d for d in c.diagnosis)])
                    failures += 1
                elif c.verdict is Verdict.ERROR:
                    ET.SubElement(case, "error", message=text)
                    errors += 1
                elif c.verdict in (Verdict.NOT_CHECKABLE, Verdict.NOT_RUN):
                    ET.SubElement(case, "skipped", message=f"{c.verdict.value}: {text}")
                    skipped += 1
    for r in doc.reader:
        cls = f"{doc.article}:reader.{r.subject}"
        if r.missing:
            ET.SubElement(_case(suite, cls, "the reader's path"), "skipped", message=f"not run: {r.reason}")
            tests, skipped = tests + 1, skipped + 1
        elif r.outcome is Outcome.ERROR and not any(c.verdict is Verdict.ERROR for c in r.checks):
            ET.SubElement(_case(suite, cls, "the reader's path"), "error", message=r.reason)
            tests, errors = tests + 1, errors + 1
        for c in r.checks:
            case = _case(suite, cls, c.label)
            tests += 1
            if c.verdict is Verdict.DOES_NOT_HOLD:
                el = ET.SubElement(case, "failure", message=why(c))
                el.text = "\n".join([why(c), *("diagnosis: " + d for d in c.diagnosis)])
                failures += 1
            elif c.verdict is Verdict.ERROR:
                ET.SubElement(case, "error", message=why(c))
                errors += 1
            elif c.verdict in (Verdict.NOT_CHECKABLE, Verdict.NOT_RUN):
                ET.SubElement(case, "skipped", message=f"{c.verdict.value}: {why(c)}")
                skipped += 1
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", f"{doc.seconds:.1f}")
    suite.set("holds", str(n[Verdict.HOLDS]))
    return suite


def render_junit(docs: list[ArticleReport]) -> str:
    root = ET.Element("testsuites", name="articles")
    for doc in docs:
        root.append(suite_of(doc))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
