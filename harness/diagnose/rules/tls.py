"""Rules for the TLS Secret an Ingress or a Gateway listener names: missing,
not a TLS Secret, unusable, or not covering the host."""

from __future__ import annotations

from ..snapshot import Snapshot
from .findings import Finding


def tls_secret(snap: Snapshot, subject: str, field: str, name: str, ns: str, hosts: list[str]) -> list[Finding]:
    if not snap.known("Secret", name, ns):
        return []
    s = snap.get("Secret", name, ns)
    where = f"{field}: {name}"
    if s is None:
        return [
            Finding(
                "tls-secret-missing",
                subject,
                f"TLS Secret {name} of {subject} does not exist in namespace {ns}: the controller serves its default "
                "certificate (or refuses the handshake) for " + (", ".join(hosts) or "its hosts"),
                (where, f"no Secret {name} in namespace {ns} (a Secret of another namespace is not used)"),
                f"create it in {ns}: kubectl -n {ns} create secret tls {name} --cert=CERT.pem --key=KEY.pem",
            )
        ]
    keys = s.get("keys") or []
    if s.get("type") != "kubernetes.io/tls" and not {"tls.crt", "tls.key"} <= set(keys):
        return [
            Finding(
                "tls-secret-wrong-type",
                subject,
                f"Secret {ns}/{name} of {subject} is not a TLS Secret (type {s.get('type')}, keys "
                f"{', '.join(keys) or 'none'}): controllers read tls.crt and tls.key",
                (where, f"type: {s.get('type')}", f"keys: {', '.join(keys) or 'none'}"),
                f"re-create it as a TLS Secret: kubectl -n {ns} delete secret {name}; kubectl -n {ns} create secret "
                f"tls {name} --cert=CERT.pem --key=KEY.pem",
            )
        ]
    cert = s.get("certificate") or {}
    problems = []
    if "tls.key" not in keys:
        problems.append("it has no tls.key")
    if cert.get("error"):
        problems.append(cert["error"])
    if cert.get("key_error"):
        problems.append(cert["key_error"])
    if cert.get("key_matches") is False:
        problems.append("tls.key is not the key of the certificate in tls.crt")
    if problems:
        return [
            Finding(
                "tls-secret-unreadable",
                subject,
                f"TLS Secret {ns}/{name} of {subject} cannot be used: {'; '.join(problems)}",
                (where, *problems),
                f"put a PEM certificate chain in tls.crt and its unencrypted PEM key in tls.key: kubectl -n {ns} "
                f"create secret tls {name} --cert=CERT.pem --key=KEY.pem --dry-run=client -o yaml | kubectl apply -f -",
            )
        ]
    names = cert.get("dns_names") or []
    uncovered = [h for h in hosts if not any(_covers(n, h) for n in names)]
    if uncovered:
        return [
            Finding(
                "tls-host-not-covered",
                subject,
                f"the certificate in {ns}/{name} does not cover {', '.join(uncovered)}: clients reject it",
                (where, f"certificate names: {', '.join(names) or 'none'} ({cert.get('subject')})"),
                f"issue a certificate for {', '.join(uncovered)} and put it in Secret {name}",
            )
        ]
    return []


def _covers(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        first, _, rest = host.partition(".")
        return bool(first) and rest.lower() == pattern[2:].lower()
    return pattern.lower() == host.lower()
