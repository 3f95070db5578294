"""One typed config for every wait in the harness: :class:`Timeouts`, and
the ``--timeouts NAME=SECONDS`` parser."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

# --------------------------------------------------------------------------
# timing: one typed config for every wait in the harness
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeouts:
    """Every deadline the harness waits on, in seconds.

    ``consistent_successes`` is the consistency rule's N: a check passes only
    after that many consecutive successes within ``consistency``. Slow
    machines scale every deadline at once with :meth:`scaled`; one field is
    set with :meth:`overridden` (``--timeouts object_ready=300``).
    """

    #: N of the consistency rule: consecutive successes a check needs before it passes
    consistent_successes: int = 3
    #: pause between two attempts of any waited-on check (not scaled)
    probe_interval: float = 0.5
    #: one probe: connect, TLS handshake, request and reply of a single HTTP/TCP/UDP exchange
    request: float = 5.0
    #: a traffic check (``consistently``): until N consecutive successes, from the first attempt
    consistency: float = 60.0
    #: a Kubernetes object becoming ready: Deployment rolled out, endpoints ready, CRD established,
    #: Gateway/route accepted, namespace deleted
    object_ready: float = 180.0
    #: a LoadBalancer Service getting its external address from MetalLB
    load_balancer_address: float = 90.0
    #: an addon installed and ready (controller Deployment, CRDs, its own LoadBalancer address)
    addon_ready: float = 300.0
    #: the kind cluster created and its nodes Ready
    cluster_ready: float = 600.0
    #: the observation window of a negative claim (``never``): how long "still no address" must hold
    negative_observation: float = 15.0
    #: how long a Gateway/route rejection must persist before its status gate fails on it (controllers
    #: re-evaluate routes as Services and EndpointSlices appear, so a first BackendNotFound may pass)
    rejection_settle: float = 10.0
    #: after an update of an Ingress or a route (its new generation applied and, for routes, accepted): how
    #: long answers from the backends of the previous configuration are tolerated before a wrong backend
    #: answering fails the check (a fresh object gets no such window: a wrong backend fails at once)
    update_settle: float = 10.0

    def scaled(self, multiplier: float) -> Timeouts:
        """The same config with every deadline multiplied (N and the poll interval unchanged)."""
        fixed = ("consistent_successes", "probe_interval")
        return replace(
            self, **{f.name: getattr(self, f.name) * multiplier for f in fields(self) if f.name not in fixed}
        )

    def overridden(self, values: dict[str, float]) -> Timeouts:
        """The same config with the given fields set (names checked by :func:`parse_timeouts`)."""
        changes: dict[str, Any] = dict(values)
        return replace(self, **changes)


def parse_timeouts(specs: list[str]) -> dict[str, float]:
    """``["object_ready=300,consistency=90", "request=10"]`` -> field values.

    Raises ValueError with one line naming the bad part: an unknown field,
    a value that is not a positive number (a whole one for
    ``consistent_successes``), or a part without ``=``."""
    names = [f.name for f in fields(Timeouts)]
    out: dict[str, float] = {}
    for spec in specs:
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            name, sep, raw = (x.strip() for x in part.partition("="))
            if not sep:
                raise ValueError(f"--timeouts {part!r}: expected NAME=SECONDS (fields: {', '.join(names)})")
            if name not in names:
                raise ValueError(f"--timeouts: unknown timeout {name!r}; choose from: {', '.join(names)}")
            try:
                value = int(raw) if name == "consistent_successes" else float(raw)
            except ValueError:
                kind = "a whole number" if name == "consistent_successes" else "a number of seconds"
                raise ValueError(f"--timeouts {part!r}: {raw!r} is not {kind}") from None
            if not value > 0 or value == float("inf"):
                raise ValueError(f"--timeouts {part!r}: must be positive and finite")
            out[name] = value
    return out
