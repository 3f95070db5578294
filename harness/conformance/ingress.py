"""SIG Network's Ingress controller conformance features, read from the
pinned archive and turned into the harness's own checks.

The features (Gherkin, ``features/*.feature`` of
kubernetes-sigs/ingress-controller-conformance at f91a799, archived
upstream) are read from ``ingress-controller-conformance-f91a799.tar.gz`` in
the sources directory at run time, after its sha256 is checked against
:data:`SOURCE` (:mod:`harness.lab.sources`); nothing of upstream is committed.

This module is pure (no cluster): it parses the features (keeping scenarios
that share a title, which pytest-bdd's own parser would collapse), maps each
step's text to a typed action through :data:`GRAMMAR`, and plans a scenario:
which steps set something up, and which step closes a check (an expectation
row of :mod:`harness.checks.expect`, a spread over N requests, or the Ingress
status). The step definitions (``suites/conformance``) and the runner
(:mod:`harness.conformance.ingress_run`) execute that plan.

The semantics follow upstream's Go steps (read, not copied): a request goes
to the controller with the scenario's Host and follows redirects at the same
address, as upstream's client does; each ``Then`` after a ``When`` asserts
on that one answer, so the ``Then`` steps of a block fold into one row,
checked when the block's last step runs; backends are echo servers named
after the Services the Ingress names (port number as given, 8080 for a port
given by name); the Ingress gets the controller's class only when it names
none (upstream's ``--ingress-class``).
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.checks.manifests import ManifestError, load_manifest, parse_manifest
from harness.checks.rows import Expectation, Request, Response
from harness.lab.sources import Archive, SourceError

REGISTRY_ENV = "HARNESS_REGISTRY"  # harness/offline.py: "online" declares the run online
SOURCE = Archive(
    "ingress-controller-conformance",
    "f91a799",
    "23324b547d1208703c888806dd8619517344cc7b563f5cfdefcf32dd4b065b57",
    "github.com/kubernetes-sigs/ingress-controller-conformance",
)
SUITE = f"ingress-controller-conformance {SOURCE.tag}"
COMMIT = "f91a7996369a1b76e5e058f78da2285026178b59"
# each feature file of that commit, pinned too: online runs with no archive at hand (the nightly's
# runners) read them from the commit itself, and every run checks them
FEATURE_SHA256 = {
    "default_backend.feature": "06745094f5b9b3c4372046fdd0b8024081464693f047d1fd425dd9f6164d68cc",
    "host_rules.feature": "a32bf85c258cdcd829f227a9b2f142c24fea676f1396dcb4093446cf87d8e7ec",
    "ingress_class.feature": "fd47e263c7250a66680ceec2f1e0d1cb870f26669d38e04ac55f8f921689f5d2",
    "load_balancing.feature": "ebf96952af889b5f04e1909c1cc00be6325eec5bdf6ef07f6ef78c92a3b9e312",
    "path_rules.feature": "3408d14aea417b5a205b6483bcd3e2dead3b765d22088ef2031553e631a26d5d",
}
FEATURE_FILES = tuple(FEATURE_SHA256)
RAW_URL = "https://raw.githubusercontent.com/kubernetes-sigs/ingress-controller-conformance/{commit}/features/{file}"
# What upstream's HTTP client sends and the features assert on: its User-Agent
# (default_backend checks the backend saw it) and no compression (DisableCompression).
CLIENT_HEADERS = {"User-Agent": "Go-http-client/1.1", "Accept-Encoding": "identity"}
DEFAULT_SERVICE_PORT = 8080  # upstream's echo Service port when the Ingress names the port by name
SERVICE_PORT_NAME = "http"  # the one port name the harness's echo Service carries

# Guide claims each feature's scenarios touch (harness/claims.yaml ids); a
# scenario checking a served certificate also touches TLS termination.
FEATURE_CLAIMS: dict[str, tuple[str, ...]] = {
    "path_rules.feature": ("ingress-host-path-routing", "def-ingress-features", "h2h-ingress-routing"),
    "host_rules.feature": ("ingress-host-path-routing", "def-ingress-features"),
    "ingress_class.feature": ("troubleshoot-ingress-class", "ops-ingress-class-annotations"),
    "default_backend.feature": (),
    "load_balancing.feature": (),
}
TLS_CLAIM = "ingress-tls-termination"


class FeatureError(SourceError):
    """The archive does not hold the features as pinned (a file missing or unparsable)."""


class PlanError(Exception):
    """A step the harness has no definition for, or steps in an order it cannot check."""


# ---------------------------------------------------------------------------
# the features, parsed
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StepText:
    keyword: str  # as written: Given, When, Then, And
    kind: str  # given, when, then (And resolved to the step before it)
    text: str
    line: int
    docstring: str | None = None
    table: tuple[tuple[str, ...], ...] = ()
    background: bool = False


@dataclass(frozen=True)
class ScenarioSpec:
    feature: str  # the .feature file name
    title: str
    description: str  # upstream's one-line gloss, e.g. "(prefix /aaa does not match request /aaaccc)"
    line: int
    steps: tuple[StepText, ...]  # the Background's, then the scenario's (examples filled in)
    example: tuple[tuple[str, str], ...] = ()  # a Scenario Outline's row
    name: str = ""  # unique within the feature: title, description, example (and line when still ambiguous)

    @property
    def key(self) -> tuple[int, tuple[tuple[str, str], ...]]:
        return self.line, self.example


@dataclass(frozen=True)
class FeatureSpec:
    file: str
    name: str
    scenarios: tuple[ScenarioSpec, ...]
    bdd: Any = field(default=None, compare=False, repr=False)  # pytest-bdd's Feature (its templates run the tests)
    templates: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False)  # (key, ScenarioTemplate)


def features_dir(directory: Path | None = None) -> Path:
    """The features of the pinned archive, extracted once (the archive's
    sha256 checked, then each file's). Only when the archive is not at hand
    and the run is online by declaration (``HARNESS_REGISTRY=online``, as on
    the nightly's runners) are they read from the pinned commit upstream."""
    if not SOURCE.available(directory) and os.environ.get(REGISTRY_ENV) == "online":
        return _online()
    d = SOURCE.extracted(directory) / "features"
    missing = [f for f in FEATURE_FILES if not (d / f).is_file()]
    if missing:
        raise FeatureError(f"{SOURCE.file} lacks features/{', features/'.join(missing)}")
    _check(d, SOURCE.file)
    return d


def _online() -> Path:
    from harness.lab.upstream import CACHE, UpstreamError, url_text

    d = CACHE / "src" / f"{SOURCE.top}-features"
    d.mkdir(parents=True, exist_ok=True)
    for name in FEATURE_FILES:
        try:
            text = url_text(RAW_URL.format(commit=COMMIT, file=name))
        except UpstreamError as exc:
            raise FeatureError(f"features/{name} of {SOURCE.upstream} {COMMIT[:7]}: {exc}") from None
        (d / name).write_text(text, encoding="utf-8")
    _check(d, f"{SOURCE.upstream} at {COMMIT[:7]}")
    return d


def _check(d: Path, origin: str) -> None:
    for name, pin in FEATURE_SHA256.items():
        got = hashlib.sha256((d / name).read_bytes()).hexdigest()
        if got != pin:
            raise FeatureError(f"features/{name} from {origin} has sha256 {got[:16]}..., not the pinned {pin[:16]}...")


def load(directory: Path | None = None) -> list[FeatureSpec]:
    """The five features of the pinned archive, parsed."""
    d = features_dir(directory)
    return [parse_feature(d, name) for name in FEATURE_FILES]


def parse_feature(directory: Path, filename: str) -> FeatureSpec:
    from pytest_bdd.parser import FeatureParser

    class _KeepAll(FeatureParser):
        # pytest-bdd keys scenarios by title, so a second scenario with the title
        # of an earlier one replaces it (path_rules has two such pairs); key by line.
        def _parse_and_add_scenario(self, scenario_data: Any, feature: Any, rule: Any = None) -> None:
            scenario = self.parse_scenario(scenario_data, feature, rule)
            feature.scenarios[f"{scenario.name} @{scenario.line_number}"] = scenario

    try:
        feature = _KeepAll(str(directory), filename).parse()
    except Exception as exc:  # noqa: BLE001 - any parser failure is one line about the archive
        raise FeatureError(f"{SOURCE.file}: features/{filename} does not parse: {exc}".splitlines()[0]) from None
    specs: list[ScenarioSpec] = []
    templates: list[tuple[str, Any]] = []
    for key, template in feature.scenarios.items():
        templates.append((key, template))
        contexts = [ctx for ex in template.examples for ctx in ex.as_contexts()] or [{}]
        background = {s.line_number for s in template.all_background_steps}  # rendering forgets which they are
        for ctx in contexts:
            rendered = template.render(ctx)
            specs.append(
                ScenarioSpec(
                    feature=filename,
                    title=template.name,
                    description=" ".join(template.description.split()),
                    line=template.line_number,
                    steps=tuple(_step(s, s.line_number in background) for s in rendered.steps),
                    example=tuple((k, str(v)) for k, v in ctx.items()),
                )
            )
    return FeatureSpec(filename, feature.name, _named(specs), bdd=feature, templates=tuple(templates))


def _step(step: Any, background: bool) -> StepText:
    table = tuple(tuple(str(c) for c in row) for row in step.datatable.raw()) if step.datatable is not None else ()
    return StepText(
        keyword=step.keyword.strip(),
        kind=str(step.type),
        text=step.name,
        line=step.line_number,
        docstring=step.docstring,
        table=table,
        background=background,
    )


def _named(specs: list[ScenarioSpec]) -> tuple[ScenarioSpec, ...]:
    def base(s: ScenarioSpec) -> str:
        name = f"{s.title} {s.description}".strip()
        if s.example:
            name += " [" + ", ".join(f"{k}={v!r}" for k, v in s.example) + "]"
        return name

    counts: dict[str, int] = {}
    for s in specs:
        counts[base(s)] = counts.get(base(s), 0) + 1
    return tuple(replace(s, name=base(s) + (f" (line {s.line})" if counts[base(s)] > 1 else "")) for s in specs)


def find(features: Iterable[FeatureSpec], feature: str, line: int, example: dict[str, Any]) -> ScenarioSpec:
    key = (line, tuple((k, str(v)) for k, v in example.items()))
    for f in features:
        if f.file == feature:
            for s in f.scenarios:
                if s.key == key:
                    return s
    raise KeyError(f"no scenario at {feature}:{line} {dict(example)}")


# ---------------------------------------------------------------------------
# actions: what a step means
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewNamespace:
    pass


@dataclass(frozen=True)
class ApplyIngress:
    text: str  # the step's doc string: a whole Ingress, or only its spec (``name`` given)
    name: str | None = None  # "an Ingress resource named X with this spec"
    new_namespace: bool = False

    def documents(self) -> list[dict[str, Any]]:
        """The Ingress as upstream builds it (no class, hosts and namespace not yet set)."""
        if self.name is None:
            docs = parse_manifest(self.text, source="the step's Ingress", template=False)
            if len(docs) != 1 or docs[0].get("kind") != "Ingress":
                raise ManifestError("the step's doc string is not one Ingress")
            return docs
        import yaml

        try:
            spec = yaml.safe_load(self.text)
        except yaml.YAMLError as exc:
            raise ManifestError(f"the step's Ingress spec is not YAML: {exc}".replace("\n", " ")) from None
        if not isinstance(spec, dict):
            raise ManifestError("the step's Ingress spec is not a mapping")
        doc = load_manifest("conformance/ingress.yaml", name=self.name)[0]
        return [{**doc, "spec": spec}]


@dataclass(frozen=True)
class TlsSecret:
    name: str
    host: str


@dataclass(frozen=True)
class StatusAddress:
    shown: bool  # True: shows the address where it is exposed; False: must not


@dataclass(frozen=True)
class Scale:
    deployment: str  # upstream names the backend Deployment by its Service
    replicas: int


@dataclass(frozen=True)
class Send:
    request: Request


@dataclass(frozen=True)
class SendMany:
    count: int
    request: Request


@dataclass(frozen=True)
class Expect:
    """One ``Then`` on the last answer: Response fields it sets."""

    changes: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class SecureHostname:
    host: str  # the certificate must be the TLS Secret's for this host, verified for it


@dataclass(frozen=True)
class Spread:
    status: int
    pods: int


Action = (
    NewNamespace | ApplyIngress | TlsSecret | StatusAddress | Scale | Send | SendMany | Expect | SecureHostname | Spread
)
SETUP = (NewNamespace, ApplyIngress, TlsSecret, Scale)


def _request(method: str, url: str) -> Request:
    u = urlsplit(url)
    if u.scheme not in ("http", "https"):
        raise PlanError(f"cannot send to {url!r}: only http:// and https:// URLs")
    return Request(
        protocol=u.scheme,
        host=u.hostname or None,
        path=u.path or "/",
        method=method,
        headers=CLIENT_HEADERS,
        follow_redirects=True,
        tls_verify=False,
    )


def _headers(table: tuple[tuple[str, ...], ...]) -> dict[str, str]:
    if len(table) < 2 or any(len(r) != 2 for r in table) or table[0] != ("key", "value"):
        raise PlanError("a header table needs a 'key | value' heading and rows of two cells")
    return {k: v for k, v in table[1:]}


def _path(p: str) -> str:
    return p if p.startswith("/") else f"/{p}"


@dataclass(frozen=True)
class Rule:
    """One line of the grammar: the step text it matches and what it means."""

    pattern: str
    build: Callable[[re.Match[str], StepText], Action]

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


GRAMMAR: tuple[Rule, ...] = (
    Rule(r"a new random namespace", lambda m, s: NewNamespace()),
    Rule(
        r'an Ingress resource named "(?P<name>[^"]*)" with this spec:',
        lambda m, s: ApplyIngress(_doc(s), name=m["name"]),
    ),
    Rule(r"an Ingress resource in a new random namespace", lambda m, s: ApplyIngress(_doc(s), new_namespace=True)),
    Rule(r"an Ingress resource", lambda m, s: ApplyIngress(_doc(s))),
    Rule(
        r'a self-signed TLS secret named "(?P<name>[^"]*)" for the "(?P<host>[^"]*)" hostname',
        lambda m, s: TlsSecret(m["name"], m["host"]),
    ),
    Rule(r"The Ingress status shows the IP address or FQDN where it is exposed", lambda m, s: StatusAddress(True)),
    Rule(r"The Ingress status should not contain the IP address or FQDN", lambda m, s: StatusAddress(False)),
    Rule(
        r'The backend deployment "(?P<deployment>[^"]*)" for the ingress resource is scaled to (?P<n>\d+)',
        lambda m, s: Scale(m["deployment"], int(m["n"])),
    ),
    Rule(
        r'I send a "(?P<method>[^"]*)" request to http://"(?P<host>[^"]*)"/"(?P<path>[^"]*)"',
        lambda m, s: Send(replace(_request(m["method"], "http://x/"), host=m["host"] or None, path=_path(m["path"]))),
    ),
    Rule(
        r'I send a "(?P<method>[^"]*)" request to "(?P<url>[^"]*)"',
        lambda m, s: Send(_request(m["method"], m["url"])),
    ),
    Rule(
        r'I send (?P<n>\d+) requests to "(?P<url>[^"]*)"',
        lambda m, s: SendMany(int(m["n"]), _request("GET", m["url"])),
    ),
    Rule(r"the response status-code must be (?P<code>\d+)", lambda m, s: Expect((("status", int(m["code"])),))),
    Rule(r'the response must be served by the "(?P<svc>[^"]*)" service', lambda m, s: Expect((("backend", m["svc"]),))),
    Rule(r'the response proto must be "(?P<proto>[^"]*)"', lambda m, s: Expect((("proto", m["proto"]),))),
    Rule(
        r"the response headers must contain <key> with matching <value>",
        lambda m, s: Expect((("headers", _headers(s.table)),)),
    ),
    Rule(r'the request method must be "(?P<method>[^"]*)"', lambda m, s: Expect((("seen_method", m["method"]),))),
    Rule(r'the request path must be "(?P<path>[^"]*)"', lambda m, s: Expect((("seen_path", _path(m["path"])),))),
    Rule(r'the request proto must be "(?P<proto>[^"]*)"', lambda m, s: Expect((("seen_proto", m["proto"]),))),
    Rule(
        r"the request headers must contain <key> with matching <value>",
        lambda m, s: Expect((("seen_headers", _headers(s.table)),)),
    ),
    Rule(r'the request host must be "(?P<host>[^"]*)"', lambda m, s: Expect((("seen_host", m["host"]),))),
    Rule(r'the secure connection must verify the "(?P<host>[^"]*)" hostname', lambda m, s: SecureHostname(m["host"])),
    Rule(
        r"all the responses status-code must be (?P<code>\d+) and the response body should contain the IP address "
        r"of (?P<pods>\d+) different Kubernetes pods",
        lambda m, s: Spread(int(m["code"]), int(m["pods"])),
    ),
)


def _doc(step: StepText) -> str:
    if not step.docstring:
        raise PlanError(f"line {step.line}: {step.text!r} needs its Ingress as a doc string")
    return step.docstring


def action(step: StepText) -> Action:
    """What one step means (:data:`GRAMMAR`); a step it does not know is a PlanError."""
    for rule in GRAMMAR:
        m = rule.regex.fullmatch(step.text)
        if m:
            return rule.build(m, step)
    raise PlanError(f"line {step.line}: no step definition for {step.keyword} {step.text!r}")


# ---------------------------------------------------------------------------
# the plan: which step closes which check
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowCheck:
    row: Expectation
    lines: tuple[int, ...]  # the steps folded into it


@dataclass(frozen=True)
class SpreadCheck:
    row: Expectation  # one request of the N, and what each must get
    count: int
    pods: int
    lines: tuple[int, ...]


@dataclass(frozen=True)
class StatusCheck:
    shown: bool
    line: int


Check = RowCheck | SpreadCheck | StatusCheck


@dataclass(frozen=True)
class Planned:
    step: StepText
    action: Action
    check: Check | None = None  # the check this step closes (runs when it executes)

    @property
    def setup(self) -> bool:
        return isinstance(self.action, SETUP)


def plan(scenario: ScenarioSpec) -> tuple[Planned, ...]:
    """Each step with its action; the last step of a ``When`` block carries
    the block's row (request + every ``Then`` after it), a status step its
    own check, and a spread step the N-request check."""
    actions = [action(s) for s in scenario.steps]
    secrets = {a.host: a.name for a in actions if isinstance(a, TlsSecret)}
    closes: dict[int, Check] = {}
    i = 0
    while i < len(actions):
        a = actions[i]
        if isinstance(a, StatusAddress):
            closes[i] = StatusCheck(a.shown, scenario.steps[i].line)
        elif isinstance(a, Send | SendMany):
            j = i + 1
            response = Response(status=None)
            while j < len(actions) and isinstance(actions[j], Expect | SecureHostname | Spread):
                nxt = actions[j]
                if isinstance(nxt, Spread):
                    if not isinstance(a, SendMany):
                        raise PlanError(f"line {scenario.steps[j].line}: a spread needs 'I send N requests' before it")
                    response = replace(response, status=nxt.status)
                elif isinstance(nxt, SecureHostname):
                    if a.request.protocol != "https":
                        raise PlanError(f"line {scenario.steps[j].line}: a certificate needs an https:// request")
                    if nxt.host not in secrets:
                        raise PlanError(f"line {scenario.steps[j].line}: no TLS secret for {nxt.host} in the scenario")
                    response = replace(response, certificate=secrets[nxt.host])
                    a = replace(a, request=replace(a.request, tls_verify=True))
                elif isinstance(nxt, Expect):
                    response = _fold(response, nxt, scenario.steps[j].line)
                j += 1
            lines = tuple(s.line for s in scenario.steps[i:j])
            row = Expectation(a.request, response, label=scenario.steps[i].text)
            if isinstance(a, SendMany):
                spread = next((x for x in actions[i + 1 : j] if isinstance(x, Spread)), None)
                if spread is None:
                    raise PlanError(f"line {scenario.steps[i].line}: N requests with nothing to check on them")
                closes[j - 1] = SpreadCheck(row, a.count, spread.pods, lines)
            else:
                closes[j - 1] = RowCheck(row, lines)
            i = j
            continue
        elif isinstance(a, Expect | SecureHostname | Spread):
            raise PlanError(f"line {scenario.steps[i].line}: {scenario.steps[i].text!r} follows no request")
        i += 1
    return tuple(Planned(s, a, closes.get(k)) for k, (s, a) in enumerate(zip(scenario.steps, actions, strict=True)))


def _fold(response: Response, e: Expect, line: int) -> Response:
    changes: dict[str, Any] = {}
    for name, value in e.changes:
        current = getattr(response, name)
        if isinstance(value, dict):
            value = {**current, **value}
        elif name == "status" and current is not None and current != value:
            raise PlanError(f"line {line}: two different status codes asked of one answer")
        changes[name] = value
    return replace(response, **changes)


def checks(planned: Iterable[Planned]) -> list[Check]:
    return [p.check for p in planned if p.check is not None]


def rows(planned: Iterable[Planned]) -> list[Expectation]:
    """The expectation rows of a plan, in order (spreads give their one-request row)."""
    return [c.row for c in checks(planned) if isinstance(c, RowCheck | SpreadCheck)]


def claims(scenario: ScenarioSpec, planned: Iterable[Planned]) -> tuple[str, ...]:
    out = list(FEATURE_CLAIMS.get(scenario.feature, ()))
    if any(r.response.certificate for r in rows(planned)) and TLS_CLAIM not in out:
        out.append(TLS_CLAIM)
    return tuple(out)


# ---------------------------------------------------------------------------
# the objects a plan applies
# ---------------------------------------------------------------------------


def hosts(planned: Iterable[Planned]) -> list[str]:
    """Every hostname the scenario names (rules, TLS, requests, secrets, what the backend must see)."""
    found: list[str] = []

    def add(h: str | None) -> None:
        if h and h not in found:
            found.append(h)

    for p in planned:
        a = p.action
        if isinstance(a, ApplyIngress):
            for h in doc_hosts(a.documents()):
                add(h)
        elif isinstance(a, TlsSecret):
            add(a.host)
        elif isinstance(a, Send | SendMany):
            add(a.request.host)
        if isinstance(p.check, RowCheck):
            add(p.check.row.response.seen_host)
    return found


def doc_hosts(docs: Iterable[dict[str, Any]]) -> list[str]:
    """The hostnames an Ingress names: its rules' and its TLS sections'."""
    found: list[str] = []
    for doc in docs:
        spec = doc.get("spec") or {}
        named = [rule.get("host") for rule in spec.get("rules") or []]
        named += [h for tls in spec.get("tls") or [] for h in tls.get("hosts") or []]
        found += [h for h in named if h and h not in found]
    return found


def unique_host(host: str, suffix: str) -> str:
    """``host`` made unique to one namespace without changing its label
    structure, so wildcard rules keep their meaning: the suffix joins the
    label before the top-level one (foo.bar.com -> foo.bar-1a2b3.com,
    *.foo.com -> *.foo-1a2b3.com, foo.com -> foo-1a2b3.com), or the only
    label (exact-path-rules -> exact-path-rules-1a2b3)."""
    labels = host.split(".")
    i = len(labels) - 2 if len(labels) > 1 else 0
    labels[i] = f"{labels[i]}-{suffix}"
    return ".".join(labels)


def with_class(docs: list[dict[str, Any]], ingress_class: str) -> list[dict[str, Any]]:
    """Copies of ``docs`` whose Ingresses that name no class get ``ingress_class``
    (what upstream's ``--ingress-class`` does); a class the Ingress names stays."""
    out = [copy.deepcopy(d) for d in docs]
    for d in out:
        spec = d.setdefault("spec", {})
        if d.get("kind") == "Ingress" and not spec.get("ingressClassName"):
            spec["ingressClassName"] = ingress_class
    return out


@dataclass(frozen=True)
class EchoBackend:
    service: str
    port: int


def backends(docs: Iterable[dict[str, Any]]) -> list[EchoBackend]:
    """The echo Services an Ingress needs, as upstream deploys them: one per
    Service named (default backend and every path), on the port number the
    Ingress gives, or on 8080 named ``http`` when it gives a port name."""
    out: dict[str, EchoBackend] = {}

    def add(backend: dict[str, Any] | None) -> None:
        svc = (backend or {}).get("service")
        if not svc:
            return
        port = svc.get("port") or {}
        if port.get("name") not in (None, SERVICE_PORT_NAME):
            raise ManifestError(f"backend {svc['name']} names port {port['name']!r}; the echo Service has only 'http'")
        number = int(port.get("number") or DEFAULT_SERVICE_PORT)
        seen = out.get(svc["name"])
        if seen is not None and seen.port != number:
            raise ManifestError(f"backend {svc['name']} is named with two ports ({seen.port}, {number})")
        out[svc["name"]] = EchoBackend(svc["name"], number)

    for doc in docs:
        spec = doc.get("spec") or {}
        add(spec.get("defaultBackend"))
        for rule in spec.get("rules") or []:
            for p in (rule.get("http") or {}).get("paths") or []:
                add(p.get("backend"))
    return list(out.values())


def readiness_rows(docs: Iterable[dict[str, Any]]) -> list[Expectation]:
    """Rows the Ingress must serve before a scenario's answers mean anything
    (a 404 from a controller that has not loaded the Ingress yet proves
    nothing): each rule's own host and path to its own Service, the default
    backend at a host no rule names. Wildcard hosts get a label for the star."""
    out: list[Expectation] = []
    for doc in docs:
        spec = doc.get("spec") or {}
        default = ((spec.get("defaultBackend") or {}).get("service") or {}).get("name")
        if default:
            out.append(_ready("readiness.invalid", "/", default))
        for rule in spec.get("rules") or []:
            host = rule.get("host")
            if host and host.startswith("*."):
                host = "ready" + host[1:]
            for p in (rule.get("http") or {}).get("paths") or []:
                svc = ((p.get("backend") or {}).get("service") or {}).get("name")
                if svc:
                    out.append(_ready(host, p.get("path") or "/", svc))
    return out


def _ready(host: str | None, path: str, service: str) -> Expectation:
    request = Request("http", host, path, headers=CLIENT_HEADERS, follow_redirects=True, tls_verify=False)
    return Expectation(request, Response(status=200, backend=service), label=f"readiness {host or ''}{path}")


def negative(row: Expectation) -> bool:
    """A row a controller meets by serving nothing at all (a 404, a backend not reached)."""
    status = row.response.status
    return (not row.response.reached) or (status is not None and status == 404)
