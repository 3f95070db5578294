"""HTTP routing rules -> checks as expectation rows, shared by Ingress rules
and HTTPRoutes: each rule routes its host and path to its backend, its path
type is honoured, its header matches are required, its weights hold; and a
wildcard host answers a name it covers and not one it does not."""

from __future__ import annotations

from collections.abc import Mapping

from harness.article.matching import Rule, covered_probe, probe_paths, route, tolerance, uncovered_probe
from harness.article.model import WEIGHT_REQUESTS, Check, Kind, Plan
from harness.checks.rows import Expectation, Request, Response


def backend_name(rule: Rule, out: Plan) -> str:
    """The Service a rule's answer must come from; several live ones become an alias ("a or b")."""
    live = sorted(s for s, w in rule.backends.items() if w > 0)
    if len(live) == 1:
        return live[0]
    alias = " or ".join(live)
    out.aliases[alias] = live
    return alias


def expect(
    rule: Rule | None,
    own: Rule,
    protocol: str,
    host: str | None,
    path: str,
    why: str,
    out: Plan,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
) -> Expectation:
    """The row for one request: answered by ``rule``'s backend (or its
    redirect), or, when no rule takes it, not answered by ``own``'s."""
    rq = Request(protocol, host, path, headers=dict(headers or {}), method=method)
    where = f"{host or '(any host)'}{path}"
    if rule is None:
        own_backend = backend_name(own, out)
        return Expectation(
            rq,
            Response(status=None, backend=own_backend, reached=False),
            label=f"{where} not answered by {own_backend} ({why})",
        )
    if rule.redirect is not None:
        return Expectation(rq, Response(status=rule.redirect), label=f"{where} -> redirect {rule.redirect} ({why})")
    backend = backend_name(rule, out)
    return Expectation(
        rq, Response(backend=backend, seen_headers=dict(rule.sets_headers)), label=f"{where} -> {backend} ({why})"
    )


def route_checks(
    out: Plan,
    obj: str,
    host: str | None,
    protocol: str,
    rules: list[Rule],
    r: Rule,
    *,
    target: str,
    claim: str | None = None,
    shown: str | None = None,
) -> None:
    """The checks of rule ``r`` among ``rules`` of one host. ``host`` is the
    name requests carry (a wildcard's covered probe name); ``shown`` the
    host as the article writes it, for the check's text."""
    m = r.match
    what = f"{shown or host or '(any host)'} {m.path_type} {m.path}"
    if m.path_type == "RegularExpression":
        out.checks.append(
            Check(
                obj,
                Kind.ROUTES.value,
                what,
                target=target,
                not_checkable="a regular-expression path: implementation-specific, not modelled",
            )
        )
        return
    headers = dict(m.headers)
    own = route(rules, m.path, headers, m.method or "GET")
    path = m.path + ("?" + "&".join(f"{k}={v}" for k, v in m.query) if m.query else "")
    dest = ", ".join(f"{s}" for s in r.backends) if r.redirect is None else f"redirect {r.redirect}"
    out.checks.append(
        Check(
            obj,
            Kind.ROUTES.value,
            f"{what} -> {dest}" + (f" (headers {headers})" if headers else "") + (f" ({m.method})" if m.method else ""),
            rows=[expect(own, r, protocol, host, path, "its own path", out, headers, m.method or "GET")],
            target=target,
            claim=claim,
        )
    )
    semantic = []
    for p, why in probe_paths(m):
        semantic.append(
            expect(
                route(rules, p, headers, m.method or "GET"), r, protocol, host, p, why, out, headers, m.method or "GET"
            )
        )
    if semantic:
        out.checks.append(Check(obj, Kind.PATH_TYPE.value, f"{what}: path type honoured", rows=semantic, target=target))
    if headers:
        out.checks.append(
            Check(
                obj,
                Kind.HEADERS.value,
                f"{what}: without headers {headers} the rule does not match",
                target=target,
                rows=[
                    expect(
                        route(rules, m.path, {}, m.method or "GET"),
                        r,
                        protocol,
                        host,
                        path,
                        "header match required",
                        out,
                    )
                ],
            )
        )
    live = dict(r.backends.items())
    if len(live) > 1 and r.redirect is None and sum(live.values()) > 0:
        total = sum(live.values())
        tol = ", ".join(f"{s} {w / total:.0%} ± {tolerance(w / total):.0%}" for s, w in live.items())
        out.checks.append(
            Check(
                obj,
                Kind.WEIGHTS.value,
                f"{what}: weights {live} over {WEIGHT_REQUESTS} requests",
                target=target,
                rows=[expect(own, r, protocol, host, path, "weighted", out, headers, m.method or "GET")],
                weights=live,
                tolerance=f"each share within max(5%, 3σ) of its weight: {tol}",
            )
        )


def wildcard_checks(
    out: Plan,
    obj: str,
    pattern: str,
    protocol: str,
    rules: list[Rule],
    *,
    target: str,
    uncovered_rules: list[Rule] | None,
) -> str:
    """The wildcard's own promise: a name it covers is answered by its rules
    (the rules' checks run on that name, returned), the domain itself is not
    (unless ``uncovered_rules``, what serves the domain in the same snippet,
    says otherwise; None: something the harness cannot tell may serve it,
    and that row is left out)."""
    covered = covered_probe(pattern)
    bare = uncovered_probe(pattern)
    out.hosts.extend([pattern, covered, bare])
    first = rules[0]
    path = first.match.path if first.match.path_type != "RegularExpression" else "/"
    rows = [expect(route(rules, path), first, protocol, covered, path, f"{covered} is covered by {pattern}", out)]
    if uncovered_rules is not None:
        hit = route(uncovered_rules, path) if uncovered_rules else None
        rows.append(expect(hit, first, protocol, bare, path, f"{bare} is not covered by {pattern}", out))
    out.checks.append(
        Check(
            obj,
            Kind.WILDCARD.value,
            f"{pattern} takes {covered}" + (f", not {bare}" if uncovered_rules is not None else ""),
            rows=rows,
            target=target,
        )
    )
    return covered
