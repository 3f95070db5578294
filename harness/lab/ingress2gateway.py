"""The guide's second migration path as a tool run: Ingress objects ->
ingress2gateway (pinned, :mod:`harness.lab.binaries`) -> Gateway API objects, and
those objects pointed at one Gateway API implementation.

Everything the tool says (its notices and warnings) and everything the
harness changes in its output is returned as text, so a report can show
what a reader of the guide would have to do by hand.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml

from harness.lab.binaries import INGRESS2GATEWAY, ToolError

__all__ = ["INGRESS2GATEWAY", "ToolError", "adapt", "convert"]


def convert(docs: list[dict[str, Any]], provider: str = "ingress-nginx") -> tuple[list[dict[str, Any]], list[str]]:
    """ingress2gateway's Gateway API objects for the Ingress ``docs`` (read
    from a file, no cluster) and the notices it printed about them."""
    with tempfile.TemporaryDirectory(prefix="i2g.") as tmp:
        src = Path(tmp) / "input.yaml"
        src.write_text(yaml.safe_dump_all(docs))
        args = [
            "print",
            f"--providers={provider}",
            f"--input-file={src}",
            "-A",
            "--allow-experimental-gw-api",
            "--no-color",
        ]
        text, said = INGRESS2GATEWAY.run(args, stderr=True)
    objects = [d for d in yaml.safe_load_all(text) if d]
    if not objects:
        raise ToolError(f"ingress2gateway converted nothing ({said.strip()[:200] or 'no output'})")
    for d in objects:
        d.pop("status", None)
    return objects, notices(said)


def notices(said: str) -> list[str]:
    """The boxed INFO/WARN messages ingress2gateway prints, one line each."""
    out, current = [], []
    for line in said.splitlines():
        text = line.strip().lstrip("│").strip()
        if line.lstrip().startswith("┌"):
            current = [line.strip("┌─ ").strip()]
        elif line.lstrip().startswith("└"):
            if current:
                out.append(" ".join(current))
            current = []
        elif text and not text.startswith(("source:", "object:")):
            current.append(text)
    return out


def adapt(docs: list[dict[str, Any]], controller: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Copies of the converted objects pointed at ``controller`` (a Gateway
    API implementation): its GatewayClass, and its listener ports where they
    are not 80/443 (Traefik's entrypoints), parentRef ports included. Returns
    the objects and one line per change."""
    changes = []
    ports = {80: controller.gateway_port("http"), 443: controller.gateway_port("https")}
    out = copy.deepcopy(docs)
    for d in out:
        spec = d.get("spec", {})
        if d["kind"] == "Gateway":
            if spec.get("gatewayClassName") != controller.gateway_class:
                changes.append(f"gatewayClassName {spec.get('gatewayClassName')} -> {controller.gateway_class}")
                spec["gatewayClassName"] = controller.gateway_class
            for listener in spec.get("listeners", []):
                new = ports.get(listener["port"], listener["port"])
                if new != listener["port"]:
                    changes.append(f"Gateway listener {listener['name']} port {listener['port']} -> {new}")
                    listener["port"] = new
        for ref in spec.get("parentRefs") or []:
            new = ports.get(ref.get("port"), ref.get("port"))
            if "port" in ref and new != ref["port"]:
                changes.append(f"{d['kind']} {d['metadata']['name']} parentRef port {ref['port']} -> {new}")
                ref["port"] = new
    return out, changes
