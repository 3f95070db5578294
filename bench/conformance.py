"""make bench-conformance: what the Gateway API conformance runs cost, printed.

- the cold build of the suite's test binary (``go test -c`` of
  conformance/gateway-api with an empty Go build cache, the module cache as it
  is): wall time and CPU time, which is what a loaded machine stretches;
- the build time of the suite's further images (timings.json of ``make images``);
- the wall time of each recorded run (``<report-dir>/conformance/*.json``: one
  go test run may cover several profiles, so its time repeats on each).

Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.conformance import model
from harness.conformance.gateway import MODULE_DIR
from harness.lab.upstream import CACHE

ROOT = Path(__file__).resolve().parent.parent


def cold_build() -> None:
    with tempfile.TemporaryDirectory(prefix="conformance-gocache.") as cache:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        res = subprocess.run(
            ["go", "test", "-c", "-trimpath", "-o", str(Path(cache) / "gateway-api.test"), "."],
            cwd=MODULE_DIR,
            env={
                **os.environ,
                "GOCACHE": str(Path(cache) / "go-build"),
                "CGO_ENABLED": "0",
                "GOFLAGS": "-mod=readonly",
            },
            capture_output=True,
            text=True,
        )
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        print(f"  build failed: {(res.stderr or res.stdout).strip().splitlines()[-1:]}")
        return
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    load = os.getloadavg()[0]
    print(f"  {wall:8.1f}  s wall, {cpu:.1f} s CPU (load average {load:.1f} on {os.cpu_count()} CPUs)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make bench-conformance")
    ap.add_argument("--report-dir", type=Path, default=ROOT / "reports")
    ap.add_argument("--images-dir", type=Path, default=CACHE / "images")
    ap.add_argument("--no-build", action="store_true", help="do not time a cold build of the test binary")
    args = ap.parse_args(argv)

    if not args.no_build:
        print(f"== cold build of the suite's test binary ({MODULE_DIR.relative_to(ROOT)}, empty GOCACHE)")
        cold_build()

    import json

    try:
        steps = json.loads((args.images_dir / "timings.json").read_text()).get("steps", {})
    except (OSError, ValueError):
        steps = {}
    print("== the suite's further images, seconds per step (last real build)")
    mine = {k: v for k, v in steps.items() if k.startswith("gateway_api_conformance:")}
    for name, secs in sorted(mine.items()):
        print(f"  {secs:8.1f}  {name}")
    if not mine:
        print("  none built yet (`make images`)")

    print(f"== recorded runs in {args.report_dir / model.RESULTS_DIR}")
    runs = model.load_all(args.report_dir)
    for r in runs:
        print(f"  {r.seconds:8.1f}  {r.suite} {r.implementation} {r.profile} ({len(r.cases)} tests)")
    if not runs:
        print("  none (`make conformance`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
