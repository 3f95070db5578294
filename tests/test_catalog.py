"""The catalog (harness/claims.yaml) covers the guide, and the suites and the
catalog agree: every claim has a test, a reason it cannot be checked, or the
issue that adds its check; every test marks a known claim and is listed under
it; every quote is the guide's own words; every section of the guide has an
entry. Read from the source, so it stays that way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness import claims
from harness.claims import CatalogError, load

ROOT = Path(__file__).resolve().parent.parent
SUITES = ROOT / "suites"
GUIDE = claims.GUIDE_DIR / claims.CATALOG.guide_file


def _normal(text: str) -> str:
    return " ".join(text.split())


def marked_tests() -> dict[str, tuple[str, list[str]]]:
    """test id -> (the claim id its marker names, its argument names), from the suites' source."""
    found: dict[str, tuple[str, list[str]]] = {}
    for path in sorted(SUITES.glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            test_id = f"suites/{path.name}::{node.name}"
            for dec in node.decorator_list:
                if (
                    isinstance(dec, ast.Call)
                    and isinstance(dec.func, ast.Attribute)
                    and dec.func.attr in ("claim", "correction")
                    and dec.args
                    and isinstance(dec.args[0], ast.Constant)
                ):
                    found[test_id] = (str(dec.args[0].value), [a.arg for a in node.args.args])
            if test_id not in found:
                found[test_id] = ("", [a.arg for a in node.args.args])
    return found


def test_every_suite_test_marks_a_known_claim_and_is_listed_under_it():
    problems = []
    for test_id, (claim_id, _) in marked_tests().items():
        if not claim_id:
            problems.append(f"{test_id} is marked with no claim")
        elif claim_id not in claims.BY_ID:
            problems.append(f"{test_id} names unknown claim {claim_id!r}")
        elif test_id not in claims.BY_ID[claim_id].tests:
            problems.append(f"{test_id} marks {claim_id} but the catalog does not list it under that claim")
    assert not problems, "\n".join(problems)


def test_every_test_the_catalog_names_exists():
    tests = marked_tests()
    missing = [f"{c.id}: {t}" for c in claims.BY_ID.values() for t in c.tests if t not in tests]
    assert not missing, "catalog names tests that do not exist:\n" + "\n".join(missing)


def test_per_controller_claims_are_checked_by_per_controller_tests():
    """A claim with one verdict per controller needs tests that take a controller
    (directly, or through the web_gateway fixture)."""
    tests = marked_tests()
    wrong = [
        f"{c.id}: {t}"
        for c in claims.BY_ID.values()
        if c.per_controller
        for t in c.tests
        if t in tests and not {"controller", "web_gateway"} & set(tests[t][1])
    ]
    assert not wrong, "per-controller claims checked by tests without a controller:\n" + "\n".join(wrong)


def test_every_claim_has_a_test_or_a_reason():
    """No claim passes silently: each is checked by a test or says why no cluster can check it."""
    for c in claims.CLAIMS:
        assert bool(c.tests) != bool(c.not_checkable), f"{c.id}: exactly one of tests or not_checkable"


def test_the_catalog_covers_well_over_thirty_sentences():
    assert len(claims.CLAIMS) > 30
    assert len([c for c in claims.CLAIMS if c.tests]) > 30


@pytest.fixture(scope="module")
def guide() -> str:
    if not GUIDE.exists():
        pytest.skip(f"the guide text is not next to this checkout ({GUIDE})")
    return GUIDE.read_text(encoding="utf-8")


def test_every_quote_is_verbatim(guide):
    text = _normal(guide)
    wrong = [f"{c.id}: {f!r}" for c in claims.BY_ID.values() for f in c.fragments if _normal(f) not in text]
    assert not wrong, "quotes not found verbatim in the guide:\n" + "\n".join(wrong)


def _headings(guide: str) -> list[str]:
    """Heading-like lines of the guide: short, standing alone, not a bullet, not a sentence."""
    lines = guide.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "TL;DR")
    out = []
    for line in lines[start:]:
        s = line.strip()
        if not s or len(s) > 70 or s[0] in "•<-" or s[0].isdigit() or s[-1] in ".:?" or s.startswith("Sources:"):
            continue
        out.append(s)
    return out


def test_every_section_of_the_guide_has_an_entry(guide):
    lines = {line.strip() for line in guide.splitlines()}
    not_headings = [s for s in claims.CATALOG.sections if s not in lines]
    assert not not_headings, f"catalog sections that are not headings of the guide: {not_headings}"
    known = set(claims.CATALOG.sections) | set(claims.CATALOG.grouping_headings)
    unknown = [h for h in _headings(guide) if h not in known]
    assert not unknown, f"headings of the guide the catalog does not know: {unknown}"
    covered = {c.section for c in claims.CLAIMS}
    empty = [s for s in claims.CATALOG.sections if s not in covered]
    assert not empty, f"sections of the guide with no catalog entry: {empty}"


def test_corrections_name_existing_manifests():
    from harness.checks.manifests import MANIFESTS

    for c in claims.CORRECTIONS:
        assert (MANIFESTS / c.original).is_file(), c.original
        for subject, rel in c.manifests.items():
            assert (MANIFESTS / rel).is_file(), f"{c.id} on {subject}: {rel} missing"


@pytest.mark.parametrize(
    "entry, message",
    [
        ("- {id: a, area: x, quote: q, checks: c, section: S, pending: issue 7}", r"unknown field\(s\) pending"),
        ("- {id: a, area: x, quote: q, checks: c, section: S}", "exactly one of tests or not_checkable"),
        ("- {id: a, area: x, quote: q, checks: c, section: S, tests: [x]}", "tests must be a list of test ids"),
        ("- {id: a, area: x, quote: q, checks: c, section: Nope, not_checkable: no cloud}", "is not in `sections`"),
        ("- {id: a, area: x, quote: q, checks: c, section: S, not_checkable: no cloud, colour: red}", "unknown field"),
        ("- {id: A B, area: x, quote: q, checks: c, section: S, not_checkable: no cloud}", "lower-case words"),
        (
            "- {id: a, area: x, quote: q, checks: c, section: S, not_checkable: no cloud}\n"
            "- {id: a, area: x, quote: q, checks: c, section: S, not_checkable: no cloud}",
            "appears twice",
        ),
    ],
)
def test_a_malformed_entry_is_one_clear_line(tmp_path, entry, message):
    path = tmp_path / "claims.yaml"
    path.write_text("guide: G\nsections: [S]\nclaims:\n" + "\n".join("  " + x for x in entry.splitlines()) + "\n")
    with pytest.raises(CatalogError, match=message) as exc:
        load(path)
    assert "\n" not in str(exc.value)


def test_a_new_entry_needs_nothing_but_data(tmp_path):
    """How other issues add claims: one entry, no code."""
    path = tmp_path / "claims.yaml"
    path.write_text(
        "guide: G\nsections: [S]\nclaims:\n"
        "  - id: envoy-gateway-grpc\n    section: S\n    area: gateway\n    quote: q\n    checks: c\n"
        "    tests: [suites/test_gateway_api.py::test_grpcroute]\n"
    )
    (c,) = load(path).claims
    assert c.per_controller and c.tests == ("suites/test_gateway_api.py::test_grpcroute",)
