"""``python -m harness diagnose KIND/NAME [-n NS] [--kubeconfig PATH] [--json]``.

Exit status: 0 no problem found, 1 problem(s) found, 2 bad input (an object
or namespace that does not exist, a kubeconfig that does not reach a
cluster, RBAC that forbids a read), with one line on stderr saying which.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import BAD_INPUT, BadTarget, ClusterSource, Unreachable, diagnose


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", metavar="KIND/NAME", help="service/NAME, ingress/NAME, gateway/NAME, httproute/NAME, ...")
    p.add_argument("-n", "--namespace", default="default", help="the target's namespace (default: default)")
    p.add_argument(
        "--kubeconfig", default=None, help="kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)"
    )
    p.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        source = ClusterSource(args.kubeconfig, args.context)
        result = diagnose(source, args.target, args.namespace)
    except (BadTarget, Unreachable) as exc:
        print(f"diagnose: {exc}", file=sys.stderr)
        return BAD_INPUT
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.text())
    if result.exit_status == BAD_INPUT:
        what = "; ".join(f"{k} ({v})" for k, v in result.unreadable.items())
        print(f"diagnose: nothing found, but could not read: {what}", file=sys.stderr)
    return result.exit_status


def main(argv: list[str]) -> int:
    """``python -m harness diagnose ...`` (harness/__main__.py)."""
    parser = argparse.ArgumentParser(prog="python -m harness diagnose", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
