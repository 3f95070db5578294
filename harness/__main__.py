"""``python -m harness COMMAND ...``: the harness's command-line tools.

Each command is a module with ``main(argv) -> int``; adding one is one entry
in ``COMMANDS`` (module, one line of help)."""

from __future__ import annotations

import importlib
import os
import sys

COMMANDS = {
    "diagnose": ("harness.diagnose.cli", "name the cause of a broken Service, Ingress, Gateway or route, and the fix"),
    "article": ("harness.article.cli", "check the YAML of a Markdown article on a kind cluster"),
    "report": ("harness.report.cli", "report merge DIR...: one report from several runs' reports"),
    "changed": ("harness.article.changed", "list the Markdown articles changed since a git ref"),
    "pr": ("harness.article.comment", "the article check's step summary or pull-request comment, from its index"),
    "conformance": (
        "harness.conformance.cli",
        "the upstream Gateway API conformance suite on envoy-gateway and traefik, beside their published reports",
    ),
}


def prog() -> str:
    """How the user called us: ``exposure-harness`` (the installed command) or ``python -m harness``."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return name if name and not name.endswith(".py") else "python -m harness"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] not in COMMANDS and args[0] not in ("-h", "--help"):
        print(f"harness: unknown command {args[0]!r}; commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    if not args or args[0] in ("-h", "--help"):
        out = sys.stdout if args else sys.stderr
        print(f"usage: {prog()} COMMAND [ARGS...]\n\ncommands:", file=out)
        for name, (_, text) in COMMANDS.items():
            print(f"  {name:<10} {text}", file=out)
        return 0 if args else 2
    return int(importlib.import_module(COMMANDS[args[0]][0]).main(args[1:]))


if __name__ == "__main__":
    sys.exit(main())
