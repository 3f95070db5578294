"""make bench: the numbers behind the offline build and the e2e, printed.

- cold build time of each image step (timings.json: the wall time each step
  took the last time it really built; `make clean-images && make images`
  makes them all cold),
- warm `make e2e` wall time from nothing to report (this script runs it),
  with cluster creation and each addon's time to ready,
- disk used by the image cache and the docker images built.

Numbers are printed, never asserted: targets live here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from harness.lab.upstream import CACHE

ROOT = Path(__file__).resolve().parent.parent


def du(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += (Path(dirpath) / f).lstat().st_size
            except OSError:
                pass
    return total


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make bench")
    ap.add_argument("--images-dir", type=Path, default=CACHE / "images")
    ap.add_argument("--no-e2e", action="store_true", help="only print build numbers")
    ap.add_argument("--controllers", default=os.environ.get("CONTROLLERS", "nginx,traefik,traefik-nginx"))
    args = ap.parse_args(argv)

    timings = {}
    try:
        timings = json.loads((args.images_dir / "timings.json").read_text()).get("steps", {})
    except (OSError, ValueError):
        print("no timings.json yet: run `make images` first")
    print("== image build, seconds per step (last real build)")
    for name, secs in sorted(timings.items(), key=lambda kv: -kv[1]):
        print(f"  {secs:8.1f}  {name}")

    print("== disk")
    print(f"  {mib(du(CACHE)):>12}  cache {CACHE} (binaries, root filesystems, archives)")
    images: set[str] = set()
    for stamp in (args.images_dir / "stamps").glob("*.json"):
        images.update(json.loads(stamp.read_text()).get("images", []))
    sizes = 0
    for image in sorted(images):
        out = subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", image], capture_output=True, text=True)
        if out.returncode == 0:
            sizes += int(out.stdout.strip())
    print(f"  {mib(sizes):>12}  {len(images)} docker images built by make images")

    if args.no_e2e:
        return 0
    print("== warm make e2e (images built, no cluster yet)")
    started = time.monotonic()
    rc = subprocess.run(
        ["make", "-s", "e2e", f"IMAGES_DIR={args.images_dir}", f"CONTROLLERS={args.controllers}"], cwd=ROOT
    ).returncode
    wall = time.monotonic() - started
    print(f"  {wall:8.1f}  s  make e2e wall time, from nothing to the report (exit {rc})")
    try:
        t = json.loads((ROOT / "reports" / "timings.json").read_text())
    except (OSError, ValueError):
        t = {}
    if "cluster_create_seconds" in t:
        print(f"  {t['cluster_create_seconds']:8.1f}  s  kind cluster creation")
    for addon, secs in sorted(t.get("addon_ready_seconds", {}).items()):
        print(f"  {secs:8.1f}  s  {addon} installed and ready")
    if "session_seconds" in t:
        print(f"  {t['session_seconds']:8.1f}  s  pytest session (suites included)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
