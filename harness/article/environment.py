"""The run's own environment, and what an article asks of its own: a
requested address (``spec.loadBalancerIP``, ``metallb.io/loadBalancerIPs``),
an address pool named in an annotation, a shared-IP key. The plan maps each
into the environment (an address of the run's range, a pool of that name
made from the run's range, sharing honoured) and says what it mapped.

The run side makes the addresses of :attr:`Environment.addresses` requestable
but never handed out on their own (a MetalLB pool with ``autoAssign:
false``), so a mapped address is free when its Service asks for it; the
:class:`Allocator` hands out each address once per run (one article), and
the same requested address within one test (snippet and subject) always maps
to the same address of the run, which is how shared-IP Services keep
sharing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

REQUEST_ANNOTATIONS = ("metallb.io/loadBalancerIPs", "metallb.universe.tf/loadBalancerIPs")
POOL_ANNOTATIONS = ("metallb.io/address-pool", "metallb.universe.tf/address-pool")
SHARE_ANNOTATIONS = ("metallb.io/allow-shared-ip", "metallb.universe.tf/allow-shared-ip")
POOL_SIZE = 2  # addresses of a pool the run makes for a pool name an article uses


@dataclass(frozen=True)
class Environment:
    """The run's load-balancer environment: the pools Services get addresses
    from without asking (``pools``), and a range set aside for addresses the
    articles request and pools they name (``addresses``, ``first-last``)."""

    pools: tuple[str, ...]
    addresses: str

    def range(self) -> list[str]:
        lo, _, hi = self.addresses.partition("-")
        a, b = ipaddress.ip_address(lo.strip()), ipaddress.ip_address((hi or lo).strip())
        return [str(ipaddress.ip_address(n)) for n in range(int(a), int(b) + 1)]


def default_environment() -> Environment:
    """What ``--plan`` assumes with no cluster: the harness's MetalLB pool on
    kind's default docker network (172.18.0.0/16), and the 10 addresses just
    below it set aside for what articles request. A run describes its real one."""
    from harness.lab.addons.metallb import POOL, pool_range

    low = ipaddress.ip_address(pool_range(ipaddress.IPv4Network("172.18.0.0/16"), "exposure-harness").split("-")[0])
    return Environment(pools=(POOL,), addresses=f"{low - 10}-{low - 1}")


class AddressesExhausted(Exception):
    pass


@dataclass
class Allocator:
    """Hands out the environment's reserved addresses, each once."""

    env: Environment
    given: dict[tuple[str, str], str] = field(default_factory=dict)  # (scope, requested) -> address
    pools: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (scope, pool) -> addresses
    _free: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._free = self.env.range()

    def _take(self, n: int) -> list[str]:
        if len(self._free) < n:
            raise AddressesExhausted(
                f"the run's reserved range {self.env.addresses} has {len(self._free)} address(es) left, {n} needed"
            )
        out, self._free = self._free[:n], self._free[n:]
        return out

    def address(self, scope: str, requested: str) -> str:
        key = (scope, requested)
        if key not in self.given:
            self.given[key] = self._take(1)[0]
        return self.given[key]

    def pool(self, scope: str, name: str) -> list[str]:
        key = (scope, name)
        if key not in self.pools:
            self.pools[key] = self._take(POOL_SIZE)
        return self.pools[key]
