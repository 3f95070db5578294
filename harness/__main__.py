"""``python -m harness SUBCOMMAND ...``: the harness's tools outside pytest.

A subcommand is a module with ``add_arguments(parser)`` and ``run(args) ->
exit status``; adding one is one line in SUBCOMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "diagnose": ("harness.diagnose.cli", "name the cause of a broken Service, Ingress, Gateway or route, and the fix"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    modules = {}
    for name, (module, help_text) in SUBCOMMANDS.items():
        modules[name] = importlib.import_module(module)
        modules[name].add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    return int(modules[args.command].run(args))


if __name__ == "__main__":
    sys.exit(main())
