"""An Ingress -> its checks: each rule routes its host and path to its
backend (path type honoured), a wildcard host takes a name it covers (one
label, as the Ingress API says) and not the domain itself, each TLS section
serves its Secret's certificate with TLS ending at the controller; and the
Secrets and backends it needs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from harness.article.bad import ingress_backends
from harness.article.matching import Match, Rule, covered_probe, is_wildcard, route, uncovered_probe
from harness.article.model import Check, Kind, Plan, SecretNeed, annotations_of, describe, spec_of
from harness.article.rows import route_checks, wildcard_checks
from harness.checks.rows import Expectation, Request, Response

NeedPort = Callable[..., None]


def svc_port(backend: dict[str, Any]) -> tuple[str, Any]:
    svc = backend.get("service") or {}
    port = svc.get("port") or {}
    return str(svc.get("name")), port.get("number", port.get("name", 80))


REGEX_CHARS = re.compile(r"[()\[\]{}*+?|^$\\]")


def path_type(ing: dict[str, Any], p: dict[str, Any]) -> str:
    """An ImplementationSpecific path that is a regular expression (ingress-nginx's use-regex, or
    regex characters in it) is modelled as one: not checkable."""
    kind = str(p.get("pathType", "ImplementationSpecific"))
    if kind == "ImplementationSpecific" and (
        str(annotations_of(ing).get("nginx.ingress.kubernetes.io/use-regex", "")).lower() == "true"
        or REGEX_CHARS.search(str(p.get("path") or ""))
    ):
        return "RegularExpression"
    return kind


def _rules_of(ing: dict[str, Any], rule: dict[str, Any], obj: str) -> list[Rule]:
    return [
        Rule(
            Match(path_type(ing, p), str(p.get("path") or "/")),
            {svc_port(p.get("backend") or {})[0]: 1},
            obj,
        )
        for p in (rule.get("http") or {}).get("paths") or []
    ]


CANARY = "nginx.ingress.kubernetes.io/canary"
# annotations that change what a rule's requests get back (a redirect, a credentials prompt, a
# refused address, a rate limit the checks' own requests would hit, configuration the harness
# does not read): the rule's "routes to its backend" is not what the article promises, and what it
# does promise is not modelled, so its routing reads "not checkable here", never "does not hold"
ANSWER_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/app-root": "redirects / to the application's root path",
    "nginx.ingress.kubernetes.io/permanent-redirect": "answers every request with a redirect",
    "nginx.ingress.kubernetes.io/temporal-redirect": "answers every request with a redirect",
    "nginx.ingress.kubernetes.io/force-ssl-redirect": "redirects plain HTTP to HTTPS",
    "nginx.ingress.kubernetes.io/auth-url": "has an external service authorise each request",
    "nginx.ingress.kubernetes.io/auth-type": "asks for credentials (401 without them)",
    "nginx.ingress.kubernetes.io/whitelist-source-range": "admits only some client addresses",
    "nginx.ingress.kubernetes.io/allowlist-source-range": "admits only some client addresses",
    "nginx.ingress.kubernetes.io/denylist-source-range": "refuses some client addresses",
    "nginx.ingress.kubernetes.io/limit-rps": "limits the request rate (the checks' own requests count)",
    "nginx.ingress.kubernetes.io/limit-rpm": "limits the request rate (the checks' own requests count)",
    "nginx.ingress.kubernetes.io/limit-connections": "limits connections (the checks' own count)",
    "nginx.ingress.kubernetes.io/server-snippet": "adds NGINX configuration the harness does not read",
    "nginx.ingress.kubernetes.io/configuration-snippet": "adds NGINX configuration the harness does not read",
    "nginx.org/server-snippets": "adds NGINX configuration the harness does not read",
    "nginx.org/location-snippets": "adds NGINX configuration the harness does not read",
    "traefik.ingress.kubernetes.io/router.middlewares": "runs Traefik middlewares (redirects, auth...) not modelled",
}


def _is_canary(ing: dict[str, Any]) -> bool:
    return str(annotations_of(ing).get(CANARY, "")).lower() == "true"


def unmodelled_answer(ing: dict[str, Any], canary_hosts: set[str | None]) -> str:
    """Why the answers of ``ing``'s rules are not modelled ("" when they are)."""
    ann = annotations_of(ing)
    said = [f"{k}: {why}" for k, why in ANSWER_ANNOTATIONS.items() if str(ann.get(k, "")).strip()]
    if said:
        return f"{describe(ing)} sets {'; '.join(said)}; what it answers instead is not modelled here"
    if _is_canary(ing):
        return (
            f"{describe(ing)} is a canary Ingress ({CANARY}): ingress-nginx splits the requests of its host and "
            "path between it and the main Ingress (by weight, header or cookie); a split is not modelled here"
        )
    hosts = {r.get("host") for r in spec_of(ing).get("rules") or []} & canary_hosts
    if hosts:
        shown = ", ".join(sorted(h or "(any host)" for h in hosts))
        return f"a canary Ingress takes a share of {shown}: which backend answers is a split, not modelled here"
    return ""


def plan_ingresses(ingresses: list[dict[str, Any]], out: Plan, need_port: NeedPort, defined_secrets: set[str]) -> None:
    """Checks for the Ingresses this subject serves (rules of one host merge
    across the snippet's Ingresses, as controllers merge them; a canary's
    rules take no part: it splits its main Ingress's traffic)."""
    per_host: dict[str | None, list[Rule]] = {}
    canary_hosts: set[str | None] = set()
    for ing in ingresses:
        for rule in spec_of(ing).get("rules") or []:
            if _is_canary(ing):
                canary_hosts.add(rule.get("host"))
                continue
            per_host.setdefault(rule.get("host"), []).extend(_rules_of(ing, rule, describe(ing)))
    for ing in ingresses:
        _plan_ingress(ing, out, need_port, defined_secrets, per_host, unmodelled_answer(ing, canary_hosts))


def _plan_ingress(
    ing: dict[str, Any],
    out: Plan,
    need_port: NeedPort,
    defined_secrets: set[str],
    per_host: dict[str | None, list[Rule]],
    unmodelled: str = "",
) -> None:
    obj = describe(ing)
    spec = spec_of(ing)
    tls_hosts: dict[str, str | None] = {}
    for section in spec.get("tls") or []:
        for h in section.get("hosts") or []:
            tls_hosts[h] = section.get("secretName")
        secret = section.get("secretName")
        if secret and secret not in defined_secrets:
            existing = next((s for s in out.secrets if s.name == secret), None)
            if existing is None:
                out.secrets.append(SecretNeed(secret, list(section.get("hosts") or [])))
            else:
                existing.hosts.extend(h for h in section.get("hosts") or [] if h not in existing.hosts)
    for backend in ingress_backends(ing):
        svc, port = svc_port(backend)
        need_port(svc, port, "http")
    if isinstance(spec.get("defaultBackend"), dict):
        svc, _ = svc_port(spec["defaultBackend"])
        out.checks.append(
            Check(
                obj,
                Kind.ROUTES.value,
                f"requests no rule takes -> {svc} (defaultBackend)",
                not_checkable="an Ingress's defaultBackend answers what no rule of any Ingress of the controller "
                "takes: on a cluster other tests share, an answer cannot be told to come from this Ingress",
            )
        )
    for rule in spec.get("rules") or []:
        host = rule.get("host")
        if unmodelled:
            shown = host or "(any host)"
            out.checks.append(Check(obj, Kind.ROUTES.value, f"{shown}: its rules", not_checkable=unmodelled))
            continue
        rules = per_host.get(host, [])
        own = _rules_of(ing, rule, obj)
        tls = host in tls_hosts
        protocol = "https" if tls else "http"
        claim = "ingress-host-path-routing" if tls else None
        if host and is_wildcard(host):
            if not own:
                continue
            apex = uncovered_probe(host)
            uncovered = per_host.get(apex, []) + per_host.get(None, [])
            probe = wildcard_checks(out, obj, host, protocol, rules, target="controller", uncovered_rules=uncovered)
            for r in own:
                route_checks(out, obj, probe, protocol, rules, r, target="controller", claim=claim, shown=host)
            continue
        if host and "*" in host:
            out.checks.append(
                Check(obj, Kind.ROUTES.value, f"{host}: rules", not_checkable=f"{host} is not a valid wildcard host")
            )
            continue
        out.hosts.append(host)
        for r in own:
            route_checks(out, obj, host, protocol, rules, r, target="controller", claim=claim)
    for host, secret in tls_hosts.items():
        _tls_check(ing, out, host, secret, {} if unmodelled else per_host)


def _tls_check(
    ing: dict[str, Any], out: Plan, host: str, secret: str | None, per_host: dict[str | None, list[Rule]]
) -> None:
    """The certificate served for ``host``; with the backend answering it when
    ``per_host`` models the host's rules (empty: the certificate alone)."""
    obj = describe(ing)
    probe = covered_probe(host) if is_wildcard(host) else host
    if "*" in host and not is_wildcard(host):
        return
    if not secret:
        out.checks.append(
            Check(
                obj,
                Kind.TLS.value,
                f"{host}: TLS",
                not_checkable="the TLS section names no Secret (controller default)",
            )
        )
        return
    rules_of_host = per_host.get(host, [])
    path = rules_of_host[0].match.path if rules_of_host else "/"
    if rules_of_host and rules_of_host[0].match.path_type == "RegularExpression":
        path = "/"
    hit = route(rules_of_host, path)
    resp: dict[str, Any] = {"certificate": secret, "backend_tls": False}
    if hit is not None and len([s for s, w in hit.backends.items() if w > 0]) == 1:
        resp["backend"] = next(s for s, w in hit.backends.items() if w > 0)
    else:
        resp["status"] = None
        resp.pop("backend_tls")
    out.hosts.extend([host, probe])
    out.checks.append(
        Check(
            obj,
            Kind.TLS.value,
            f"{host} is served Secret {secret}'s certificate; TLS ends at the controller",
            rows=[Expectation(Request("https", probe, path), Response(**resp), label=f"TLS {probe}{path}")],
            claim="ingress-tls-termination",
        )
    )
