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


def plan_ingresses(ingresses: list[dict[str, Any]], out: Plan, need_port: NeedPort, defined_secrets: set[str]) -> None:
    """Checks for the Ingresses this subject serves (rules of one host merge
    across the snippet's Ingresses, as controllers merge them)."""
    per_host: dict[str | None, list[Rule]] = {}
    for ing in ingresses:
        for rule in spec_of(ing).get("rules") or []:
            per_host.setdefault(rule.get("host"), []).extend(_rules_of(ing, rule, describe(ing)))
    for ing in ingresses:
        _plan_ingress(ing, out, need_port, defined_secrets, per_host)


def _plan_ingress(
    ing: dict[str, Any],
    out: Plan,
    need_port: NeedPort,
    defined_secrets: set[str],
    per_host: dict[str | None, list[Rule]],
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
    if str(annotations_of(ing).get("nginx.ingress.kubernetes.io/canary", "")).lower() == "true":
        out.notes.append(
            f"{obj}: a canary Ingress (nginx.ingress.kubernetes.io/canary): ingress-nginx splits traffic between it "
            "and the main Ingress of the same host and path; checked here as written, on its own"
        )
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
        _tls_check(ing, out, host, secret, per_host)


def _tls_check(
    ing: dict[str, Any], out: Plan, host: str, secret: str | None, per_host: dict[str | None, list[Rule]]
) -> None:
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
