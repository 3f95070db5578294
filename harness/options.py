"""Run options: what the person running the harness asked for, validated once.

pytest-kind's plugin already registers ``--cluster-name``, ``--keep-cluster``,
``--kubeconfig`` and ``--kind-bin``; the harness reads those and adds its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness import claims as catalog
from harness.checks.timeouts import Timeouts, parse_timeouts
from harness.results.known import KnownRefutation, KnownRefutationsError
from harness.results.known import load as load_known

CONTROLLERS = ("nginx", "nginx-inc", "traefik", "traefik-nginx", "envoy-gateway")  # the matrix, in report order
L4_SUBJECT = "metallb"  # the subject of L4 claims: the cluster's load-balancer implementation
SUBJECTS = (*CONTROLLERS, L4_SUBJECT)
DEFAULT_CLUSTER_NAME = "exposure-harness"
ROOT = Path(__file__).resolve().parent.parent
# set by an offline preflight for the xdist workers (the images `make images` built)
IMAGES_ENV = "HARNESS_IMAGES_DIR"


class UsageError(pytest.UsageError):  # type: ignore[misc]
    """Bad input from the person running the harness: one clear line."""


@dataclass(frozen=True)
class Options:
    controllers: tuple[str, ...]
    cluster_name: str
    kubeconfig: Path | None
    keep_cluster: bool
    kind_bin: Path | None
    node_image: str | None
    images_dir: Path | None
    report_dir: Path
    state_dir: Path
    timeouts: Timeouts = field(default_factory=Timeouts)
    known_refutations: tuple[KnownRefutation, ...] = ()

    @property
    def existing_cluster(self) -> bool:
        return self.kubeconfig is not None


def add_options(parser: pytest.Parser) -> None:
    g = parser.getgroup("exposure-harness")
    g.addoption(
        "--controllers",
        default=os.environ.get("CONTROLLERS", ",".join(CONTROLLERS)),
        help=f"comma-separated Ingress controllers to check (default: all of {', '.join(CONTROLLERS)}; "
        "env CONTROLLERS)",
    )
    g.addoption(
        "--node-image",
        default=os.environ.get("NODE_IMAGE") or None,
        help="kind node image (default: the pinned one, see harness/cluster.py)",
    )
    g.addoption(
        "--images-dir",
        default=os.environ.get("HARNESS_IMAGES_DIR") or None,
        help="directory of locally built image archives (make images); they are loaded into the "
        "cluster instead of pulling from registries",
    )
    g.addoption(
        "--report-dir",
        default=os.environ.get("REPORT_DIR", "reports"),
        help="where the claims report and failure evidence go (default: reports)",
    )
    g.addoption(
        "--timeout-multiplier",
        type=float,
        default=float(os.environ.get("TIMEOUT_MULTIPLIER", "1")),
        help="scale every deadline (slow CI machines)",
    )
    g.addoption(
        "--known-refutations",
        default=str(ROOT / "suites" / "known-refutations.yaml"),
        help="YAML list of refutations the run expects (default: suites/known-refutations.yaml)",
    )
    g.addoption(
        "--consistent-successes",
        type=int,
        default=3,
        help="consecutive successes a probe needs before a check passes (default 3)",
    )
    g.addoption(
        "--timeouts",
        action="append",
        default=[],
        metavar="NAME=SECONDS[,NAME=SECONDS]",
        help="set single deadlines (after --timeout-multiplier), e.g. "
        "--timeouts object_ready=300,consistency=90; repeatable; what each field bounds: "
        "harness/probes.py Timeouts",
    )


def from_config(config: pytest.Config) -> Options:
    raw = [c.strip() for c in str(config.getoption("controllers")).split(",") if c.strip()]
    unknown = [c for c in raw if c not in CONTROLLERS]
    if unknown:
        raise UsageError(f"unknown controller {', '.join(unknown)!s}; choose from: {', '.join(CONTROLLERS)}")
    if not raw:
        raise UsageError(f"no controller selected; choose from: {', '.join(CONTROLLERS)}")
    kubeconfig = config.getoption("kubeconfig", None)
    kind_bin = config.getoption("kind_bin", None)
    images_dir = config.getoption("images_dir") or os.environ.get(IMAGES_ENV) or None
    multiplier = config.getoption("timeout_multiplier")
    if multiplier <= 0:
        raise UsageError("--timeout-multiplier must be positive")
    if kubeconfig and not Path(kubeconfig).is_file():
        raise UsageError(f"kubeconfig {kubeconfig} does not exist")
    if kind_bin and not os.access(kind_bin, os.X_OK):
        raise UsageError(f"--kind-bin {kind_bin} is not an executable file")
    if images_dir and not Path(images_dir).is_dir():
        raise UsageError(f"--images-dir {images_dir} is not a directory (build it with `make images`)")
    report_dir = Path(config.getoption("report_dir"))
    if not report_dir.is_absolute():
        report_dir = Path(config.rootpath) / report_dir
    name = config.getoption("cluster_name", DEFAULT_CLUSTER_NAME)
    if name == "pytest-kind":  # pytest-kind's default: use ours
        name = DEFAULT_CLUSTER_NAME
    timeouts = Timeouts(consistent_successes=config.getoption("consistent_successes")).scaled(multiplier)
    try:
        timeouts = timeouts.overridden(parse_timeouts(config.getoption("timeouts") or []))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        known = load_known(Path(config.getoption("known_refutations")), claims=catalog.BY_ID.keys(), subjects=SUBJECTS)
    except KnownRefutationsError as exc:
        raise UsageError(str(exc)) from None
    return Options(
        controllers=tuple(c for c in CONTROLLERS if c in raw),
        cluster_name=name,
        kubeconfig=Path(kubeconfig).resolve() if kubeconfig else None,
        keep_cluster=bool(config.getoption("keep_cluster", False)),
        kind_bin=Path(kind_bin).resolve() if kind_bin else None,
        node_image=config.getoption("node_image") or config.getoption("kind_image", None),
        images_dir=Path(images_dir).resolve() if images_dir else None,
        report_dir=report_dir,
        state_dir=Path(config.rootpath) / ".harness",
        timeouts=timeouts,
        known_refutations=known,
    )
